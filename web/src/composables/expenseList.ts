// A keyset list of expenses and its figure: both follow one selection
// (person, customer, opportunity, type, period), the rows from the expenses
// list, the total from the metric engine; reload() refreshes both after a
// write.
import { onMounted, ref, watch, type Ref } from 'vue'
import { expenses as api, expenseFilters, expenseTotal, type ExpenseSelection } from '@/api/expenses'
import { useKeysetList } from './keysetList'
import { showError } from '@/utils/errors'

export function useExpenseList(selection: () => ExpenseSelection, opts: { sort?: Ref<string>; limit?: number } = {}) {
  const sort = opts.sort ?? ref('')
  const list = useKeysetList(api.list, () => ({ filter: expenseFilters(selection()), sort: sort.value, limit: opts.limit ?? 50 }))
  /** The figure (minor units); null while unknown. */
  const figure = ref<number | null>(null)
  const figureLoading = ref(false)
  let seq = 0

  async function loadFigure() {
    const my = ++seq
    const s = selection()
    figureLoading.value = true
    try {
      const v = await expenseTotal(s)
      if (my === seq) figure.value = v
    } catch (e) {
      if (my === seq) showError(e)
    } finally {
      if (my === seq) figureLoading.value = false
    }
  }

  function reload() {
    list.load()
    loadFigure()
  }
  watch(() => JSON.stringify(selection()), reload)
  watch(sort, list.load)
  onMounted(reload)
  return { ...list, sort, figure, figureLoading, reload }
}
