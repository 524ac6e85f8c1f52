// Browser tests of department managers setting goals (issue 9): the
// manager of a department (a salesperson by role) opens the goal grid and
// may type the values of their department and its people only — another
// department's rows are read-only, locks are not theirs — on a desktop and
// at 390×844. Screenshots go to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, assertFits, config, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('goal manager browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`goal manager browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('A department manager sets goals, on a desktop and at 390×844', () => {
    const year = new Date().getFullYear()
    const FY = `FY${year}`
    const ruleName = `E2E经理目标${runId}`
    const mgr = { name: `目标经理${runId}`, email: `e2e-gm-${runId}@example.com`, password: `E2e-gm-${runId}!` }
    let mine, theirs, seller, stranger
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let desk
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone

    before(async () => {
      const admin = await openBrowser()
      try {
        await login(admin.page, config.email, config.password)
        const me = await apiCall(admin.page, 'GET', '/api/v1/me')
        const roles = await apiCall(admin.page, 'GET', '/api/v1/perm-roles?limit=200')
        const role = roles.items.find((r) => /销售|sales/i.test(r.name) && !/经理|manager|总监|director/i.test(r.name))
        mine = await apiCall(admin.page, 'POST', '/api/v1/departments', { name: `E2E经理部${runId}`, parent_id: me.user.department_id })
        theirs = await apiCall(admin.page, 'POST', '/api/v1/departments', { name: `E2E别部${runId}`, parent_id: me.user.department_id })
        const m = await apiCall(admin.page, 'POST', '/api/v1/users', { ...mgr, perm_role_ids: [role.id], department_id: mine.id })
        await apiCall(admin.page, 'PATCH', `/api/v1/departments/${mine.id}`, { manager_id: m.id })
        seller = await apiCall(admin.page, 'POST', '/api/v1/users', {
          name: `经理下属${runId}`, email: `e2e-gm2-${runId}@example.com`, password: `E2e-gm2-${runId}!`, perm_role_ids: [role.id], department_id: mine.id,
        })
        stranger = await apiCall(admin.page, 'POST', '/api/v1/users', {
          name: `别部销售${runId}`, email: `e2e-gm3-${runId}@example.com`, password: `E2e-gm3-${runId}!`, perm_role_ids: [role.id], department_id: theirs.id,
        })
        const rule = await apiCall(admin.page, 'POST', '/api/v1/goal-rules', {
          name: ruleName, metric: 'followups', subject_type: 'department', cycle: 'year', departments: [mine.id, theirs.id],
        })
        await apiCall(admin.page, 'PUT', `/api/v1/goal-rules/${rule.id}/values`, {
          cells: [{ subject: `department:${mine.id}`, period: FY, value: 300 }, { subject: `department:${theirs.id}`, period: FY, value: 200 }],
        })
      } finally {
        await admin.close()
      }
    })
    after(async () => {
      assert.deepEqual(desk?.errors ?? [], [], 'no uncaught errors on the desktop')
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      await desk?.close()
      await phone?.close()
    })

    const cell = (page, subject) => page.locator(`td[data-cell="${subject}|${FY}"]`)

    async function openGrid(page) {
      await page.goto('/goals')
      await page.locator('[data-testid="goal-rule-select"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: ruleName }).click()
      await cell(page, `person:${seller.id}`).waitFor()
      // Their department and its people: inputs; the other department: text.
      await cell(page, `department:${mine.id}`).locator('input').waitFor()
      await cell(page, `person:${seller.id}`).locator('input').waitFor()
      assert.equal(await cell(page, `department:${theirs.id}`).locator('input').count(), 0, "another department's row is read-only")
      assert.equal(await cell(page, `person:${stranger.id}`).locator('input').count(), 0, "another department's people are read-only")
      assert.equal((await cell(page, `department:${theirs.id}`).locator('.cell-text').textContent()).trim(), '200')
      assert.equal(await page.locator('[data-testid="goal-lock"]').count(), 0, 'locks stay with administrators')
    }

    test('desktop: the manager types a goal of their person; another department is read-only', async () => {
      desk = await openBrowser()
      await login(desk.page, mgr.email, mgr.password)
      const { page } = desk
      await openGrid(page)
      await cell(page, `person:${seller.id}`).locator('input').fill('120')
      await page.locator('[data-testid="goal-save"]').click()
      await page.locator('[data-testid="goal-save"]').and(page.locator('[disabled]')).waitFor()
      assert.equal(await cell(page, `person:${seller.id}`).locator('input').inputValue(), '120')
      // The server refuses the other department whatever the page shows.
      const rules = await apiCall(page, 'GET', '/api/v1/goal-rules')
      const rule = rules.items.find((r) => r.name === ruleName)
      const res = await page.request.fetch(`/api/v1/goal-rules/${rule.id}/values`, {
        method: 'PUT',
        data: { cells: [{ subject: `department:${theirs.id}`, period: FY, value: 1 }] },
      })
      assert.equal(res.status(), 403)
      assert.match(await res.text(), /cells\[0\]\.subject/)
      await screenshot(page, 'goals-manager-desktop')
    })

    test('390×844: the same grid for the manager, nothing wider than the window', async () => {
      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, mgr.email, mgr.password)
      const { page } = phone
      await openGrid(page)
      assert.equal(await cell(page, `person:${seller.id}`).locator('input').inputValue(), '120')
      await assertFits(page, 'manager grid at 390×844')
      await screenshot(page, 'goals-manager-phone')
    })
  })
}
