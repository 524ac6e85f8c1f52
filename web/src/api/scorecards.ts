// Typed calls for KPI scorecards (docs/API.md "Scorecards"). Every value,
// point and total is computed on the server (the metric engine, goal
// completion, the curves); the page only shows them.
import { api, type Page } from './client'
import type { GoalPeriod } from './goals'

const T = '/api/v1/scorecard-templates'
const C = '/api/v1/scorecards'

export type ItemType = 'count' | 'percentage' | 'time_progress' | 'score'
export type CurveType = 'linear' | 'steps' | 'threshold'
export type ScorecardCycle = 'month' | 'quarter' | 'year'

export interface ScoreStep {
  from: number
  points: number
}

export interface ScoreCurve {
  type: CurveType
  cap?: number | null
  floor?: number | null
  steps?: ScoreStep[]
}

export interface ScorecardItem {
  key: string
  name: string
  type: ItemType
  metric?: string
  role?: string
  goal_rule_id?: string | null
  weight: number
  target: number | null
  curve: ScoreCurve
}

export interface ScorecardTemplate {
  id: string
  name: string
  cycle: ScorecardCycle
  departments: string[]
  people: string[]
  items: ScorecardItem[]
  version: number
}

export type ScorecardTemplateInput = Omit<ScorecardTemplate, 'id' | 'version'>

export interface ScorecardLine {
  key: string
  name: string
  type: ItemType
  metric?: string
  role?: string
  goal_rule_id?: string
  unit: string
  weight: number
  target: number | null
  value: number | null
  completion?: number | null
  achievement: number | null
  points: number
  max_points: number
  score: number
  curve: ScoreCurve
  note?: string
  pending: boolean
  unavailable?: boolean
}

export interface Scorecard {
  user_id: string
  name: string
  department_id: string | null
  department: string
  total: number
  max_total: number
  rank?: number
  pending: number
  items: ScorecardLine[]
}

export interface ScorecardFreeze {
  as_of: string
  time_progress: number
  forced: boolean
  frozen_by: string | null
  frozen_by_name: string
  frozen_at: string
}

interface ScorecardHead {
  template: { id: string; name: string; cycle: ScorecardCycle; version: number }
  period: GoalPeriod
  as_of: string
  time_progress: number
  frozen: ScorecardFreeze | null
}

export interface ScorecardTeam extends ScorecardHead {
  cards: Scorecard[]
}

export interface ScorecardDetail extends ScorecardHead {
  card: Scorecard
}

export interface ScoreInput {
  item: string
  score: number | null
  note: string
}

export const scorecardsApi = {
  templates: () => api.get<Page<ScorecardTemplate>>(T),
  template: (id: string) => api.get<ScorecardTemplate>(`${T}/${id}`),
  createTemplate: (t: ScorecardTemplateInput) => api.post<ScorecardTemplate>(T, t),
  updateTemplate: (id: string, t: Partial<ScorecardTemplateInput>, version: number) => api.patch<ScorecardTemplate>(`${T}/${id}`, t, version),
  deleteTemplate: (id: string, version: number) => api.del<void>(`${T}/${id}`, version),
  team: (template: string, period: string, asOf = '') => api.get<ScorecardTeam>(C, { template, period, as_of: asOf }),
  card: (user: string, template: string, period: string, asOf = '') =>
    api.get<ScorecardDetail>(`${C}/${user}`, { template, period, as_of: asOf }),
  setScores: (user: string, template: string, period: string, scores: ScoreInput[]) =>
    api.put<ScorecardDetail>(`${C}/${user}/scores`, { template, period, scores }),
  freeze: (template: string, period: string, force = false) => api.post<ScorecardTeam>(`${T}/${template}/freeze`, { period, force }),
  unfreeze: (template: string, period: string) => api.post<void>(`${T}/${template}/unfreeze`, { period }),
}
