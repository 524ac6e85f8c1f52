// Browser tests of the goal cockpits (issue 9): a salesperson with a
// follow-up goal for this month copies the "My goals" preset on a desktop
// and sees their completion (3 follow-ups of 4: 75 %), their goals and
// their ranking among their peers; at 390×844 the same cockpit shows the
// same figures in one column, nothing wider than the window.
// Screenshots go to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, assertFits, config, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('goal cockpit browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`goal cockpit browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('The My goals cockpit on a desktop and at 390×844', () => {
    const now = new Date()
    const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
    const seller = { name: `驾驶舱销售${runId}`, email: `e2e-gc-${runId}@example.com`, password: `E2e-gc-${runId}!` }
    const peer = { name: `驾驶舱同事${runId}`, email: `e2e-gc2-${runId}@example.com`, password: `E2e-gc2-${runId}!` }
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let desk
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone
    let cockpitId = ''

    before(async () => {
      const admin = await openBrowser()
      try {
        await login(admin.page, config.email, config.password)
        const me = await apiCall(admin.page, 'GET', '/api/v1/me')
        const dept = await apiCall(admin.page, 'POST', '/api/v1/departments', { name: `E2E驾驶舱部${runId}`, parent_id: me.user.department_id })
        const roles = await apiCall(admin.page, 'GET', '/api/v1/perm-roles?limit=200')
        const role = roles.items.find((r) => /销售|sales/i.test(r.name) && !/经理|manager|总监|director/i.test(r.name))
        const s = await apiCall(admin.page, 'POST', '/api/v1/users', { ...seller, perm_role_ids: [role.id], department_id: dept.id })
        const p = await apiCall(admin.page, 'POST', '/api/v1/users', { ...peer, perm_role_ids: [role.id], department_id: dept.id })
        // A follow-up goal per person this month: 4 for the seller, 2 for the peer.
        const rule = await apiCall(admin.page, 'POST', '/api/v1/goal-rules', {
          name: `E2E驾驶舱跟进${runId}`,
          metric: 'followups',
          subject_type: 'person',
          cycle: 'month',
          departments: [dept.id],
        })
        await apiCall(admin.page, 'PUT', `/api/v1/goal-rules/${rule.id}/values`, {
          cells: [
            { subject: `person:${s.id}`, period: month, value: 4 },
            { subject: `person:${p.id}`, period: month, value: 2 },
          ],
        })
      } finally {
        await admin.close()
      }
      // The seller makes three follow-ups today: the metric engine counts them.
      desk = await openBrowser()
      await login(desk.page, seller.email, seller.password)
      const c = await apiCall(desk.page, 'POST', '/api/v1/customers', { name: `E2E驾驶舱客户${runId}有限公司` })
      for (let i = 0; i < 3; i++) {
        await apiCall(desk.page, 'POST', '/api/v1/followups', {
          customer_id: c.id,
          type: 'call',
          content: `驾驶舱电话 ${i} ${runId}`,
          next_action: { fuzzy: 'tomorrow', plan_type: 'keep_in_touch' },
        })
      }
    })
    after(async () => {
      assert.deepEqual(desk?.errors ?? [], [], 'no uncaught errors on the desktop')
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      await desk?.close()
      await phone?.close()
    })

    /** The My goals figures: 3 of 4 follow-ups, 75 %, first of two peers. */
    async function seeFigures(page) {
      const gauge = page.locator('[data-testid="widget-completion"]')
      await gauge.locator('[data-testid="goal-rate"]').waitFor()
      assert.equal((await gauge.locator('[data-testid="goal-rate"]').textContent()).trim(), '75.0%')
      assert.equal((await gauge.locator('[data-testid="goal-actual"]').textContent()).trim(), '3')
      assert.equal((await gauge.locator('[data-testid="goal-target"]').textContent()).trim(), '4')
      await gauge.locator('[data-testid="goal-band"]').waitFor()
      await gauge.locator('canvas').first().waitFor()
      // All my goals: this rule's month.
      const list = page.locator('[data-testid="widget-all"] [data-testid="goal-list"]')
      await list.waitFor()
      const mine = list.locator('[data-testid="goal-row"]', { hasText: `E2E驾驶舱跟进${runId}` })
      assert.equal((await mine.locator('[data-testid="goal-row-rate"]').textContent()).trim(), '75.0%')
      // My peers ranked: me first (75 %), the peer (0 %) second.
      const rows = page.locator('[data-testid="widget-ranking"] [data-testid="goal-ranking"] [data-testid="goal-row"]')
      await rows.first().waitFor()
      assert.equal(await rows.count(), 2)
      const cells = async (i) => (await rows.nth(i).locator('td').allTextContents()).slice(0, 3).map((x) => x.trim())
      assert.deepEqual(await cells(0), ['1', seller.name, '75.0%'])
      assert.deepEqual(await cells(1), ['2', peer.name, '0.0%'])
      // The trend: a chart of past periods.
      await page.locator('[data-testid="widget-trend"] canvas').first().waitFor()
      assert.equal(await page.locator('[data-testid="cockpit-board"] .widget-error').count(), 0, 'no widget failed')
    }

    test('desktop: copy "My goals" and see my completion, my goals and my ranking', async () => {
      const { page } = desk
      await page.goto('/analytics/cockpits')
      await page.locator('[data-testid="preset-my_goals"]').waitFor()
      await page.locator('[data-testid="preset-copy-my_goals"]').click()
      await page.locator('[data-testid="cockpit-page"]').waitFor()
      cockpitId = page.url().split('/').pop()
      await seeFigures(page)
      await screenshot(page, 'cockpit-my-goals-desktop')
    })

    test('390×844: the same cockpit, the same figures, in one column', async () => {
      assert.ok(cockpitId, 'the desktop test made the cockpit')
      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, seller.email, seller.password)
      const { page } = phone
      await page.goto(`/analytics/cockpits/${cockpitId}`)
      await page.locator('[data-testid="cockpit-page"]').waitFor()
      await seeFigures(page)
      // One column: the ranking sits below the gauge, both the window's width.
      const g = await page.locator('[data-testid="widget-completion"]').boundingBox()
      const r = await page.locator('[data-testid="widget-ranking"]').boundingBox()
      assert.ok(r.y > g.y && Math.abs(r.x - g.x) < 2 && g.width <= PHONE.width, `one column: ${JSON.stringify({ g, r })}`)
      await assertFits(page, 'My goals at 390×844')
      await screenshot(page, 'cockpit-my-goals-phone')
    })
  })
}
