// Browser tests of a customer's "业务往来" tiles, on a desktop (the
// administrator) and at 390×844 (a salesperson): the tiles show the metric
// engine's figures of the customer (GET /customers/{id}/figures), they move
// when a contract is signed or a payment received, and a tile opens the
// records behind its figure (the engine's drill-down), each linking to its
// record. Screenshots go to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, assertFits, config, createSalesperson, login, missingConfig, openBrowser, PHONE, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** Wait until a tile's figure (data-value: a count or minor units) is `want`. */
async function tileIs(page, testid, want) {
  await page
    .waitForFunction(([id, v]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-value') === String(v), [testid, want])
    .catch(async () => assert.fail(`${testid} is ${await page.locator(`[data-testid="${testid}"]`).getAttribute('data-value')}, want ${want}`))
}

/** A contract of `quantity` × the product, signed today, through the API. */
async function signedContract(page, customer, product, name, quantity) {
  const c = await apiCall(page, 'POST', '/api/v1/contracts', { customer_id: customer.id, name, lines: [{ product_id: product.id, quantity }] })
  const res = await page.request.fetch(`/api/v1/contracts/${c.id}/status`, {
    method: 'POST',
    data: { status: 'signed' },
    headers: { 'If-Match': `"v${c.version}"` },
  })
  assert.equal(res.status(), 200, await res.text())
  return res.json()
}

/** Today in the tenant's zone, YYYY-MM-DD, as the server sees it. */
async function today(page, customer) {
  const f = await apiCall(page, 'GET', `/api/v1/customers/${customer.id}/figures`)
  return f.today
}

if (problem) {
  if (process.env.CI) {
    test('customer tile browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`customer tile browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe("A customer's business tiles on a desktop and at 390×844", () => {
    const seller = { name: `往来销售${runId}`, email: `e2e-tiles-${runId}@example.com`, password: `E2e-tiles-${runId}!` }
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let admin
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone
    let product

    before(async () => {
      admin = await openBrowser()
      await login(admin.page, config.email, config.password)
      await createSalesperson(admin.page, seller)
      product = await apiCall(admin.page, 'POST', '/api/v1/products', { code: `E2E-TL-${runId}`, name: `E2E往来产品${runId}`, unit: '套', price: 1000000 })
      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, seller.email, seller.password)
    })
    after(async () => {
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      assert.deepEqual(admin?.errors ?? [], [], 'no uncaught errors on the desktop')
      await phone?.close()
      await admin?.close()
    })

    test('desktop: signed and collected come from the engine and move; a tile opens its contracts, the pipeline its open opportunities dated or not', async () => {
      const { page } = admin
      const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E往来客户${runId}有限公司` })
      await apiCall(page, 'POST', '/api/v1/opportunities', { customer_id: customer.id, name: `E2E往来商机${runId}`, amount: 800000, expected_close_date: await today(page, customer) })
      // Open without an expected close date: on the tile all the same.
      await apiCall(page, 'POST', '/api/v1/opportunities', { customer_id: customer.id, name: `E2E往来无日商机${runId}`, amount: 200000 })
      const k1 = await signedContract(page, customer, product, `E2E往来合同一${runId}`, 2)

      await page.goto(`/customers/${customer.id}`)
      await page.locator('[data-testid="customer-records"]').waitFor()
      await tileIs(page, 'records-signed-count', 1)
      await tileIs(page, 'records-signed-amount', 2000000)
      await tileIs(page, 'records-pipeline-count', 2)
      await tileIs(page, 'records-pipeline-amount', 1000000)
      await tileIs(page, 'records-collected-amount', 0)
      assert.equal(await page.locator('[data-testid="records-signed-amount"]').innerText(), '¥20,000')
      await assertFits(page, 'customer tiles (desktop)')
      await screenshot(page, 'desktop-customer-tiles')

      // A second contract and a payment on the first: the tiles move.
      await signedContract(page, customer, product, `E2E往来合同二${runId}`, 1)
      await apiCall(page, 'POST', `/api/v1/contracts/${k1.id}/payments`, { amount: 500000 })
      await page.reload()
      await tileIs(page, 'records-signed-count', 2)
      await tileIs(page, 'records-signed-amount', 3000000)
      await tileIs(page, 'records-collected-amount', 500000)

      // The signed tile opens the two contracts; a row links to its page.
      await page.locator('[data-testid="records-signed"]').click()
      const list = page.locator('[data-testid="records-list-signed"]')
      await list.locator('.el-table__row', { hasText: `E2E往来合同二${runId}` }).waitFor()
      assert.equal(await list.locator('.el-table__row').count(), 2)
      await screenshot(page, 'desktop-customer-tiles-drill')
      await list.locator('[data-testid="records-drill-link"]', { hasText: `E2E往来合同一${runId}` }).click()
      await page.waitForURL(new RegExp(`/contracts/${k1.id}$`))

      // The pipeline tile opens both open opportunities, the undated one too.
      await page.goBack()
      await page.locator('[data-testid="records-pipeline"]').click()
      const open = page.locator('[data-testid="records-list-pipeline"]')
      await open.locator('.el-table__row', { hasText: `E2E往来无日商机${runId}` }).waitFor()
      assert.equal(await open.locator('.el-table__row').count(), 2)
      await open.locator('.el-table__row', { hasText: '未结商机' }).first().waitFor()
    })

    test('phone: a salesperson reads the tiles in two columns; a payment against an installment moves collected and receivable', async () => {
      const { page } = phone
      const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E手机往来客户${runId}有限公司` })
      const k = await signedContract(page, customer, product, `E2E手机往来合同${runId}`, 3)
      const day = await today(page, customer)
      const plan = await apiCall(page, 'POST', `/api/v1/contracts/${k.id}/payment-plans`, { due_date: day, amount: 1000000 })

      await page.goto(`/customers/${customer.id}`)
      await page.locator('[data-testid="customer-records"]').waitFor()
      await tileIs(page, 'records-signed-amount', 3000000)
      await tileIs(page, 'records-receivable-amount', 1000000)
      await tileIs(page, 'records-followups-count', 0)
      await page.locator('[data-testid="records-followups-note"]', { hasText: '十年内未跟进' }).waitFor()
      await page.locator('[data-testid="customer-records"]').scrollIntoViewIfNeeded()
      await assertFits(page, 'customer tiles (phone)')
      await screenshot(page, 'phone-customer-tiles')

      await apiCall(page, 'POST', `/api/v1/contracts/${k.id}/payments`, { amount: 400000, plan_id: plan.id })
      await apiCall(page, 'POST', '/api/v1/followups', {
        customer_id: customer.id,
        type: 'call',
        content: `确认回款 ${runId}`,
        next_action: { fuzzy: 'next_week', plan_type: 'keep_in_touch' },
      })
      await page.reload()
      await tileIs(page, 'records-collected-amount', 400000)
      await tileIs(page, 'records-receivable-amount', 600000)
      await tileIs(page, 'records-followups-count', 1)
      await page.locator('[data-testid="records-followups-note"]', { hasText: day }).waitFor()

      // The collected tile opens the payment.
      await page.locator('[data-testid="records-collected"]').click()
      const list = page.locator('[data-testid="records-list-collected"]')
      await list.locator('.el-table__row', { hasText: '¥4,000' }).waitFor()
      await assertFits(page, 'customer tile drill-down (phone)')
      await screenshot(page, 'phone-customer-tiles-drill')
    })
  })
}
