// Typed calls for the rest of the daily work: imports and exports, leads,
// opportunity details, quotes / contracts / orders with their money, and
// service tickets (docs/API.md, internal/api/routes.go).
import { api, buildQuery, type Query } from './client'
import { items, page, type Customer, type Opportunity, type OpportunityInput } from './crm'

const V1 = '/api/v1'

// ---- imports and exports ---------------------------------------------------

export const IMPORT_OBJECTS = ['customer', 'contact', 'lead', 'followup'] as const
/** What only a migration imports (a history from the old system, by external ids); cohort.MigrationObjects. */
export const MIGRATION_OBJECTS = ['opportunity', 'contract', 'order', 'payment', 'ticket'] as const
export type ImportObject = (typeof IMPORT_OBJECTS)[number] | (typeof MIGRATION_OBJECTS)[number]
/** The object type whose import permission an import needs: payments come under the contracts'. */
export const importPermObject = (o: ImportObject) => (o === 'payment' ? 'contract' : o)

export interface ImportJob {
  id: string
  object_type: ImportObject
  format: string
  file_name: string
  file_size: number
  dry_run: boolean
  status: 'queued' | 'running' | 'done' | 'failed' | string
  rows_read: number
  rows_ok: number
  rows_failed: number
  /** Rows not written because a record has their external id already (a migration run again). */
  rows_skipped: number
  error: string
  created_at: string
  started_at: string | null
  finished_at: string | null
}

export const imports = {
  templateUrl: (object: string, format: 'xlsx' | 'csv', lang: string) =>
    `${V1}/import/templates/${object}.${format}${buildQuery({ lang })}`,
  /** multipart upload; answers 202 with the queued job. */
  start: async (object: string, file: File, dryRun: boolean): Promise<ImportJob> => {
    const fd = new FormData()
    fd.append('object', object)
    fd.append('dry_run', dryRun ? 'true' : 'false')
    fd.append('file', file)
    return api.post<ImportJob>(`${V1}/imports`, undefined, { formData: fd })
  },
  get: (id: string) => api.get<ImportJob>(`${V1}/imports/${id}`),
  errorsUrl: (id: string, format: 'xlsx' | 'csv' = 'xlsx') => `${V1}/imports/${id}/errors.${format}`,
}

/** The export of a list with the list's own query (view, filter, sort, q). */
export function exportUrl(object: string, format: 'xlsx' | 'csv', q: Query): string {
  const { cursor: _c, limit: _l, ...rest } = q
  return `${V1}/exports/${object}.${format}${buildQuery(rest)}`
}

// ---- leads -----------------------------------------------------------------

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'disqualified', 'converted'] as const
export type LeadStatus = (typeof LEAD_STATUSES)[number]

export interface Lead {
  id: string
  name: string
  company: string
  title: string
  phone: string
  email: string
  province: string
  city: string
  industry: string
  source: string
  status: LeadStatus
  note: string
  owner_id: string | null
  converted_at: string | null
  customer_id: string | null
  contact_id: string | null
  opportunity_id: string | null
  /** Custom field values (业务特征) by key. */
  custom?: Record<string, unknown> | null
  version: number
  created_at: string
  updated_at: string
}

export type LeadInput = Pick<Lead, 'name' | 'company' | 'title' | 'phone' | 'email' | 'province' | 'city' | 'industry' | 'source' | 'note'> & {
  status?: LeadStatus
  custom?: Record<string, unknown>
}

export interface ConvertLeadInput {
  customer_id?: string
  opportunity?: { process_id: string; amount: number; name: string }
}

export interface LeadMapping {
  customer: Record<string, string>
  contact: Record<string, string>
  opportunity: Record<string, string>
}

export const LEAD_FIELDS = ['name', 'company', 'title', 'phone', 'email', 'province', 'city', 'industry', 'source', 'note']
export const MAPPING_TARGETS: Record<keyof LeadMapping, string[]> = {
  customer: ['name', 'industry', 'province', 'city', 'source', 'grade', 'segment'],
  contact: ['name', 'title', 'phone', 'email', 'wechat'],
  opportunity: ['name', 'source', 'competitor'],
}

