// Typed calls for cockpits (docs/API.md "Cockpits"). A widget's figures come
// from the metric engine (metricsApi.query), never from here.
import { api, type Page } from './client'
import type { MetricFilter } from './metrics'

const V1 = '/api/v1'

export type WidgetType = 'kpi' | 'line' | 'bar' | 'stacked_bar' | 'funnel' | 'pie' | 'gauge' | 'table' | 'pivot' | 'map'
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
}
