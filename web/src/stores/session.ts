import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { auth } from '@/api/endpoints'
import { ApiError } from '@/api/client'
import type { Grants, Tenant, User } from '@/api/types'
import { useLookups } from './lookups'
import { useBusinessRoles } from './roles'
import { currentLocale, normaliseLocale, setLocale, storedLocale, type Locale } from '@/i18n'

export const useSession = defineStore('session', () => {
  const user = ref<User | null>(null)
  const tenant = ref<Tenant | null>(null)
  const permissions = ref<Grants>({})
  /** true once we asked the server whether there is a session. */
  const checked = ref(false)

  const loggedIn = computed(() => !!user.value)

  function can(objectType: string, action = 'view'): boolean {
    const g = permissions.value[objectType]
    return !!g && Array.isArray(g.actions) && g.actions.includes(action)
  }

  async function load(): Promise<boolean> {
    try {
      const me = await auth.session()
      if (!me.authenticated || !me.user) {
        clear()
        return false
      }
      user.value = me.user
      tenant.value = me.tenant ?? null
      permissions.value = me.permissions ?? {}
      // A language chosen in this browser wins; otherwise use the account's.
      if (!storedLocale()) {
        const l = normaliseLocale(me.user?.locale)
        if (l && l !== currentLocale()) setLocale(l, false)
      }
      return true
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        clear()
        return false
      }
      throw e
    } finally {
      checked.value = true
    }
  }

  async function login(email: string, password: string, tenantKey?: string) {
    await auth.login(email, password, tenantKey || undefined)
    useLookups().reset()
    useBusinessRoles().reset()
    await load()
  }

  async function logout() {
    try {
      await auth.logout()
    } finally {
      clear()
    }
  }

  function clear() {
    user.value = null
    tenant.value = null
    permissions.value = {}
    // Cached pickers belong to the previous user (and maybe another tenant).
    useLookups().reset()
    useBusinessRoles().reset()
  }

  /** Switch language locally and tell the server (PATCH /me {locale}). */
  async function changeLocale(locale: Locale) {
    setLocale(locale)
    if (user.value) {
      try {
        const u = await auth.updateMe({ locale })
        if (u && typeof u === 'object' && 'id' in u) user.value = { ...user.value, ...u }
      } catch {
        /* the UI language is still switched locally */
      }
    }
  }

  return { user, tenant, permissions, checked, loggedIn, can, load, login, logout, clear, changeLocale }
})
