// Typed calls for the standard analyses (docs/API.md "Analyses"): each is
// an answer of the metric engine arranged as labelled tables by the server.
import { api } from './client'

export const ANALYSES = ['funnel', 'kpis', 'personnel', 'roles', 'leaderboard', 'service', 'coaching'] as const
export type AnalysisName = (typeof ANALYSES)[number]

export interface AnalysisParams {
  /** Local dates YYYY-MM-DD, `to` excluded. */
  from: string
  to: string
  department?: string
  org?: 'historic' | 'current'
  role?: string
  process?: string
  metric?: string
  top?: number
  grain?: 'month' | 'quarter'
}

export interface AnalysisColumn {
  name: string
  label: string
  /** A metric unit, or rank, text (in row.text) or metric (row.text.unit). */
  unit: string
}

export interface AnalysisRow {
  key: string
  label: string
  values: Record<string, number | null>
  text?: Record<string, string>
}

export interface AnalysisTable {
  name: string
  title: string
  chart?: 'bar' | 'line' | 'funnel'
  columns: AnalysisColumn[]
  rows: AnalysisRow[]
  total?: AnalysisRow
}

export interface Analysis {
  name: AnalysisName
  from: string
  to: string
  role: string
  tables: AnalysisTable[]
  notes: string[]
}

export const analysesApi = {
  run: (name: AnalysisName, p: AnalysisParams) => api.post<Analysis>(`/api/v1/analyses/${name}`, p),
}
