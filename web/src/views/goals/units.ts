// Goal values travel in the metric's unit: money in minor units (fen), shown
// and typed in yuan; ratios as fractions, shown and typed in per cent.

export function fromUnit(v: number, unit: string): number {
  if (unit === 'money') return Math.round(v) / 100
  if (unit === 'ratio') return Math.round(v * 1e6) / 1e4
  return v
}

export function toUnit(v: number, unit: string): number {
  if (unit === 'money') return Math.round(v * 100)
  if (unit === 'ratio') return v / 100
  return v
}

export function fmtUnit(v: number, unit: string): string {
  const x = fromUnit(v, unit)
  const s = x.toLocaleString(undefined, { maximumFractionDigits: 2 })
  return unit === 'ratio' ? `${s}%` : s
}

/** A completion rate as a percentage, or "—". */
export function pct(r: number | null | undefined): string {
  return r == null ? '—' : `${(r * 100).toFixed(1)}%`
}
