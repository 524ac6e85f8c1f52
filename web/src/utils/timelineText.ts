// A recorded change as sentences in the reader's language: field labels,
// people's names, money in yuan, statuses and stages by name — never raw ids,
// minor units or JSON. Used by every timeline (customer, opportunity, deal,
// ticket).
import { i18n, t } from '@/i18n'
import { formatDateTime } from '@/utils/format'
import { dealSizeLabel, fieldLabel, formatMoney, statusLabel, valueQualityLabel, accessLabel } from '@/utils/crm'
import { enumLabel } from '@/utils/work'

export interface Change {
  field: string
  before: unknown
  after: unknown
}

export interface TextContext {
  /** The object type of the audited record: customer, opportunity, contract, ticket... */
  objectType: string
  userName: (id: string) => string
  deptName?: (id: string) => string
  roleLabel?: (role: string) => string
  /** A stage's name from its key (opportunities). */
  stageLabel?: (key: string) => string
  currency?: string
}

/** Fields that say nothing to a reader (ids of the record itself, bookkeeping, copies). */
const HIDDEN = new Set([
  'id',
  'tenant_id',
  'version',
  'created_at',
  'updated_at',
  'created_by',
  'custom',
  'name_key',
  'currency',
  'customer_id',
  'customer_name',
  'kind',
  'process_id',
  'quote_id',
  'opportunity_id',
  'deal_id',
  'signed_at',
])
const MONEY = new Set(['amount', 'total', 'subtotal', 'discount', 'expected_amount', 'cost', 'price'])
const USERS = new Set(['owner_id', 'signed_by', 'recorded_by', 'user_id'])

const empty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)
const q = (s: string) => t('timeline.quoted', { s })

function statusText(objectType: string, v: string): string {
  switch (objectType) {
    case 'customer':
      return statusLabel(v)
    case 'opportunity':
      return enumLabel('oppDetail.status', v)
    case 'ticket':
      return enumLabel('tickets.status', v)
    case 'project':
      return enumLabel('projects.status', v)
    case 'lead':
      return enumLabel('leads.status', v)
  }
  return enumLabel('deals.status', v)
}

type Obj = Record<string, unknown>

function lineText(l: Obj, cur?: string): string {
  const name = String(l.product_name ?? l.name ?? '')
  const qty = Number(l.quantity ?? 0)
  const amount = l.amount ?? l.total
  return t('timeline.line', { name, qty, amount: amount === undefined ? '' : formatMoney(Number(amount), cur) }).trim()
}

function teamText(v: unknown, c: TextContext): string {
  if (!Array.isArray(v) || !v.length) return '—'
  return v
    .map((s) => {
      const [uid, role, access, bp] = String(s).split(':')
      const share = Number(bp) / 100
      const r = c.roleLabel ? c.roleLabel(role) : role
      return `${c.userName(uid)} ${r}${access ? ' · ' + accessLabel(access) : ''}${bp !== undefined && Number.isFinite(share) ? ' ' + share + '%' : ''}`
    })
    .join(t('common.listSep'))
}

