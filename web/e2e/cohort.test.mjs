// Browser tests of the web UI against a running Cohort server.
//
//   COHORT_E2E_URL=http://127.0.0.1:8080 COHORT_E2E_EMAIL=admin@example.com \
//   COHORT_E2E_PASSWORD=... npm run test:e2e
//
// The steps run in order and share state: a department, a user in it, a
// permission role given to that user, then a notification delivered live.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import {
  badgeCount,
  config,
  fill,
  login,
  missingConfig,
  navigate,
  openBrowser,
  runId,
  screenshot,
  selectOption,
  selectTreeNode,
} from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('browser tests are configured', () => {
      assert.fail(`${problem}. Under CI the browser tests must run.`)
    })
  } else {
    test(`browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Cohort web UI', () => {
    const dept = `E2E部门-${runId}`
    const subDept = `E2E小组-${runId}`
    const role = `E2E角色-${runId}`
    const user = {
      name: `测试员工${runId}`,
      email: `e2e-${runId}@example.com`,
      password: `E2e-pass-${runId}!`,
    }
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let admin

    before(async () => {
      admin = await openBrowser()
    })
    after(async () => {
      await admin?.close()
    })

    test('(a) log in', async () => {
      const { page } = admin
      await page.goto('/login')
      await page.locator('[data-testid="login-submit"]').waitFor()
      // A wrong password shows the problem's detail.
      await fill(page, 'login-email', config.email)
      await fill(page, 'login-password', 'definitely-not-the-password')
      await page.locator('[data-testid="login-submit"]').click()
      await page.locator('[data-testid="login-error"]').waitFor()
      const msg = (await page.locator('[data-testid="login-error"]').innerText()).trim()
      assert.ok(msg.length > 0, 'login error has a message')
      await screenshot(page, 'login-error')

      await login(page, config.email, config.password)
      assert.equal(new URL(page.url()).pathname, '/')
      await page.locator('[data-testid="side-nav"]').waitFor()
      await page.locator('[data-testid="bell"]').waitFor()
      await screenshot(page, 'workbench')
    })

    test('(b) create a department', async () => {
      const { page } = admin
      await navigate(page, 'nav-departments')
      await page.locator('[data-testid="dept-tree"]').waitFor()
      await page.locator('[data-testid="dept-create"]').click()
      const box = page.locator('.el-message-box:visible')
      await box.locator('input').fill(dept)
      await box.locator('.el-message-box__btns .el-button--primary').click()
      const node = page.locator(`[data-testid="dept-node"][data-name="${dept}"]`)
      await node.waitFor()
      await node.click()
      await page.locator('[data-testid="dept-detail"]', { hasText: dept }).waitFor()

      // A second department beside it (the header button adds under the top).
      await page.locator('[data-testid="dept-node"]').first().click()
      await page.locator('[data-testid="dept-create"]').click()
      await box.locator('input').fill(subDept)
      await box.locator('.el-message-box__btns .el-button--primary').click()
      const sub = page.locator(`[data-testid="dept-node"][data-name="${subDept}"]`)
      await sub.waitFor()
      const pathOf = async (name) => {
        await page.locator(`[data-testid="dept-node"][data-name="${name}"]`).click()
        await page.locator('[data-testid="dept-detail"] h3', { hasText: name }).waitFor()
        return (await page.locator('[data-testid="dept-path"]').innerText()).trim()
      }
      const before = await pathOf(subDept)
      assert.ok(!before.includes(dept), `${subDept} starts beside ${dept}: ${before}`)

      // Drag it into the first one while the server refuses (422): the error
      // shows and the tree goes back. The PATCH carries If-Match.
      let ifMatch = null
      await page.route('**/api/v1/departments/*', async (route) => {
        if (route.request().method() !== 'PATCH') return route.fallback()
        ifMatch = route.request().headers()['if-match'] ?? null
        await route.fulfill({
          status: 422,
          contentType: 'application/problem+json',
          body: JSON.stringify({
            type: 'https://cohort.dev/problems/validation',
            title: 'Validation failed',
            status: 422,
            code: 'validation',
            detail: 'parent_id: refused by the e2e test',
            errors: [{ field: 'parent_id', message: 'refused by the e2e test' }],
          }),
        })
      })
      await sub.dragTo(node)
      await page.locator('.el-message--error', { hasText: 'refused by the e2e test' }).waitFor()
      await page.unroute('**/api/v1/departments/*')
      assert.match(ifMatch ?? '', /^"v\d+"$/, 'PATCH sends If-Match: "v<version>"')
      assert.equal(await pathOf(subDept), before, 'the tree reverted')
      await screenshot(page, 'department-move-refused')

      // Now for real.
      await sub.dragTo(node)
      await page.locator('.el-message--success').last().waitFor()
      await page.waitForFunction(
        ([d, s]) => {
          const n = document.querySelector(`[data-testid="dept-node"][data-name="${s}"]`)
          const parent = n?.closest('.el-tree-node__children')?.closest('.el-tree-node')
          return parent?.querySelector(':scope > .el-tree-node__content [data-testid="dept-node"]')?.getAttribute('data-name') === d
        },
        [dept, subDept],
      )
      assert.ok((await pathOf(subDept)).includes(dept), 'moved under the first department')
      await page.waitForTimeout(1000)
      await screenshot(page, 'department-created')
    })

    test('(c) create a user in the department', async () => {
      const { page } = admin
      await navigate(page, 'nav-users')
      await page.locator('[data-testid="users-table"]').waitFor()
      await page.locator('[data-testid="users-create"]').click()
      const dialog = page.locator('.el-dialog:visible')
      await dialog.waitFor()
      await fill(page, 'user-form-name', user.name)
      await fill(page, 'user-form-email', user.email)
      await fill(page, 'user-form-phone', '13900001234')
      await fill(page, 'user-form-password', user.password)
      await selectTreeNode(page, 'user-form-department', dept)
      await page.locator('[data-testid="user-form-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
      await fill(page, 'users-search', user.email)
      const row = page.locator('[data-testid="users-table"] .el-table__row', { hasText: user.email })
      await row.waitFor()
      assert.match(await row.innerText(), new RegExp(dept))
      await screenshot(page, 'user-created')
    })

    test('(d) give the user a permission role', async () => {
      const { page } = admin
      // A new role that may view users and departments.
      await navigate(page, 'nav-perm-roles')
      await page.locator('[data-testid="perm-roles-table"]').waitFor()
      await page.locator('[data-testid="perm-role-create"]').click()
      const dialog = page.locator('.el-dialog:visible')
      await dialog.waitFor()
      await fill(page, 'perm-role-name', role)
      await fill(page, 'perm-role-description', 'created by the browser tests')
      await page.locator('[data-testid="perm-user-view"]').click()
      await page.locator('[data-testid="perm-department-view"]').click()
      await screenshot(page, 'perm-role-editor')
      await page.locator('[data-testid="perm-role-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
      await page.locator('[data-testid="perm-roles-table"] .el-table__row', { hasText: role }).waitFor()

      await navigate(page, 'nav-users')
      await fill(page, 'users-search', user.email)
      const row = page.locator('[data-testid="users-table"] .el-table__row', { hasText: user.email })
      await row.waitFor()
      await row.locator('[data-testid="user-edit"]').click()
      const edit = page.locator('.el-dialog:visible')
      await edit.waitFor()
      await selectOption(page, 'user-form-roles', role)
      await edit.locator('.el-dialog__title').click() // close the dropdown
      await page.locator('[data-testid="user-form-submit"]').click()
      await edit.waitFor({ state: 'hidden' })
      await row.locator('.el-tag', { hasText: role }).waitFor()
      await screenshot(page, 'user-role-assigned')
    })

    test('(e) switch the language to English and back', async () => {
      const { page } = admin
      const patched = page.waitForRequest((r) => r.method() === 'PATCH' && new URL(r.url()).pathname === '/api/v1/me')
      await page.locator('[data-testid="lang-switch"]').click()
      await page.locator('[data-testid="lang-en"]:visible').click()
      const req = await patched
      assert.equal(JSON.parse(req.postData() || '{}').locale, 'en')
      await page.locator('[data-testid="nav-users"]', { hasText: 'Users' }).waitFor()
      await page.locator('[data-testid="page-title"]', { hasText: 'Users' }).waitFor()
      await page.locator('[data-testid="users-create"]', { hasText: 'New user' }).waitFor()
      assert.equal(await page.evaluate(() => localStorage.getItem('cohort.locale')), 'en')
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en')
      await screenshot(page, 'language-en')

      // Remembered across a reload.
      await page.reload()
      await page.locator('[data-testid="nav-users"]', { hasText: 'Users' }).waitFor()

      await page.locator('[data-testid="lang-switch"]').click()
      await page.locator('[data-testid="lang-zh-CN"]:visible').click()
      await page.locator('[data-testid="nav-users"]', { hasText: '员工' }).waitFor()
      await page.locator('[data-testid="users-create"]', { hasText: '新建员工' }).waitFor()
      assert.equal(await page.evaluate(() => localStorage.getItem('cohort.locale')), 'zh-CN')
      await screenshot(page, 'language-zh')
    })

    test('(f) a notification arrives live', async () => {
      const member = await openBrowser()
      try {
        const up = member.page
        await login(up, user.email, user.password)
        const bell = up.locator('[data-testid="bell"]')
        await bell.waitFor()
        const probe = await up.request.get('/api/v1/notifications/unread-count')
        assert.equal(
          probe.status(),
          200,
          `the server's notification inbox answers GET /api/v1/notifications/unread-count with ${probe.status()}: ${await probe.text()}`,
        )
        // Wait until the event stream is open (or polling took over).
        await up.waitForFunction(
          () => ['sse', 'poll'].includes(document.querySelector('[data-testid="bell"]')?.getAttribute('data-mode') ?? ''),
          null,
          { timeout: 15_000 },
        )
        await up.waitForTimeout(500)
        const mode = await bell.getAttribute('data-mode')
        const beforeCount = await badgeCount(up)
        const marker = await up.evaluate(() => {
          window.__e2eMarker = Math.random()
          return window.__e2eMarker
        })

        // The admin changes the user's permission roles.
        const { page } = admin
        await navigate(page, 'nav-users')
        await fill(page, 'users-search', user.email)
        const row = page.locator('[data-testid="users-table"] .el-table__row', { hasText: user.email })
        await row.waitFor()
        await row.locator('[data-testid="user-edit"]').click()
        const edit = page.locator('.el-dialog:visible')
        await edit.waitFor()
        await page.locator(`.el-select[data-testid="user-form-roles"]`).click()
        await page.locator('.el-select-dropdown__item:visible:not(.is-selected)').first().click()
        await edit.locator('.el-dialog__title').click()
        await page.locator('[data-testid="user-form-submit"]').click()
        await edit.waitFor({ state: 'hidden' })

        // The user's badge goes up without a reload (SSE; polling is every 30 s).
        await up.waitForFunction(
          (n) => Number(document.querySelector('[data-testid="bell-badge"]')?.getAttribute('data-count') || 0) > n,
          beforeCount,
          { timeout: mode === 'sse' ? 15_000 : 45_000 },
        )
        assert.equal(await up.evaluate(() => window.__e2eMarker), marker, 'the page was not reloaded')
        await up.locator('.el-notification:visible').first().waitFor()
        await screenshot(up, 'notification-toast')

        // The dropdown lists it; "read all" clears the badge.
        await bell.click()
        await up.locator('[data-testid="bell-item"]').first().waitFor()
        await up.waitForTimeout(400) // let the popover finish its transition
        await screenshot(up, 'notification-list')
        await up.locator('[data-testid="bell-read-all"]').click()
        await up.waitForFunction(
          () => Number(document.querySelector('[data-testid="bell-badge"]')?.getAttribute('data-count') || 0) === 0,
        )
        assert.deepEqual(member.errors, [], 'no uncaught errors in the page')
      } finally {
        await member.close()
      }
      assert.deepEqual(admin.errors, [], 'no uncaught errors in the page')
    })

    test('(g) every page renders: roles, audit, profile and tokens', async () => {
      const { page } = admin
      await navigate(page, 'nav-business-roles')
      await page.locator('[data-testid="business-roles-table"] .el-table__row').first().waitFor()
      await screenshot(page, 'business-roles')

      // A business role: create, then delete (built-in ones cannot be deleted).
      const key = `e2e_${runId}`.replace(/[^a-z0-9_]/g, '_')
      await page.locator('[data-testid="business-role-create"]').click()
      const dialog = page.locator('.el-dialog:visible')
      await fill(page, 'business-role-key', key)
      await fill(page, 'business-role-name-zh', `测试角色${runId}`)
      await fill(page, 'business-role-name-en', `Test role ${runId}`)
      await page.locator('[data-testid="business-role-submit"]').click()
      await dialog.waitFor({ state: 'hidden' })
      const brow = page.locator('[data-testid="business-roles-table"] .el-table__row', { hasText: key })
      await brow.waitFor()
      await brow.locator('[data-testid="business-role-delete"]').click()
      await page.locator('.el-message-box:visible .el-button--danger').click()
      await brow.waitFor({ state: 'detached' })

      await navigate(page, 'nav-audit')
      const first = page.locator('[data-testid="audit-table"] .el-table__row').first()
      await first.waitFor()
      await first.locator('.el-table__expand-icon').click()
      await page.locator('[data-testid="audit-table"] .el-table__expanded-cell').first().waitFor()
      await screenshot(page, 'audit')

      // Profile: an API token is shown once, listed, then revoked.
      await page.locator('[data-testid="user-menu"]').click()
      await page.locator('[data-testid="menu-profile"]:visible').click()
      await fill(page, 'token-name', `e2e ${runId}`)
      await page.locator('[data-testid="token-create"]').click()
      await page.locator('[data-testid="token-secret"]').waitFor()
      const secret = (await page.locator('[data-testid="token-secret"] code').innerText()).trim()
      assert.ok(secret.length >= 16, 'the secret is shown')
      const trow = page.locator('[data-testid="tokens-table"] .el-table__row', { hasText: `e2e ${runId}` })
      await trow.waitFor()
      await screenshot(page, 'profile')
      await trow.locator('[data-testid="token-revoke"]').click()
      await page.locator('.el-message-box:visible .el-button--danger').click()
      await trow.waitFor({ state: 'detached' })
      assert.deepEqual(admin.errors, [], 'no uncaught errors in the page')
    })

    test('(h) an ended session goes back to the login page', async () => {
      const { page, context } = admin
      await navigate(page, 'nav-workbench')
      await page.locator('[data-testid="workbench"]').waitFor()
      await context.clearCookies()
      await navigate(page, 'nav-departments')
      await page.locator('[data-testid="login-submit"]').waitFor()
      const url = new URL(page.url())
      assert.equal(url.pathname, '/login')
      assert.equal(url.searchParams.get('redirect'), '/org/departments')
      await screenshot(page, 'session-ended')
      // Logging in again returns to where the user was.
      await fill(page, 'login-email', config.email)
      await fill(page, 'login-password', config.password)
      await page.locator('[data-testid="login-submit"]').click()
      await page.locator('[data-testid="dept-tree"]').waitFor()
      assert.deepEqual(admin.errors, [], 'no uncaught errors in the page')
    })
  })
}
