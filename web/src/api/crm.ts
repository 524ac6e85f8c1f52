// Typed calls for the customer routes: customers, contacts, record teams,
// follow-ups with next actions, the workbench and public pools (docs/API.md).
import { api, type ListTotal, type Page, type Query, type RequestOptions } from './client'
import type { AuditEntry } from './types'

const V1 = '/api/v1'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)

export function items<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[]
  if (isObj(data) && Array.isArray(data.items)) return data.items as T[]
  return []
}

export function page<T>(data: unknown): Page<T> {
  return {
    items: items<T>(data),
    next_cursor: isObj(data) ? ((data.next_cursor as string | null | undefined) || null) : null,
    total: isObj(data) && isObj(data.total) ? (data.total as unknown as ListTotal) : undefined,
  }
}

// ---- shapes ----------------------------------------------------------------

export type CustomerStatus = 'active' | 'lost' | 'churned'
export type ValueQuality = '' | 'valuable' | 'not_valuable' | 'uncertain'
export type DealSize = '' | 'big' | 'normal' | 'small'

export const CUSTOMER_STATUSES: CustomerStatus[] = ['active', 'lost', 'churned']
export const VALUE_QUALITIES: Exclude<ValueQuality, ''>[] = ['valuable', 'uncertain', 'not_valuable']
export const DEAL_SIZES: Exclude<DealSize, ''>[] = ['big', 'normal', 'small']
export const FOLLOWUP_TYPES = ['call', 'visit', 'wechat', 'meeting', 'sms', 'email', 'proposal_sent', 'quote_sent', 'other'] as const
export const FUZZY_TIMES = ['later_today', 'tonight', 'tomorrow', 'this_week', 'next_week', 'next_month'] as const
export const PLAN_TYPES = [
  'keep_in_touch',
  'deepen_relationship',
  'cultivate_need',
  'explore_opportunity',
  'counter_competitor',
  'sign_and_collect',
  'greeting',
] as const
export type FollowUpType = (typeof FOLLOWUP_TYPES)[number]
export type FuzzyTime = (typeof FUZZY_TIMES)[number]
export type PlanType = (typeof PLAN_TYPES)[number]

export interface Customer {
  id: string
  name: string
  credit_code: string
  industry: string
  province: string
  city: string
  source: string
  grade: string
  segment: string
  value_quality: ValueQuality
  deal_size: DealSize
  expected_sign_date: string
  /** Minor units (fen). */
  expected_amount: number
  currency: string
  status: CustomerStatus
  lost_reason?: string
  owner_id: string | null
  department_id: string | null
  pool_id: string | null
  last_followup_at: string | null
  first_signed_at?: string | null
  created_by?: string | null
  /** Custom field values (业务特征) by key. */
  custom?: Record<string, unknown> | null
  version: number
  created_at: string
  updated_at: string
}

export interface CustomerInput {
  name: string
  credit_code?: string
  industry?: string
  province?: string
  city?: string
  source?: string
  grade?: string
  segment?: string
  value_quality?: ValueQuality
  deal_size?: DealSize
  expected_sign_date?: string
  expected_amount?: number
  owner_id?: string
  team?: TeamInput[]
  custom?: Record<string, unknown>
}

export type CustomerUpdate = Partial<
  Pick<
    Customer,
    | 'name'
    | 'credit_code'
    | 'industry'
    | 'province'
    | 'city'
    | 'source'
    | 'grade'
    | 'segment'
    | 'value_quality'
    | 'deal_size'
    | 'expected_sign_date'
    | 'expected_amount'
    | 'status'
    | 'lost_reason'
  >
> & { custom?: Record<string, unknown> }

export interface Contact {
  id: string
  customer_id: string
  name: string
  title: string
  phone: string
  email: string
  wechat: string
  is_primary: boolean
  /** Custom field values (业务特征) by key. */
  custom?: Record<string, unknown> | null
  version: number
}

export type ContactInput = Pick<Contact, 'name' | 'title' | 'phone' | 'email' | 'wechat' | 'is_primary'> & { custom?: Record<string, unknown> }

