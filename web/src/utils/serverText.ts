// The server's problem details are English. For the messages a salesperson
// meets every day (duplicates, team shares, pool limits) the Chinese UI shows
// its own wording; anything not recognised is shown as the server wrote it.
import { currentLocale, i18n, t } from '@/i18n'
import { formatMoney } from './crm'

const RULES: { re: RegExp; key: string; args: (m: RegExpMatchArray) => Record<string, string> }[] = [
  {
    re: /a customer with this name or credit code exists already: (.+)$/,
    key: 'server.duplicate',
    args: (m) => ({ name: m[1] }),
  },
  {
    re: /the revenue roles' shares add up to ([\d.]+) %, not 100 %/,
    key: 'server.shares',
    args: (m) => ({ n: String(Number(m[1])) }),
  },
  { re: /a record has exactly one owner \(负责人\), not (\d+)/, key: 'server.oneOwner', args: (m) => ({ n: m[1] }) },
  { re: /you have claimed (\d+) customers today/, key: 'server.dailyLimit', args: (m) => ({ n: m[1] }) },
  { re: /you own (\d+) customers, the pool's cap/, key: 'server.maxOwned', args: (m) => ({ n: m[1] }) },
  {
    re: /you lost this customer to the pool recently; you may claim it again from (.+)$/,
    key: 'server.reclaimBlock',
    args: (m) => ({ at: m[1] }),
  },
  { re: /the customer is in a pool already/, key: 'server.inPool', args: () => ({}) },
  { re: /there is no pool yet/, key: 'server.noPool', args: () => ({}) },
  { re: /only the pool's administrators assign customers/, key: 'server.assignAdmins', args: () => ({}) },
  { re: /changing the owner needs the transfer permission/, key: 'server.needTransfer', args: () => ({}) },
  { re: /next_action: is required/, key: 'server.nextRequired', args: () => ({}) },
  { re: /^no contact has (.+)$/, key: 'server.captureNoContact', args: (m) => ({ who: m[1] }) },
  { re: /^several customers have a contact with (.+)$/, key: 'server.captureSeveral', args: (m) => ({ who: m[1] }) },
  { re: /^the salesperson is not known$/, key: 'server.captureNoUser', args: () => ({}) },
  // Tenant settings (field messages).
  { re: /^unknown time zone "(.*)"; use an IANA name/, key: 'server.unknownZone', args: (m) => ({ zone: m[1] }) },
  { re: /^must be an ISO 4217 currency code/, key: 'server.badCurrency', args: () => ({}) },
  { re: /^must be 1 to 12$/, key: 'server.monthRange', args: () => ({}) },
  { re: /^must be 1 \(Monday\) to 7 \(Sunday\)$/, key: 'server.weekStartRange', args: () => ({}) },
  { re: /^must be 0 to (\d+) days$/, key: 'server.daysRange', args: (m) => ({ max: m[1] }) },
  { re: /too many failed logins; try again after (\S+)/, key: 'server.loginLocked', args: (m) => ({ wait: m[1] }) },
  { re: /too many requests from this session or token; try again after (\S+)/, key: 'server.rateLimited', args: (m) => ({ wait: m[1] }) },
  { re: /your company's account is disabled/, key: 'server.tenantDisabled', args: () => ({}) },
  { re: /^(slug: )?is taken(; choose another)?$/, key: 'server.slugTaken', args: () => ({}) },
  { re: /^(\w+: )?must be at most (\d+) bytes$/, key: 'server.atMostBytes', args: (m) => ({ n: m[2] }) },
  { re: /is outside your data scope$/, key: 'server.outOfScope', args: () => ({}) },
  { re: /must not be your email or your company's name$/, key: 'server.passwordPersonal', args: () => ({}) },
  { re: /is one of the most common passwords; choose another$/, key: 'server.passwordCommon', args: () => ({}) },
  // KPI scorecards.
  { re: /the weights add up to ([\d.]+), not 100$/, key: 'scorecards.server.weights', args: (m) => ({ sum: m[1] }) },
  { re: /the period (\S+) is frozen; an administrator must unfreeze it first/, key: 'scorecards.server.frozen', args: (m) => ({ period: m[1] }) },
  { re: /the template has frozen periods \((.+)\); unfreeze them/, key: 'scorecards.server.hasFrozen', args: (m) => ({ periods: m[1] }) },
  { re: /^nobody scores their own card$/, key: 'scorecards.server.self', args: () => ({}) },
  { re: /^scores are entered by the person's manager or an administrator$/, key: 'scorecards.server.managerOnly', args: () => ({}) },
]

/**
 * "cannot enter Quote (报价): missing field amount, a follow-up of type quote_sent"
 * and, for a move over several stages, "…; passing Needs (需求分析): missing …".
 */
function stageRefusal(msg: string): string | null {
  const m = msg.match(/^cannot enter (.+?) \((.+?)\): (.+)$/)
  if (!m) return null
  const items = (list: string) =>
    list
      .split(/,\s*/)
      .map((x) => {
        const f = x.match(/^field (\w+)$/)
        if (f) return i18n.global.te(`opportunities.fields.${f[1]}`) ? t(`opportunities.fields.${f[1]}`) : f[1]
        const fu = x.match(/follow-up of type (\w+)$/)
        if (fu) return t('server.followupOfType', { type: i18n.global.te(`crm.followupTypes.${fu[1]}`) ? t(`crm.followupTypes.${fu[1]}`) : fu[1] })
        return x
      })
      .join(t('common.listSep'))
  const parts: string[] = []
  for (const part of m[3].split(/;\s*/)) {
    const own = part.match(/^missing (.+)$/)
    if (own) {
      parts.push(t('server.stageMissing', { stage: m[2], missing: items(own[1]) }))
      continue
    }
    const passed = part.match(/^passing (.+?) \((.+?)\): missing (.+)$/)
    if (!passed) return null
    parts.push(t('server.stagePassing', { target: m[2], stage: passed[2], missing: items(passed[3]) }))
  }
  return parts.join(t('common.sentenceSep'))
}

const statusName = (k: string) =>
  i18n.global.te(`deals.status.${k}`) ? t(`deals.status.${k}`) : i18n.global.te(`projects.status.${k}`) ? t(`projects.status.${k}`) : k
const kindName = (k: string) => (i18n.global.te(`deals.kinds.${k}`) ? t(`deals.kinds.${k}`) : k === 'project' ? t('projects.kind') : k)

/**
 * Refusals about money and document statuses carry amounts in minor units and
 * status keys; both languages get them in yuan and words.
 */
const MONEY_RULES: { re: RegExp; key: string; args: (m: RegExpMatchArray) => Record<string, string> }[] = [
  {
    re: /amount: (\d+) is more than the receivable (\d+)/,
    key: 'server.overpay',
    args: (m) => ({ amount: formatMoney(Number(m[1])), receivable: formatMoney(Number(m[2])) }),
  },
  {
    re: /amount: the installments would add up to (\d+), above the total (\d+)/,
    key: 'server.overplan',
    args: (m) => ({ amount: formatMoney(Number(m[1])), total: formatMoney(Number(m[2])) }),
  },
  {
    re: /amount: invoices would add up to (\d+), above the total (\d+)/,
    key: 'server.overinvoice',
    args: (m) => ({ amount: formatMoney(Number(m[1])), total: formatMoney(Number(m[2])) }),
  },
  {
    re: /the (\w+) is (\w+); (payments are received|invoices are issued) once it is signed/,
    key: 'server.needsSigned',
    args: (m) => ({ kind: kindName(m[1]), status: statusName(m[2]) }),
  },
  {
    re: /the (\w+) is (\w+): its number, lines and discount changed only while a draft/,
    key: 'server.linesLocked',
    args: (m) => ({ kind: kindName(m[1]), status: statusName(m[2]) }),
  },
  {
    re: /a (\w+) cannot move from (\w+) to (\w+); allowed: (.+)$/,
    key: 'server.dealMove',
    args: (m) => ({ kind: kindName(m[1]), from: statusName(m[2]), to: statusName(m[3]), allowed: m[4].split(/,\s*/).map(statusName).join(t('common.listSep')) }),
  },
  {
    re: /a (\w+) cannot move from (\w+) to (\w+); \w+ is final/,
    key: 'server.dealFinal',
    args: (m) => ({ kind: kindName(m[1]), from: statusName(m[2]), to: statusName(m[3]) }),
  },
]

export function localiseServerText(msg: string): string {
  if (!msg) return msg
  for (const r of MONEY_RULES) {
    const m = msg.match(r.re)
    if (m) return t(r.key, r.args(m))
  }
  if (currentLocale() === 'en') return msg
  const s = stageRefusal(msg)
  if (s) return s
  for (const r of RULES) {
    const m = msg.match(r.re)
    if (m) return t(r.key, r.args(m))
  }
  return msg
}
