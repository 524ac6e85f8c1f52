// Typed calls for the forecast, win probability and segmentation analyses
// (docs/API.md "Analyses"). Their figures come from the metric engine on the
// server.
import { api } from './client'

const V1 = '/api/v1'

export type ForecastCategory = 'commit' | 'best_case' | 'pipeline' | 'omitted'

export interface ForecastAdjustment {
  id: string
  period_from: string
  period_to: string
  subject_type: 'department' | 'person' | 'company'
  subject_id: string
  category: ForecastCategory
  amount: number
  original: number
  note: string
  created_by: string
  created_by_name: string
  created_at: string
}

export interface ForecastFigures {
  won: number
  open: number
  weighted: number
  category: Record<ForecastCategory, number>
}

export interface ForecastRow {
  subject_type: 'department' | 'person' | 'company'
  id: string
  name: string
  figures: ForecastFigures
  adjusted: Partial<Record<ForecastCategory, ForecastAdjustment>>
  forecast: Record<ForecastCategory, number>
  can_adjust: boolean
}

export interface Forecast {
  period: string
  from: string
  to: string
  department_id: string
  categories: ForecastCategory[]
  root: ForecastRow
  departments: ForecastRow[]
  people: ForecastRow[]
  history: ForecastAdjustment[]
}

export interface WinFactor {
  feature: 'stage' | 'amount_band' | 'source' | 'industry' | 'days_open'
  value: string
  won: number
  lost: number
  effect: number
  points: number
}

export interface WinProbability {
  opportunity_id: string
  probability: number
  base_rate: number | null
  won: number
  lost: number
  basis: 'department' | 'company' | 'none'
  department_id: string
  factors: WinFactor[]
}

export interface RFMCustomer {
  customer_id: string
  name: string
  recency_days: number
  last_signed: string
  frequency: number
  monetary: number
  r: number
  f: number
  m: number
  tier: string
}

export interface Segmentation {
  as_of: string
  from: string
  to: string
  customers: number
  tiers: { tier: string; count: number; monetary: number }[]
  top: RFMCustomer[]
}

export const analyses = {
  forecast: (q: { period?: string; department_id?: string }) =>
    api.get<Forecast>(`${V1}/analyses/forecast`, { period: q.period || undefined, department_id: q.department_id || undefined }),
  adjust: (body: {
    period: string
    subject_type: 'department' | 'person' | 'company'
    /** None for the company. */
    subject_id?: string
    category: ForecastCategory
    amount: number
    note: string
  }) => api.post<ForecastAdjustment>(`${V1}/analyses/forecast/adjustments`, body),
  winProbability: (id: string) => api.get<WinProbability>(`${V1}/opportunities/${id}/win-probability`),
  segmentation: (q: { as_of?: string; top?: number }) =>
    api.get<Segmentation>(`${V1}/analyses/segmentation`, { as_of: q.as_of || undefined, top: q.top }),
}