export interface TeamMember {
  id: string
  user_id: string
  user_name: string
  role: string
  access: 'read' | 'write'
  share_bp: number
  expires_at?: string | null
  valid_from: string
  valid_to?: string | null
}

export interface TeamInput {
  user_id: string
  role: string
  access: 'read' | 'write'
  share_bp: number
}

export interface FollowUp {
  id: string
  customer_id: string
  contact_id: string | null
  type: FollowUpType
  direction: 'outbound' | 'inbound'
  occurred_at: string
  duration_s: number
  content: string
  author_id: string
  author_name: string
}

export interface NextAction {
  id: string
  customer_id: string
  customer_name?: string
  owner_id: string
  plan_type: PlanType
  fuzzy: FuzzyTime
  note: string
  due_from: string
  due_to: string
  status: 'open' | 'done' | 'cancelled'
}

export interface FollowUpInput {
  customer_id: string
  contact_id?: string
  type: FollowUpType
  direction: 'outbound' | 'inbound'
  duration_s: number
  content: string
  next_action?: { fuzzy: FuzzyTime; plan_type: PlanType; note?: string }
}

export interface TimelineItem {
  at: string
  kind: 'followup' | 'change'
  followup?: FollowUp
  change?: AuditEntry & { changes?: { field: string; before: unknown; after: unknown }[] }
}

export interface Workbench {
  today: NextAction[]
  overdue: NextAction[]
  forgotten: Record<string, number>
  forgotten_customers: Customer[]
}

export interface Pool {
  id: string
  name: string
  admin_ids: string[]
  department_ids: string[]
  no_followup_days: number
  no_followup_days_by_grade: Record<string, number>
  no_signing_days: number
  no_opportunity_days: number
  warn_days: number
  daily_claim_limit: number
  max_owned: number
  reclaim_block_days: number
  is_default: boolean
  version: number
}

export type PoolInput = Omit<Pool, 'id' | 'version'>

// ---- calls -----------------------------------------------------------------

/** The team of any record with one: customers, opportunities, contracts, orders, tickets. */
export const recordTeam = {
  get: async (objectPath: string, id: string, history = false) =>
    items<TeamMember>(await api.get(`${V1}/${objectPath}/${id}/team`, history ? { history: true } : undefined)),
  set: async (objectPath: string, id: string, members: TeamInput[]) =>
    items<TeamMember>(await api.put(`${V1}/${objectPath}/${id}/team`, { members })),
}

export const customers = {
  list: async (q: Query) => page<Customer>(await api.get(`${V1}/customers`, q)),
  get: (id: string) => api.get<Customer>(`${V1}/customers/${id}`),
  create: (body: CustomerInput) => api.post<Customer>(`${V1}/customers`, body),
  update: (id: string, body: CustomerUpdate, version: number) => api.patch<Customer>(`${V1}/customers/${id}`, body, version),
  transfer: (id: string, new_owner_id: string, keep_old_as: string, carry = false) =>
    api.post<Customer>(`${V1}/customers/${id}/transfer`, { new_owner_id, keep_old_as, carry }),
  team: (id: string, history = false) => recordTeam.get('customers', id, history),
  setTeam: (id: string, members: TeamInput[]) => recordTeam.set('customers', id, members),
  timeline: (id: string, limit = 100) => recordTimeline('customers', id, limit),
  nextActions: async (id: string) => items<NextAction>(await api.get(`${V1}/customers/${id}/next-actions`)),
  contacts: async (id: string) => items<Contact>(await api.get(`${V1}/customers/${id}/contacts`)),
  addContact: (id: string, body: ContactInput) => api.post<Contact>(`${V1}/customers/${id}/contacts`, body),
  updateContact: (id: string, body: Partial<ContactInput>, version: number) =>
    api.patch<Contact>(`${V1}/contacts/${id}`, body, version),
  removeContact: (id: string, version: number) => api.del<void>(`${V1}/contacts/${id}`, version),
  release: (id: string, reason: string, pool_id?: string) =>
    api.post<void>(`${V1}/customers/${id}/release`, pool_id ? { pool_id, reason } : { reason }),
  claim: (id: string) => api.post<Customer>(`${V1}/customers/${id}/claim`),
  assign: (id: string, user_id: string) => api.post<Customer>(`${V1}/customers/${id}/assign`, { user_id }),
}

