// A keyset-paged list: the first page on load(), more pages on loadMore();
// a newer load() wins over a slower older one.
import { onMounted, ref, watch, type Ref } from 'vue'
import type { ListTotal, Page, Query } from '@/api/client'
import { showError } from '@/utils/errors'

export function useKeysetList<T>(fetch: (q: Query) => Promise<Page<T>>, query: () => Query) {
  const rows = ref([]) as Ref<T[]>
  const cursor = ref<string | null>(null)
  /** The rows matching the list's filters and scope ("共 N 条"), from the first page. */
  const total = ref<ListTotal | null>(null)
  const loading = ref(false)
  const loadingMore = ref(false)
  let seq = 0

  async function load() {
    const my = ++seq
    loading.value = true
    try {
      const p = await fetch({ ...query(), count: true })
      if (my !== seq) return
      rows.value = p.items
      cursor.value = p.next_cursor ?? null
      total.value = p.total ?? null
    } catch (e) {
      if (my === seq) showError(e)
    } finally {
      if (my === seq) loading.value = false
    }
  }

  async function loadMore() {
    if (!cursor.value) return
    loadingMore.value = true
    const my = seq
    try {
      const p = await fetch({ ...query(), cursor: cursor.value })
      if (my !== seq) return
      rows.value.push(...p.items)
      cursor.value = p.next_cursor ?? null
    } catch (e) {
      showError(e)
    } finally {
      loadingMore.value = false
    }
  }

  /** Show a row created on this page first, and count it. */
  function prepend(item: T) {
    rows.value.unshift(item)
    if (total.value?.exact) total.value = { ...total.value, n: total.value.n + 1 }
  }

  return { rows, cursor, total, loading, loadingMore, load, loadMore, prepend }
}

/** Build "field:eq:value" filters from the non-empty entries of an object. */
export function eqFilters(f: Record<string, string>): string[] {
  return Object.entries(f)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}:eq:${v}`)
}

/**
 * A list page: optional view tabs, a debounced search, filters and a server-side
 * sort, all reloading the keyset list; onSort is for el-table's sort-change.
 */
export function useListPage<T, F extends Record<string, string>>(
  fetch: (q: Query) => Promise<Page<T>>,
  filters: F,
  opts: { view?: string } = {},
) {
  const view = ref(opts.view ?? '')
  const q = ref('')
  const sort = ref('')
  const query = (): Query => ({ view: view.value || undefined, q: q.value.trim(), filter: eqFilters(filters), sort: sort.value, limit: 50 })
  const list = useKeysetList(fetch, query)
  let timer: ReturnType<typeof setTimeout> | null = null
  watch(q, () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(list.load, 300)
  })
  watch([view, () => ({ ...filters }), sort], list.load, { deep: true })
  onMounted(list.load)
  function onSort({ prop, order }: { prop: string; order: 'ascending' | 'descending' | null }) {
    sort.value = order ? `${order === 'descending' ? '-' : ''}${prop}` : ''
  }
  return { ...list, view, q, sort, query, onSort }
}

/**
 * Apply a saved view's query string to a list's state: the tab (when it is
 * one of `views`), search, equality filters the list knows, and sort.
 */
export function applySavedQuery(
  p: URLSearchParams,
  state: {
    view?: Ref<string>
    views?: readonly string[]
    q: Ref<string>
    filters: Record<string, string>
    sort: Ref<string>
    /** The fields the list sorts by; a view saved with another sort keeps its default order. */
    sortable?: readonly string[]
  },
) {
  if (state.view && state.views) {
    const v = p.get('view') ?? ''
    state.view.value = state.views.includes(v) ? v : state.views[0]
  }
  state.q.value = p.get('q') ?? ''
  for (const k of Object.keys(state.filters)) state.filters[k] = ''
  for (const f of p.getAll('filter')) {
    const [k, op, ...rest] = f.split(':')
    if (op === 'eq' && k in state.filters) state.filters[k] = rest.join(':')
  }
  const sort = p.get('sort') ?? ''
  state.sort.value = !state.sortable || state.sortable.includes(sort.replace(/^-/, '')) ? sort : ''
}
