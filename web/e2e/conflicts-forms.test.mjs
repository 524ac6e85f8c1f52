// Browser tests of the conflict dialog on the edit forms beyond the customer
// (utils/conflict.ts saveResolving): a lead, an opportunity, a contract's
// header, a user and a department are each opened in a form, changed through
// the API meanwhile (the form's version goes stale), then saved. The save
// gets 412 and the dialog shows theirs and mine field by field; the test
// keeps theirs, saves mine, or picks per field, and checks what was stored.
// On a phone and on a desktop.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { apiCall, config, fill, login, missingConfig, openBrowser, runId, screenshot } from './helpers.mjs'

let problem = missingConfig()
if (!problem && !existsSync(config.chromium)) problem = `Chromium not found at ${config.chromium} (set CHROMIUM)`

const MINE = '.conflict-box .el-button--primary'
const THEIRS = '.conflict-box .el-message-box__btns .el-button:not(.el-button--primary)'

/** Waits for the dialog, checks its rows show theirs and mine and that it fits, then answers. */
async function resolve(page, size, { rows, choice, picks, shot }) {
  const dialog = page.locator('[data-testid="conflict-dialog"]')
  await dialog.waitFor()
  const shown = page.locator('[data-testid="conflict-row"]')
  assert.equal(await shown.count(), rows.length, `the dialog shows ${rows.length} fields`)
  for (let i = 0; i < rows.length; i++) {
    const text = await shown.nth(i).innerText()
    assert.ok(text.includes(rows[i].theirs), `row ${i} shows theirs ${rows[i].theirs}: ${text}`)
    assert.ok(text.includes(rows[i].mine), `row ${i} shows mine ${rows[i].mine}: ${text}`)
  }
  const box = await page.locator('.conflict-box').boundingBox()
  assert.ok(box && box.x >= 0 && box.x + box.width <= size.width, `the dialog ${JSON.stringify(box)} leaves the ${size.name}`)
  for (const [i, side] of Object.entries(picks ?? {})) await shown.nth(Number(i)).locator(`[data-testid="conflict-pick-${side}"]`).click()
  if (shot) await screenshot(page, shot)
  await page.locator(choice === 'theirs' ? THEIRS : MINE).click()
  await dialog.waitFor({ state: 'hidden' })
}

