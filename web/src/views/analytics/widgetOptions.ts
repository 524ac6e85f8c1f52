// Turns a metric engine result (MetricResult) into what a widget shows: an
// ECharts option for the chart types, the cells of a pivot, the tiles of the
// region map. Pure functions; every number comes from the result.
import type { MetricColumn, MetricResult, MetricRow } from '@/api/metrics'
import type { WidgetType } from '@/api/cockpits'
import { cohortPalette } from '@/charts'
import { formatMoney } from '@/utils/crm'
import { t } from '@/i18n'

/** A cell a click points at: the metric and the row's key per dimension. */
export interface CellRef {
  metric: string
  keys: Record<string, string>
}

/** A metric's value for a chart axis: money in major units, others as they are. */
export function chartValue(v: number | null | undefined, unit: string): number | null {
  if (v === null || v === undefined) return null
  return unit === 'money' ? v / 100 : v
}

/** A metric's value as text in its unit. */
export function formatMetric(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  switch (unit) {
    case 'money':
      return formatMoney(Math.round(v))
    case 'ratio':
      return `${(v * 100).toFixed(1)}%`
    case 'days':
    case 'hours':
    case 'number':
      return (Math.round(v * 10) / 10).toLocaleString()
    default:
      return Math.round(v).toLocaleString()
  }
}

/** A relative change as "+12.5%" (null: no base). */
export function formatChange(rel: number | null | undefined): string {
  if (rel === null || rel === undefined) return '—'
  const p = (rel * 100).toFixed(1)
  return `${rel > 0 ? '+' : ''}${p}%`
}

export function rowLabel(r: MetricRow, i: number): string {
  return r.labels[i] || r.keys[i] || '—'
}

function keysOf(res: MetricResult, r: MetricRow): Record<string, string> {
  const out: Record<string, string> = {}
  res.dimensions.forEach((d, i) => (out[d] = r.keys[i] ?? ''))
  return out
}

/** The distinct values of dimension i in row order: [key, label]. */
function distinct(res: MetricResult, i: number): [string, string][] {
  const seen = new Map<string, string>()
  for (const r of res.rows) if (!seen.has(r.keys[i])) seen.set(r.keys[i], rowLabel(r, i))
  return [...seen.entries()]
}

const axisLabel = { hideOverlap: true }
const tooltipFmt = (unit: string) => (v: unknown) =>
  formatMetric(typeof v === 'number' ? (unit === 'money' ? v * 100 : v) : null, unit)

export interface Built {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  option: any
  /** The cell an ECharts click (seriesIndex, dataIndex) points at. */
  cell: (seriesIndex: number, dataIndex: number) => CellRef | null
}

