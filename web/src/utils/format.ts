import type { Notification } from '@/api/types'
import { currentLocale, i18n, t } from '@/i18n'

export function formatDateTime(v?: string | null): string {
  if (!v) return ''
  const d = new Date(v)
  if (isNaN(d.getTime())) return String(v)
  return new Intl.DateTimeFormat(currentLocale() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d)
}

export function formatDate(v?: string | null): string {
  if (!v) return ''
  const d = new Date(v)
  if (isNaN(d.getTime())) return String(v)
  return new Intl.DateTimeFormat(currentLocale() === 'en' ? 'en-GB' : 'zh-CN', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(d)
}

/** "3 minutes ago" style, for the notification list. */
export function formatRelative(v?: string | null): string {
  if (!v) return ''
  const d = new Date(v)
  if (isNaN(d.getTime())) return ''
  const diff = (d.getTime() - Date.now()) / 1000
  const rtf = new Intl.RelativeTimeFormat(currentLocale(), { numeric: 'auto' })
  const abs = Math.abs(diff)
  if (abs < 60) return rtf.format(Math.round(diff), 'second')
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute')
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour')
  if (abs < 86400 * 7) return rtf.format(Math.round(diff / 86400), 'day')
  return formatDateTime(v)
}

function te(key: string): boolean {
  return i18n.global.te(key)
}

/** Localised label of an object type, falling back to the key. */
export function objectTypeLabel(key: string): string {
  return te(`objectTypes.${key}`) ? t(`objectTypes.${key}`) : key
}

export function actionLabel(key: string): string {
  return te(`permActions.${key}`) ? t(`permActions.${key}`) : key
}

export function auditActionLabel(key: string): string {
  const k = key.includes('.') ? key.split('.').pop()! : key
  if (te(`audit.actions.${k}`)) return t(`audit.actions.${k}`)
  if (te(`permActions.${k}`)) return t(`permActions.${k}`)
  return key
}

export function scopeLabel(key: string): string {
  return te(`scopes.${key}`) ? t(`scopes.${key}`) : key
}

/** The server localises titles for the recipient; known kinds have a fallback here. */
export function notificationTitle(n: Notification): string {
  if (n.title) return n.title
  const kind = (n.kind ?? '').replace(/[.\-]/g, '_')
  if (kind && te(`notifications.kinds.${kind}`)) return t(`notifications.kinds.${kind}`)
  return n.body || t('notifications.newNotification')
}

/** Render a before/after value of an audit change. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}