if (problem) {
  if (process.env.CI) {
    test('browser tests are configured', () => assert.fail(`${problem}. Under CI the browser tests must run.`))
  } else {
    test(`browser tests skipped: ${problem}`, { skip: problem }, () => {})
  }
} else {
  describe('edit conflicts on every form', () => {
    for (const size of [
      { name: 'phone', width: 390, height: 844, first: 'mine', second: 'theirs' },
      { name: 'desktop', width: 1440, height: 900, first: 'theirs', second: 'mine' },
    ]) {
      const tag = `${size.name}${runId}`
      test(`a stale lead, opportunity, contract, user and department each offer theirs / mine (${size.name})`, async () => {
        const b = await openBrowser({ viewport: { width: size.width, height: size.height } })
        const page = b.page
        try {
          await login(page, config.email, config.password)

          // ---- a lead: both changed the company and the phone; per field, mine for the company, theirs for the phone.
          const lead = await apiCall(page, 'POST', '/api/v1/leads', { name: `冲突线索${tag}`, company: `原公司${tag}`, phone: '13800000001' })
          await page.goto('/leads')
          await fill(page, 'leads-search', lead.name)
          const leadRow = page.locator('[data-testid="leads-table"] .el-table__row', { hasText: lead.name })
          await leadRow.waitFor()
          await leadRow.locator('[data-testid="lead-row-edit"]').click()
          await page.locator('[data-testid="lead-form-company"]').waitFor()
          await apiCall(page, 'PATCH', `/api/v1/leads/${lead.id}`, { company: `他们的公司${tag}`, phone: '13900000002' })
          await fill(page, 'lead-form-company', `我的公司${tag}`)
          await fill(page, 'lead-form-phone', '13700000003')
          await page.locator('[data-testid="lead-form-save"]').click()
          await resolve(page, size, {
            rows: [
              { theirs: `他们的公司${tag}`, mine: `我的公司${tag}` },
              { theirs: '13900000002', mine: '13700000003' },
            ],
            picks: { 1: 'theirs' },
            choice: 'mine',
            shot: `conflicts-lead-${size.name}`,
          })
          const savedLead = await apiCall(page, 'GET', `/api/v1/leads/${lead.id}`)
          assert.equal(savedLead.company, `我的公司${tag}`, 'mine where picked')
          assert.equal(savedLead.phone, '13900000002', 'theirs where picked')
          await page.locator('[data-testid="lead-form-save"]').waitFor({ state: 'hidden' })

          // ---- an opportunity's name.
          const customer = await apiCall(page, 'POST', '/api/v1/customers', { name: `冲突客户${tag}` })
          const procs = await apiCall(page, 'GET', '/api/v1/sales-processes')
          const opp = await apiCall(page, 'POST', '/api/v1/opportunities', { customer_id: customer.id, process_id: procs.items[0].id, name: `冲突商机${tag}` })
          await page.goto(`/opportunities/${opp.id}`)
          await page.locator('[data-testid="opp-edit"]').click()
          await page.locator('[data-testid="opp-edit-name"]').waitFor()
          await apiCall(page, 'PATCH', `/api/v1/opportunities/${opp.id}`, { name: `他们的商机${tag}` })
          await fill(page, 'opp-edit-name', `我的商机${tag}`)
          await page.locator('[data-testid="opp-edit-save"]').click()
          await resolve(page, size, { rows: [{ theirs: `他们的商机${tag}`, mine: `我的商机${tag}` }], choice: size.first })
          const savedOpp = await apiCall(page, 'GET', `/api/v1/opportunities/${opp.id}`)
          assert.equal(savedOpp.name, size.first === 'mine' ? `我的商机${tag}` : `他们的商机${tag}`)

          // ---- a contract's header: I change the name and the note, they changed the note.
          const contract = await apiCall(page, 'POST', '/api/v1/contracts', { customer_id: customer.id, name: `冲突合同${tag}`, lines: [] })
          await page.goto(`/contracts/${contract.id}`)
          await page.locator('[data-testid="deal-info-edit"]').click()
          await page.locator('[data-testid="deal-info-name"]').waitFor()
          await apiCall(page, 'PATCH', `/api/v1/contracts/${contract.id}`, { note: `他们的备注${tag}` })
          await fill(page, 'deal-info-name', `我的合同${tag}`)
          await fill(page, 'deal-info-note', `我的备注${tag}`)
          await page.locator('[data-testid="deal-info-save"]').click()
          // Both of my changes are shown; theirs of the name is the name as it was.
          await resolve(page, size, {
            rows: [
              { theirs: `冲突合同${tag}`, mine: `我的合同${tag}` },
              { theirs: `他们的备注${tag}`, mine: `我的备注${tag}` },
            ],
            choice: size.second,
          })
          const savedContract = await apiCall(page, 'GET', `/api/v1/contracts/${contract.id}`)
          if (size.second === 'mine') {
            assert.equal(savedContract.name, `我的合同${tag}`)
            assert.equal(savedContract.note, `我的备注${tag}`)
          } else {
            assert.equal(savedContract.name, `冲突合同${tag}`)
            assert.equal(savedContract.note, `他们的备注${tag}`)
          }

          // ---- a user's phone.
          const email = `conflict-${tag}@e2e.cohort.local`
          const user = await apiCall(page, 'POST', '/api/v1/users', { name: `冲突用户${tag}`, email, password: 'conflict-password-1', phone: '13600000000' })
          await page.goto('/org/users')
          await fill(page, 'users-search', email)
          const userRow = page.locator('[data-testid="users-table"] .el-table__row', { hasText: email })
          await userRow.waitFor()
          await userRow.locator('[data-testid="user-edit"]').click()
          await page.locator('[data-testid="user-form-phone"]').waitFor()
          await apiCall(page, 'PATCH', `/api/v1/users/${user.id}`, { phone: '13611111111' })
          await fill(page, 'user-form-phone', '13622222222')
          await page.locator('[data-testid="user-form-submit"]').click()
          await resolve(page, size, { rows: [{ theirs: '13611111111', mine: '13622222222' }], choice: size.second })
          const savedUser = await apiCall(page, 'GET', `/api/v1/users/${user.id}`)
          assert.equal(savedUser.phone, size.second === 'mine' ? '13622222222' : '13611111111')

          // ---- a department's name (renamed in the tree).
          const depts = await apiCall(page, 'GET', '/api/v1/departments')
          const dept = await apiCall(page, 'POST', '/api/v1/departments', { name: `冲突部门${tag}`, parent_id: depts.items[0].id })
          await page.goto('/org/departments')
          const node = page.locator(`[data-testid="dept-node"][data-name="冲突部门${tag}"]`)
          await node.waitFor()
          await node.hover()
          await node.locator('[data-testid="dept-rename"]').click()
          const prompt = page.locator('.dept-prompt')
          await prompt.waitFor()
          await apiCall(page, 'PATCH', `/api/v1/departments/${dept.id}`, { name: `他们的部门${tag}` })
          await prompt.locator('input').fill(`我的部门${tag}`)
          await prompt.locator('.el-button--primary').click()
          await resolve(page, size, { rows: [{ theirs: `他们的部门${tag}`, mine: `我的部门${tag}` }], choice: size.first, shot: `conflicts-department-${size.name}` })
          const savedDepts = await apiCall(page, 'GET', '/api/v1/departments')
          const savedDept = savedDepts.items.find((d) => d.id === dept.id)
          assert.equal(savedDept.name, size.first === 'mine' ? `我的部门${tag}` : `他们的部门${tag}`)
          await page.locator(`[data-testid="dept-node"][data-name="${savedDept.name}"]`).waitFor()

          assert.deepEqual(b.errors, [])
        } finally {
          await b.close()
        }
      })
    }
  })
}