/** One value of field in words. */
export function valueText(field: string, v: unknown, c: TextContext): string {
  if (empty(v)) return '—'
  const cur = c.currency
  if (MONEY.has(field) && typeof v === 'number') return formatMoney(v, cur)
  if (USERS.has(field)) return c.userName(String(v))
  if (field.endsWith('_at') && typeof v === 'string') return formatDateTime(v)
  switch (field) {
    case 'status':
      return statusText(c.objectType, String(v))
    case 'stage':
      return c.stageLabel ? c.stageLabel(String(v)) : String(v)
    case 'value_quality':
      return valueQualityLabel(String(v))
    case 'deal_size':
      return dealSizeLabel(String(v))
    case 'department_id':
    case 'signing_department_id':
      return c.deptName?.(String(v)) || '—'
    case 'team':
      return teamText(v, c)
    case 'priority':
      return enumLabel('tickets.priorities', String(v))
    case 'method':
      return enumLabel('deals.money.methods', String(v))
    case 'moved':
      return Object.entries((v ?? {}) as Record<string, number>)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${enumLabel('duplicates.moved', k)} ${n}`)
        .join(t('common.listSep'))
    case 'lines':
      if (Array.isArray(v)) return t('timeline.lines', { n: v.length, items: v.map((l) => lineText(l as Obj, cur)).join(t('common.listSep')) })
  }
  if (c.objectType === 'ticket' && field === 'kind') return enumLabel('tickets.kinds', String(v))
  if (typeof v === 'string' || typeof v === 'number') return String(v)
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no')
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? v.join(t('common.listSep')) : t('timeline.items', { n: v.length })
  return ''
}

/** A payment, an invoice or an installment recorded on a contract or order. */
function moneyRecord(field: string, v: Obj, c: TextContext): string | null {
  const amount = formatMoney(Number(v.amount ?? 0), String(v.currency ?? c.currency ?? 'CNY'))
  if (field === 'payment' || field === 'reversal') {
    const reversal = field === 'reversal' || !!v.reverses_id
    const method = v.method ? enumLabel('deals.money.methods', String(v.method)) : ''
    return t(reversal ? 'timeline.reversal' : 'timeline.payment', {
      amount,
      date: String(v.received_date ?? ''),
      method: method || '—',
    })
  }
  if (field === 'invoice') return t('timeline.invoice', { number: String(v.number ?? ''), amount })
  if (field === 'installment' || field === 'plan' || field === 'payment_plan') return t('timeline.installment', { amount, date: String(v.due_date ?? '') })
  return null
}

/** A customer's fields by the customer page's labels, other records' by the timeline's. */
function labelOf(objectType: string, field: string): string {
  if (objectType === 'customer' || !i18n.global.te(`timeline.fields.${field}`)) return fieldLabel(field)
  return t(`timeline.fields.${field}`)
}

/** The sentences of one recorded change. */
export function changeSentences(changes: Change[] | undefined, c: TextContext): string[] {
  const out: string[] = []
  // The status or stage first: it is what happened; the rest follows from it.
  const first = (f: string) => (f === 'status' || f === 'stage' ? 0 : 1)
  for (const ch of [...(changes ?? [])].sort((a, b) => first(a.field) - first(b.field))) {
    if (HIDDEN.has(ch.field)) continue
    if (empty(ch.before) && empty(ch.after)) continue
    const obj = (ch.after ?? ch.before) as unknown
    if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
      const m = moneyRecord(ch.field, obj as Obj, c)
      if (m) out.push(ch.after ? m : t('timeline.removed', { what: m }))
      continue
    }
    const label = labelOf(c.objectType, ch.field)
    if (ch.field === 'status') {
      out.push(t('timeline.status', { from: q(valueText('status', ch.before, c)), to: q(valueText('status', ch.after, c)) }))
      continue
    }
    if (ch.field === 'stage' && !empty(ch.before) && !empty(ch.after)) {
      out.push(t('timeline.stage', { from: q(valueText('stage', ch.before, c)), to: q(valueText('stage', ch.after, c)) }))
      continue
    }
    if (ch.field === 'contact_id') {
      out.push(t(empty(ch.after) ? 'timeline.contactCleared' : 'timeline.contactSet'))
      continue
    }
    const after = valueText(ch.field, ch.after, c)
    const before = valueText(ch.field, ch.before, c)
    if (empty(ch.before)) out.push(t('timeline.set', { field: label, after }))
    else if (empty(ch.after)) out.push(t('timeline.cleared', { field: label, before }))
    else out.push(t('timeline.changed', { field: label, before, after }))
  }
  return out
}

/** What a change did, as the head of its entry ("signed it", "recorded a payment"). */
export function actionText(action?: string): string {
  const a = action ?? ''
  return i18n.global.te(`crm.changeActions.${a}`) ? t(`crm.changeActions.${a}`) : a
}
