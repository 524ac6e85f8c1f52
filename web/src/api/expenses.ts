// Sales expenses (docs/API.md "Sales expenses") and their figure: the
// `expense_amount` metric (销售费用) of the metric engine, asked with the
// list's own filters, so that the total beside a list is the engine's.
import { api, type Query } from './client'
import { page } from './crm'
import { metricsApi, type MetricFilter } from './metrics'

const V1 = '/api/v1'

export interface Expense {
  id: string
  user_id: string
  department_id: string | null
  customer_id: string | null
  customer_name: string
  opportunity_id: string | null
  opportunity_name: string
  type: string
  /** Minor units of currency. */
  amount: number
  currency: string
  /** The business date, a local YYYY-MM-DD. */
  incurred_on: string
  note: string
  created_by: string | null
  version: number
  created_at: string
  updated_at: string
}

export interface ExpenseInput {
  user_id?: string
  customer_id?: string
  opportunity_id?: string
  type: string
  amount: number
  currency?: string
  incurred_on: string
  note?: string
}

/** A change; customer_id or opportunity_id null unlinks it. */
export type ExpenseUpdate = Partial<{
  customer_id: string | null
  opportunity_id: string | null
  type: string
  amount: number
  incurred_on: string
  note: string
}>

/** Common types offered in the form; any other text is a type too. */
export const EXPENSE_TYPES = ['travel', 'transport', 'accommodation', 'meal', 'entertainment', 'gift', 'communication', 'conference', 'other'] as const

/** The metric of the figure. */
export const EXPENSE_METRIC = 'expense_amount'

export const expenses = {
  list: async (q: Query) => page<Expense>(await api.get(`${V1}/expenses`, q)),
  get: (id: string) => api.get<Expense>(`${V1}/expenses/${id}`),
  create: (body: ExpenseInput) => api.post<Expense>(`${V1}/expenses`, body),
  update: (id: string, body: ExpenseUpdate, version: number) => api.patch<Expense>(`${V1}/expenses/${id}`, body, version),
  remove: (id: string, version: number) => api.del<void>(`${V1}/expenses/${id}`, version),
}

/** What a list of expenses shows: the filters both the list and its figure follow. */
export interface ExpenseSelection {
  user_id?: string
  customer_id?: string
  opportunity_id?: string
  type?: string
  /** Local dates, `to` excluded. */
  from: string
  to: string
}

/** The list's filters of a selection. */
export function expenseFilters(s: ExpenseSelection): string[] {
  const f: string[] = [`incurred_on:gte:${s.from}`, `incurred_on:lt:${s.to}`]
  if (s.user_id) f.push(`user_id:eq:${s.user_id}`)
  if (s.customer_id) f.push(`customer_id:eq:${s.customer_id}`)
  if (s.opportunity_id) f.push(`opportunity_id:eq:${s.opportunity_id}`)
  if (s.type) f.push(`type:eq:${s.type}`)
  return f
}

/**
 * The figure of a selection (minor units), from the metric engine; an
 * expense of an opportunity is about it (the opportunity dimension).
 */
export async function expenseTotal(s: ExpenseSelection): Promise<number> {
  const filters: MetricFilter[] = []
  if (s.user_id) filters.push({ dimension: 'person', values: [s.user_id] })
  if (s.customer_id) filters.push({ dimension: 'customer', values: [s.customer_id] })
  if (s.opportunity_id) filters.push({ dimension: 'opportunity', values: [s.opportunity_id] })
  if (s.type) filters.push({ dimension: 'attr', values: [s.type] })
  const r = await metricsApi.query({ metrics: [EXPENSE_METRIC], from: s.from, to: s.to, filters })
  return r.total.values[EXPENSE_METRIC] ?? 0
}
