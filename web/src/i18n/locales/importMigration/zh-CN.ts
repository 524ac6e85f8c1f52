// The import page's migration types (a history from the old system) and its
// skipped-rows count (views/work/ImportView.vue).
export default {
  daily: '日常导入',
  migration: '历史迁移',
  migrationHint: '迁移按旧系统的外部编号关联记录：请先导入客户（含外部编号），再导入商机、合同/订单、回款、工单。业务时间列需要“设置历史时间”权限；再次导入时已存在的外部编号会被跳过。',
  objects: { opportunity: '商机（含阶段历史）', contract: '合同', order: '订单', payment: '回款计划与回款', ticket: '工单' },
  objectHints: {
    opportunity: '按“客户外部编号”挂到已导入的客户下；阶段历史写作 阶段@时间，多项用分号分隔；可填结果、结单时间和团队。',
    contract: '按“客户外部编号”（及商机外部编号）关联；可填签订时间、作废时间与原因，以及团队业绩份额。',
    order: '与合同相同的列：按“客户外部编号”关联，可填签订时间和团队。',
    payment: '每行一项：回款计划、回款或冲销，按“单据外部编号”关联（单据类型为合同或订单）。',
    ticket: '按“客户外部编号”（及合同外部编号）关联；可填开单、首次响应、解决与关闭时间。',
  },
  rowsSkipped: '已存在，跳过',
}