/** The option of a chart widget. */
export function buildChart(type: WidgetType, res: MetricResult, target = 0): Built {
  const ms = res.metrics
  const m0: MetricColumn = ms[0]
  const grid = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true }
  const tooltip = { trigger: 'item' as const }
  switch (type) {
    case 'line':
    case 'bar':
    case 'stacked_bar': {
      if (type === 'stacked_bar' && res.dimensions.length === 2) {
        const xs = distinct(res, 0)
        const ss = distinct(res, 1)
        const at = new Map(res.rows.map((r) => [r.keys[0] + '\u0000' + r.keys[1], r]))
        return {
          option: {
            color: cohortPalette,
            grid,
            legend: { type: 'scroll', top: 0 },
            tooltip: { trigger: 'axis', valueFormatter: tooltipFmt(m0.unit) },
            xAxis: { type: 'category', data: xs.map((x) => x[1]), axisLabel },
            yAxis: { type: 'value' },
            series: ss.map(([sk, sl]) => ({
              name: sl,
              type: 'bar',
              stack: 'all',
              data: xs.map(([xk]) => chartValue(at.get(xk + '\u0000' + sk)?.values[m0.name], m0.unit)),
            })),
          },
          cell: (si, di) => ({ metric: m0.name, keys: { [res.dimensions[0]]: xs[di]?.[0] ?? '', [res.dimensions[1]]: ss[si]?.[0] ?? '' } }),
        }
      }
      const rows = res.rows
      return {
        option: {
          color: cohortPalette,
          grid,
          legend: { type: 'scroll', top: 0 },
          tooltip: { trigger: 'axis' },
          xAxis: { type: 'category', data: rows.map((r) => rowLabel(r, 0)), axisLabel },
          yAxis: { type: 'value' },
          series: ms.map((m) => ({
            name: m.label,
            type: type === 'line' ? 'line' : 'bar',
            stack: type === 'stacked_bar' ? 'all' : undefined,
            smooth: type === 'line',
            tooltip: { valueFormatter: tooltipFmt(m.unit) },
            data: rows.map((r) => chartValue(r.values[m.name], m.unit)),
          })),
        },
        cell: (si, di) => (rows[di] && ms[si] ? { metric: ms[si].name, keys: keysOf(res, rows[di]) } : null),
      }
    }
    case 'pie':
    case 'funnel': {
      const rows = res.rows
      const data = rows.map((r) => ({ name: rowLabel(r, 0), value: chartValue(r.values[m0.name], m0.unit) ?? 0 }))
      return {
        option: {
          color: cohortPalette,
          tooltip: { ...tooltip, valueFormatter: tooltipFmt(m0.unit) },
          legend: { type: 'scroll', bottom: 0 },
          series: [
            type === 'pie'
              ? { type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'], data, label: { show: rows.length <= 8 } }
              : { type: 'funnel', left: '10%', right: '10%', top: 8, bottom: 32, sort: 'none', data, label: { position: 'inside' } },
          ],
        },
        cell: (_si, di) => (rows[di] ? { metric: m0.name, keys: keysOf(res, rows[di]) } : null),
      }
    }
    case 'gauge': {
      const v = res.total.values[m0.name] ?? 0
      const shown = chartValue(v, m0.unit) ?? 0
      let max = target > 0 ? target : m0.unit === 'ratio' ? 1 : Math.max(1, shown * 2)
      if (m0.unit === 'ratio' && target <= 0) max = 1
      return {
        option: {
          series: [
            {
              type: 'gauge',
              min: 0,
              max,
              progress: { show: true, width: 12 },
              axisLine: { lineStyle: { width: 12 } },
              axisLabel: { show: false },
              splitLine: { show: false },
              axisTick: { show: false },
              pointer: { show: false },
              center: ['50%', '62%'],
              radius: '95%',
              startAngle: 200,
              endAngle: -20,
              detail: { valueAnimation: true, fontSize: 20, offsetCenter: [0, '5%'], formatter: () => formatMetric(v, m0.unit) },
              // The widget's title names it.
              title: { show: false },
              data: [{ value: shown, name: m0.label }],
              itemStyle: { color: cohortPalette[0] },
            },
          ],
        },
        cell: () => ({ metric: m0.name, keys: {} }),
      }
    }
    case 'map':
      return buildMap(res)
  }
  return { option: {}, cell: () => null }
}

// The tile-grid map. There is no offline geographic map of China in the
// bundle, so each province is a square at its approximate place on a 10×8
// grid (column, row), coloured by the value.
export const PROVINCE_TILES: Record<string, [number, number]> = {
  黑龙江: [9, 0],
  新疆: [1, 1],
  内蒙古: [6, 1],
  北京: [7, 1],
  辽宁: [8, 1],
  吉林: [9, 1],
  青海: [3, 2],
  甘肃: [4, 2],
  宁夏: [5, 2],
  山西: [6, 2],
  河北: [7, 2],
  天津: [8, 2],
  西藏: [1, 3],
  陕西: [5, 3],
  河南: [6, 3],
  山东: [7, 3],
  四川: [3, 4],
  重庆: [4, 4],
  湖北: [5, 4],
  安徽: [6, 4],
  江苏: [7, 4],
  云南: [3, 5],
  贵州: [4, 5],
  湖南: [5, 5],
  江西: [6, 5],
  浙江: [7, 5],
  上海: [8, 5],
  广西: [4, 6],
  广东: [5, 6],
  福建: [6, 6],
  台湾: [8, 6],
  海南: [4, 7],
  澳门: [5, 7],
  香港: [6, 7],
}

