// An in-memory stand-in for the Cohort foundation API (docs/API.md), for UI
// development and for trying the browser tests before a backend is at hand.
// It is NOT the contract: the e2e tests are meant to run against a real server.
//
//   node e2e/mock-server.mjs            # serves web/dist and /api/v1 on :5174
//   PORT=8081 node e2e/mock-server.mjs
//
// Admin login: admin@example.com / admin12345
import { createServer } from 'node:http'
import { readFileSync, existsSync, statSync } from 'node:fs'
import { join, extname, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const port = Number(process.env.PORT || 5174)

let seq = 7302115418349862000n
const id = () => String(++seq)
const now = () => new Date().toISOString()

const tenant = { id: id(), name: '示例科技有限公司', slug: 'demo' }
const ALL = ['view', 'create', 'edit', 'delete', 'transfer', 'import', 'export', 'approve', 'administer']
const catalog = {
  object_types: [
    { key: 'user', actions: ['view', 'create', 'edit', 'delete', 'import', 'export', 'administer'] },
    { key: 'department', actions: ['view', 'create', 'edit', 'delete'] },
    { key: 'role', actions: ['view', 'administer'] },
    { key: 'audit', actions: ['view', 'export'] },
    { key: 'tenant', actions: ['view', 'administer'] },
  ],
  actions: ALL,
  scopes: ['own', 'own_and_subordinates', 'department', 'department_and_children', 'all'],
}
const adminGrants = Object.fromEntries(catalog.object_types.map((o) => [o.key, { actions: o.actions, scope: 'all' }]))
const permRoles = [
  { id: id(), name: '系统管理员', description: '拥有全部权限', builtin: true, grants: adminGrants, version: 1 },
  {
    id: id(),
    name: '销售',
    description: '一线销售人员',
    builtin: true,
    grants: { user: { actions: ['view'], scope: 'department' }, department: { actions: ['view'], scope: 'all' } },
    version: 1,
  },
]
const businessRoles = [
  ['owner', '负责人', 'Owner', true],
  ['presales', '售前', 'Presales', false],
  ['project_manager', '项目经理', 'Project manager', false],
  ['implementer', '实施', 'Implementer', false],
  ['customer_success', '客户成功', 'Customer success', false],
].map(([key, name_zh, name_en, revenue]) => ({ id: id(), key, name_zh, name_en, revenue, builtin: true, version: 1 }))

const departments = []
function addDept(name, parent_id = null) {
  const d = { id: id(), name, parent_id, manager_id: null, version: 1 }
  departments.push(d)
  return d
}
const hq = addDept('示例科技')
const sales = addDept('销售部', hq.id)
addDept('华东大区', sales.id)
addDept('华南大区', sales.id)
addDept('售前支持部', hq.id)

const users = []
const passwords = new Map()
function addUser(u, pw) {
  const x = {
    id: id(),
    phone: '',
    department_id: null,
    manager_id: null,
    perm_role_ids: [],
    status: 'active',
    locale: 'zh-CN',
    version: 1,
    created_at: now(),
    ...u,
  }
  users.push(x)
  passwords.set(x.id, pw)
  return x
}
const admin = addUser({ name: '管理员', email: 'admin@example.com', department_id: hq.id, perm_role_ids: [permRoles[0].id] }, 'admin12345')
addUser({ name: '张伟', email: 'zhangwei@example.com', phone: '13800000001', department_id: sales.id, manager_id: admin.id, perm_role_ids: [permRoles[1].id] }, 'password1')
addUser({ name: '李娜', email: 'lina@example.com', phone: '13800000002', department_id: sales.id, manager_id: admin.id, perm_role_ids: [permRoles[1].id] }, 'password1')

const sessions = new Map() // sid -> user id
const tokens = []
const auditLog = []
const inbox = []
const streams = new Map() // user id -> Set(res)

function audit(actor, action, object_type, object_id, changes, req) {
  auditLog.unshift({ id: id(), at: now(), actor_id: actor?.id ?? null, action, object_type, object_id, changes, ip: req.socket.remoteAddress })
}
function diff(before, after, fields) {
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => ({ field: f, before: before[f] ?? null, after: after[f] ?? null }))
}
function notify(userId, kind, title, body) {
  const n = { id: id(), kind, title, body, read_at: null, created_at: now(), user_id: userId }
  inbox.unshift(n)
  for (const res of streams.get(userId) ?? []) res.write(`event: notification\ndata: ${JSON.stringify(n)}\n\n`)
}

