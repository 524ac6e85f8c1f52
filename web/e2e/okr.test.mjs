// Browser tests of objectives and key results (issue 9, 目标 → 策略 → 行动):
// on a desktop a salesperson creates an objective for this quarter, a key
// result computed from visits, a strategy on the opportunities factor and an
// action "4 visits a day"; a visit follow-up moves the key result and the
// action's progress; a self-assessed key result is scored in place. At
// 390×844 the same salesperson finds the page in the navigation drawer, sees
// another visit counted, and nothing is wider than the window. Screenshots go
// to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, assertFits, config, createSalesperson, fill, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('OKR browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`OKR browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Objectives, key results, strategies and actions on a desktop and at 390×844', () => {
    const seller = { name: `OKR销售${runId}`, email: `e2e-okr-${runId}@example.com`, password: `E2e-okr-${runId}!` }
    const title = `E2E季度目标${runId}`
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let desk
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone
    let customer
    const goalRule = `E2E OKR签约规则${runId}`

    const card = (page) => page.locator('[data-testid="okr-objective"]', { hasText: title })
    const visit = (page, i) =>
      apiCall(page, 'POST', '/api/v1/followups', {
        customer_id: customer.id,
        type: 'visit',
        content: `OKR 拜访 ${i} ${runId}`,
        next_action: { fuzzy: 'tomorrow', plan_type: 'keep_in_touch' },
      })
    /** Waits until the first action of the card has counted n. */
    async function counted(page, n) {
      await page.locator('[data-testid="okr-refresh"]').click()
      await page.waitForFunction(
        ([t, n]) => {
          const c = [...document.querySelectorAll('[data-testid="okr-objective"]')].find((el) => el.textContent.includes(t))
          const a = c?.querySelector('[data-testid="okr-action"]')
          return a && Number(a.getAttribute('data-progress')) > 0 && a.querySelector('[data-testid="okr-action-counted"]')?.textContent.match(new RegExp(`(已完成|Done) ${n}\\b`))
        },
        [title, n],
      )
    }

    before(async () => {
      const admin = await openBrowser()
      await login(admin.page, config.email, config.password)
      await createSalesperson(admin.page, seller)
      await apiCall(admin.page, 'POST', '/api/v1/goal-rules', { name: goalRule, metric: 'signed_amount', subject_type: 'person', cycle: 'month' })
      await admin.close()
      desk = await openBrowser()
      await login(desk.page, seller.email, seller.password)
      customer = await apiCall(desk.page, 'POST', '/api/v1/customers', { name: `E2E目标客户${runId}有限公司` })
    })
    after(async () => {
      assert.deepEqual(desk?.errors ?? [], [], 'no uncaught errors on the desktop')
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      await desk?.close()
      await phone?.close()
    })

    test('desktop: an objective with a metric key result and a quota action moves with a visit', async () => {
      const { page } = desk
      await page.locator('[data-testid="nav-okr"]').click()
      await page.locator('[data-testid="okr-page"]').waitFor()
      await page.locator('[data-testid="okr-new"]').click()
      await fill(page, 'okr-objective-title', title)
      await page.locator('[data-testid="okr-objective-save"]').click()
      await page.locator('[data-testid="okr-objective-dialog"]').waitFor({ state: 'hidden' })
      await card(page).waitFor()

      // A key result: 20 visits this quarter, computed by the metric engine.
      await card(page).locator('[data-testid="okr-kr-add"]').click()
      let dlg = page.locator('[data-testid="okr-kr-dialog"]')
      await fill(page, 'okr-kr-title', '本季度拜访 20 家')
      await page.locator('.el-select[data-testid="okr-kr-metric"]').click()
      await page.keyboard.type('visits')
      await page.locator('.el-select-dropdown__item:visible', { hasText: '(visits)' }).first().click()
      await dlg.locator('[data-testid="okr-kr-target"] input').fill('20')
      await dlg.locator('[data-testid="okr-kr-save"]').click()
      await dlg.waitFor({ state: 'hidden' })
      await card(page).locator('[data-testid="okr-kr"]').first().waitFor()

      // A self-assessed key result, scored in place.
      await card(page).locator('[data-testid="okr-kr-add"]').click()
      await fill(page, 'okr-kr-title', '客户满意度')
      await dlg.locator('[data-testid="okr-kr-kind"] label', { hasText: /自评|Self/ }).click()
      await dlg.locator('[data-testid="okr-kr-save"]').click()
      await dlg.waitFor({ state: 'hidden' })
      const assess = card(page).locator('[data-testid="okr-kr-assess"]')
      await assess.waitFor()
      await assess.locator('[data-testid="okr-assess-score"] input').fill('0.8')
      await assess.locator('[data-testid="okr-assess-save"]').click()
      await page.waitForFunction((t) => {
        const c = [...document.querySelectorAll('[data-testid="okr-objective"]')].find((el) => el.textContent.includes(t))
        return [...(c?.querySelectorAll('[data-testid="okr-kr"]') ?? [])].some((k) => k.getAttribute('data-score') === '0.8')
      }, title)

      // A strategy on the opportunities factor and its action: 4 visits a day.
      await card(page).locator('[data-testid="okr-strategy-add"]').click()
      dlg = page.locator('[data-testid="okr-strategy-dialog"]')
      await fill(page, 'okr-strategy-title', '勤拜访，多商机')
      await dlg.locator('[data-testid="okr-strategy-factor"] label', { hasText: /商机数|Opportunities/ }).click()
      await dlg.locator('[data-testid="okr-strategy-save"]').click()
      await dlg.waitFor({ state: 'hidden' })
      await card(page).locator('[data-testid="okr-strategy"]').waitFor()
      await card(page).locator('[data-testid="okr-action-add"]').click()
      dlg = page.locator('[data-testid="okr-action-dialog"]')
      await fill(page, 'okr-action-title', '每天拜访 4 家')
      await dlg.locator('[data-testid="okr-action-quota"] input').fill('4')
      await dlg.locator('[data-testid="okr-action-cadence"] label', { hasText: /每天|Per day/ }).click()
      await dlg.locator('[data-testid="okr-action-save"]').click()
      await dlg.waitFor({ state: 'hidden' })
      const action = card(page).locator('[data-testid="okr-action"]').first()
      await action.waitFor()
      assert.equal(await action.getAttribute('data-progress'), '0', 'nothing counted yet')

      // A visit is logged: the key result and the action move.
      await visit(page, 1)
      await counted(page, 1)
      const kr = card(page).locator('[data-testid="okr-kr"]').first()
      assert.equal(await kr.getAttribute('data-score'), '0.05', '1 of 20 visits')
      assert.match(await kr.locator('[data-testid="okr-kr-values"]').textContent(), /1 \/ .* 20/)
      assert.match(await card(page).locator('[data-testid="okr-formula"]').textContent(), /商机数|Opportunities/)
      // (0.05 + 0.8) ÷ 2
      assert.equal(await card(page).locator('[data-testid="okr-objective-score"]').getAttribute('data-score'), '0.425')
      await assertFits(page, 'desktop OKR')
      await screenshot(page, 'okr-desktop')

      // The self-assessment cleared: not assessed again, and the objective's
      // score is the visits' alone.
      await card(page).locator('[data-testid="okr-assess-clear"]').click()
      await page.waitForFunction((t) => {
        const c = [...document.querySelectorAll('[data-testid="okr-objective"]')].find((el) => el.textContent.includes(t))
        return c?.querySelector('[data-testid="okr-objective-score"]')?.getAttribute('data-score') === '0.05'
      }, title)
      assert.match(await card(page).locator('[data-testid="okr-kr-assess"]').textContent(), /尚未自评|Not assessed/)

      // A goal key result: the subject picker offers the rule's people, the owner marked.
      await card(page).locator('[data-testid="okr-kr-add"]').click()
      dlg = page.locator('[data-testid="okr-kr-dialog"]')
      await fill(page, 'okr-kr-title', '完成个人签约目标')
      await dlg.locator('[data-testid="okr-kr-kind"] label', { hasText: /目标规则|goal rule/i }).click()
      await dlg.locator('.el-select[data-testid="okr-kr-rule"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: goalRule }).click()
      await dlg.locator('.el-select[data-testid="okr-kr-subject"]').click()
      const me = page.locator('.el-select-dropdown__item:visible', { hasText: seller.name })
      assert.match(await me.textContent(), /所有者|owner/i)
      await me.click()
      await dlg.locator('[data-testid="okr-kr-save"]').click()
      await dlg.waitFor({ state: 'hidden' })
      await page.waitForFunction((t) => {
        const c = [...document.querySelectorAll('[data-testid="okr-objective"]')].find((el) => el.textContent.includes(t))
        return c?.querySelectorAll('[data-testid="okr-kr"]').length === 3
      }, title)
    })

    test('phone: the salesperson sees the action progress move at 390×844', async () => {
      phone = await openBrowser({ viewport: PHONE })
      const { page } = phone
      await login(page, seller.email, seller.password)
      await page.locator('[data-testid="nav-open"]').click()
      await page.locator('[data-testid="nav-drawer"] [data-testid="nav-okr"]').click()
      await page.locator('[data-testid="nav-drawer"]').waitFor({ state: 'hidden' })
      await card(page).waitFor()
      await counted(page, 1)
      await visit(page, 2)
      await counted(page, 2)
      await assertFits(page, 'phone OKR')
      await screenshot(page, 'okr-phone')
      // The action dialog fills the phone's screen and fits it.
      await card(page).locator('[data-testid="okr-action-add"]').click()
      await page.locator('[data-testid="okr-action-dialog"]').waitFor()
      await assertFits(page, 'phone action dialog')
      await page.keyboard.press('Escape')
      await page.locator('[data-testid="okr-action-dialog"]').waitFor({ state: 'hidden' })
      // So does the key result dialog with a goal rule's subject picker.
      await card(page).locator('[data-testid="okr-kr-add"]').click()
      const dlg = page.locator('[data-testid="okr-kr-dialog"]')
      await dlg.locator('[data-testid="okr-kr-kind"] label', { hasText: /目标规则|goal rule/i }).click()
      await dlg.locator('.el-select[data-testid="okr-kr-rule"]').click()
      await page.locator('.el-select-dropdown__item:visible', { hasText: goalRule }).click()
      await dlg.locator('.el-select[data-testid="okr-kr-subject"]').waitFor()
      await assertFits(page, 'phone key result dialog')
      await page.keyboard.press('Escape')
    })
  })
}
