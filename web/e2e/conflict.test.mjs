// Browser test of the conflict dialog: one customer edited in two tabs. The
// second save gets 412 and shows theirs and mine; "save mine" saves mine over
// theirs, "keep theirs" keeps theirs. On a phone and on a desktop.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, fill, login, missingConfig, openBrowser, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

if (problem) {
  if (process.env.CI) {
    test('browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('edit conflict', () => {
    for (const size of [
      { name: 'phone', width: 390, height: 844, choice: 'mine' },
      { name: 'desktop', width: 1440, height: 900, choice: 'theirs' },
    ]) {
      test(`two tabs edit one customer; ${size.choice} wins (${size.name})`, async () => {
        const b = await openBrowser()
        try {
          const a = b.page
          await a.setViewportSize({ width: size.width, height: size.height })
          await login(a, config.email, config.password)
          const c = await apiCall(a, 'POST', '/api/v1/customers', { name: `冲突测试客户${size.name}${runId}` })
          const other = await b.context.newPage()
          await other.setViewportSize({ width: size.width, height: size.height })
          for (const p of [a, other]) {
            await p.goto(`/customers/${c.id}`)
            await p.locator('[data-testid="customer-edit"]').click()
            await p.locator('[data-testid="customer-edit-industry"]').waitFor()
          }
          await fill(a, 'customer-edit-industry', '我的行业')
          await fill(other, 'customer-edit-industry', '他们的行业')
          await other.locator('[data-testid="customer-edit-submit"]').click()
          await other.locator('[data-testid="customer-edit-submit"]').waitFor({ state: 'hidden' })
          await a.locator('[data-testid="customer-edit-submit"]').click()
          const dialog = a.locator('[data-testid="conflict-dialog"]')
          await dialog.waitFor()
          const row = await a.locator('[data-testid="conflict-row"]').first().innerText()
          assert.match(row, /他们的行业/)
          assert.match(row, /我的行业/)
          // The dialog fits the window (the edit form behind it is not this test's).
          const box = await a.locator('.conflict-box').boundingBox()
          assert.ok(box && box.x >= 0 && box.x + box.width <= size.width, `the dialog ${JSON.stringify(box)} leaves the ${size.name}`)
          await screenshot(a, `conflict-${size.name}`)
          const button = size.choice === 'mine' ? '.conflict-box .el-button--primary' : '.conflict-box .el-message-box__btns .el-button:not(.el-button--primary)'
          await a.locator(button).click()
          await dialog.waitFor({ state: 'hidden' })
          const saved = await apiCall(a, 'GET', `/api/v1/customers/${c.id}`)
          assert.equal(saved.industry, size.choice === 'mine' ? '我的行业' : '他们的行业')
          assert.deepEqual(b.errors, [])
        } finally {
          await b.close()
        }
      })
    }
  })
}