export const leads = {
  list: async (q: Query) => page<Lead>(await api.get(`${V1}/leads`, q)),
  get: (id: string) => api.get<Lead>(`${V1}/leads/${id}`),
  create: (body: LeadInput) => api.post<Lead>(`${V1}/leads`, body),
  update: (id: string, body: Partial<LeadInput>, version: number) => api.patch<Lead>(`${V1}/leads/${id}`, body, version),
  convert: (id: string, body: ConvertLeadInput) => api.post<Lead>(`${V1}/leads/${id}/convert`, body),
  mapping: () => api.get<LeadMapping>(`${V1}/settings/lead-mapping`),
  setMapping: (m: LeadMapping) => api.put<LeadMapping>(`${V1}/settings/lead-mapping`, m),
}

// ---- opportunity details ---------------------------------------------------

export interface OppLine {
  product_id: string
  product_name?: string
  quantity: number
  unit_price: number
  discount_bp: number
  amount?: number
}

export interface OpportunityDetail extends Opportunity {
  loss_reason: string
  competitor: string
  source: string
  closed_at: string | null
  lines: OppLine[] | null
}

export interface StageEntry {
  stage: string
  entered_at: string
  left_at: string | null
  user_id: string
}

export interface Product {
  id: string
  code: string
  name: string
  unit: string
  price: number
  currency: string
  active: boolean
}

export type CloseOutcome = 'won' | 'lost' | 'invalid'

export const opportunityDetail = {
  get: (id: string) => api.get<OpportunityDetail>(`${V1}/opportunities/${id}`),
  update: (
    id: string,
    body: Partial<OpportunityInput> & { lines?: OppLine[]; competitor?: string; source?: string; custom?: Record<string, unknown> },
    version: number,
  ) =>
    api.patch<OpportunityDetail>(`${V1}/opportunities/${id}`, body, version),
  close: (id: string, body: { outcome: CloseOutcome; loss_reason?: string; competitor?: string }, version: number) =>
    api.post<OpportunityDetail>(`${V1}/opportunities/${id}/close`, body, { headers: { 'If-Match': `"v${version}"` } }),
  stages: async (id: string) => items<StageEntry>(await api.get(`${V1}/opportunities/${id}/stages`)),
  products: async () => items<Product>(await api.get(`${V1}/products`, { limit: 200 })),
}

// ---- quotes, contracts, orders ----------------------------------------------

export type DealKind = 'quote' | 'contract' | 'order'
export const DEAL_KINDS: DealKind[] = ['contract', 'order', 'quote']
export const DEAL_STATUSES: Record<DealKind, string[]> = {
  quote: ['draft', 'sent', 'accepted', 'rejected', 'expired'],
  contract: ['draft', 'signed', 'active', 'ended', 'terminated'],
  order: ['draft', 'signed', 'delivered', 'cancelled'],
}
/** The moves the server allows (cohort.DealTransitions), to offer as buttons. */
export const DEAL_MOVES: Record<DealKind, Record<string, string[]>> = {
  quote: { draft: ['sent'], sent: ['accepted', 'rejected', 'expired'] },
  contract: { draft: ['signed'], signed: ['active', 'ended', 'terminated'], active: ['ended', 'terminated'] },
  order: { draft: ['signed', 'cancelled'], signed: ['delivered', 'cancelled'] },
}

export interface DealLine {
  product_id: string
  product_name?: string
  quantity: number
  unit_price: number
  discount_bp: number
  amount?: number
}

export interface PaymentPlan {
  id: string
  due_date: string
  amount: number
  note: string
  covered: number
  remaining: number
  overdue: boolean
}

