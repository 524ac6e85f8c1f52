// A keyset-paged list: the first page on load(), more pages on loadMore();
// a newer load() wins over a slower older one.
import { ref, type Ref } from 'vue'
import type { Page, Query } from '@/api/client'
import { showError } from '@/utils/errors'

export function useKeysetList<T>(fetch: (q: Query) => Promise<Page<T>>, query: () => Query) {
  const rows = ref([]) as Ref<T[]>
  const cursor = ref<string | null>(null)
  const loading = ref(false)
  const loadingMore = ref(false)
  let seq = 0

  async function load() {
    const my = ++seq
    loading.value = true
    try {
      const p = await fetch(query())
      if (my !== seq) return
      rows.value = p.items
      cursor.value = p.next_cursor ?? null
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

  return { rows, cursor, loading, loadingMore, load, loadMore }
}

/** Build "field:eq:value" filters from the non-empty entries of an object. */
export function eqFilters(f: Record<string, string>): string[] {
  return Object.entries(f)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}:eq:${v}`)
}
