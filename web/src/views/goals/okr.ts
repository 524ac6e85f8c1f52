// Small helpers of the objectives page: period labels and values in their
// metric's unit (money in minor units, ratios as fractions).
import { t } from '@/i18n'
import { fmtUnit } from './units'

/** FY2026 → "2026 财年", FY2026-Q2 → "2026 财年第 2 季度", 2026-04 as it is. */
export function periodLabel(key: string): string {
  let m = key.match(/^FY(\d{4})$/)
  if (m) return t('okr.periodYear', { y: m[1] })
  m = key.match(/^FY(\d{4})-Q(\d)$/)
  if (m) return t('okr.periodQuarter', { y: m[1], q: m[2] })
  return key
}

/** A value in its unit, or "—". */
export function fmtValue(v: number | null | undefined, unit: string): string {
  if (v == null) return '—'
  return fmtUnit(v, unit)
}

/** A 0–1 score as a whole percentage for el-progress. */
export function scorePct(s: number | null | undefined): number {
  return s == null ? 0 : Math.round(Math.min(1, Math.max(0, s)) * 100)
}

/** The bar colour of a score: red below 0.3, amber below 0.7, green above. */
export function scoreColor(s: number | null | undefined): string {
  if (s == null || s < 0.3) return '#e8590c'
  if (s < 0.7) return '#f59f00'
  return '#12b886'
}

/** A count with at most two decimals (prorated quotas). */
export function fmtCount(v: number | null | undefined): string {
  if (v == null) return '—'
  return (Math.round(v * 100) / 100).toLocaleString()
}
