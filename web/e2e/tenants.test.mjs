// Browser tests of tenant sign-up and of picking a company at sign-in, on a
// phone (390x844) and on a desktop. scripts/e2e.sh starts the server with
// COHORT_SIGNUP=true.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { config, fill, missingConfig, openBrowser, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

const email = `owner-${runId}@multi.e2e.test`
const password = `e2e-multi-${runId}`
const sizes = [
  { name: 'phone', width: 390, height: 844, slug: `m-${runId}`, company: `移动端公司${runId}` },
  { name: 'desktop', width: 1440, height: 900, slug: `d-${runId}`, company: `桌面端公司${runId}` },
]

/** The page is no wider than the window (nothing to scroll sideways). */
async function noOverflow(page, name) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the ${name}`)
}

if (problem) {
  if (process.env.CI) {
    test('browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('tenant sign-up and company choice', () => {
    for (const size of sizes) {
      test(`sign up a company (${size.name})`, async () => {
        const b = await openBrowser()
        try {
          await b.page.setViewportSize({ width: size.width, height: size.height })
          await b.page.goto('/login')
          await b.page.locator('[data-testid="login-signup"]').click()
          await b.page.locator('[data-testid="signup-company"]').waitFor()
          // A bad company ID is refused on its field; nothing is created.
          await fill(b.page, 'signup-company', size.company)
          await fill(b.page, 'signup-slug', 'Not A Slug')
          await fill(b.page, 'signup-name', '王总')
          await fill(b.page, 'signup-email', email)
          await fill(b.page, 'signup-password', password)
          await b.page.locator('[data-testid="signup-submit"]').click()
          await b.page.locator('.el-form-item.is-error').first().waitFor()
          await noOverflow(b.page, size.name)
          await screenshot(b.page, `signup-${size.name}`)
          await fill(b.page, 'signup-slug', size.slug)
          await b.page.locator('[data-testid="signup-submit"]').click()
          await b.page.locator('[data-testid="workbench"]').waitFor()
          assert.deepEqual(b.errors, [])
        } finally {
          await b.close()
        }
      })
    }
    for (const size of sizes) {
      test(`pick a company at sign-in (${size.name})`, async () => {
        const b = await openBrowser()
        try {
          await b.page.setViewportSize({ width: size.width, height: size.height })
          await b.page.goto('/login')
          await fill(b.page, 'login-email', email)
          await fill(b.page, 'login-password', password)
          await b.page.locator('[data-testid="login-submit"]').click()
          await b.page.locator('[data-testid="login-choices"]').waitFor()
          await noOverflow(b.page, size.name)
          await screenshot(b.page, `login-choices-${size.name}`)
          const labels = await b.page.locator('[data-testid="login-choices"] .el-radio').allInnerTexts()
          assert.deepEqual(labels.map((l) => l.trim()).sort(), sizes.map((s) => s.company).sort())
          await b.page.locator(`[data-testid="login-choice-${size.slug}"]`).click()
          await b.page.locator('[data-testid="workbench"]').waitFor()
          const me = await b.page.evaluate(async () => (await fetch('/api/v1/me')).json())
          assert.equal(me.tenant.slug, size.slug)
          assert.deepEqual(b.errors, [])
        } finally {
          await b.close()
        }
      })
    }
  })
}
