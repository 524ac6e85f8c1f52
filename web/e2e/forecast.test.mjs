// Browser tests of the forecast analyses: the forecast page with a manager's
// adjustment shown beside the original, the customer value tiers, and the
// win probability on an opportunity's page — on a desktop and at 390×844
// with no sideways scrolling. Screenshots go to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, fill, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** The page is no wider than the window and every visible button lies within it. */
async function assertFits(page, what) {
  await page.waitForTimeout(250)
  const r = await page.evaluate(() => {
    const vw = window.innerWidth
    const outside = []
    for (const b of document.querySelectorAll('button, .el-button, [role="button"]')) {
      const rect = b.getBoundingClientRect()
      if (!rect.width || !rect.height || getComputedStyle(b).visibility === 'hidden') continue
      if (rect.left < -0.5 || rect.right > vw + 0.5) outside.push((b.getAttribute('data-testid') || b.textContent || '').trim().slice(0, 40))
    }
    return { sw: document.documentElement.scrollWidth, vw, outside }
  })
  assert.ok(r.sw <= r.vw, `${what}: the page is ${r.sw}px wide in a ${r.vw}px window`)
  assert.deepEqual(r.outside, [], `${what}: buttons outside the window`)
}

/** Today in Shanghai (the browsers' and the default tenant's zone). */
function today() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
}

if (problem) {
  if (process.env.CI) {
    test('forecast browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`forecast browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Forecast, value tiers and win probability on a desktop and at 390×844', () => {
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let desk
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone
    let open
    const note = `E2E预测调整${runId}`

    before(async () => {
      desk = await openBrowser()
      await login(desk.page, config.email, config.password)
      const customer = await apiCall(desk.page, 'POST', '/api/v1/customers', { name: `E2E预测客户${runId}有限公司`, industry: '制造', source: '展会' })
      const product = await apiCall(desk.page, 'POST', '/api/v1/products', { code: `E2E-FC-${runId}`, name: `E2E预测产品${runId}`, price: 1000000 })
      // Two closed opportunities and one open, expected to close today.
      for (const outcome of ['won', 'lost']) {
        const o = await apiCall(desk.page, 'POST', '/api/v1/opportunities', { customer_id: customer.id, name: `E2E已结${outcome}${runId}`, amount: 2000000 })
        await apiCall(desk.page, 'POST', `/api/v1/opportunities/${o.id}/close`, { outcome, loss_reason: '价格' })
      }
      open = await apiCall(desk.page, 'POST', '/api/v1/opportunities', {
        customer_id: customer.id,
        name: `E2E预测商机${runId}`,
        amount: 3000000,
        expected_close_date: today(),
        forecast_category: 'commit',
      })
      // A signed contract, so that the customer has a value tier.
      const k = await apiCall(desk.page, 'POST', '/api/v1/contracts', {
        customer_id: customer.id,
        name: `E2E价值合同${runId}`,
        lines: [{ product_id: product.id, quantity: 2 }],
      })
      await apiCall(desk.page, 'POST', `/api/v1/contracts/${k.id}/status`, { status: 'signed' })
      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, config.email, config.password)
    })
    after(async () => {
      assert.deepEqual(desk?.errors ?? [], [], 'no uncaught errors on the desktop')
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      await desk?.close()
      await phone?.close()
    })

    test('desktop: the forecast page, and an adjustment beside the original', async () => {
      const { page } = desk
      await page.locator('[data-testid="nav-forecast"]').click()
      await page.locator('[data-testid="forecast-page"]').waitFor()
      const cell = page.locator('[data-testid="forecast-cell-company-all-commit"]')
      await cell.waitFor()
      const before = await cell.textContent()
      assert.match(before ?? '', /¥[\d,]+/, 'the company commit figure is money')
      await page.locator('[data-testid="forecast-adjust-company-all"]').click()
      await fill(page, 'forecast-adjust-amount', '123456')
      await fill(page, 'forecast-adjust-note', note)
      await page.locator('[data-testid="forecast-adjust-save"]').click()
      await page.locator('[data-testid="forecast-history"]', { hasText: note }).waitFor()
      assert.equal((await cell.textContent())?.trim(), '¥123,456', 'the adjusted figure replaces the original')
      const row = page.locator('[data-testid="forecast-table"] .el-table__row').first()
      assert.ok((await row.textContent())?.includes(`原值 ${before?.trim()}`), 'the original stays beside it')
      await assertFits(page, 'forecast (desktop)')
      await screenshot(page, 'forecast-desktop')
    })

    test('desktop: the opportunity shows its win probability with factors', async () => {
      const { page } = desk
      await page.goto(`/opportunities/${open.id}`)
      const prob = page.locator('[data-testid="opp-win-probability"]')
      await prob.waitFor()
      assert.match((await prob.textContent()) ?? '', /^\d{1,3}%$/)
      assert.equal(await page.locator('[data-testid="opp-win-factors"] li').count(), 3, 'the top three factors')
      await screenshot(page, 'win-probability-desktop')
    })

    test('desktop: customer value tiers', async () => {
      const { page } = desk
      await page.locator('[data-testid="nav-segmentation"]').click()
      await page.locator('[data-testid="segmentation-page"]').waitFor()
      await page.locator('[data-testid="segmentation-top-table"] .el-table__row', { hasText: `E2E预测客户${runId}` }).waitFor()
      const n = Number(await page.locator('[data-testid="segmentation-count"]').textContent())
      assert.ok(n >= 1, 'customers with signings are counted')
      await assertFits(page, 'segmentation (desktop)')
      await screenshot(page, 'segmentation-desktop')
    })

    test('phone: forecast, tiers and win probability fit 390×844', async () => {
      const { page } = phone
      await page.locator('[data-testid="nav-open"]').click()
      await page.locator('[data-testid="nav-drawer"] [data-testid="nav-forecast"]').click()
      await page.locator('[data-testid="nav-drawer"]').waitFor({ state: 'hidden' })
      await page.locator('[data-testid="forecast-cell-company-all-commit"]').waitFor()
      assert.ok(await page.locator('[data-testid="forecast-history"]', { hasText: note }).isVisible(), 'the adjustment is in the history')
      await assertFits(page, 'forecast (phone)')
      await screenshot(page, 'forecast-phone')
      await page.locator('[data-testid="forecast-adjust-company-all"]').click()
      const save = page.locator('[data-testid="forecast-adjust-save"]')
      await save.waitFor()
      const box = await save.boundingBox()
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width && box.y + box.height <= PHONE.height, 'Save is on screen')
      await page.keyboard.press('Escape')

      await page.goto('/analyses/segmentation')
      await page.locator('[data-testid="segmentation-top-table"] .el-table__row', { hasText: `E2E预测客户${runId}` }).waitFor()
      await assertFits(page, 'segmentation (phone)')
      await screenshot(page, 'segmentation-phone')

      await page.goto(`/opportunities/${open.id}`)
      await page.locator('[data-testid="opp-win-probability"]').waitFor()
      await assertFits(page, 'opportunity (phone)')
      await screenshot(page, 'win-probability-phone')
    })
  })
}
