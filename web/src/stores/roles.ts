import { defineStore } from 'pinia'
import { ref } from 'vue'
import { businessRoles as api } from '@/api/endpoints'
import type { BusinessRole } from '@/api/types'
import { currentLocale, i18n, t } from '@/i18n'

/** Business roles (owner, presales, ...) for team editors and labels. */
export const useBusinessRoles = defineStore('businessRoles', () => {
  const list = ref<BusinessRole[]>([])
  let loaded = false

  async function load(force = false) {
    if (loaded && !force) return
    try {
      list.value = await api.list()
      loaded = true
    } catch {
      /* no role:view: built-in labels below */
    }
  }

  function label(key?: string | null): string {
    if (!key) return ''
    const r = list.value.find((x) => x.key === key)
    if (r) return currentLocale() === 'en' ? r.name_en || r.name_zh : r.name_zh || r.name_en
    return i18n.global.te(`crm.roles.${key}`) ? t(`crm.roles.${key}`) : key
  }

  /** Roles whose shares must add up to 100 % (owner when unknown). */
  function revenueKeys(): string[] {
    const keys = list.value.filter((r) => r.revenue).map((r) => r.key)
    return keys.length ? keys : ['owner']
  }

  function options(): { key: string; label: string }[] {
    if (list.value.length) return list.value.map((r) => ({ key: r.key, label: label(r.key) }))
    return ['owner', 'presales', 'project_manager', 'implementer', 'customer_success'].map((k) => ({ key: k, label: label(k) }))
  }

  function reset() {
    list.value = []
    loaded = false
  }

  return { list, load, label, revenueKeys, options, reset }
})