export interface Balance {
  as_of: string
  total: number
  planned: number
  invoiced: number
  collected: number
  receivable: number
  due: number
  overdue: number
  next_due: PaymentPlan | null
}

export interface Deal {
  id: string
  kind: DealKind
  number: string
  name: string
  customer_id: string
  customer_name: string
  opportunity_id: string | null
  quote_id: string | null
  status: string
  currency: string
  subtotal: number
  discount: number
  total: number
  valid_until: string
  start_date: string
  end_date: string
  signed_at: string | null
  voided_at?: string | null
  void_reason?: string
  signing_department_id?: string
  signed_date: string
  note: string
  owner_id: string | null
  lines: DealLine[] | null
  balance?: Balance
  version: number
  created_at: string
}

export interface DealInput {
  name: string
  customer_id: string
  opportunity_id?: string
  quote_id?: string
  discount?: number
  start_date?: string
  end_date?: string
  valid_until?: string
  note?: string
  lines: DealLine[]
}

export interface Payment {
  id: string
  plan_id: string | null
  received_date: string
  amount: number
  currency: string
  method: string
  reference: string
  note: string
  /** A reversal (冲销) names the payment it cancels; that payment names it back. */
  reverses_id?: string | null
  reversed_by?: string | null
}

/** A payment with the contract or order it was received on (the customer page). */
export interface CustomerPayment extends Payment {
  deal_id: string
  kind: DealKind
  deal_number: string
  deal_name: string
}

export const customerPayments = async (customerId: string) =>
  items<CustomerPayment>(await api.get(`${V1}/customers/${customerId}/payments`))

export interface Invoice {
  id: string
  number: string
  amount: number
  currency: string
  issued_date: string
  status: string
  note: string
  voided_at: string | null
  version: number
}

export function dealApi(kind: DealKind) {
  const base = `${V1}/${kind}s`
  return {
    list: async (q: Query) => page<Deal>(await api.get(base, q)),
    get: (id: string) => api.get<Deal>(`${base}/${id}`),
    create: (body: DealInput) => api.post<Deal>(base, body),
    /** PATCH with If-Match; lines and discount change only while a draft (409 otherwise). */
    update: (id: string, body: Partial<Pick<DealInput, 'name' | 'discount' | 'note' | 'start_date' | 'end_date' | 'valid_until' | 'lines'>>, version: number) =>
      api.patch<Deal>(`${base}/${id}`, body, version),
    /** at dates the change (default now): signed_at for a signing, occurred_at for any other move. */
    move: (id: string, status: string, version: number, at?: string) =>
      api.post<Deal>(`${base}/${id}/status`, at ? { status, [status === 'signed' ? 'signed_at' : 'occurred_at']: at } : { status }, {
        headers: { 'If-Match': `"v${version}"` },
      }),
    /** Void (作废) a signed contract or order with a reason and a date (default now). */
    void: (id: string, reason: string, version: number, voidedAt?: string) =>
      api.post<Deal>(`${base}/${id}/void`, voidedAt ? { reason, voided_at: voidedAt } : { reason }, { headers: { 'If-Match': `"v${version}"` } }),
    plans: async (id: string) => {
      const d = await api.get<{ items?: PaymentPlan[]; balance?: Balance }>(`${base}/${id}/payment-plans`)
      return { items: d?.items ?? [], balance: d?.balance }
    },
    addPlan: (id: string, body: { due_date: string; amount: number; note?: string }) =>
      api.post<PaymentPlan>(`${base}/${id}/payment-plans`, body),
    payments: async (id: string) => items<Payment>(await api.get(`${base}/${id}/payments`)),
    pay: (id: string, body: { amount: number; received_date?: string; plan_id?: string; method?: string; reference?: string; note?: string }) =>
      api.post<Payment>(`${base}/${id}/payments`, body),
    invoices: async (id: string) => items<Invoice>(await api.get(`${base}/${id}/invoices`)),
    invoice: (id: string, body: { number: string; amount: number; issued_date?: string; note?: string }) =>
      api.post<Invoice>(`${base}/${id}/invoices`, body),
    voidInvoice: (id: string, invoiceId: string) => api.post<Invoice>(`${base}/${id}/invoices/${invoiceId}/void`),
    reversePayment: (id: string, paymentId: string, reason: string) => api.post<Payment>(`${base}/${id}/payments/${paymentId}/reverse`, { reason }),
  }
}

