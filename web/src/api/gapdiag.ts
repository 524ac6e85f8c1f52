// Gap diagnosis (docs/API.md "Gap diagnosis"): the gap of a subject split
// into the performance formula's factors on the server; the page only shows
// it.
import { api } from './client'
import type { GoalPeriod } from './goals'

export type Against = 'previous' | 'peers'
export type Factor = 'opportunities' | 'conversion' | 'order_value' | 'cycle'

export interface DiagnosisPart {
  amount: number
  share: number | null
}

export interface DiagnosisFactor {
  factor: Factor
  metric: string
  unit: string
  value: number | null
  reference: number | null
  /** The factor's part of the gap, in the rule's unit: positive widens it. */
  contribution: number
  share: number | null
  comparable: boolean
}

export interface DiagnosisAction {
  factor: Factor
  metric: string
  unit: 'visits' | 'opportunities' | 'wins' | 'money' | 'days'
  amount: number
  per: 'week' | 'period' | 'deal' | 'opportunity'
  from: number | null
  to: number
  message: { key: string; params: Record<string, number | string | null>; text: string }
}

export interface Diagnosis {
  unit: string
  period: GoalPeriod
  as_of: string
  subject: string
  label: string
  against: Against
  reference: { period: string; peers: string[]; actual: number }
  target: number
  actual: number
  completion_rate: number | null
  gap: number
  behind: boolean
  stretch: DiagnosisPart
  factors: DiagnosisFactor[]
  residual: DiagnosisPart
  top: Factor | null
  action: DiagnosisAction | null
}

export const gapdiagApi = {
  diagnosis: (ruleID: string, period: string, subject: string, against: Against, asOf = '') =>
    api.get<Diagnosis>(`/api/v1/goal-rules/${ruleID}/diagnosis`, { period, subject, against, as_of: asOf }),
}

/** The metrics whose rules a diagnosis explains. */
export const DIAGNOSABLE = ['signed_amount', 'contract_amount', 'order_amount', 'won_amount']
