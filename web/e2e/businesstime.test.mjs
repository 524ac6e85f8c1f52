// Browser tests of business time on a contract: a signing entered after the
// fact (dated yesterday) and a void with its reason, at a desktop's size and
// at a phone's 390×844.
//
//   COHORT_E2E_URL=http://127.0.0.1:8080 COHORT_E2E_EMAIL=admin@example.com \
//   COHORT_E2E_PASSWORD=... node --test e2e/businesstime.test.mjs
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, fill, login, missingConfig, openBrowser, runId, screenshot, selectTreeNode } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('business-time browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`business-time browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Business time on a contract: late-entered signing, void', () => {
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let b
    let customer
    let product

    before(async () => {
      b = await openBrowser()
      await login(b.page, config.email, config.password)
      customer = await apiCall(b.page, 'POST', '/api/v1/customers', { name: `E2E补录客户${runId}有限公司` })
      product = await apiCall(b.page, 'POST', '/api/v1/products', { code: `BT-${runId}`, name: `补录产品${runId}`, price: 500000 })
    })
    after(async () => {
      assert.deepEqual(b?.errors ?? [], [], 'no uncaught errors in the page')
      await b?.close()
    })

    for (const [label, viewport] of [
      ['desktop', { width: 1440, height: 900 }],
      ['phone', { width: 390, height: 844 }],
    ]) {
      test(`${label}: sign dated yesterday, then void with a reason`, async () => {
        const { page } = b
        await page.setViewportSize(viewport)
        const c = await apiCall(page, 'POST', '/api/v1/contracts', {
          customer_id: customer.id,
          name: `补录合同 ${label}`,
          lines: [{ product_id: product.id, quantity: 1 }],
        })
        await page.goto(`/contracts/${c.id}`)
        await page.locator('[data-testid="deal-status"][data-status="draft"]').waitFor()

        // Sign: the dialog takes the time it happened (yesterday, 10:00 local).
        await page.locator('[data-testid="deal-move-signed"]').click()
        const y = new Date(Date.now() - 24 * 3600 * 1000)
        const pad = (n) => String(n).padStart(2, '0')
        const when = `${y.getFullYear()}-${pad(y.getMonth() + 1)}-${pad(y.getDate())} 10:00:00`
        await fill(page, 'deal-dated-at', when)
        await page.keyboard.press('Enter')
        await page.locator('[data-testid="deal-dated-save"]').click()
        await page.locator('[data-testid="deal-status"][data-status="signed"]').waitFor()
        const signed = await apiCall(page, 'GET', `/api/v1/contracts/${c.id}`)
        assert.equal(new Date(signed.signed_at).toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 16), when.slice(0, 16), 'the signing is dated yesterday 10:00')
        assert.ok(new Date(signed.created_at) <= new Date(signed.signed_at), 'a late-entered signing moves the contract start back')

        // Void without a reason is refused in the dialog; with one it is void.
        await page.locator('[data-testid="deal-void"]').click()
        await page.locator('[data-testid="deal-dated-save"]').click()
        await page.locator('[data-testid="deal-dated-error"]').waitFor()
        await fill(page, 'deal-void-reason', '客户撤销订单')
        await page.locator('[data-testid="deal-dated-save"]').click()
        await page.locator('[data-testid="deal-voided"]').waitFor()
        await page.locator('[data-testid="deal-status"][data-status="voided"]').waitFor()
        assert.equal(await page.locator('[data-testid="deal-void"]').count(), 0, 'a void document offers no second void')
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        assert.ok(overflow <= 0, `no horizontal overflow at ${label} (${overflow}px)`)
        await screenshot(page, `contract-voided-${label}`)
      })

      test(`${label}: a department move dated in the past`, async () => {
        const { page } = b
        await page.setViewportSize(viewport)
        const depts = await apiCall(page, 'GET', '/api/v1/departments')
        const root = depts.items[0]
        const from = await apiCall(page, 'POST', '/api/v1/departments', { name: `调出部门${label}${runId}`, parent_id: root.id })
        const to = await apiCall(page, 'POST', '/api/v1/departments', { name: `调入部门${label}${runId}`, parent_id: root.id })
        const email = `mover-${label}-${runId}@e2e.cohort.local`
        const u = await apiCall(page, 'POST', '/api/v1/users', {
          name: `调动${label}`, email, password: 'mover-password-1', department_id: from.id,
          org_since: new Date(Date.now() - 400 * 24 * 3600 * 1000).toISOString(),
        })
        await page.goto('/org/users')
        await fill(page, 'users-search', email)
        const row = page.locator('[data-testid="users-table"] .el-table__row', { hasText: email })
        await row.locator('[data-testid="user-edit"]').click()
        const dialog = page.locator('.el-dialog:visible')
        await dialog.waitFor()
        assert.equal(await page.locator('[data-testid="user-form-org-from"]').count(), 0, 'no date while the department is unchanged')
        await selectTreeNode(page, 'user-form-department', to.name)
        const d = new Date(Date.now() - 30 * 24 * 3600 * 1000)
        const pad = (n) => String(n).padStart(2, '0')
        const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
        await fill(page, 'user-form-org-from', day)
        await page.keyboard.press('Enter')
        await page.locator('[data-testid="user-form-submit"]').click()
        await dialog.waitFor({ state: 'hidden' })
        const spans = (await apiCall(page, 'GET', `/api/v1/users/${u.id}/org-history`)).items
        assert.equal(spans.length, 2, 'two spans split at the move')
        assert.equal(spans[1].department_id, to.id)
        const local = (iso) => new Date(iso).toLocaleDateString('en-CA', { timeZone: 'Asia/Shanghai' })
        assert.equal(local(spans[1].valid_from), day, 'the move is dated 30 days back, at the start of that day in the browser')
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
        assert.ok(overflow <= 0, `no horizontal overflow at ${label} (${overflow}px)`)
        await screenshot(page, `user-moved-${label}`)
      })
    }
  })

  describe('The login page checks its session without an error', () => {
    for (const [label, viewport] of [
      ['desktop', { width: 1440, height: 900 }],
      ['phone', { width: 390, height: 844 }],
    ]) {
      test(`${label}: no 401 and no console error on load`, async () => {
        const fresh = await openBrowser()
        try {
          const { page } = fresh
          await page.setViewportSize(viewport)
          const failed = []
          const consoleErrors = []
          page.on('response', (r) => {
            if (r.url().includes('/api/') && r.status() >= 400) failed.push(`${r.status()} ${r.url()}`)
          })
          page.on('console', (m) => {
            if (m.type() === 'error') consoleErrors.push(m.text())
          })
          await page.goto('/login')
          await page.locator('[data-testid="login-submit"]').waitFor()
          await page.waitForLoadState('networkidle')
          assert.deepEqual(failed, [], 'no API request fails on the login page')
          assert.deepEqual(consoleErrors, [], 'no console error on the login page')
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
          assert.ok(overflow <= 0, `no horizontal overflow at ${label} (${overflow}px)`)
        } finally {
          await fresh.close()
        }
      })
    }
  })
}