// ---- service tickets ---------------------------------------------------------

export const TICKET_KINDS = ['request', 'complaint', 'fault'] as const
export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const
export const TICKET_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const

export interface Ticket {
  id: string
  number: string
  customer_id: string
  customer_name: string
  kind: string
  priority: string
  status: string
  subject: string
  description: string
  opened_at: string
  first_response_at: string | null
  resolved_at: string | null
  resolution: string
  closed_at: string | null
  cost: number
  currency: string
  satisfaction: number
  satisfaction_note: string
  owner_id: string | null
  version: number
}

export interface TicketInput {
  customer_id: string
  kind: string
  priority: string
  subject: string
  description?: string
  owner_id?: string
}

export type TicketAction = 'respond' | 'resolve' | 'close' | 'reopen' | 'rate'

export const tickets = {
  list: async (q: Query) => page<Ticket>(await api.get(`${V1}/tickets`, q)),
  get: (id: string) => api.get<Ticket>(`${V1}/tickets/${id}`),
  create: (body: TicketInput) => api.post<Ticket>(`${V1}/tickets`, body),
  act: (
    id: string,
    action: TicketAction,
    body: { note?: string; resolution?: string; cost?: number; satisfaction?: number; satisfaction_note?: string },
    version?: number,
  ) => api.post<Ticket>(`${V1}/tickets/${id}/${action}`, body, version ? { headers: { 'If-Match': `"v${version}"` } } : {}),
}

// ---- delivery projects -------------------------------------------------------

export const PROJECT_STATUSES = ['planned', 'in_progress', 'on_hold', 'completed', 'cancelled'] as const
/** The moves the server allows (cohort.ProjectTransitions), to offer as buttons. */
export const PROJECT_MOVES: Record<string, string[]> = {
  planned: ['in_progress', 'cancelled'],
  in_progress: ['on_hold', 'completed', 'cancelled'],
  on_hold: ['in_progress', 'cancelled'],
}

export interface Milestone {
  id: string
  project_id: string
  name: string
  due_date: string
  done_at: string | null
  done_by: string | null
  created_at: string
}

export interface Project {
  id: string
  number: string
  name: string
  customer_id: string
  customer_name: string
  deal_id: string | null
  status: string
  start_date: string
  due_date: string
  started_at: string | null
  completed_at: string | null
  note: string
  owner_id: string | null
  created_by: string | null
  milestones: Milestone[] | null
  version: number
  created_at: string
  updated_at: string
}

export interface ProjectInput {
  name: string
  customer_id?: string
  deal_id?: string
  start_date?: string
  due_date?: string
  note?: string
}

export interface RecordEvent {
  event: string
  from_status: string
  to_status: string
  occurred_at: string
  recorded_at: string
  user_id: string
}

export const projects = {
  list: async (q: Query) => page<Project>(await api.get(`${V1}/projects`, q)),
  get: (id: string) => api.get<Project>(`${V1}/projects/${id}`),
  create: (body: ProjectInput) => api.post<Project>(`${V1}/projects`, body),
  update: (id: string, body: Partial<Pick<ProjectInput, 'name' | 'start_date' | 'due_date' | 'note'>>, version: number) =>
    api.patch<Project>(`${V1}/projects/${id}`, body, version),
  move: (id: string, status: string, version: number) =>
    api.post<Project>(`${V1}/projects/${id}/status`, { status }, { headers: { 'If-Match': `"v${version}"` } }),
  addMilestone: (id: string, body: { name: string; due_date?: string }) => api.post<Project>(`${V1}/projects/${id}/milestones`, body),
  milestoneDone: (id: string, milestoneId: string) => api.post<Project>(`${V1}/projects/${id}/milestones/${milestoneId}/done`),
  events: async (id: string) => items<RecordEvent>(await api.get(`${V1}/projects/${id}/events`)),
}

