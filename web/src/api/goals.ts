// Typed calls for goal management (docs/API.md "Goals"). Completion figures
// come from the metric engine on the server; the page only shows them.
import { api, request, type Page } from './client'

const V1 = '/api/v1/goal-rules'

export type SubjectType = 'company' | 'department' | 'person' | 'product' | 'product_category' | 'region' | 'segment'
export type Cycle = 'year' | 'quarter' | 'month' | 'week'

export interface GoalRule {
  id: string
  name: string
  metric: string
  role: string
  subject_type: SubjectType
  cycle: Cycle
  departments: string[]
  filters: { dimension: string; values: string[] }[]
  version: number
}

export type GoalRuleInput = Omit<GoalRule, 'id' | 'version'>

export interface GoalPeriod {
  key: string
  kind: 'year' | 'quarter' | 'month' | 'week'
  from: string
  to: string
  parent: string
  locked: boolean
  frozen: boolean
}

export interface GoalSubject {
  key: string
  kind: string
  label: string
  parent: string
  depth: number
  /** Whether I may set its values (administrators: all; a department's manager: its tree). */
  editable: boolean
}

export interface GoalCell {
  value: number | null
  target: number | null
  periods_sum: number | null
  subjects_sum: number | null
  locked: boolean
}

export interface GoalWarning {
  subject: string
  period: string
  along: 'periods' | 'subjects'
  value: number
  children_sum: number
}

export interface GoalGrid {
  rule: GoalRule
  year: number
  unit: string
  periods: GoalPeriod[]
  subjects: GoalSubject[]
  cells: Record<string, Record<string, GoalCell>>
  warnings: GoalWarning[]
  /** 左右拉通: periods where another rule decomposing the same target has another total. */
  cross_warnings: { period: string; rule_id: string; rule_name: string; value: number; other_value: number }[]
}

export interface SplitInput {
  subject: string
  period: string
  along: 'periods' | 'subjects'
  to?: string
  method: 'even' | 'weights' | 'last_year'
  weights?: Record<string, number>
  children?: string[]
  dry_run: boolean
}

export interface SplitResult {
  total: number
  cells: { subject: string; period: string; old: number | null; new: number; locked: boolean }[]
  applied: boolean
}

export interface GoalChange {
  id: string
  subject: string
  period: string
  old: number | null
  new: number | null
  source: string
  changed_by_name: string
  changed_at: string
}

export interface TrendPoint {
  period: string
  actual: number | null
  target: number | null
  completion_rate: number | null
}

export interface CompletionRow {
  subject: string
  kind: string
  label: string
  parent: string
  depth: number
  actual: number | null
  target: number | null
  completion_rate: number | null
  gap: number | null
  band: 'below' | 'on_track' | 'above' | null
  forecast: number | null
  rank: number | null
  peers: number
  frozen_actual?: number | null
  difference?: number | null
  trend: TrendPoint[]
}

export interface Completion {
  rule: GoalRule
  unit: string
  period: GoalPeriod
  as_of: string
  time_progress: number
  rows: CompletionRow[]
}

const rule = (id: string) => `${V1}/${id}`

export const goalsApi = {
  rules: () => api.get<Page<GoalRule>>(V1),
  createRule: (r: GoalRuleInput) => api.post<GoalRule>(V1, r),
  updateRule: (id: string, r: Partial<GoalRuleInput>, version: number) => api.patch<GoalRule>(rule(id), r, version),
  deleteRule: (id: string) => api.del<void>(rule(id)),
  grid: (id: string, year: number) => api.get<GoalGrid>(`${rule(id)}/grid`, { year: String(year) }),
  setValues: (id: string, cells: { subject: string; period: string; value: number | null }[]) =>
    api.put<{ changed: number }>(`${rule(id)}/values`, { cells }),
  split: (id: string, s: SplitInput) => api.post<SplitResult>(`${rule(id)}/split`, s),
  changes: (id: string, subject = '', period = '') => api.get<Page<GoalChange>>(`${rule(id)}/changes`, { subject, period }),
  lock: (id: string, period: string, freeze = false) => api.post<void>(`${rule(id)}/locks`, { period, freeze }),
  unlock: (id: string, period: string) => api.del<void>(`${rule(id)}/locks/${encodeURIComponent(period)}`),
  completion: (id: string, period: string, asOf = '', subjects: string[] = [], trend = 6) =>
    api.get<Completion>(`${rule(id)}/completion`, { period, as_of: asOf, subject: subjects, trend: String(trend) }),
  sheetURL: (id: string, year: number) => `${rule(id)}/sheet?year=${year}&format=xlsx`,
  importSheet: (id: string, file: File) => {
    const fd = new FormData()
    fd.append('file', file, file.name)
    return request<{ rows: number; changed: number }>('POST', `${rule(id)}/sheet`, { formData: fd })
  },
}
