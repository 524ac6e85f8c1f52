// Shared state of the cockpit and analysis pages: the metric catalogue, the
// period presets with today's dates (both from the server, fetched once),
// and the drill request of a clicked cell.
import { ref } from 'vue'
import { metricsApi, type CatalogEntry, type DrillQuery, type MetricQuery } from '@/api/metrics'
import { cockpitsApi, type PeriodRange, type WidgetQuery } from '@/api/cockpits'
import type { CellRef } from './widgetOptions'

const catalog = ref<CatalogEntry[]>([])
const periods = ref<PeriodRange[]>([])
let loading: Promise<void> | null = null

/** Loads the catalogue and the periods once per page load. */
export function loadAnalytics(): Promise<void> {
  if (!loading) {
    loading = Promise.all([metricsApi.catalog(), cockpitsApi.periods()])
      .then(([c, p]) => {
        catalog.value = c.items
        periods.value = p.items
      })
      .catch((e) => {
        loading = null
        throw e
      })
  }
  return loading
}

export function useAnalytics() {
  return { catalog, periods }
}

/** Every dimension the engine knows, time first (as GET /metrics/query accepts). */
export const DIMENSIONS = [
  'day', 'week', 'month', 'quarter', 'year', 'fiscal_year',
  'person', 'department', 'department_current', 'role', 'customer', 'segment', 'industry', 'grade', 'source', 'region',
  'product', 'product_category', 'followup_type', 'stage', 'process',
]

/** The metric query of a widget: a preset period takes today's dates. */
export function toMetricQuery(q: WidgetQuery): MetricQuery {
  let { from, to } = q
  const p = periods.value.find((x) => x.period === q.period)
  if (p) ({ from, to } = p)
  return {
    metrics: q.metrics,
    dimensions: q.dimensions,
    filters: q.filters ?? [],
    from,
    to,
    role: q.role || undefined,
    compare: q.compare ?? [],
    department_root: q.department_root || undefined,
  }
}

/** The drill-down of a clicked cell: the query's filters plus the cell's keys. */
export function drillOf(q: MetricQuery, cell: CellRef): DrillQuery {
  const filters = [...(q.filters ?? [])]
  for (const [d, k] of Object.entries(cell.keys)) filters.push({ dimension: d, values: [k] })
  return { metric: cell.metric, filters, from: q.from, to: q.to, role: q.role, limit: 200 }
}