function grantsOf(u) {
  const out = {}
  for (const rid of u.perm_role_ids) {
    const r = permRoles.find((x) => x.id === rid)
    for (const [k, g] of Object.entries(r?.grants ?? {})) {
      out[k] ??= { actions: [], scope: g.scope }
      for (const a of g.actions) if (!out[k].actions.includes(a)) out[k].actions.push(a)
    }
  }
  return out
}

function send(res, status, body, headers = {}) {
  const isErr = status >= 400
  res.writeHead(status, {
    'Content-Type': isErr ? 'application/problem+json' : 'application/json',
    'X-Request-Id': id(),
    ...headers,
  })
  res.end(body === undefined ? '' : JSON.stringify(body))
}
function problem(res, status, code, detail, errors) {
  send(res, status, { type: `https://cohort.dev/problems/${code}`, title: code, status, code, detail, errors })
}
function page(res, list, q) {
  const limit = Math.min(200, Number(q.get('limit') || 50))
  const start = Number(q.get('cursor') || 0)
  const items = list.slice(start, start + limit)
  send(res, 200, { items, next_cursor: start + limit < list.length ? String(start + limit) : null })
}
function filters(q) {
  const out = {}
  for (const f of q.getAll('filter')) {
    const [field, op, ...rest] = f.split(':')
    out[field] = { op, value: rest.join(':') }
  }
  return out
}
function checkVersion(req, res, obj) {
  const m = req.headers['if-match']
  if (m && m !== `"v${obj.version}"`) {
    problem(res, 412, 'precondition_failed', 'The record was changed by someone else')
    return false
  }
  return true
}
function isUnder(deptId, ancestorId) {
  let cur = departments.find((d) => d.id === deptId)
  while (cur) {
    if (cur.id === ancestorId) return true
    cur = departments.find((d) => d.id === cur.parent_id)
  }
  return false
}

