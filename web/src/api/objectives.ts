// Typed calls for objectives and key results (OKR), strategies and actions
// (docs/API.md "Objectives and key results"). Every figure of the tree is
// computed by the server's metric engine; the page only shows it.
import { api, type Page } from './client'
import type { MetricFilter } from './metrics'

const V1 = '/api/v1/objectives'

export type KRKind = 'metric' | 'goal' | 'self'
export type Factor = 'opportunities' | 'conversion' | 'order_value' | 'cycle'
export type Cadence = 'day' | 'week' | 'month' | 'period'
export type ActionKind = 'quota' | 'manual'

export const FACTORS: Factor[] = ['opportunities', 'conversion', 'order_value', 'cycle']
export const CADENCES: Cadence[] = ['day', 'week', 'month', 'period']

export interface Objective {
  id: string
  title: string
  description: string
  /** person:<id>, department:<id> or company. */
  owner: string
  owner_name: string
  /** FY2026, FY2026-Q1 or 2026-04. */
  period: string
  version: number
}

export interface ObjectiveInput {
  title: string
  description?: string
  owner?: string
  period: string
}

export interface KeyResult {
  id: string
  objective_id: string
  position: number
  title: string
  kind: KRKind
  weight: number
  metric: string
  role: string
  filters: MetricFilter[]
  target: number | null
  direction: 'increase' | 'decrease'
  goal_rule_id: string | null
  goal_subject: string
  self_score: number | null
  self_note: string
  assessed_by: string | null
  assessed_at: string | null
  version: number
}

export type KeyResultInput = Partial<Omit<KeyResult, 'id' | 'objective_id' | 'version' | 'assessed_by' | 'assessed_at'>>

export interface KeyResultNode extends KeyResult {
  assessed_by_name?: string
  metric_label: string
  unit: string
  actual: number | null
  score: number | null
  problem?: 'goal_rule_missing' | 'goal_period' | 'goal_subject_missing'
}

export interface FactorValue {
  factor: Factor
  metric: string
  label: string
  unit: string
  value: number | null
}

export interface Strategy {
  id: string
  objective_id: string
  position: number
  title: string
  factor: Factor
  version: number
}

export type StrategyInput = Partial<Pick<Strategy, 'title' | 'factor' | 'position'>>

export interface Action {
  id: string
  objective_id: string
  strategy_id: string
  position: number
  title: string
  kind: ActionKind
  metric: string
  filters: MetricFilter[]
  quota: number | null
  cadence: Cadence | ''
  done: boolean
  done_by: string | null
  done_at: string | null
  version: number
}

export type ActionInput = Partial<Pick<Action, 'title' | 'kind' | 'metric' | 'filters' | 'quota' | 'cadence' | 'done' | 'position'>>

export interface ActionBucket {
  key: string
  from: string
  to: string
  count: number
  quota: number
  met: boolean
}

export interface ActionNode extends Action {
  metric_label: string
  unit: string
  done_by_name?: string
  counted: number | null
  expected: number | null
  progress: number | null
  buckets_met: number
  buckets: ActionBucket[]
}

export interface StrategyNode extends Strategy {
  factor_value: FactorValue
  progress: number | null
  actions: ActionNode[]
}

export interface ObjectiveNode extends Objective {
  score: number | null
  key_results: KeyResultNode[]
  factors: FactorValue[]
  strategies: StrategyNode[]
}

export interface ObjectiveTree {
  period: { key: string; kind: string; from: string; to: string }
  as_of: string
  time_progress: number
  items: ObjectiveNode[]
  truncated: boolean
}

const one = (id: string) => `${V1}/${id}`

export const objectivesApi = {
  list: (period = '', owner = '') => api.get<Page<Objective>>(V1, { period, owner }),
  tree: (period: string, owner = '', asOf = '') => api.get<ObjectiveTree>(`${V1}/tree`, { period, owner, as_of: asOf }),
  treeOf: (id: string, asOf = '') => api.get<ObjectiveTree>(`${one(id)}/tree`, { as_of: asOf }),
  create: (o: ObjectiveInput) => api.post<Objective>(V1, o),
  update: (id: string, o: Partial<ObjectiveInput>, version: number) => api.patch<Objective>(one(id), o, version),
  remove: (id: string, version?: number) => api.del<void>(one(id), version),
  addKeyResult: (id: string, k: KeyResultInput) => api.post<KeyResult>(`${one(id)}/key-results`, k),
  updateKeyResult: (id: string, kr: string, k: KeyResultInput, version: number) => api.patch<KeyResult>(`${one(id)}/key-results/${kr}`, k, version),
  removeKeyResult: (id: string, kr: string, version?: number) => api.del<void>(`${one(id)}/key-results/${kr}`, version),
  addStrategy: (id: string, s: StrategyInput) => api.post<Strategy>(`${one(id)}/strategies`, s),
  updateStrategy: (id: string, st: string, s: StrategyInput, version: number) => api.patch<Strategy>(`${one(id)}/strategies/${st}`, s, version),
  removeStrategy: (id: string, st: string, version?: number) => api.del<void>(`${one(id)}/strategies/${st}`, version),
  addAction: (id: string, st: string, a: ActionInput) => api.post<Action>(`${one(id)}/strategies/${st}/actions`, a),
  updateAction: (id: string, act: string, a: ActionInput, version: number) => api.patch<Action>(`${one(id)}/actions/${act}`, a, version),
  removeAction: (id: string, act: string, version?: number) => api.del<void>(`${one(id)}/actions/${act}`, version),
}

/** The fiscal periods of fiscal year fy (starting in month fyStart): the year, its quarters, its months. */
export function fiscalPeriods(fy: number, fyStart: number): { key: string; kind: 'year' | 'quarter' | 'month' }[] {
  const out: { key: string; kind: 'year' | 'quarter' | 'month' }[] = [{ key: `FY${fy}`, kind: 'year' }]
  for (let q = 1; q <= 4; q++) out.push({ key: `FY${fy}-Q${q}`, kind: 'quarter' })
  for (let m = 0; m < 12; m++) {
    const d = new Date(Date.UTC(fy, fyStart - 1 + m, 1))
    out.push({ key: `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`, kind: 'month' })
  }
  return out
}

/** The fiscal year and quarter holding a date. */
export function fiscalOf(d: Date, fyStart: number): { fy: number; quarter: string; month: string } {
  const y = d.getFullYear()
  const m = d.getMonth() + 1
  const fy = m < fyStart ? y - 1 : y
  const q = Math.floor(((m - fyStart + 12) % 12) / 3) + 1
  return { fy, quarter: `FY${fy}-Q${q}`, month: `${y}-${String(m).padStart(2, '0')}` }
}
