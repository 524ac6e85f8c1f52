// Helpers of the expense pages: dates in the tenant's zone, the period a
// list and its figure share, type labels, and the server's expense messages
// in the UI language.
import { i18n, t } from '@/i18n'
import { tenantZone } from './crm'
import { localiseServerText } from './serverText'

/** Today as YYYY-MM-DD in the tenant's zone (the server's "today" for an expense date). */
export function tenantToday(): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: tenantZone(), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
}

/** A local date moved by whole days and years (calendar arithmetic, no zone). */
export function shiftDate(date: string, days: number, years = 0): string {
  const [y, m, d] = date.split('-').map(Number)
  const x = new Date(Date.UTC(y + years, m - 1, d + days))
  return x.toISOString().slice(0, 10)
}

/**
 * "All" for a list and its figure: the ten years up to today, the longest
 * period the metric engine answers; the list is bounded the same way so that
 * the two agree.
 */
export function allTime(): { from: string; to: string } {
  const to = shiftDate(tenantToday(), 1)
  return { from: shiftDate(to, 0, -10), to }
}

/** A type's label: a common type in the UI language, any other as typed. */
export function expenseTypeLabel(type?: string | null): string {
  if (!type) return ''
  const key = `expenses.types.${type}`
  return i18n.global.te(key) ? t(key) : type
}

// The server's field messages of an expense, in the UI language.
const FIELD_RULES: [RegExp, string][] = [
  [/is in the future$/, 'expenses.server.future'],
  [/^must be a positive amount/, 'expenses.server.positive'],
  [/^must not be empty$/, 'expenses.server.required'],
  [/^must be at most (\d+) characters$/, 'expenses.server.atMost'],
  [/^no such customer in your data scope$/, 'expenses.server.noCustomer'],
  [/^no such opportunity of the customer$/, 'expenses.server.noOpportunity'],
  [/unlink the opportunity too$/, 'expenses.server.unlinkOpportunityFirst'],
]

/** A field error of the expense form in the UI language (else as the server wrote it). */
export function expenseFieldText(msg?: string): string {
  if (!msg) return ''
  for (const [re, key] of FIELD_RULES) {
    const m = msg.match(re)
    if (m) return t(key, { n: m[1] ?? '' })
  }
  return localiseServerText(msg)
}
