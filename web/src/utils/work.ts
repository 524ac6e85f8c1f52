// Labels and small helpers for the lead, deal and ticket pages.
import { currentLocale, i18n, t } from '@/i18n'

/** The translation of group.key when there is one, else the key as is. */
export function enumLabel(group: string, key?: string | null): string {
  if (!key) return ''
  return i18n.global.te(`${group}.${key}`) ? t(`${group}.${key}`) : key
}

type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'
const STATUS_TAG: Record<string, TagType> = {
  new: 'primary',
  contacted: 'warning',
  qualified: 'success',
  disqualified: 'info',
  converted: 'success',
  draft: 'info',
  sent: 'warning',
  accepted: 'success',
  rejected: 'danger',
  expired: 'info',
  signed: 'success',
  active: 'primary',
  ended: 'info',
  terminated: 'danger',
  delivered: 'success',
  cancelled: 'info',
  open: 'primary',
  in_progress: 'warning',
  planned: 'info',
  on_hold: 'warning',
  completed: 'success',
  resolved: 'success',
  closed: 'info',
  won: 'success',
  lost: 'danger',
  invalid: 'info',
  issued: 'success',
  void: 'info',
  voided: 'info',
  urgent: 'danger',
  high: 'warning',
  normal: 'primary',
  low: 'info',
}
export function statusTagType(s?: string | null): TagType {
  return (s && STATUS_TAG[s]) || 'info'
}

/** A duration in seconds as "3 小时 20 分" / "3 h 20 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return ''
  const mins = Math.round(ms / 60000)
  const d = Math.floor(mins / 1440)
  const h = Math.floor((mins % 1440) / 60)
  const m = mins % 60
  const parts: string[] = []
  if (d) parts.push(t('work.days', { n: d }))
  if (h) parts.push(t('work.hours', { n: h }))
  if (m || !parts.length) parts.push(t('work.minutes', { n: m }))
  return parts.join(' ')
}

/** Today's date as YYYY-MM-DD in the browser's zone. */
export function today(): string {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** A custom field's label in the UI language. */
export function cfLabel(f: { label_zh: string; label_en: string }): string {
  return currentLocale() === 'en' ? f.label_en || f.label_zh : f.label_zh || f.label_en
}

const isEmpty = (x: unknown) => x === null || x === undefined || x === '' || (Array.isArray(x) && !x.length)

/** Custom values ready to send: empty ones are left out. */
export function cleanCustom(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => !isEmpty(x)))
}


/** The custom values that changed, for a PATCH (the server merges; null clears). */
export function customChanges(keys: string[], before: Record<string, unknown> | null | undefined, after: Record<string, unknown>) {
  const out: Record<string, unknown> = {}
  for (const k of keys) {
    const a = isEmpty(after[k]) ? null : after[k]
    const b = isEmpty(before?.[k]) ? null : before![k]
    if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = a
  }
  return out
}
