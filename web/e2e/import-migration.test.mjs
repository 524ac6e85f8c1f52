// Browser test of a migration import on the import page: service tickets with
// their old system's ids, a dry run, the import, then the same file again —
// every row skipped (rows_skipped shown next to the written and refused
// rows). On a phone and on a desktop.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, login, missingConfig, openBrowser, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** "YYYY-MM-DD HH:mm" in Shanghai time, hours ago. */
function shanghai(hoursAgo) {
  const d = new Date(Date.now() - hoursAgo * 3600 * 1000 + 8 * 3600 * 1000)
  return d.toISOString().slice(0, 16).replace('T', ' ')
}

if (problem) {
  if (process.env.CI) {
    test('browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('migration import', () => {
    for (const size of [
      { name: 'phone', width: 390, height: 844 },
      { name: 'desktop', width: 1440, height: 900 },
    ]) {
      test(`tickets with external ids: imported once, skipped when run again (${size.name})`, async () => {
        const b = await openBrowser({ viewport: { width: size.width, height: size.height } })
        const page = b.page
        try {
          await login(page, config.email, config.password)
          const tag = `${size.name}${runId}`
          const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `迁移客户${tag}` })
          const res = await page.request.get('/api/v1/import/templates/ticket.csv?lang=zh-CN')
          assert.equal(res.status(), 200)
          const header = (await res.text()).replace(/^\uFEFF/, '').split(/\r?\n/)[0]
          const cols = header.split(',')
          const cells = { 外部编号: '', 客户: customer.name, 主题: '', 创建时间: '' }
          const row = (ext, subject, opened) =>
            cols.map((c) => ({ ...cells, 外部编号: ext, 主题: subject, 创建时间: opened })[c] ?? '').join(',')
          const csv = [header, row(`T-${tag}-1`, `迁移工单一${tag}`, shanghai(30)), row(`T-${tag}-2`, `迁移工单二${tag}`, shanghai(5))].join('\n')
          const file = { name: `tickets-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') }

          await page.goto('/import')
          await page.locator('[data-testid="import-migration"]').waitFor()
          await page.locator('[data-testid="import-object-ticket"]').click()
          assert.match(await page.locator('[data-testid="import-object-hint"]').innerText(), /客户外部编号/)
          await page.locator('[data-testid="import-file"] input[type=file]').setInputFiles(file)
          await page.locator('[data-testid="import-chosen"]').waitFor()
          await page.locator('[data-testid="import-start"]').click() // a dry run first
          await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 20_000 })
          assert.equal(await page.locator('[data-testid="import-ok"]').innerText(), '2')
          assert.equal(await page.locator('[data-testid="import-failed"]').innerText(), '0')
          assert.equal(await page.locator('[data-testid="import-skipped"]').innerText(), '0')
          await page.locator('[data-testid="import-for-real"]').click()
          await page.locator('[data-testid="import-open-list"]').waitFor({ timeout: 20_000 })
          assert.equal(await page.locator('[data-testid="import-ok"]').innerText(), '2')
          const tickets = await apiCall(page, 'GET', `/api/v1/tickets?view=all&customer_id=${customer.id}&limit=50`)
          const subjects = tickets.items.map((t) => t.subject).filter((s) => s.includes(tag)).sort()
          assert.deepEqual(subjects, [`迁移工单一${tag}`, `迁移工单二${tag}`])

          // The same file again: both rows exist already and are skipped, nothing is written twice.
          await page.locator('[data-testid="import-again"]').click()
          await page.locator('[data-testid="import-file"] input[type=file]').setInputFiles(file)
          await page.locator('[data-testid="import-chosen"]').waitFor()
          await page.locator('[data-testid="import-dry-run"]').click()
          assert.equal(await page.locator('[data-testid="import-dry-run"] input').isChecked(), false)
          await page.locator('[data-testid="import-start"]').click()
          await page.locator('[data-testid="import-progress"][data-status="done"]').waitFor({ timeout: 20_000 })
          assert.equal(await page.locator('[data-testid="import-ok"]').innerText(), '0')
          assert.equal(await page.locator('[data-testid="import-failed"]').innerText(), '0')
          assert.equal(await page.locator('[data-testid="import-skipped"]').innerText(), '2')
          const again = await apiCall(page, 'GET', `/api/v1/tickets?view=all&customer_id=${customer.id}&limit=50`)
          assert.equal(again.items.filter((t) => t.subject.includes(tag)).length, 2, 'no ticket written twice')
          // Nothing on the page is wider than the window.
          const wide = await page.evaluate(() => document.documentElement.scrollWidth)
          assert.ok(wide <= size.width, `the page is ${wide}px wide on a ${size.width}px window`)
          const stats = await page.locator('[data-testid="import-skipped"]').boundingBox()
          assert.ok(stats && stats.x + stats.width <= size.width, 'the skipped count is on screen')
          await screenshot(page, `import-migration-${size.name}`)
          assert.deepEqual(b.errors, [])
        } finally {
          await b.close()
        }
      })
    }
  })
}
