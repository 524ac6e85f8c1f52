import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { allDepartments, allUsers, permRoles as permRolesApi } from '@/api/endpoints'
import type { Department, PermRole, User } from '@/api/types'

export interface DeptNode {
  id: string
  name: string
  parent_id: string | null
  version?: number
  manager_id?: string | null
  children: DeptNode[]
}

/** Build a tree from the flat department list, children sorted by name. */
export function buildTree(list: Department[]): DeptNode[] {
  const byId = new Map<string, DeptNode>()
  for (const d of list) {
    byId.set(d.id, {
      id: d.id,
      name: d.name,
      parent_id: d.parent_id ?? null,
      version: d.version,
      manager_id: d.manager_id ?? null,
      children: [],
    })
  }
  const roots: DeptNode[] = []
  for (const n of byId.values()) {
    const p = n.parent_id ? byId.get(n.parent_id) : undefined
    if (p) p.children.push(n)
    else roots.push(n)
  }
  const sort = (ns: DeptNode[]) => {
    ns.sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'))
    ns.forEach((n) => sort(n.children))
  }
  sort(roots)
  return roots
}

/**
 * Cached reference data for pickers and name lookups: departments, users and
 * permission roles. Pages call ensure*() and refresh after they change things.
 */
export const useLookups = defineStore('lookups', () => {
  const departments = ref<Department[]>([])
  const users = ref<User[]>([])
  const permRoles = ref<PermRole[]>([])
  const loaded = { departments: false, users: false, permRoles: false }

  const deptTree = computed(() => buildTree(departments.value))
  const deptById = computed(() => new Map(departments.value.map((d) => [d.id, d])))
  const userById = computed(() => new Map(users.value.map((u) => [u.id, u])))
  const roleById = computed(() => new Map(permRoles.value.map((r) => [r.id, r])))

  /** "Sales / East / Shanghai" for a department id. */
  function deptPath(id?: string | null): string {
    if (!id) return ''
    const parts: string[] = []
    let cur = deptById.value.get(id)
    let guard = 0
    while (cur && guard++ < 50) {
      parts.unshift(cur.name)
      cur = cur.parent_id ? deptById.value.get(cur.parent_id) : undefined
    }
    return parts.join(' / ')
  }

  async function loadDepartments(force = false) {
    if (loaded.departments && !force) return
    departments.value = await allDepartments()
    loaded.departments = true
  }
  async function loadUsers(force = false) {
    if (loaded.users && !force) return
    users.value = await allUsers()
    loaded.users = true
  }
  async function loadPermRoles(force = false) {
    if (loaded.permRoles && !force) return
    permRoles.value = await permRolesApi.list()
    loaded.permRoles = true
  }

  function reset() {
    departments.value = []
    users.value = []
    permRoles.value = []
    loaded.departments = loaded.users = loaded.permRoles = false
  }

  return {
    departments,
    users,
    permRoles,
    deptTree,
    deptById,
    userById,
    roleById,
    deptPath,
    loadDepartments,
    loadUsers,
    loadPermRoles,
    reset,
  }
})
