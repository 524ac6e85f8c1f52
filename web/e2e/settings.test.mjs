// Browser test of the company settings page (/settings/tenant), at a desktop
// size and at 390x844: no horizontal overflow, a change is saved and is still
// there after a reload, and a value the server refuses shows the server's
// reason under its field and changes nothing. The tenant's settings are put
// back at the end, for the suites that run after this one.
//
//   COHORT_E2E_URL=http://127.0.0.1:8080 COHORT_E2E_EMAIL=admin@example.com \
//   COHORT_E2E_PASSWORD=... node --test e2e/settings.test.mjs
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, login, missingConfig, openBrowser, screenshot, selectOption } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
]

/** The page is no wider than the window. */
async function assertNoHorizontalOverflow(page, what) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }))
  assert.ok(scroll <= client, `${what}: the page is ${scroll}px wide in a ${client}px window`)
}

async function settingsPage(page) {
  await page.goto('/settings/tenant')
  await page.locator('[data-testid="tenant-settings"] [data-testid="tenant-save"]').waitFor()
  // Loaded: the name field holds the company name.
  await page.waitForFunction(() => !!document.querySelector('[data-testid="tenant-name"] input, input[data-testid="tenant-name"]')?.value)
}

async function setWindow(page, days) {
  const input = page.locator('[data-testid="tenant-backdate-window"] input')
  await input.fill(String(days))
  await input.press('Tab')
}

async function save(page) {
  await page.locator('[data-testid="tenant-save"]').click()
}

if (problem) {
  if (process.env.CI) {
    test('settings browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`settings browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('Company settings page', () => {
    /** @type {Awaited<ReturnType<typeof openBrowser>>} */
    let b
    let original

    before(async () => {
      b = await openBrowser()
      await login(b.page, config.email, config.password)
      original = await apiCall(b.page, 'GET', '/api/v1/tenant/settings')
    })
    after(async () => {
      if (b && original) {
        const now = await apiCall(b.page, 'GET', '/api/v1/tenant/settings')
        const res = await b.page.request.fetch('/api/v1/tenant/settings', {
          method: 'PATCH',
          headers: { 'If-Match': `"v${now.version}"` },
          data: {
            name: original.name,
            time_zone: original.time_zone,
            fiscal_year_start_month: original.fiscal_year_start_month,
            currency: original.currency,
            week_start: original.week_start,
            backdate_window_days: original.backdate_window_days,
          },
        })
        assert.equal(res.status(), 200, `settings restored: ${await res.text()}`)
      }
      assert.deepEqual(b?.errors ?? [], [], 'no uncaught errors in the page')
      await b?.close()
    })

    test('the side navigation leads to the page', async () => {
      const { page } = b
      await page.locator('[data-testid="nav-tenant-settings"]').click()
      await page.locator('[data-testid="tenant-settings"]').waitFor()
      assert.match(page.url(), /\/settings\/tenant$/)
    })

    for (const [i, size] of SIZES.entries()) {
      test(`${size.name} (${size.width}x${size.height}): save, reload, refused value`, async () => {
        const { page } = b
        await page.setViewportSize({ width: size.width, height: size.height })
        if (size.width < 768) {
          // The navigation is a drawer: closed, opened by the menu button, closed by a choice.
          await page.goto('/')
          await page.locator('[data-testid="workbench"]').waitFor()
          await assertNoHorizontalOverflow(page, `${size.name} workbench`)
          const item = page.locator('[data-testid="nav-drawer"] [data-testid="nav-tenant-settings"]')
          assert.equal(await item.isVisible(), false, 'the navigation starts closed')
          await page.locator('[data-testid="nav-open"]').click()
          await item.click()
          await page.locator('[data-testid="tenant-settings"]').waitFor()
          await page.locator('[data-testid="nav-drawer"]').waitFor({ state: 'hidden' })
        }
        await settingsPage(page)
        await assertNoHorizontalOverflow(page, `${size.name} settings page`)
        await screenshot(page, `tenant-settings-${size.name}`)

        // A good change: window, week start and fiscal-year start.
        const days = 30 + i
        await setWindow(page, days)
        await selectOption(page, 'tenant-week-start', i === 0 ? '星期日' : '星期六')
        await selectOption(page, 'tenant-fiscal-month', i === 0 ? '四月' : '七月')
        await save(page)
        await page.locator('.el-message--success').first().waitFor()
        await assertNoHorizontalOverflow(page, `${size.name} after saving`)

        await page.reload()
        await settingsPage(page)
        assert.equal(await page.locator('[data-testid="tenant-backdate-window"] input').inputValue(), String(days), 'the window persists')
        assert.equal(await page.locator('.el-select[data-testid="tenant-week-start"]').innerText(), i === 0 ? '星期日' : '星期六')
        assert.equal(await page.locator('.el-select[data-testid="tenant-fiscal-month"]').innerText(), i === 0 ? '四月' : '七月')
        const saved = await apiCall(page, 'GET', '/api/v1/tenant/settings')
        assert.equal(saved.backdate_window_days, days)
        assert.equal(saved.week_start, i === 0 ? 7 : 6)
        assert.equal(saved.fiscal_year_start_month, i === 0 ? 4 : 7)

        // A currency the server refuses: its reason under the field, nothing saved.
        const currency = page.locator('.el-select[data-testid="tenant-currency"]')
        await currency.click()
        await currency.locator('input').fill('ABC')
        await currency.locator('input').press('Enter')
        await setWindow(page, days + 5)
        await save(page)
        const err = page.locator('.el-form-item.is-error .el-form-item__error')
        await err.first().waitFor()
        assert.equal((await err.first().innerText()).trim(), '必须是 ISO 4217 币种代码，例如 CNY')
        await page.locator('.el-message--error', { hasText: '提交的数据有误' }).first().waitFor()
        await assertNoHorizontalOverflow(page, `${size.name} with the error shown`)
        await screenshot(page, `tenant-settings-${size.name}-refused`)
        const after = await apiCall(page, 'GET', '/api/v1/tenant/settings')
        assert.equal(after.currency, original.currency, 'the refused currency was not saved')
        assert.equal(after.backdate_window_days, days, 'nothing else of the refused change was saved')
      })
    }
  })
}