export const followups = {
  log: (body: FollowUpInput) => api.post<{ followup: FollowUp; next_action: NextAction | null }>(`${V1}/followups`, body),
  list: async (q: Query) => page<FollowUp>(await api.get(`${V1}/followups`, q)),
}

export const workbench = {
  get: async (): Promise<Workbench> => {
    const d = await api.get<Partial<Workbench>>(`${V1}/workbench`)
    return {
      today: d?.today ?? [],
      overdue: d?.overdue ?? [],
      forgotten: d?.forgotten ?? {},
      forgotten_customers: d?.forgotten_customers ?? [],
    }
  },
}

export const pools = {
  list: async () => items<Pool>(await api.get(`${V1}/pools`)),
  create: (body: PoolInput) => api.post<Pool>(`${V1}/pools`, body),
  update: (id: string, body: PoolInput, version: number) => api.patch<Pool>(`${V1}/pools/${id}`, body, version),
  customers: async (id: string, q: Query) => page<Customer>(await api.get(`${V1}/pools/${id}/customers`, q)),
}

// ---- opportunities ---------------------------------------------------------

export interface Stage {
  key: string
  name_zh: string
  name_en: string
  probability: number
  required_fields: string[]
  required_followups: string[]
  guidance_zh?: string
  guidance_en?: string
}

export interface SalesProcess {
  id: string
  key: string
  name_zh: string
  name_en: string
  stages: Stage[]
  active: boolean
  version: number
}

export interface Opportunity {
  id: string
  customer_id: string
  /** The customer's name, read with the opportunity. */
  customer_name?: string
  contact_id: string | null
  process_id: string
  stage: string
  name: string
  amount: number
  currency: string
  expected_close_date: string
  forecast_category: string
  status: 'open' | 'won' | 'lost' | 'invalid'
  owner_id: string | null
  /** Custom field values (业务特征) by key. */
  custom?: Record<string, unknown> | null
  version: number
  created_at: string
  updated_at: string
}

export interface OpportunityInput {
  customer_id: string
  contact_id?: string
  process_id: string
  name: string
  amount?: number
  expected_close_date?: string
  custom?: Record<string, unknown>
}

export const opportunities = {
  processes: async () => items<SalesProcess>(await api.get(`${V1}/sales-processes`)),
  list: async (q: Query, opts?: RequestOptions) => page<Opportunity>(await api.get(`${V1}/opportunities`, q, opts)),
  create: (body: OpportunityInput) => api.post<Opportunity>(`${V1}/opportunities`, body),
  move: (id: string, stage: string, version: number) =>
    api.post<Opportunity>(`${V1}/opportunities/${id}/stage`, { stage }, { headers: { 'If-Match': `"v${version}"` } }),
  /** The board's column totals, from the metric engine (never summed here). */
  stageTotals: (q: { process_id: string; view?: string }, opts?: RequestOptions) =>
    api.get<StageTotals>(`${V1}/opportunities/stage-totals`, q, opts),
}

/** One column of the opportunity board: open opportunities in a stage now. */
export interface StageTotal {
  stage: string
  count: number
  /** Minor units. */
  amount: number
}
export interface StageTotals {
  process_id: string
  view: string
  as_of: string
  stages: StageTotal[]
}

/** A record's follow-ups and changes, newest first (path: customers, opportunities, leads, quotes, contracts, orders, projects, tickets). */
export async function recordTimeline(path: string, id: string, limit = 100): Promise<TimelineItem[]> {
  return items<TimelineItem>(await api.get(`${V1}/${path}/${id}/timeline`, { limit }))
}

/** A customer's movements into and out of pools, newest first. */
export interface PoolEvent {
  id: string
  pool_id: string
  customer_id: string
  kind: 'returned' | 'released' | 'claimed' | 'assigned'
  user_id: string | null
  actor_id: string | null
  reason: string
  at: string
}
export async function poolEvents(customerId: string): Promise<PoolEvent[]> {
  return items<PoolEvent>(await api.get(`${V1}/customers/${customerId}/pool-events`))
}
