// Typed calls for the foundation routes. Normalisers accept a few equivalent
// server shapes so the UI does not break on cosmetic API differences.
import { api, type Page, type Query } from './client'
import type {
  ApiToken,
  AuditEntry,
  BusinessRole,
  Catalog,
  CreatedToken,
  Department,
  FieldChange,
  Me,
  Notification,
  PermRole,
  Tenant,
  TenantSettingsUpdate,
  User,
} from './types'

const V1 = '/api/v1'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v)
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((x) => (isObj(x) ? String(x.key ?? x.name ?? x.id ?? '') : String(x))).filter(Boolean) : []

function items<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[]
  if (isObj(data) && Array.isArray(data.items)) return data.items as T[]
  return []
}

function page<T>(data: unknown, map?: (x: unknown) => T): Page<T> {
  const list = items<unknown>(data)
  return {
    items: map ? list.map(map) : (list as T[]),
    next_cursor: isObj(data) ? ((data.next_cursor as string | null | undefined) ?? null) : null,
  }
}

// ---- auth and me -----------------------------------------------------------

export const auth = {
  login: (email: string, password: string, tenant?: string) =>
    api.post<{ user: User; tenant: Tenant }>(
      `${V1}/auth/login`,
      tenant ? { email, password, tenant } : { email, password },
      { skipAuthRedirect: true },
    ),
  logout: () => api.post<void>(`${V1}/auth/logout`, undefined, { skipAuthRedirect: true }),
  /** Whether this server offers self-service sign-up. */
  signupState: () => api.get<{ enabled: boolean }>(`${V1}/signup`, undefined, { skipAuthRedirect: true }),
  signup: (body: { company: string; slug: string; name: string; email: string; password: string }) =>
    api.post<{ user: User; tenant: Tenant }>(`${V1}/signup`, body, { skipAuthRedirect: true }),
  me: () => api.get<Me>(`${V1}/me`, undefined, { skipAuthRedirect: true }),
  /** The session check of a page load: 200 whether or not logged in. */
  session: () => api.get<Partial<Me> & { authenticated: boolean }>(`${V1}/auth/session`, undefined, { skipAuthRedirect: true }),
  updateMe: (body: { name?: string; phone?: string; locale?: string }) => api.patch<User>(`${V1}/me`, body),
  changePassword: (current_password: string, new_password: string) =>
    api.post<void>(`${V1}/me/password`, { current_password, new_password }),
  tokens: async () => items<ApiToken>(await api.get(`${V1}/me/tokens`)),
  createToken: (body: { name: string; expires_at?: string }) => api.post<CreatedToken>(`${V1}/me/tokens`, body),
  revokeToken: (id: string) => api.del<void>(`${V1}/me/tokens/${id}`),
}

// ---- users -----------------------------------------------------------------

export interface UserInput {
  name?: string
  email?: string
  phone?: string
  password?: string
  department_id?: string | null
  manager_id?: string | null
  perm_role_ids?: string[]
  status?: string
  locale?: string
  /** Dates a department or manager change (RFC 3339; default now). */
  org_effective_at?: string
  /** Dates the first department and manager of a new user. */
  org_since?: string
}

export const users = {
  list: async (q: Query) => page<User>(await api.get(`${V1}/users`, q)),
  get: (id: string) => api.get<User>(`${V1}/users/${id}`),
  create: (body: UserInput) => api.post<User>(`${V1}/users`, body),
  update: (id: string, body: UserInput, version?: number) => api.patch<User>(`${V1}/users/${id}`, body, version),
  setPassword: (id: string, password: string) => api.post<void>(`${V1}/users/${id}/password`, { password }),
}

/** Every user, following next_cursor (for pickers and name lookups). */
export async function allUsers(max = 2000): Promise<User[]> {
  const out: User[] = []
  let cursor: string | null | undefined
  do {
    const p = await users.list({ limit: 200, cursor: cursor ?? undefined })
    out.push(...p.items)
    cursor = p.next_cursor
  } while (cursor && out.length < max)
  return out
}

// ---- departments -----------------------------------------------------------

export const departments = {
  list: async () => items<Department>(await api.get(`${V1}/departments`, { limit: 200 })),
  create: (body: { name: string; parent_id?: string | null; manager_id?: string | null }) =>
    api.post<Department>(`${V1}/departments`, body),
  update: (id: string, body: { name?: string; parent_id?: string | null; manager_id?: string | null }, version?: number) =>
    api.patch<Department>(`${V1}/departments/${id}`, body, version),
  remove: (id: string, version?: number) => api.del<void>(`${V1}/departments/${id}`, version),
}

/** All departments, following next_cursor if the server pages the tree. */
export async function allDepartments(): Promise<Department[]> {
  const out: Department[] = []
  let cursor: string | null | undefined
  let guard = 0
  do {
    const p = page<Department>(await api.get(`${V1}/departments`, { limit: 200, cursor: cursor ?? undefined }))
    out.push(...p.items)
    cursor = p.next_cursor
  } while (cursor && ++guard < 50)
  return out
}

// ---- roles -----------------------------------------------------------------

export const permRoles = {
  list: async () => items<PermRole>(await api.get(`${V1}/perm-roles`, { limit: 200 })),
  create: (body: Partial<PermRole>) => api.post<PermRole>(`${V1}/perm-roles`, body),
  update: (id: string, body: Partial<PermRole>, version?: number) => api.patch<PermRole>(`${V1}/perm-roles/${id}`, body, version),
  remove: (id: string, version?: number) => api.del<void>(`${V1}/perm-roles/${id}`, version),
}

