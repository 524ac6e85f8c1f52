// Browser tests of the analyses (issue 8): a salesperson's own records —
// a customer, an opportunity, a call and a signed contract — show up as the
// metric engine's figures on the funnel and personnel pages, on a desktop
// and at 390×844 with no sideways scrolling. Screenshots go to
// e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, assertFits, config, createSalesperson, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** Open an analysis and wait for its answer. */
async function open(page, tab) {
  await page.goto(`/analyses/${tab}`)
  await page.locator(`[data-testid="analysis-${tab}"][data-ready="yes"]`).waitFor()
}

/** The text of a figure: table, row key, column. */
async function cell(page, table, key, col) {
  const loc = page.locator(`[data-testid="cell-${table}-${key}-${col}"]`).first()
  await loc.waitFor()
  return (await loc.innerText()).trim()
}

if (problem) {
  if (process.env.CI) {
    test('analyses browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`analyses browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Analyses on a desktop and at 390×844', () => {
    const sales = { name: `分析销售${runId}`, email: `e2e-analyses-${runId}@example.com`, password: `E2e-analyses-${runId}!` }
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let admin
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let desk
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone
    let seller
    let firstStage

    before(async () => {
      admin = await openBrowser()
      await login(admin.page, config.email, config.password)
      seller = await createSalesperson(admin.page, sales)
      const product = await apiCall(admin.page, 'POST', '/api/v1/products', { code: `E2E-AN-${runId}`, name: `E2E分析产品${runId}`, unit: '套', price: 1234500 })

      // The salesperson's month: a customer, an opportunity of 8,800 in the
      // first process the page offers, a 3-minute call and a signed
      // contract of 12,345.
      desk = await openBrowser()
      await login(desk.page, sales.email, sales.password)
      const p = desk.page
      const customer = await apiCall(p, 'POST', '/api/v1/customers', { name: `E2E分析客户${runId}有限公司` })
      const procs = await apiCall(p, 'GET', '/api/v1/sales-processes')
      const proc = procs.items.find((x) => x.active)
      firstStage = proc.stages[0]
      await apiCall(p, 'POST', '/api/v1/opportunities', { customer_id: customer.id, process_id: proc.id, name: `E2E分析商机${runId}`, amount: 880000 })
      await apiCall(p, 'POST', '/api/v1/followups', {
        customer_id: customer.id,
        type: 'call',
        duration_s: 180,
        content: '电话沟通需求',
        next_action: { fuzzy: 'next_week', plan_type: 'keep_in_touch' },
      })
      const k = await apiCall(p, 'POST', '/api/v1/contracts', { customer_id: customer.id, name: `E2E分析合同${runId}`, lines: [{ product_id: product.id, quantity: 1 }] })
      await apiCall(p, 'POST', `/api/v1/contracts/${k.id}/status`, { status: 'signed' })

      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, sales.email, sales.password)
    })
    after(async () => {
      for (const b of [admin, desk, phone]) assert.deepEqual(b?.errors ?? [], [], 'no uncaught errors')
      await phone?.close()
      await desk?.close()
      await admin?.close()
    })

    test('desktop: the menu opens the analyses; the personnel summary shows my figures', async () => {
      const { page } = desk
      await page.goto('/')
      await page.locator('[data-testid="nav-analyses"]').click()
      await page.locator('[data-testid="analysis-funnel"][data-ready="yes"]').waitFor()
      await open(page, 'personnel')
      assert.equal(await cell(page, 'people', seller.id, 'signed_amount'), '¥12,345')
      assert.equal(await cell(page, 'people', seller.id, 'calls'), '1')
      assert.equal(await cell(page, 'people', seller.id, 'call_minutes'), '3 分钟')
      assert.equal(await cell(page, 'people', seller.id, 'new_opportunity_value'), '¥8,800')
      assert.equal(await cell(page, 'people', seller.id, 'first_signed_customers'), '1')
      // A salesperson sees their own row only (and the total).
      assert.equal(await page.locator('[data-testid="analysis-table-people"] .el-table__body tr.el-table__row').count(), 2)
      await page.locator('[data-testid="analysis-chart-people"] canvas').first().waitFor()
      await screenshot(page, 'analyses-personnel')
    })

    test('desktop: the funnel shows the opportunity entering the first stage', async () => {
      const { page } = desk
      await open(page, 'funnel')
      assert.equal(await cell(page, 'stages', firstStage.key, 'stage_entries'), '1')
      assert.equal(await cell(page, 'stages', firstStage.key, 'stage_entry_amount'), '¥8,800')
      assert.equal(await cell(page, 'stages', firstStage.key, 'conversion_next'), '0%')
      await page.locator('[data-testid="analysis-chart-stages"] canvas').first().waitFor()
      // The other analyses answer too.
      for (const tab of ['kpis', 'roles', 'service', 'coaching', 'leaderboard']) await open(page, tab)
      assert.equal(await cell(page, 'leaderboard', seller.id, 'rank'), '1')
      await screenshot(page, 'analyses-funnel')
    })

    test('phone: personnel and funnel fit 390×844 and show the same figures', async () => {
      const { page } = phone
      await open(page, 'personnel')
      assert.equal(await cell(page, 'people', seller.id, 'signed_amount'), '¥12,345')
      assert.equal(await cell(page, 'people', seller.id, 'call_minutes'), '3 分钟')
      await assertFits(page, 'personnel on a phone')
      await screenshot(page, 'phone-analyses-personnel')
      await open(page, 'funnel')
      assert.equal(await cell(page, 'stages', firstStage.key, 'stage_entries'), '1')
      await assertFits(page, 'funnel on a phone')
      await screenshot(page, 'phone-analyses-funnel')
    })
  })
}