/** A province as the tiles name it: 广东省 -> 广东, 广西壮族自治区 -> 广西. */
export function provinceKey(s: string): string {
  const v = s.trim()
  for (const name of Object.keys(PROVINCE_TILES)) if (v.startsWith(name)) return name
  return v
}

function buildMap(res: MetricResult): Built {
  const m0 = res.metrics[0]
  const byProvince = new Map<string, MetricRow>()
  const other: MetricRow[] = []
  for (const r of res.rows) {
    const k = provinceKey(r.keys[0] || '')
    if (PROVINCE_TILES[k]) byProvince.set(k, r)
    else other.push(r)
  }
  const names = Object.keys(PROVINCE_TILES)
  const data = names.map((n) => {
    const [x, y] = PROVINCE_TILES[n]
    const r = byProvince.get(n)
    return { value: [x, y, chartValue(r?.values[m0.name], m0.unit) ?? 0], name: n }
  })
  const max = Math.max(1, ...data.map((d) => d.value[2] as number))
  const cols = Array.from({ length: 10 }, (_, i) => String(i))
  const rowsAxis = Array.from({ length: 8 }, (_, i) => String(i))
  const otherTotal = other.reduce((s, r) => s + (r.values[m0.name] ?? 0), 0)
  return {
    option: {
      tooltip: {
        formatter: (p: { name: string; value: number[] }) => {
          const r = byProvince.get(p.name)
          return `${p.name}: ${formatMetric(r?.values[m0.name] ?? null, m0.unit)}`
        },
      },
      grid: { left: 4, right: 4, top: 4, bottom: other.length ? 40 : 30 },
      xAxis: { type: 'category', data: cols, show: false },
      yAxis: { type: 'category', data: rowsAxis, show: false, inverse: true },
      visualMap: {
        min: 0,
        max,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: other.length ? 18 : 0,
        itemHeight: 80,
        itemWidth: 10,
        inRange: { color: ['#eef3ff', cohortPalette[0]] },
        text: ['', ''],
        formatter: (v: number) => formatMetric(m0.unit === 'money' ? v * 100 : v, m0.unit),
      },
      series: [
        {
          type: 'heatmap',
          data,
          label: { show: true, formatter: (p: { name: string }) => p.name, fontSize: 10 },
          itemStyle: { borderColor: '#fff', borderWidth: 2 },
        },
      ],
      // Only an additive metric's other regions add up (a rate does not).
      graphic: other.length && m0.additive
        ? [{ type: 'text', left: 'center', bottom: 0, style: { text: `${t('cockpits.view.other')}: ${formatMetric(otherTotal, m0.unit)}`, fontSize: 11, fill: '#666' } }]
        : [],
    },
    cell: (_si, di) => {
      const r = byProvince.get(names[di])
      return r ? { metric: m0.name, keys: keysOf(res, r) } : null
    },
  }
}

/** A pivot of two dimensions: row headers × column headers, per metric. */
export interface Pivot {
  rows: [string, string][]
  cols: [string, string][]
  cell: (rk: string, ck: string) => MetricRow | undefined
}

export function buildPivot(res: MetricResult): Pivot {
  const rows = distinct(res, 0)
  const cols = res.dimensions.length > 1 ? distinct(res, 1) : [['', ''] as [string, string]]
  const at = new Map(res.rows.map((r) => [r.keys[0] + '\u0000' + (res.dimensions.length > 1 ? r.keys[1] : ''), r]))
  return { rows, cols, cell: (rk, ck) => at.get(rk + '\u0000' + ck) }
}
