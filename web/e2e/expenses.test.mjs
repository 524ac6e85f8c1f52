// Browser tests of sales expenses (销售费用), on a desktop (the administrator)
// and at 390×844 (a salesperson): record an expense from the expenses page
// and one from a customer's page, change one, find them in the customer's
// expenses, and watch the total — the metric engine's expense_amount — move
// on both pages. On the desktop a change that meets someone else's answers
// with the conflict dialog, and the list filters by customer with "共 N 条".
// Screenshots go to e2e/screenshots (git-ignored).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import {
  apiCall,
  assertFits,
  config,
  createSalesperson,
  fill,
  login,
  missingConfig,
  openBrowser,
  PHONE,
  runId,
  screenshot,
  selectOption,
} from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** The figure a page shows (minor units), once it has one. */
async function figure(page, testid) {
  const el = page.locator(`[data-testid="${testid}"]`)
  await page.waitForFunction((id) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-value') !== '', testid)
  return Number(await el.getAttribute('data-value'))
}

/** Wait until the figure is `want` (minor units). */
async function figureIs(page, testid, want) {
  await page
    .waitForFunction(([id, v]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-value') === String(v), [testid, want])
    .catch(async () => assert.fail(`${testid} is ${await page.locator(`[data-testid="${testid}"]`).getAttribute('data-value')}, want ${want}`))
}

/** Pick a customer in a CustomerPicker by typing part of its name. */
async function pickCustomer(page, testid, name) {
  await page.locator(`.el-select[data-testid="${testid}"]`).click()
  await page.keyboard.type(name)
  await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click()
}

async function saveExpense(page) {
  await page.locator('[data-testid="expense-form-save"]').click()
  await page.locator('[data-testid="expense-form"]').waitFor({ state: 'hidden' })
}

/**
 * The walk both sizes make: from the expenses page, then from the customer's
 * page, then a change; `nav` opens the expenses page.
 */
async function walk(page, { customer, nav, tag }) {
  await nav()
  await page.locator('[data-testid="expenses"]').waitFor()
  const before = await figure(page, 'expenses-figure')

  // 1. From the expenses page: ¥123.45 of travel for the customer; an
  // empty form first is refused field by field, in the UI's language.
  await page.locator('[data-testid="expenses-create"]').click()
  await page.locator('[data-testid="expense-form-save"]').click()
  const form = page.locator('[data-testid="expense-form"]')
  await form.locator('.el-form-item__error', { hasText: '必须是大于 0 的金额' }).waitFor()
  await form.locator('.el-form-item__error', { hasText: '必填' }).waitFor()
  await fill(page, 'expense-form-amount', '123.45')
  await selectOption(page, 'expense-form-type', '差旅')
  await pickCustomer(page, 'expense-form-customer', customer.name)
  await fill(page, 'expense-form-note', `高铁票 ${runId}`)
  await saveExpense(page)
  await page.locator('[data-testid="expenses-table"] .el-table__row', { hasText: `高铁票 ${runId}` }).waitFor()
  await figureIs(page, 'expenses-figure', before + 12345)
  await assertFits(page, `${tag}: the expenses page`)
  await screenshot(page, `${tag}-expenses-list`)

  // The customer filter: one expense, and its figure.
  await pickCustomer(page, 'expenses-customer', customer.name)
  await figureIs(page, 'expenses-figure', 12345)
  await page.locator('[data-testid="expenses-list-total"]', { hasText: /共 1 条/ }).waitFor()

  // 2. From the customer's page: its expenses section, and ¥200 of meals.
  await page.goto(`/customers/${customer.id}`)
  await page.locator('[data-testid="tab-expenses"]').click()
  const section = page.locator('[data-testid="record-expenses"]')
  await section.locator('.el-table__row', { hasText: '¥123.45' }).waitFor()
  await figureIs(page, 'record-expenses-figure', 12345)
  await section.locator('[data-testid="record-expenses-create"]').click()
  await page.locator('[data-testid="expense-form-customer-fixed"]', { hasText: customer.name }).waitFor()
  await fill(page, 'expense-form-amount', '200')
  await selectOption(page, 'expense-form-type', '餐费')
  await saveExpense(page)
  await figureIs(page, 'record-expenses-figure', 32345)
  await page.locator('[data-testid="record-expenses-list-total"]', { hasText: /共 2 条/ }).waitFor()

  // 3. Change the meal to ¥300 (the newest is first).
  const meal = section.locator('.el-table__row', { hasText: '餐费' })
  await meal.locator('[data-testid="record-expense-edit"]').click()
  await fill(page, 'expense-form-amount', '300')
  await saveExpense(page)
  await section.locator('.el-table__row', { hasText: '¥300' }).waitFor()
  await figureIs(page, 'record-expenses-figure', 42345)
  await assertFits(page, `${tag}: the customer's expenses`)
  await screenshot(page, `${tag}-customer-expenses`)

  // The expenses page's total moved by all three.
  await nav()
  await figureIs(page, 'expenses-figure', before + 42345)
  const list = await apiCall(page, 'GET', `/api/v1/expenses?filter=customer_id:eq:${customer.id}`)
  assert.deepEqual(
    list.items.map((e) => [e.type, e.amount]),
    [
      ['meal', 30000],
      ['travel', 12345],
    ],
  )
  return list.items
}

if (problem) {
  if (process.env.CI) {
    test('expense browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`expense browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Sales expenses on a desktop and at 390×844', () => {
    const seller = { name: `费用销售${runId}`, email: `e2e-exp-${runId}@example.com`, password: `E2e-exp-${runId}!` }
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let admin
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let phone

    before(async () => {
      admin = await openBrowser()
      await login(admin.page, config.email, config.password)
      await createSalesperson(admin.page, seller)
      phone = await openBrowser({ viewport: PHONE })
      await login(phone.page, seller.email, seller.password)
    })
    after(async () => {
      assert.deepEqual(phone?.errors ?? [], [], 'no uncaught errors on the phone')
      assert.deepEqual(admin?.errors ?? [], [], 'no uncaught errors on the desktop')
      await phone?.close()
      await admin?.close()
    })

    test('desktop: record from the list and from a customer, change, the total moves; a conflict asks', async () => {
      const { page } = admin
      const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E费用客户${runId}有限公司` })
      const nav = () => page.locator('[data-testid="nav-expenses"]').click()
      const items = await walk(page, { customer, nav, tag: 'desktop' })

      // Someone else changes the travel expense while it is open here.
      const travel = items.find((e) => e.type === 'travel')
      await pickCustomer(page, 'expenses-customer', customer.name)
      const row = page.locator('[data-testid="expenses-table"] .el-table__row', { hasText: '差旅' })
      await row.locator('[data-testid="expense-row-edit"]').click()
      await apiCall(page, 'PATCH', `/api/v1/expenses/${travel.id}`, { note: `他们的备注 ${runId}` })
      await fill(page, 'expense-form-amount', '150')
      await page.locator('[data-testid="expense-form-save"]').click()
      const dialog = page.locator('[data-testid="conflict-dialog"]')
      await dialog.waitFor()
      assert.match(await dialog.innerText(), /¥123\.45/)
      assert.match(await dialog.innerText(), /¥150/)
      await screenshot(page, 'desktop-expenses-conflict')
      await page.locator('.conflict-box .el-button--primary').click()
      await page.locator('[data-testid="expense-form"]').waitFor({ state: 'hidden' })
      await figureIs(page, 'expenses-figure', 15000 + 30000)
      const saved = await apiCall(page, 'GET', `/api/v1/expenses/${travel.id}`)
      assert.equal(saved.amount, 15000, 'mine is saved')
      assert.equal(saved.note, `他们的备注 ${runId}`, 'their note stays')

      // An expense of an opportunity: the opportunity filter lists it, and
      // the engine totals it by the opportunity.
      const opp = await apiCall(page, 'POST', '/api/v1/opportunities', { customer_id: customer.id, name: `E2E费用商机${runId}` })
      await apiCall(page, 'POST', '/api/v1/expenses', { type: 'gift', amount: 5000, incurred_on: saved.incurred_on, opportunity_id: opp.id })
      await selectOption(page, 'expenses-opportunity', opp.name)
      await page.locator('[data-testid="expenses-list-total"]', { hasText: /共 1 条/ }).waitFor()
      await page.locator('[data-testid="expenses-table"] .el-table__row', { hasText: opp.name }).waitFor()
      await figureIs(page, 'expenses-figure', 5000)
      // The opportunity's page lists it too, with the engine's total of the
      // opportunity, which follows a second one.
      await page.goto(`/opportunities/${opp.id}`)
      await page.locator('[data-testid="record-expenses"] .el-table__row', { hasText: '礼品' }).waitFor()
      await figureIs(page, 'record-expenses-figure', 5000)
      await apiCall(page, 'POST', '/api/v1/expenses', { type: 'meal', amount: 2500, incurred_on: saved.incurred_on, opportunity_id: opp.id })
      await page.reload()
      await figureIs(page, 'record-expenses-figure', 7500)
    })

    test('phone: a salesperson records from the list and from a customer, changes one, the total moves', async () => {
      const { page } = phone
      const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `E2E手机费用客户${runId}有限公司` })
      const nav = async () => {
        await page.locator('[data-testid="nav-open"]').click()
        await page.locator('[data-testid="nav-drawer"] [data-testid="nav-expenses"]').click()
        await page.locator('[data-testid="nav-drawer"]').waitFor({ state: 'hidden' })
      }
      await walk(page, { customer, nav, tag: 'phone' })
      // The salesperson's own list holds only their own.
      const mine = await apiCall(page, 'GET', '/api/v1/expenses?count=true')
      assert.equal(mine.total.n, 2)
    })
  })
}
