// The custom field declarations (业务特征) of one object type, for the forms and
// record pages of customers, contacts, opportunities and leads. Each use loads
// them fresh (a declaration made on the settings page shows at once).
import { ref } from 'vue'
import { customFields, type CustomField } from '@/api/work'
import { customChanges, cleanCustom } from '@/utils/work'

export type CfObject = 'customer' | 'contact' | 'opportunity' | 'lead'

export function useCustomFields(obj: CfObject) {
  const fields = ref<CustomField[]>([])
  let loading: Promise<void> | null = null
  function reload() {
    loading = customFields
      .list(obj)
      .then((f) => {
        fields.value = [...f].sort((a, b) => a.sort_order - b.sort_order)
      })
      .catch(() => {})
    return loading
  }
  reload()
  return {
    fields,
    reload,
    /** Values for a create: empty ones left out; undefined when the type declares none. */
    forCreate: (v: Record<string, unknown>) => (fields.value.length ? cleanCustom(v) : undefined),
    /** The changed keys for a PATCH (null clears); undefined when nothing changed. */
    forUpdate: (before: Record<string, unknown> | null | undefined, after: Record<string, unknown>) => {
      const d = customChanges(
        fields.value.map((f) => f.key),
        before,
        after,
      )
      return Object.keys(d).length ? d : undefined
    },
  }
}