// ---- following and saved views ------------------------------------------------

export interface SavedView {
  id: string
  object_type: string
  name: string
  /** The list's query string: view, q, filter, sort. */
  query: string
  created_at: string
}

export const follows = {
  set: (objectPath: string, id: string, on: boolean) =>
    on ? api.put<void>(`${V1}/${objectPath}/${id}/follow`, undefined) : api.del<void>(`${V1}/${objectPath}/${id}/follow`),
  /** Whether I follow the record: looks through my followed list. */
  isFollowed: async (objectPath: string, id: string): Promise<boolean> => {
    let cursor: string | null | undefined
    for (let i = 0; i < 10; i++) {
      const p = page<{ id: string }>(await api.get(`${V1}/${objectPath}`, { view: 'followed', limit: 200, cursor: cursor ?? undefined }))
      if (p.items.some((x) => x.id === id)) return true
      cursor = p.next_cursor
      if (!cursor) return false
    }
    return false
  },
}

export const savedViews = {
  list: async (objectType: string) => items<SavedView>(await api.get(`${V1}/views`, { object_type: objectType })),
  create: (body: { object_type: string; name: string; query: string }) => api.post<SavedView>(`${V1}/views`, body),
  remove: (id: string) => api.del<void>(`${V1}/views/${id}`),
}

// ---- custom fields (业务特征) ----------------------------------------------------

export const CF_OBJECTS = ['customer', 'contact', 'opportunity', 'lead'] as const
export const CF_TYPES = ['text', 'number', 'money', 'date', 'single', 'multi', 'user', 'department', 'boolean'] as const

export interface CustomField {
  id: string
  object_type: string
  key: string
  label_zh: string
  label_en: string
  type: string
  options: string[]
  required: boolean
  sort_order: number
  active: boolean
  version: number
}

export type CustomValues = Record<string, unknown>

export const customFields = {
  list: async (objectType: string) => items<CustomField>(await api.get(`${V1}/custom-fields`, { object_type: objectType })),
  create: (body: Omit<CustomField, 'id' | 'version' | 'active'>) => api.post<CustomField>(`${V1}/custom-fields`, body),
  update: (id: string, body: Partial<Pick<CustomField, 'label_zh' | 'label_en' | 'options' | 'required' | 'sort_order' | 'active'>>, version: number) =>
    api.patch<CustomField>(`${V1}/custom-fields/${id}`, body, version),
}

// ---- capture inbox and duplicates ------------------------------------------------

export interface CommItem {
  id: string
  kind: 'call' | 'sms' | 'email' | string
  source: string
  direction: 'inbound' | 'outbound' | string
  from: string
  to: string
  user_id: string | null
  started_at: string
  duration_s: number
  subject: string
  body: string
  status: string
  reason: string
}

export const capture = {
  inbox: async () => items<CommItem>(await api.get(`${V1}/capture/inbox`)),
  link: (id: string, customer_id: string) => api.post<CommItem>(`${V1}/capture/inbox/${id}/link`, { customer_id }),
  dismiss: (id: string) => api.post<void>(`${V1}/capture/inbox/${id}/dismiss`),
}

export interface Duplicate {
  customer: Customer
  /** What matched: name, credit_code, phone, email. */
  rules: string[]
}

export const duplicates = {
  list: async (id: string) => items<Duplicate>(await api.get(`${V1}/customers/${id}/duplicates`)),
  merge: (id: string, duplicate_id: string) =>
    api.post<{ survivor: Customer; moved: Record<string, number> }>(`${V1}/customers/${id}/merge`, { duplicate_id }),
}
