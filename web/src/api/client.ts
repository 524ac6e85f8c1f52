// Thin fetch wrapper for the Cohort JSON API (docs/API.md).
//
// - same-origin cookies (the session cookie is HttpOnly),
// - JSON in and out,
// - If-Match: "v<version>" on PATCH/PUT/DELETE when the caller passes a version,
// - problem+json errors become ApiError with code / detail / fields,
// - a 401 calls the registered handler (the router sends the user to the login page).

export interface FieldError {
  field: string
  message: string
}

export class ApiError extends Error {
  status: number
  code: string
  detail: string
  title: string
  fields: FieldError[]
  /** Values to pick from and retry with (the companies of an ambiguous login). */
  choices: { value: string; label: string }[]
  requestId?: string

  constructor(status: number, body: Record<string, unknown> | null, fallback: string) {
    const detail = str(body?.detail) || str(body?.title) || fallback
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.code = str(body?.code) || codeForStatus(status)
    this.detail = detail
    this.title = str(body?.title)
    this.requestId = str(body?.request_id) || undefined
    this.fields = Array.isArray(body?.errors)
      ? (body!.errors as unknown[]).map((e) => {
          const o = (e ?? {}) as Record<string, unknown>
          return { field: str(o.field), message: str(o.message) }
        })
      : []
    this.choices = Array.isArray(body?.choices)
      ? (body!.choices as unknown[]).map((c) => {
          const o = (c ?? {}) as Record<string, unknown>
          return { value: str(o.value), label: str(o.label) }
        })
      : []
  }

  /** The message of the first error on this field, if any. */
  fieldError(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function codeForStatus(status: number): string {
  switch (status) {
    case 0:
      return 'network'
    case 400:
      return 'bad_request'
    case 401:
      return 'unauthorized'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 409:
      return 'conflict'
    case 412:
      return 'precondition_failed'
    case 422:
      return 'validation'
    case 429:
      return 'rate_limited'
    default:
      return status >= 500 ? 'internal' : 'error'
  }
}

export type Query = Record<string, string | number | boolean | string[] | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Object version; sent as If-Match: "v<version>". */
  version?: number | null
  headers?: Record<string, string>
  /** Do not call the 401 handler (the login form and the session probe). */
  skipAuthRedirect?: boolean
  signal?: AbortSignal
  /** A multipart body (file uploads); the browser sets the content type. */
  formData?: FormData
}

let unauthorizedHandler: (() => void) | null = null
let acceptLanguage = 'zh-CN'

export function onUnauthorized(fn: () => void) {
  unauthorizedHandler = fn
}

export function setApiLanguage(locale: string) {
  acceptLanguage = locale
}

export function buildQuery(query?: Query): string {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) {
      for (const item of v) if (item !== '') p.append(k, item)
    } else {
      p.append(k, String(v))
    }
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

export async function request<T = unknown>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
    'Accept-Language': acceptLanguage,
    ...opts.headers,
  }
  let body: BodyInit | undefined
  if (opts.formData) {
    body = opts.formData
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  const m = method.toUpperCase()
  if ((m === 'PATCH' || m === 'PUT' || m === 'DELETE') && opts.version != null) {
    headers['If-Match'] = `"v${opts.version}"`
  }

  let res: Response
  try {
    res = await fetch(path + buildQuery(opts.query), {
      method: m,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, null, (e as Error)?.message || 'network error')
  }

  const text = await res.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }

  if (!res.ok) {
    const err = new ApiError(
      res.status,
      data && typeof data === 'object' ? (data as Record<string, unknown>) : null,
      res.statusText || `HTTP ${res.status}`,
    )
    if (res.status === 401 && !opts.skipAuthRedirect && unauthorizedHandler) {
      unauthorizedHandler()
    }
    throw err
  }
  return data as T
}

export const api = {
  get: <T>(path: string, query?: Query, opts: RequestOptions = {}) =>
    request<T>('GET', path, { ...opts, query }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body: unknown, version?: number | null, opts: RequestOptions = {}) =>
    request<T>('PATCH', path, { ...opts, body, version }),
  put: <T>(path: string, body: unknown, version?: number | null, opts: RequestOptions = {}) =>
    request<T>('PUT', path, { ...opts, body, version }),
  del: <T>(path: string, version?: number | null, opts: RequestOptions = {}) =>
    request<T>('DELETE', path, { ...opts, version }),
}

/** A list's row count (count=true): exact up to a bound, else n is the bound. */
export interface ListTotal {
  n: number
  exact: boolean
}

/** A page of a keyset-paged list. */
export interface Page<T> {
  items: T[]
  next_cursor?: string | null
  total?: ListTotal
}
