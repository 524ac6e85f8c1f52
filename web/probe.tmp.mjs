import { chromium } from 'playwright-core'
const base = process.env.URL || 'http://127.0.0.1:18411'
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] })
const ctx = await b.newContext({ baseURL: base, viewport: { width: Number(process.env.W || 390), height: Number(process.env.H || 844) }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
const page = await ctx.newPage()
page.on('pageerror', (e) => console.log('pageerror', e.message))
await page.goto('/login')
await page.locator('[data-testid="login-email"] input, input[data-testid="login-email"]').first().fill(process.env.EMAIL || 'admin@demo.cohort.local')
await page.locator('[data-testid="login-password"] input, input[data-testid="login-password"]').first().fill(process.env.PW || 'cohort-demo')
await page.locator('[data-testid="login-submit"]').click()
await page.locator('[data-testid="workbench"]').waitFor()
const paths = (process.env.PATHS || '/,/customers,/pools,/opportunities').split(',')
for (const p of paths) {
  await page.goto(p)
  await page.waitForTimeout(1500)
  const m = await page.evaluate(() => {
    const over = [...document.querySelectorAll('body *')].filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > innerWidth + 1 }).slice(0, 8).map((e) => e.tagName + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))
    return { sw: document.documentElement.scrollWidth, iw: innerWidth, over }
  })
  console.log(p, JSON.stringify(m))
  await page.screenshot({ path: `/tmp/probe/${p.replace(/\W+/g, '_') || 'root'}.png`, fullPage: !!process.env.FULL })
}
await b.close()
