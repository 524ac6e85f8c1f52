// Shapes of the objects of the foundation API (docs/API.md). IDs are strings.

export type UserStatus = 'active' | 'disabled'

export interface User {
  id: string
  name: string
  email: string
  phone?: string | null
  department_id?: string | null
  manager_id?: string | null
  perm_role_ids?: string[]
  status: UserStatus
  locale?: string | null
  version?: number
  created_at?: string
  updated_at?: string
  last_login_at?: string | null
}

export interface Tenant {
  id: string
  name: string
  slug?: string
  time_zone?: string
  fiscal_year_start_month?: number
  currency?: string
  locale?: string
  /** ISO 8601 day number of the first day of the week: 1 = Monday ... 7 = Sunday. */
  week_start?: number
  backdate_window_days?: number
  version?: number
}

/** A change of the tenant's settings (PATCH /tenant/settings). */
export type TenantSettingsUpdate = Partial<
  Pick<Tenant, 'name' | 'time_zone' | 'fiscal_year_start_month' | 'currency' | 'week_start' | 'backdate_window_days'>
>

export interface Grant {
  actions: string[]
  scope?: string | null
}

export type Grants = Record<string, Grant>

export interface Me {
  user: User
  tenant: Tenant
  permissions: Grants
}

export interface Department {
  id: string
  name: string
  parent_id?: string | null
  path?: string
  depth?: number
  manager_id?: string | null
  version?: number
}

export interface PermRole {
  id: string
  name: string
  description?: string | null
  builtin?: boolean
  grants: Grants
  version?: number
}

export interface BusinessRole {
  id: string
  key: string
  name_zh: string
  name_en: string
  builtin?: boolean
  revenue?: boolean
  version?: number
}

/** Normalised permission catalog (the API shape is adapted in endpoints.ts). */
export interface Catalog {
  objectTypes: { key: string; actions: string[]; scopes: string[] }[]
  actions: string[]
  scopes: string[]
}

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface AuditEntry {
  id: string
  at: string
  actor_id?: string | null
  actor_name?: string | null
  action: string
  object_type: string
  object_id?: string | null
  object_name?: string | null
  ip?: string | null
  changes: FieldChange[]
}

export interface Notification {
  id: string
  kind?: string
  title?: string
  body?: string
  link?: string | null
  data?: Record<string, unknown> | null
  read_at?: string | null
  created_at?: string
}

export interface ApiToken {
  id: string
  name: string
  prefix?: string
  created_at?: string
  last_used_at?: string | null
  expires_at?: string | null
}

export interface CreatedToken extends ApiToken {
  secret: string
}
