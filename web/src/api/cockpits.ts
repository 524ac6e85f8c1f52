// Typed calls for cockpits (docs/API.md "Cockpits"). A widget's figures come
// from the metric engine (metricsApi.query), a goal widget's from goal
// completion (goalWidget), never from here.
import { api, type Page } from './client'
import type { MetricFilter } from './metrics'
import type { CompletionRow } from './goals'

const V1 = '/api/v1'

/** Goal widgets show goal completion (a rule's targets, the engine's actuals), bound by `goal`, not a query. */
export type GoalWidgetType = 'goal_gauge' | 'goal_ranking' | 'goal_trend' | 'goal_list'
export const GOAL_WIDGET_TYPES: GoalWidgetType[] = ['goal_gauge', 'goal_ranking', 'goal_trend', 'goal_list']
export const isGoalWidget = (t: string): t is GoalWidgetType => (GOAL_WIDGET_TYPES as string[]).includes(t)

export type WidgetType = 'kpi' | 'line' | 'bar' | 'stacked_bar' | 'funnel' | 'pie' | 'gauge' | 'table' | 'pivot' | 'map' | GoalWidgetType
/** The metric widget types (goal widgets: GOAL_WIDGET_TYPES). */
export const WIDGET_TYPES: WidgetType[] = ['kpi', 'line', 'bar', 'stacked_bar', 'funnel', 'pie', 'gauge', 'table', 'pivot', 'map']
/** How many dimensions each widget type takes [min, max] (as the server checks). */
export const WIDGET_DIMS: Record<WidgetType, [number, number]> = {
  kpi: [0, 0],
  gauge: [0, 0],
  line: [1, 1],
  bar: [1, 1],
  funnel: [1, 1],
  pie: [1, 1],
  map: [1, 1],
  stacked_bar: [1, 2],
  pivot: [2, 2],
  table: [0, 4],
  goal_gauge: [0, 0],
  goal_ranking: [0, 0],
  goal_trend: [0, 0],
  goal_list: [0, 0],
}

/** What a goal widget shows: a rule (null: the first that holds the subject), a subject, a period. */
export interface GoalBinding {
  rule: string | null
  /** Narrows the rule picked: person, department, product, segment ... ('' any). */
  subject_type: string
  /** me, my_department, company or a subject key (person:<id>, segment:<name> ...). */
  subject: string
  /** current, current_year or a period key (FY2026, FY2026-Q1, 2026-04). */
  period: string
  /** A ranking's rows: the subject's peers or its children. */
  rows: 'peers' | 'children' | ''
  /** Past periods of a trend (1–12). */
  trend: number
}

/** A subject's completion (as the completion API's rows) in a rule and period. */
export interface GoalWidgetRow extends CompletionRow {
  rule_id: string
  rule_name: string
  unit: string
  period: string
  /** The widget's own subject (among its peers in a ranking). */
  self: boolean
}

export interface GoalWidgetResult {
  type: GoalWidgetType
  rule: { id: string; name: string; cycle: string; subject_type: string } | null
  unit: string
  subject: string
  label: string
  period: { key: string; kind: string; from: string; to: string }
  as_of: string
  time_progress: number
  rows: GoalWidgetRow[]
}

export interface WidgetQuery {
  metrics: string[]
  dimensions: string[]
  filters?: MetricFilter[]
  /** A period preset (this_month ...) or 'custom' with from/to. */
  period: string
  /** Filled by the server for a preset period: today's dates, `to` excluded. */
  from: string
  to: string
  role?: string
  compare?: ('previous' | 'year_ago')[]
  department_root?: string
}

export interface Widget {
  id: string
  type: WidgetType
  title: string
  query: WidgetQuery
  x: number
  y: number
  w: number
  h: number
  target?: number
  /** A goal widget's binding. */
  goal?: GoalBinding | null
}

export type Visibility = 'personal' | 'department' | 'company'

export interface Cockpit {
  id: string
  owner_id: string
  name: string
  visibility: Visibility
  department_id: string | null
  shared_with: string[]
  preset: string
  layout: Widget[]
  version: number
  created_at: string
  updated_at: string
  can_edit: boolean
}

export interface Preset {
  key: string
  name: string
  layout: Widget[]
}

export interface PeriodRange {
  period: string
  from: string
  to: string
}

export interface CockpitInput {
  name: string
  visibility?: Visibility
  department_id?: string | null
  shared_with?: string[]
  layout?: Widget[]
}

export const cockpitsApi = {
  list: () => api.get<Page<Cockpit>>(`${V1}/cockpits`),
  get: (id: string) => api.get<Cockpit>(`${V1}/cockpits/${id}`),
  create: (c: CockpitInput) => api.post<Cockpit>(`${V1}/cockpits`, c),
  update: (id: string, c: Partial<CockpitInput>, version: number) => api.patch<Cockpit>(`${V1}/cockpits/${id}`, c, version),
  remove: (id: string, version: number) => api.del<void>(`${V1}/cockpits/${id}`, version),
  presets: () => api.get<Page<Preset>>(`${V1}/cockpits/presets`),
  copyPreset: (key: string, name = '') => api.post<Cockpit>(`${V1}/cockpits/presets/${key}/copy`, { name }),
  periods: () => api.get<Page<PeriodRange>>(`${V1}/cockpits/periods`),
  exportURL: (id: string) => `${V1}/cockpits/${id}/export.xlsx`,
  /** A goal widget's figures: goal completion, in my data scope. */
  goalWidget: (type: GoalWidgetType, goal: GoalBinding) => api.post<GoalWidgetResult>(`${V1}/cockpits/goal-widget`, { type, goal }),
}
