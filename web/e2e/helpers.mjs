// Shared set-up for the browser tests: configuration from the environment,
// launching Debian's Chromium through playwright-core, and small UI helpers for
// Element Plus controls.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { chromium } from 'playwright-core'

export const here = dirname(fileURLToPath(import.meta.url))
export const screenshotDir = join(here, 'screenshots')

export const config = {
  baseURL: (process.env.COHORT_E2E_URL || '').replace(/\/+$/, ''),
  email: process.env.COHORT_E2E_EMAIL || '',
  password: process.env.COHORT_E2E_PASSWORD || '',
  tenant: process.env.COHORT_E2E_TENANT || '',
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
  slowMo: Number(process.env.COHORT_E2E_SLOWMO || 0),
}

/**
 * Why the suite cannot run, or null. Without COHORT_E2E_URL the tests skip, except
 * under CI where a missing server is a failure (see skipOrFail).
 */
export function missingConfig() {
  if (!config.baseURL) return 'COHORT_E2E_URL is not set (the base URL of a running Cohort server)'
  if (!config.email || !config.password) return 'COHORT_E2E_EMAIL and COHORT_E2E_PASSWORD must name an administrator'
  return null
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * A Chromium with its own fresh user-data directory (one per "browser", so two
 * calls give two users that share nothing), a desktop window unless a viewport
 * is given (PHONE: 390×844). Returns {context, page, close}.
 */
export async function openBrowser({ locale = 'zh-CN', viewport = { width: 1440, height: 900 } } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'cohort-e2e-'))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: config.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL: config.baseURL,
    viewport,
    locale,
    timezoneId: 'Asia/Shanghai',
    slowMo: config.slowMo,
  })
  context.setDefaultTimeout(15_000)
  const page = context.pages()[0] ?? (await context.newPage())
  const errors = []
  page.on('pageerror', (e) => errors.push(e))
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {})
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

/** A phone's viewport (an iPhone 12–15 in portrait). */
export const PHONE = { width: 390, height: 844 }

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false })
}

/** Type into an Element Plus input wrapped by an element with data-testid. */
export async function fill(page, testid, value) {
  // el-input puts extra attributes on the native <input> itself.
  const t = `[data-testid="${testid}"]`
  const input = page.locator(`input${t}, textarea${t}, ${t} input, ${t} textarea`).first()
  await input.fill(value)
}

/** The visible popper of an open el-select / el-tree-select / el-dropdown. */
export function openPopper(page) {
  return page.locator('.el-popper:visible, .el-select__popper:visible').last()
}

/** Open an el-select and click the option whose label is `label`. */
export async function selectOption(page, testid, label) {
  await page.locator(`.el-select[data-testid="${testid}"]`).click()
  const option = page.locator('.el-select-dropdown__item:visible', { hasText: label }).first()
  await option.click()
}

/** Open an el-tree-select and click the tree node labelled `label`. */
export async function selectTreeNode(page, testid, label) {
  // el-tree-select puts the test id on both the select and the tree in its popper.
  await page.locator(`.el-select[data-testid="${testid}"]`).click()
  await page.locator(`.el-tree[data-testid="${testid}"]`).getByText(label, { exact: true }).click()
}

export async function login(page, email, password, tenant = config.tenant) {
  await page.goto('/login')
  await fill(page, 'login-email', email)
  await fill(page, 'login-password', password)
  if (tenant) {
    const toggle = page.locator('[data-testid="login-show-tenant"]')
    if (await toggle.isVisible()) await toggle.click()
    await fill(page, 'login-tenant', tenant)
  }
  await page.locator('[data-testid="login-submit"]').click()
  await page.locator('[data-testid="workbench"]').waitFor()
}

/** Navigate inside the SPA without a full reload (keeps the event stream open). */
export async function navigate(page, testid) {
  await page.locator(`[data-testid="${testid}"]`).click()
}

export async function badgeCount(page) {
  const v = await page.locator('[data-testid="bell-badge"]').getAttribute('data-count')
  return Number(v || 0)
}

/** A suffix that keeps names unique across runs against the same server. */
export const runId = Date.now().toString(36).slice(-6)
/** JSON call with the browser's session (same cookies). */
export async function apiCall(page, method, path, data) {
  const res = await page.request.fetch(path, { method, data, headers: { Accept: 'application/json' } })
  const body = await res.text()
  if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${body}`)
  return body ? JSON.parse(body) : null
}

/**
 * The page is no wider than the window, and every visible button lies
 * within it from left to right (below the fold is fine: that scrolls).
 */
export async function assertFits(page, what) {
  await page.waitForTimeout(250) // let transitions and late layout settle
  const r = await page.evaluate(() => {
    const vw = window.innerWidth
    const outside = []
    for (const b of document.querySelectorAll('button, .el-button, [role="button"]')) {
      const rect = b.getBoundingClientRect()
      if (!rect.width || !rect.height || getComputedStyle(b).visibility === 'hidden') continue
      if (rect.left < -0.5 || rect.right > vw + 0.5) {
        const name = b.getAttribute('data-testid') || b.getAttribute('aria-label') || (b.textContent || '').trim()
        outside.push(`${name.slice(0, 40)} [${Math.round(rect.left)}–${Math.round(rect.right)}]`)
      }
    }
    return { sw: document.documentElement.scrollWidth, vw, outside }
  })
  assert.ok(r.sw <= r.vw, `${what}: the page is ${r.sw}px wide in a ${r.vw}px window`)
  assert.deepEqual(r.outside, [], `${what}: buttons outside the window`)
}

/**
 * A new salesperson (the built-in salesperson role) in the administrator's
 * department, created through the administrator's page; `sales` is
 * {name, email, password}. Returns the user.
 */
export async function createSalesperson(adminPage, sales) {
  const roles = await apiCall(adminPage, 'GET', '/api/v1/perm-roles?limit=200')
  const role = roles.items.find((r) => /销售|sales/i.test(r.name) && !/经理|manager|总监|director/i.test(r.name))
  assert.ok(role, 'a built-in salesperson role exists')
  const me = await apiCall(adminPage, 'GET', '/api/v1/me')
  return apiCall(adminPage, 'POST', '/api/v1/users', {
    ...sales,
    perm_role_ids: [role.id],
    department_id: me.user.department_id ?? undefined,
  })
}
