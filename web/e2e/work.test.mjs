// Browser tests of the rest of the daily work: the import wizard, leads and
// their conversion, the opportunity page, contracts with payments, and
// service tickets. Records are set up through the API where the UI is not
// what is tested.
//
//   COHORT_E2E_URL=http://127.0.0.1:8080 COHORT_E2E_EMAIL=admin@example.com \
//   COHORT_E2E_PASSWORD=... node --test e2e/work.test.mjs
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, fill, login, missingConfig, navigate, openBrowser, runId, screenshot, selectOption } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** Wait until no dialog is open or fading out. */
async function dialogsClosed(page) {
  await page.waitForFunction(() => ![...document.querySelectorAll('.el-overlay')].some((e) => getComputedStyle(e).display !== 'none'))
}

if (problem) {
  if (process.env.CI) {
    test('work browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`work browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Cohort daily work: import, leads, opportunities, contracts, tickets', () => {
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let b
    let me
    let customer
    /** Pages visited, shown again in English at the end. */
    const tour = {}

    before(async () => {
      b = await openBrowser()
      await login(b.page, config.email, config.password)
      me = await apiCall(b.page, 'GET', '/api/v1/me')
      customer = await apiCall(b.page, 'POST', '/api/v1/customers', { name: `E2E工作台客户${runId}有限公司` })
    })
    after(async () => {
      assert.deepEqual(b?.errors ?? [], [], 'no uncaught errors in the page')
      await b?.close()
    })

    test('import: a template filled with 3 rows (one bad) gives 2 customers and an error file', async () => {
      const { page } = b
      const res = await page.request.get('/api/v1/import/templates/customer.csv?lang=zh-CN')
      assert.equal(res.status(), 200)
      const header = (await res.text()).replace(/^\uFEFF/, '').split(/\r?\n/)[0]
      const cols = header.split(',')
      const row = (name, amount) => cols.map((c) => (c === '客户名称' ? name : c.startsWith('预计金额') ? amount : '')).join(',')
      const csv = [header, row(`E2E导入甲${runId}有限公司`, '12000'), row(`E2E导入乙${runId}有限公司`, '3500.50'), row(`E2E导入丙${runId}有限公司`, '不是金额')].join('\n')

      await navigate(page, 'nav-import')
      await page.locator('[data-testid="import"]').waitFor()
      await page.locator('[data-testid="import-object-customer"]').click()
      await page.locator('[data-testid="import-file"] input[type=file]').setInputFiles({
        name: `customers-${runId}.csv`,
        mimeType: 'text/csv',
        buffer: Buffer.from('\uFEFF' + csv, 'utf8'),
      })
      await page.locator('[data-testid="import-chosen"]').waitFor()
      assert.equal(await page.locator('[data-testid="import-dry-run"] input').isChecked(), true, 'a dry run comes first')
      await screenshot(page, 'import-chosen')
      await page.locator('[data-testid="import-start"]').click()
      await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 20_000 })
      assert.equal(await page.locator('[data-testid="import-ok"]').innerText(), '2')
      assert.equal(await page.locator('[data-testid="import-failed"]').innerText(), '1')
      // The dry run wrote nothing; the real import follows from its result.
      const before = await apiCall(page, 'GET', `/api/v1/customers?q=${runId}&limit=50`)
      assert.equal(before.items.filter((c) => c.name.includes('E2E导入')).length, 0, 'a dry run writes nothing')
      await page.locator('[data-testid="import-for-real"]').click()
      await page.locator('[data-testid="import-open-list"]').waitFor({ timeout: 20_000 })
      assert.equal(await page.locator('[data-testid="import-ok"]').innerText(), '2')
      assert.equal(await page.locator('[data-testid="import-failed"]').innerText(), '1')
      const link = page.locator('[data-testid="import-errors"]')
      await link.waitFor()
      const href = await link.getAttribute('href')
      assert.match(href, /\/api\/v1\/imports\/\d+\/errors\.xlsx$/)
      assert.equal((await page.request.get(href)).status(), 200, 'the error file downloads')
      await screenshot(page, 'import-done')

      await page.locator('[data-testid="import-open-list"]').click()
      await page.locator('[data-testid="customers-table"]').waitFor()
      await fill(page, 'customers-search', `E2E导入`)
      const onlyImported = () =>
        page.waitForFunction(() => {
          const names = [...document.querySelectorAll('[data-testid="customers-table"] [data-testid="customer-row-name"]')].map((e) => e.textContent)
          return names.length === 2 && names.every((n) => n.includes('E2E导入'))
        })
      await onlyImported()
      const rows = page.locator('[data-testid="customers-table"] .el-table__row', { hasText: new RegExp(`E2E导入.${runId}`) })
      await rows.nth(1).waitFor()
      assert.equal(await rows.count(), 2)
      assert.ok(await page.locator('[data-testid="customer-export"]').isVisible(), 'the list offers an export')

      // Save this search as a view, clear it, and bring it back from the view.
      const view = `导入客户${runId}`
      await page.locator('[data-testid="saved-views"]').click()
      await page.locator('[data-testid="saved-views-save"]').click()
      await page.locator('.el-message-box input').fill(view)
      await page.locator('.el-message-box__btns .el-button--primary').click()
      await dialogsClosed(page)
      await fill(page, 'customers-search', '')
      await page.locator('[data-testid="saved-views"]').click()
      await page.locator('.el-dropdown-menu__item:visible', { hasText: view }).click()
      await page.waitForFunction(() => document.querySelector('input[data-testid="customers-search"]')?.value === 'E2E导入')
      await onlyImported()
    })

    test('lead: create, convert with an opportunity, land on the new customer', async () => {
      const { page } = b
      const company = `E2E线索公司${runId}有限公司`
      await navigate(page, 'nav-leads')
      await page.locator('[data-testid="leads-create"]').click()
      await fill(page, 'lead-form-name', `李经理${runId}`)
      await fill(page, 'lead-form-company', company)
      await fill(page, 'lead-form-phone', '13800138000')
      await page.locator('[data-testid="lead-form-save"]').click()
      const row = page.locator('[data-testid="leads-table"] .el-table__row', { hasText: company })
      await row.waitFor()
      // The footer shows how many leads there are in all ("共 N 条"), as the API counts them.
      const counted = await apiCall(page, 'GET', '/api/v1/leads?count=true&limit=1')
      assert.ok(counted.total?.exact && counted.total.n >= 1, `count=true answers a total: ${JSON.stringify(counted.total)}`)
      await page.locator('[data-testid="leads-total"]', { hasText: String(counted.total.n) }).waitFor()
      await screenshot(page, 'leads')
      await row.locator('[data-testid="lead-row-convert"]').click()
      await page.locator('[data-testid="lead-convert-with-opp"]').click()
      await fill(page, 'lead-convert-opp-name', `E2E线索商机${runId}`)
      await fill(page, 'lead-convert-amount', '88000')
      await screenshot(page, 'lead-convert')
      await page.locator('[data-testid="lead-convert-submit"]').click()
      await page.locator('[data-testid="lead-convert-result"]').waitFor()
      assert.ok(await page.locator('[data-testid="lead-convert-opportunity"]').isVisible(), 'a link to the new opportunity')
      await page.locator('[data-testid="lead-convert-customer"]').click()
      await page.waitForURL(/\/customers\/\d+$/)
      await page.locator('[data-testid="customer-name"]', { hasText: company }).waitFor()

      // Follow it: the star lights up and the customer shows under the 关注 tab.
      await page.locator('[data-testid="follow-star"]').click()
      await page.locator('[data-testid="follow-star"][aria-pressed="true"]').waitFor()
      await navigate(page, 'nav-customers')
      await page.locator('[data-testid="customers-view-followed"]').click()
      await page.locator('[data-testid="customers-table"] .el-table__row', { hasText: company }).waitFor()
    })

    test('opportunity page: won needs an amount; closing as lost keeps the reason', async () => {
      const { page } = b
      const procs = await apiCall(page, 'GET', '/api/v1/sales-processes')
      const opp = await apiCall(page, 'POST', '/api/v1/opportunities', {
        customer_id: customer.id,
        process_id: procs.items[0].id,
        name: `E2E详情商机${runId}`,
      })
      tour.opportunity = `/opportunities/${opp.id}`
      await page.goto(tour.opportunity)
      await page.locator('[data-testid="opp-stages"]').waitFor()
      await screenshot(page, 'opportunity')
      await page.locator('[data-testid="opp-close-won"]').click()
      await page.locator('[data-testid="opp-close-submit"]').click()
      await page.locator('[data-testid="opp-close-error"]').waitFor()
      await screenshot(page, 'opportunity-won-refused')
      await page.locator('[data-testid="opp-close-outcome"] label', { hasText: '输单' }).click()
      await fill(page, 'opp-close-reason', '预算被砍，客户选择了低价方案')
      await fill(page, 'opp-close-competitor', '某竞品')
      await page.locator('[data-testid="opp-close-submit"]').click()
      await page.locator('[data-testid="opp-status"][data-status="lost"]').waitFor()
      assert.equal(await page.locator('[data-testid="opp-loss-reason"]').innerText(), '预算被砍，客户选择了低价方案')
      await dialogsClosed(page)
      await screenshot(page, 'opportunity-lost')
    })

    test('contract: sign, record a payment, receivable drops; over-payment is refused', async () => {
      const { page } = b
      const product = await apiCall(page, 'POST', '/api/v1/products', { code: `E2E-${runId}`, name: `E2E软件授权${runId}`, unit: '套', price: 1000000 })
      const c = await apiCall(page, 'POST', '/api/v1/contracts', {
        customer_id: customer.id,
        name: `E2E年度服务合同${runId}`,
        lines: [{ product_id: product.id, quantity: 1, unit_price: 1000000 }],
      })
      tour.contract = `/contracts/${c.id}`
      await page.goto(tour.contract)
      await page.locator('[data-testid="deal-status"][data-status="draft"]').waitFor()
      await page.locator('[data-testid="deal-move-signed"]').click()
      await page.locator('[data-testid="deal-dated-save"]').click()
      await page.locator('[data-testid="deal-status"][data-status="signed"]').waitFor()
      await page.locator('[data-testid="deal-receivable"]', { hasText: '¥10,000' }).waitFor()

      await page.locator('[data-testid="deal-add-payment"]').click()
      await fill(page, 'money-amount', '3000')
      await page.locator('[data-testid="money-save"]').click()
      await page.locator('[data-testid="deal-receivable"]', { hasText: '¥7,000' }).waitFor()
      await page.locator('[data-testid="deal-collected"]', { hasText: '¥3,000' }).waitFor()

      await page.locator('[data-testid="deal-add-payment"]').click()
      await fill(page, 'money-amount', '8000')
      await page.locator('[data-testid="money-save"]').click()
      const err = page.locator('[data-testid="money-error"]')
      await err.waitFor()
      assert.match(await err.innerText(), /¥8,000.*¥7,000/, 'the refusal names both amounts in yuan')
      await screenshot(page, 'contract-overpayment')
      await page.keyboard.press('Escape')
      await page.locator('[data-testid="money-form"]').waitFor({ state: 'hidden' })
      await page.evaluate(() => document.querySelector('.el-main')?.scrollTo(0, 0))
      await page.locator('[data-testid="deal-receivable"]', { hasText: '¥7,000' }).waitFor()
      await dialogsClosed(page)
      await screenshot(page, 'contract')
    })

    test('ticket: respond, resolve, rate', async () => {
      const { page } = b
      const tk = await apiCall(page, 'POST', '/api/v1/tickets', {
        customer_id: customer.id,
        kind: 'fault',
        priority: 'high',
        subject: `E2E系统登录故障${runId}`,
        description: '客户反映早上九点起无法登录。',
        owner_id: me.user.id,
      })
      tour.ticket = `/tickets/${tk.id}`
      await page.goto(tour.ticket)
      await page.locator('[data-testid="ticket-status"][data-status="open"]').waitFor()
      await page.locator('[data-testid="ticket-respond"]').click()
      await fill(page, 'ticket-note', '已电话联系客户，远程排查中')
      await page.locator('[data-testid="ticket-submit"]').click()
      await page.locator('[data-testid="ticket-status"][data-status="in_progress"]').waitFor()
      assert.notEqual(await page.locator('[data-testid="ticket-response-time"]').innerText(), '—')

      await page.locator('[data-testid="ticket-resolve"]').click()
      await fill(page, 'ticket-resolution-input', '重置了单点登录证书')
      await page.locator('[data-testid="ticket-submit"]').click()
      await page.locator('[data-testid="ticket-status"][data-status="resolved"]').waitFor()

      await page.locator('[data-testid="ticket-rate"]').click()
      await page.locator('[data-testid="ticket-rate-stars"] .el-rate__item').nth(4).click()
      await page.locator('[data-testid="ticket-submit"]').click()
      await page.locator('[data-testid="ticket-satisfaction"][data-value="5"]').waitFor()
      await dialogsClosed(page)
      await screenshot(page, 'ticket')
    })

    test('custom fields: declare a choice field, fill it on a new customer, see it on the record', async () => {
      const { page } = b
      const key = `tier_${runId}`
      await navigate(page, 'nav-custom-fields')
      await page.locator('[data-testid="cf-create"]').click()
      await fill(page, 'cf-label-zh', `客户层级${runId}`)
      await fill(page, 'cf-label-en', `Tier ${runId}`)
      await fill(page, 'cf-key', key)
      await selectOption(page, 'cf-type', '单选')
      await fill(page, 'cf-option-input', '战略客户')
      await page.keyboard.press('Enter')
      await fill(page, 'cf-option-input', '重点客户，普通客户')
      await page.keyboard.press('Enter')
      await page.locator('[data-testid="cf-save"]').click()
      const cfRow = page.locator('[data-testid="cf-table"] .el-table__row', { hasText: key })
      await cfRow.waitFor()
      assert.equal(await cfRow.locator('.el-tag').count(), 3, 'three options')
      await dialogsClosed(page)
      await screenshot(page, 'custom-fields')
      tour.customFields = '/settings/custom-fields'

      await navigate(page, 'nav-customers')
      await page.locator('[data-testid="customers-create"]').click()
      await fill(page, 'customer-form-name', `E2E业务特征${runId}有限公司`)
      await selectOption(page, `cf-${key}`, '重点客户')
      await screenshot(page, 'customer-create-custom')
      await page.locator('[data-testid="customer-form-submit"]').click()
      await page.locator(`[data-testid="cfv-${key}"]`, { hasText: '重点客户' }).waitFor()
    })

    test('duplicates: two customers sharing a contact phone are found and merged', async () => {
      const { page } = b
      const phone = `139${String(Date.now()).slice(-8)}`
      const a = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E查重甲${runId}科技有限公司` })
      const dup = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E查重乙${runId}贸易有限公司` })
      await apiCall(page, 'POST', `/api/v1/customers/${a.id}/contacts`, { name: '王总', phone })
      await apiCall(page, 'POST', `/api/v1/customers/${dup.id}/contacts`, { name: '王经理', phone })
      await page.goto(`/customers/${a.id}`)
      await page.locator('[data-testid="customer-duplicates"]').click()
      const row = page.locator('[data-testid="duplicates-table"] .el-table__row', { hasText: dup.name })
      await row.waitFor()
      await screenshot(page, 'duplicates')
      await row.locator('[data-testid="duplicate-merge"]').click()
      await page.locator('.el-message-box__btns .el-button--primary').click()
      await row.waitFor({ state: 'detached' })
      const res = await page.request.get(`/api/v1/customers/${dup.id}`)
      assert.equal(res.status(), 404, 'the duplicate is gone')
      await page.keyboard.press('Escape')
      await dialogsClosed(page)
    })

    test('capture inbox: an unmatched call is linked to a customer', async () => {
      const { page } = b
      const from = `137${String(Date.now()).slice(-8)}`
      const started_at = new Date(Date.now() - 3600_000).toISOString()
      const { results } = await apiCall(page, 'POST', '/api/v1/capture/batch', {
        items: [{ kind: 'call', source: 'e2e', external_id: `e2e-${runId}`, direction: 'inbound', from, to: '02188886666', user_id: me.user.id, started_at, duration_s: 95 }],
      })
      assert.equal(results[0].status, 'unmatched', JSON.stringify(results[0]))
      await navigate(page, 'nav-capture')
      const row = page.locator('[data-testid="capture-table"] .el-table__row', { hasText: from })
      await row.waitFor()
      await screenshot(page, 'capture-inbox')
      tour.capture = '/capture'
      await row.locator('[data-testid="capture-link"]').click()
      await page.locator('.el-select[data-testid="capture-customer"]').click()
      await page.keyboard.type('E2E工作台客户')
      await page.locator('.el-select-dropdown__item:visible', { hasText: customer.name }).first().click()
      await page.locator('[data-testid="capture-link-save"]').click()
      await row.waitFor({ state: 'detached' })
    })

    test('the new pages in English', async () => {
      const { page } = b
      await page.evaluate(() => localStorage.setItem('cohort.locale', 'en'))
      for (const [name, path] of Object.entries({ leads: '/leads', import: '/import', ...tour })) {
        await page.goto(path)
        await page.locator('.page-title').first().waitFor()
        await page.waitForLoadState('networkidle')
        await screenshot(page, `en-${name}`)
      }
      assert.equal(await page.locator('html').getAttribute('lang'), 'en')
      await page.evaluate(() => localStorage.setItem('cohort.locale', 'zh-CN'))
    })
  })
}