export const tenantSettings = {
  get: () => api.get<Tenant>(`${V1}/tenant/settings`),
  update: (body: TenantSettingsUpdate, version?: number) => api.patch<Tenant>(`${V1}/tenant/settings`, body, version),
}

export const businessRoles = {
  list: async () => items<BusinessRole>(await api.get(`${V1}/business-roles`, { limit: 200 })),
  create: (body: Partial<BusinessRole>) => api.post<BusinessRole>(`${V1}/business-roles`, body),
  update: (id: string, body: Partial<BusinessRole>, version?: number) =>
    api.patch<BusinessRole>(`${V1}/business-roles/${id}`, body, version),
  remove: (id: string, version?: number) => api.del<void>(`${V1}/business-roles/${id}`, version),
}

const DEFAULT_ACTIONS = ['view', 'create', 'edit', 'delete', 'transfer', 'import', 'export', 'approve', 'administer']
const DEFAULT_SCOPES = ['own', 'own_and_subordinates', 'department', 'department_and_children', 'all']

/**
 * The catalog may come as {object_types:[...], actions:[...], scopes:[...]} where an
 * object type is a string or {key|type|name, actions?, scopes?}, or as a map
 * {objects: {user: {actions: [...]}}}.
 */
export function normaliseCatalog(data: unknown): Catalog {
  const d = isObj(data) ? data : {}
  const actions = strs(d.actions).length ? strs(d.actions) : DEFAULT_ACTIONS
  const scopes = strs(d.scopes).length ? strs(d.scopes) : DEFAULT_SCOPES
  const raw = d.object_types ?? d.objects ?? d.types ?? []
  const objectTypes: Catalog['objectTypes'] = []
  if (Array.isArray(raw)) {
    for (const o of raw) {
      if (typeof o === 'string') objectTypes.push({ key: o, actions, scopes })
      else if (isObj(o)) {
        const key = String(o.key ?? o.type ?? o.object_type ?? o.name ?? '')
        if (!key) continue
        objectTypes.push({
          key,
          actions: strs(o.actions).length ? strs(o.actions) : actions,
          scopes: strs(o.scopes).length ? strs(o.scopes) : scopes,
        })
      }
    }
  } else if (isObj(raw)) {
    for (const [key, o] of Object.entries(raw)) {
      const oo = isObj(o) ? o : {}
      objectTypes.push({
        key,
        actions: strs(oo.actions).length ? strs(oo.actions) : Array.isArray(o) ? strs(o) : actions,
        scopes: strs(oo.scopes).length ? strs(oo.scopes) : scopes,
      })
    }
  }
  return { objectTypes, actions, scopes }
}

export const permissions = {
  catalog: async () => normaliseCatalog(await api.get(`${V1}/permissions/catalog`)),
}

// ---- audit -----------------------------------------------------------------

function normaliseChanges(v: unknown): FieldChange[] {
  if (Array.isArray(v)) {
    return v.filter(isObj).map((c) => ({
      field: String(c.field ?? c.name ?? ''),
      before: c.before ?? c.old ?? c.from ?? null,
      after: c.after ?? c.new ?? c.to ?? null,
    }))
  }
  if (isObj(v)) {
    // {field: {before, after}} or {field: [before, after]}
    return Object.entries(v).map(([field, c]) => {
      if (Array.isArray(c)) return { field, before: c[0] ?? null, after: c[1] ?? null }
      if (isObj(c)) return { field, before: c.before ?? c.old ?? null, after: c.after ?? c.new ?? null }
      return { field, before: null, after: c }
    })
  }
  return []
}

export function normaliseAudit(x: unknown): AuditEntry {
  const o = isObj(x) ? x : {}
  let changes = normaliseChanges(o.changes ?? o.fields ?? o.diff)
  if (!changes.length && (isObj(o.before) || isObj(o.after))) {
    const before = isObj(o.before) ? o.before : {}
    const after = isObj(o.after) ? o.after : {}
    const keys = Array.from(new Set([...Object.keys(before), ...Object.keys(after)]))
    changes = keys.map((k) => ({ field: k, before: before[k] ?? null, after: after[k] ?? null }))
  }
  const actor = isObj(o.actor) ? o.actor : null
  return {
    id: String(o.id ?? ''),
    at: String(o.at ?? o.created_at ?? o.occurred_at ?? o.time ?? ''),
    actor_id: (o.actor_id as string | null) ?? (actor?.id as string | undefined) ?? null,
    actor_name: (o.actor_name as string | null) ?? (actor?.name as string | undefined) ?? null,
    action: String(o.action ?? ''),
    object_type: String(o.object_type ?? ''),
    object_id: (o.object_id as string | null) ?? null,
    object_name: (o.object_name as string | null) ?? null,
    ip: (o.ip as string | null) ?? (o.remote_addr as string | null) ?? null,
    changes,
  }
}

export const audit = {
  list: async (q: Query) => page<AuditEntry>(await api.get(`${V1}/audit`, q), normaliseAudit),
}

// ---- notifications ---------------------------------------------------------

export const notifications = {
  list: async (q: Query = {}) => page<Notification>(await api.get(`${V1}/notifications`, q)),
  unreadCount: async () => {
    const d = await api.get<{ count?: number; unread?: number }>(`${V1}/notifications/unread-count`)
    return Number(d?.count ?? d?.unread ?? 0)
  },
  markRead: (id: string) => api.post<void>(`${V1}/notifications/${id}/read`),
  readAll: () => api.post<void>(`${V1}/notifications/read-all`),
}