async function body(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  const s = Buffer.concat(chunks).toString()
  return s ? JSON.parse(s) : {}
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.json': 'application/json' }

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x')
  const p = url.pathname
  const q = url.searchParams
  const m = req.method
  if (!p.startsWith('/api/')) {
    let file = join(dist, p)
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html')
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream' })
    res.end(readFileSync(file))
    return
  }
  const sid = /cohort_session=([^;]+)/.exec(req.headers.cookie || '')?.[1]
  const me = users.find((u) => u.id === sessions.get(sid))
  let b = {}
  try {
    if (m === 'POST' || m === 'PATCH') b = await body(req)
  } catch {
    return problem(res, 400, 'invalid_json', 'The body is not valid JSON')
  }
  if (p === '/api/v1/auth/login' && m === 'POST') {
    const u = users.find((x) => x.email === String(b.email || '').toLowerCase())
    if (!u || passwords.get(u.id) !== b.password || u.status !== 'active') return problem(res, 401, 'unauthorized', '邮箱或密码错误')
    const s = randomBytes(16).toString('hex')
    sessions.set(s, u.id)
    return send(res, 200, { user: u, tenant }, { 'Set-Cookie': `cohort_session=${s}; Path=/; HttpOnly; SameSite=Lax` })
  }
  if (!me) return problem(res, 401, 'unauthorized', 'Not signed in')
  const seg = p.split('/').slice(3) // after /api/v1
  const [r0, r1, r2] = seg
  try {
    if (r0 === 'auth' && r1 === 'logout') {
      sessions.delete(sid)
      return send(res, 204)
    }
    if (r0 === 'me' && !r1) {
      if (m === 'GET') return send(res, 200, { user: me, tenant, permissions: grantsOf(me) })
      Object.assign(me, b, { version: me.version + 1 })
      return send(res, 200, me)
    }
    if (r0 === 'me' && r1 === 'password') {
      if (passwords.get(me.id) !== b.current_password)
        return problem(res, 422, 'validation', 'current_password: wrong password', [{ field: 'current_password', message: '当前密码不正确' }])
      passwords.set(me.id, b.new_password)
      return send(res, 204)
    }
    if (r0 === 'me' && r1 === 'tokens') {
      if (m === 'GET') return send(res, 200, { items: tokens.filter((t) => t.user_id === me.id) })
      if (m === 'POST') {
        const secret = 'coh_' + randomBytes(20).toString('hex')
        const t = { id: id(), user_id: me.id, name: b.name, prefix: secret.slice(0, 8), created_at: now(), last_used_at: null }
        tokens.push(t)
        return send(res, 201, { ...t, secret })
      }
      if (m === 'DELETE') {
        const i = tokens.findIndex((t) => t.id === r2)
        if (i >= 0) tokens.splice(i, 1)
        return send(res, 204)
      }
    }
    if (r0 === 'users') {
      if (!r1 && m === 'GET') {
        const f = filters(q)
        const text = (q.get('q') || '').toLowerCase()
        const list = users.filter(
          (u) =>
            (!f.status || u.status === f.status.value) &&
            (!f.department_id || u.department_id === f.department_id.value) &&
            (!text || [u.name, u.email, u.phone].some((v) => (v || '').toLowerCase().includes(text))),
        )
        return page(res, list, q)
      }
      if (!r1 && m === 'POST') {
        const errors = []
        if (!b.name) errors.push({ field: 'name', message: '不能为空' })
        if (users.some((u) => u.email === b.email)) errors.push({ field: 'email', message: '邮箱已被使用' })
        if (errors.length) return problem(res, 422, 'validation', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors)
        const { password, ...rest } = b
        const u = addUser({ ...rest, email: String(b.email).toLowerCase(), perm_role_ids: b.perm_role_ids ?? [] }, password)
        audit(me, 'create', 'user', u.id, diff({}, u, ['name', 'email', 'department_id', 'perm_role_ids']), req)
        return send(res, 201, u)
      }
      const u = users.find((x) => x.id === r1)
      if (!u) return problem(res, 404, 'not_found', 'No such user')
      if (r2 === 'password') {
        passwords.set(u.id, b.password)
        for (const [s, uid] of sessions) if (uid === u.id) sessions.delete(s)
        audit(me, 'password_reset', 'user', u.id, [], req)
        notify(u.id, 'user.password_reset', '管理员重置了您的密码', '')
        return send(res, 204)
      }
      if (m === 'GET') return send(res, 200, u)
      if (m === 'PATCH') {
        if (!checkVersion(req, res, u)) return
        const before = { ...u }
        Object.assign(u, b, { version: u.version + 1, updated_at: now() })
        audit(me, 'update', 'user', u.id, diff(before, u, ['name', 'email', 'phone', 'department_id', 'manager_id', 'perm_role_ids', 'status']), req)
        if (b.perm_role_ids && JSON.stringify(before.perm_role_ids) !== JSON.stringify(u.perm_role_ids))
          notify(u.id, 'user.perm_roles_changed', '您的权限角色已变更', '')
        return send(res, 200, u)
      }
    }
    if (r0 === 'departments') {
      if (!r1 && m === 'GET') return send(res, 200, { items: departments })
      if (!r1 && m === 'POST') {
        if (!b.name) return problem(res, 422, 'validation', 'name: must not be empty', [{ field: 'name', message: 'must not be empty' }])
        if (!b.parent_id) return problem(res, 422, 'validation', 'parent_id: is required', [{ field: 'parent_id', message: 'is required' }])
        const d = addDept(b.name, b.parent_id ?? null)
        audit(me, 'create', 'department', d.id, diff({}, d, ['name', 'parent_id']), req)
        return send(res, 201, d)
      }
      const d = departments.find((x) => x.id === r1)
      if (!d) return problem(res, 404, 'not_found', 'No such department')
      if (!checkVersion(req, res, d)) return
      if (m === 'PATCH') {
        if (b.parent_id && isUnder(b.parent_id, d.id))
          return problem(res, 422, 'validation', 'parent_id: cannot move a department under its own subtree', [{ field: 'parent_id', message: 'cycle' }])
        const before = { ...d }
        Object.assign(d, b, { version: d.version + 1 })
        audit(me, 'update', 'department', d.id, diff(before, d, ['name', 'parent_id', 'manager_id']), req)
        return send(res, 200, d)
      }
      if (m === 'DELETE') {
        if (departments.some((x) => x.parent_id === d.id) || users.some((u) => u.department_id === d.id))
          return problem(res, 409, 'conflict', '部门下还有子部门或员工，无法删除')
        departments.splice(departments.indexOf(d), 1)
        audit(me, 'delete', 'department', d.id, [], req)
        return send(res, 204)
      }
    }
    if (r0 === 'perm-roles' || r0 === 'business-roles') {
      const list = r0 === 'perm-roles' ? permRoles : businessRoles
      const type = r0 === 'perm-roles' ? 'perm_role' : 'business_role'
      if (!r1 && m === 'GET') return send(res, 200, { items: list })
      if (!r1 && m === 'POST') {
        const x = { id: id(), builtin: false, version: 1, ...b }
        list.push(x)
        audit(me, 'create', type, x.id, diff({}, x, Object.keys(b)), req)
        return send(res, 201, x)
      }
      const x = list.find((y) => y.id === r1)
      if (!x) return problem(res, 404, 'not_found', 'Not found')
      if (!checkVersion(req, res, x)) return
      if (m === 'PATCH') {
        const before = { ...x }
        Object.assign(x, b, { version: x.version + 1 })
        audit(me, 'update', type, x.id, diff(before, x, Object.keys(b)), req)
        return send(res, 200, x)
      }
      if (m === 'DELETE') {
        if (x.builtin) return problem(res, 409, 'conflict', 'Built-in roles cannot be deleted')
        list.splice(list.indexOf(x), 1)
        return send(res, 204)
      }
    }
    if (r0 === 'permissions' && r1 === 'catalog') return send(res, 200, catalog)
    if (r0 === 'audit') {
      const list = auditLog.filter(
        (a) =>
          (!q.get('object_type') || a.object_type === q.get('object_type') || (q.get('object_type') === 'role' && a.object_type.endsWith('_role'))) &&
          (!q.get('actor_id') || a.actor_id === q.get('actor_id')) &&
          (!q.get('from') || a.at >= q.get('from')) &&
          (!q.get('to') || a.at <= q.get('to')),
      )
      return page(res, list, q)
    }
    if (r0 === 'notifications') {
      const mine = inbox.filter((n) => n.user_id === me.id)
      if (!r1 && m === 'GET') return page(res, q.get('unread') === 'true' ? mine.filter((n) => !n.read_at) : mine, q)
      if (r1 === 'unread-count') return send(res, 200, { count: mine.filter((n) => !n.read_at).length })
      if (r1 === 'read-all') {
        for (const n of mine) n.read_at ??= now()
        return send(res, 204)
      }
      if (r2 === 'read') {
        const n = mine.find((x) => x.id === r1)
        if (n) n.read_at ??= now()
        return send(res, 204)
      }
    }
    // The daily sales pages are not modelled here; empty answers keep them usable.
    if (r0 === 'workbench') return send(res, 200, { today: [], overdue: [], forgotten: { 7: 0, 15: 0, 30: 0, 90: 0 }, forgotten_customers: [] })
    if ((r0 === 'customers' || r0 === 'pools' || r0 === 'opportunities' || r0 === 'sales-processes') && !r1 && m === 'GET')
      return page(res, [], q)
    if (r0 === 'events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' })
      res.write(': hello\n\n')
      if (!streams.has(me.id)) streams.set(me.id, new Set())
      streams.get(me.id).add(res)
      const ping = setInterval(() => res.write(': ping\n\n'), 15000)
      req.on('close', () => {
        clearInterval(ping)
        streams.get(me.id)?.delete(res)
      })
      return
    }
    return problem(res, 404, 'not_found', `No route ${m} ${p}`)
  } catch (e) {
    return problem(res, 500, 'internal', String(e))
  }
})

server.listen(port, '127.0.0.1', () => console.log(`mock Cohort API on http://127.0.0.1:${port}`))
