// Typed calls for the metric engine (internal/metrics, docs/API.md "Metrics").
// Every figure a page shows comes from here: cockpits, analyses, goals.
import { api } from './client'

const V1 = '/api/v1'

export interface MetricFilter {
  dimension: string
  values: string[]
}

export interface MetricQuery {
  metrics: string[]
  dimensions?: string[]
  filters?: MetricFilter[]
  /** Local dates YYYY-MM-DD, `to` excluded. */
  from: string
  to: string
  /** Business role whose credit team metrics count (owner by default). */
  role?: string
  compare?: ('previous' | 'year_ago')[]
  /** Department id whose children the department dimensions group by. */
  department_root?: string
  /** Date (YYYY-MM-DD, inside [from, to)) of the as-of figures: receivable, overdue, forgotten customers. */
  as_of?: string
}

export interface MetricColumn {
  name: string
  label: string
  unit: string
  additive: boolean
}

export interface MetricChange {
  abs: number
  rel: number | null
}

export interface MetricRow {
  keys: string[]
  labels: string[]
  values: Record<string, number | null>
  compare?: Record<string, Record<string, number | null>>
  change?: Record<string, Record<string, MetricChange | null>>
}

export interface MetricResult {
  metrics: MetricColumn[]
  dimensions: string[]
  from: string
  to: string
  role: string
  /** The as-of date the as-of figures were taken at. */
  as_of: string
  compare?: { name: string; from: string; to: string }[]
  rows: MetricRow[]
  total: MetricRow
}

export interface CatalogEntry {
  name: string
  label: string
  unit: string
  additive: boolean
  builtin: boolean
  definition: string
  formula?: string
  id?: string
}

export interface DrillQuery {
  metric: string
  filters?: MetricFilter[]
  from: string
  to: string
  role?: string
  as_of?: string
  limit?: number
}

export interface DrillRow {
  kind: string
  record_type: string
  record_id: string
  /** The record's name (opportunity, document, ticket, project, customer); "" for others. */
  record_name: string
  customer_id: string
  customer_name: string
  user_id: string
  user_name: string
  role: string
  share_bp: number
  occurred_at: string
  date: string
  amount: number
  credited: number
  duration_s: number
  n: number
  stage: string
  attr: string
  product_id: string
}

export interface Drill {
  metric: string
  items: DrillRow[]
  truncated: boolean
}

/** One figure of a customer's page: a metric and the period it was asked over. */
export interface CustomerFigure {
  metric: string
  label: string
  unit: string
  value: number | null
  from: string
  to: string
  as_of: string
}

/** GET /customers/{id}/figures: the engine's figures of one customer, inside the caller's scope. */
export interface CustomerFigures {
  customer_id: string
  today: string
  role: string
  figures: CustomerFigure[]
  /** YYYY-MM-DD of the latest follow-up, "" for none. */
  last_followup: string
}

export const metricsApi = {
  catalog: () => api.get<{ items: CatalogEntry[] }>(`${V1}/metrics`),
  query: (q: MetricQuery) => api.post<MetricResult>(`${V1}/metrics/query`, q),
  drill: (q: DrillQuery) => api.post<Drill>(`${V1}/metrics/drill`, q),
  customerFigures: (customerId: string) => api.get<CustomerFigures>(`${V1}/customers/${customerId}/figures`),
}
