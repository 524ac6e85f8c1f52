// Formatting for the customer pages: money in minor units, labels of the
// domain's enumerations, and next-action windows in the tenant's time zone.
import { currentLocale, i18n, t } from '@/i18n'
import { useSession } from '@/stores/session'
import { pinia } from '@/stores'

function te(key: string): boolean {
  return i18n.global.te(key)
}

function label(group: string, key?: string | null): string {
  if (!key) return ''
  return te(`${group}.${key}`) ? t(`${group}.${key}`) : key
}

export const statusLabel = (k?: string | null) => label('crm.status', k)
export const valueQualityLabel = (k?: string | null) => label('crm.valueQuality', k)
export const dealSizeLabel = (k?: string | null) => label('crm.dealSize', k)
export const followupTypeLabel = (k?: string | null) => label('crm.followupTypes', k)
export const fuzzyLabel = (k?: string | null) => label('crm.fuzzy', k)
export const planTypeLabel = (k?: string | null) => label('crm.planTypes', k)
export const accessLabel = (k?: string | null) => label('crm.access', k)
export const fieldLabel = (k?: string | null) => label('crm.fields', k)

const CURRENCY_SIGN: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', HKD: 'HK$', JPY: '¥', GBP: '£' }

/**
 * Money from integer minor units: 1280000 -> "¥12,800", 1234567 -> "¥12,345.67".
 * Integer arithmetic only: no float rounding.
 */
export function formatMoney(minor?: number | null, currency = 'CNY'): string {
  if (minor === null || minor === undefined || !Number.isFinite(minor)) return ''
  const neg = minor < 0
  const abs = Math.abs(Math.trunc(minor))
  const major = Math.floor(abs / 100)
  const cents = abs % 100
  const grouped = String(major).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const sign = CURRENCY_SIGN[currency || 'CNY'] ?? `${currency} `
  return `${neg ? '-' : ''}${sign}${grouped}${cents ? '.' + String(cents).padStart(2, '0') : ''}`
}

/** Yuan typed by a person (may have up to two decimals) -> minor units. */
export function toMinor(yuan: number | null | undefined): number {
  if (yuan === null || yuan === undefined || !Number.isFinite(yuan)) return 0
  return Math.round(yuan * 100)
}

export function fromMinor(minor: number | null | undefined): number | undefined {
  if (!minor) return undefined
  return minor / 100
}

/** The tenant's IANA time zone (default Asia/Shanghai). */
export function tenantZone(): string {
  try {
    return useSession(pinia).tenant?.time_zone || 'Asia/Shanghai'
  } catch {
    return 'Asia/Shanghai'
  }
}

function dtf(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(currentLocale() === 'en' ? 'en-GB' : 'zh-CN', { timeZone: tenantZone(), ...opts })
}

/** Calendar parts of an instant in the tenant's zone. */
function parts(d: Date) {
  const p = new Intl.DateTimeFormat('en-CA', {
    timeZone: tenantZone(),
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d)
  const get = (k: string) => Number(p.find((x) => x.type === k)?.value ?? 0)
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), min: get('minute') }
}

const dayKey = (x: { y: number; m: number; d: number }) => x.y * 10000 + x.m * 100 + x.d

function shortDate(d: Date): string {
  return dtf({ month: 'short', day: 'numeric', weekday: 'short' }).format(d)
}

function time(d: Date): string {
  return dtf({ hour: '2-digit', minute: '2-digit', hour12: false }).format(d)
}

/**
 * A next action's window [from, to) in the tenant's zone, e.g. "11月26日周四",
 * "今天 17:20–24:00", "11月30日周一 – 12月6日周日".
 */
export function formatWindow(from?: string | null, to?: string | null): string {
  if (!from || !to) return ''
  const a = new Date(from)
  const b = new Date(to)
  if (isNaN(a.getTime()) || isNaN(b.getTime())) return ''
  const last = new Date(b.getTime() - 1)
  const pa = parts(a)
  const pl = parts(last)
  const pb = parts(b)
  const today = parts(new Date())
  const endsAtMidnight = pb.h === 0 && pb.min === 0
  const startsAtMidnight = pa.h === 0 && pa.min === 0
  if (dayKey(pa) === dayKey(pl)) {
    const tomorrow = parts(new Date(Date.now() + 86_400_000))
    const dayName =
      dayKey(pa) === dayKey(today)
        ? t('crm.today')
        : dayKey(pa) === dayKey(tomorrow)
          ? `${t('crm.fuzzy.tomorrow')} ${shortDate(a)}`
          : shortDate(a)
    if (startsAtMidnight && endsAtMidnight) return dayName
    return `${dayName} ${time(a)}–${endsAtMidnight ? '24:00' : time(b)}`
  }
  // A whole calendar month.
  if (startsAtMidnight && endsAtMidnight && pa.d === 1 && pb.d === 1 && pa.m === pl.m) {
    return dtf({ year: 'numeric', month: 'long' }).format(a)
  }
  return `${shortDate(a)} – ${shortDate(last)}`
}

/** True when the window has closed. */
export function isOverdue(to?: string | null): boolean {
  if (!to) return false
  const d = new Date(to)
  return !isNaN(d.getTime()) && d.getTime() <= Date.now()
}

/** Whole days since an instant (0 for today or the future). */
export function daysSince(v?: string | null): number | null {
  if (!v) return null
  const d = new Date(v)
  if (isNaN(d.getTime())) return null
  return Math.max(0, Math.floor((Date.now() - d.getTime()) / 86_400_000))
}

/** A follow-up duration in seconds as minutes, rounded up. */
export function minutes(s?: number | null): number {
  if (!s) return 0
  return Math.ceil(s / 60)
}

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

/** Tag colour of a customer grade (A is the most important). */
export function gradeTag(grade?: string | null): TagType {
  const g = (grade || '').trim().toUpperCase()
  if (g.startsWith('A')) return 'danger'
  if (g.startsWith('B')) return 'warning'
  if (g.startsWith('C')) return 'primary'
  return 'info'
}

export function statusTag(status?: string | null): TagType {
  if (status === 'active') return 'success'
  if (status === 'lost') return 'danger'
  return 'info'
}

export function valueTag(v?: string | null): TagType {
  if (v === 'valuable') return 'success'
  if (v === 'not_valuable') return 'info'
  return 'warning'
}

/** Provinces of mainland China, Hong Kong, Macao and Taiwan (data values, not translated). */
export const PROVINCES = [
  '北京', '天津', '上海', '重庆', '河北', '山西', '辽宁', '吉林', '黑龙江', '江苏', '浙江', '安徽', '福建', '江西', '山东',
  '河南', '湖北', '湖南', '广东', '海南', '四川', '贵州', '云南', '陕西', '甘肃', '青海', '台湾', '内蒙古', '广西', '西藏',
  '宁夏', '新疆', '香港', '澳门',
]

export const GRADES = ['A', 'B', 'C', 'D']

/** The id in a 409 duplicate error ("duplicate of customer 123"). */
export function duplicateId(message?: string): string | null {
  const m = /(\d{6,})/.exec(message || '')
  return m ? m[1] : null
}
