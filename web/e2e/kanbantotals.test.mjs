// Browser test of the opportunity board's column totals: each column's count
// and amount come from the metric engine (GET /opportunities/stage-totals),
// include an opportunity without an expected close date, and follow a stage
// move — on a desktop window and on a phone (390×844).
//
//   E2E_FILES=e2e/kanbantotals.test.mjs scripts/e2e.sh
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { PHONE, apiCall, config, login, missingConfig, openBrowser, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

/** HTML5 drag and drop with the events a browser sends (as in records.test.mjs). */
async function dragAndDrop(page, source, target) {
  const dataTransfer = await page.evaluateHandle(() => new DataTransfer())
  await source.dispatchEvent('dragstart', { dataTransfer })
  await target.dispatchEvent('dragenter', { dataTransfer })
  await target.dispatchEvent('dragover', { dataTransfer })
  await target.dispatchEvent('drop', { dataTransfer })
  await source.dispatchEvent('dragend', { dataTransfer })
}

/** Wait until the element's text matches re; fail with what it showed. */
async function waitText(page, testid, re) {
  const el = page.locator(`[data-testid="${testid}"]`)
  try {
    await page.waitForFunction(([id, src]) => new RegExp(src).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''), [testid, re.source])
  } catch (e) {
    assert.fail(`${testid}: shows ${JSON.stringify(await el.innerText().catch(() => ''))}, want ${re}`)
  }
}

describe('opportunity board totals', { skip: problem ?? false }, () => {
  for (const [label, viewport] of [
    ['desktop', { width: 1440, height: 900 }],
    ['phone', PHONE],
  ]) {
    describe(label, () => {
      let b
      before(async () => {
        b = await openBrowser({ viewport })
        await login(b.page, config.email, config.password)
      })
      after(async () => b?.close())

      test('the column totals show, include an undated opportunity, and follow a move', async () => {
        const { page } = b
        const key = `kt${runId}${label[0]}`
        const proc = await apiCall(page, 'POST', '/api/v1/sales-processes', {
          key,
          name_zh: `看板合计${label}${runId}`,
          name_en: `Board totals ${label} ${runId}`,
          stages: [
            { key: 'one', name_zh: '初步', name_en: 'One', probability: 10 },
            { key: 'two', name_zh: '方案', name_en: 'Two', probability: 50 },
          ],
        })
        const cust = await apiCall(page, 'POST', '/api/v1/customers', { name: `看板合计客户${label}${runId}有限公司` })
        const dated = `合计甲-${label}-${runId}`
        const undated = `合计乙-${label}-${runId}`
        await apiCall(page, 'POST', '/api/v1/opportunities', {
          customer_id: cust.id, process_id: proc.id, name: dated, amount: 1234567, expected_close_date: '2027-06-30',
        })
        await apiCall(page, 'POST', '/api/v1/opportunities', { customer_id: cust.id, process_id: proc.id, name: undated, amount: 100000 })

        await page.goto('/opportunities')
        await page.locator(`[data-testid="opp-process-${key}"]`).click()
        await page.locator(`[data-testid="kanban-col-one"] [data-testid="kanban-card"][data-name="${undated}"]`).waitFor()
        // Both, the one without an expected close date too.
        await waitText(page, 'kanban-count-one', /^\s*2\s*个\s*$/)
        await waitText(page, 'kanban-sum-one', /13,345\.67/)
        await waitText(page, 'kanban-count-two', /^\s*0\s*个\s*$/)
        await waitText(page, 'kanban-sum-two', /^\s*¥?0\s*$/)
        const hint = await page.locator('[data-testid="kanban-sum-one"]').getAttribute('title')
        assert.match(hint ?? '', /指标引擎/, 'the sum says where it comes from')
        await screenshot(page, `kanban-totals-${label}`)

        // A move: both columns change, from the engine's answer after it.
        const card = page.locator(`[data-testid="kanban-card"][data-name="${undated}"]`)
        await dragAndDrop(page, card, page.locator('[data-testid="kanban-col-two"]'))
        await page.locator(`[data-testid="kanban-col-two"] [data-testid="kanban-card"][data-name="${undated}"]`).waitFor()
        await waitText(page, 'kanban-count-one', /^\s*1\s*个\s*$/)
        await waitText(page, 'kanban-sum-one', /12,345\.67/)
        await waitText(page, 'kanban-count-two', /^\s*1\s*个\s*$/)
        await waitText(page, 'kanban-sum-two', /1,000(?!\.)/)

        // A reload reads them again from the server.
        await page.reload()
        await page.locator(`[data-testid="opp-process-${key}"]`).click()
        await waitText(page, 'kanban-count-two', /^\s*1\s*个\s*$/)
        await waitText(page, 'kanban-sum-two', /1,000(?!\.)/)
        await screenshot(page, `kanban-totals-moved-${label}`)
        assert.deepEqual(b.errors, [], 'no uncaught errors')
      })
    })
  }
})
