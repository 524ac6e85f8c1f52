// The import page's migration types (a history from the old system) and its
// skipped-rows count (views/work/ImportView.vue).
import type zhCN from './zh-CN'

const en: typeof zhCN = {
  daily: 'Everyday imports',
  migration: 'Migration of history',
  migrationHint: 'A migration links records by the ids they had in the old system: import customers (with their external ids) first, then opportunities, contracts / orders, payments and tickets. Business-time columns need the backdate permission; rows whose external id exists already are skipped when a file is imported again.',
  objects: { opportunity: 'Opportunities (with stage history)', contract: 'Contracts', order: 'Orders', payment: 'Installments and payments', ticket: 'Tickets' },
  objectHints: {
    opportunity: 'Linked by "Customer external ID" to imported customers; write the stage history as stage@time, several separated by semicolons; outcome, close time and team are optional.',
    contract: 'Linked by "Customer external ID" (and opportunity external ID); signing time, voiding time and reason, and the team with revenue shares are optional.',
    order: 'The same columns as contracts: linked by "Customer external ID", with signing time and team.',
    payment: 'One item a row: an installment, a payment or a reversal, linked by "Document external ID" (a contract or an order, by "Document type").',
    ticket: 'Linked by "Customer external ID" (and contract external ID); opening, first response, resolution and closing times are optional.',
  },
  rowsSkipped: 'Skipped (exist already)',
}
export default en
