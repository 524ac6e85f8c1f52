// Gap diagnosis (目标差距诊断) strings, mounted under "gapdiag". The action
// sentences have the server's keys (goal_diagnosis.<key>) and parameters.
const gapdiag = {
  refresh: '刷新',
  title: '差距诊断',
  against: { previous: '对比上期', peers: '对比同级' },
  reference: { previous: '上期', peers: '同级中位数' },
  summary: '差额 {gap} = 目标高于{reference}（{actual}）的 {stretch} + 各因素影响 + 未解释的 {residual}',
  factors: {
    opportunities: '商机数',
    conversion: '赢率',
    order_value: '平均签单金额',
    cycle: '商机周期',
  },
  stretch: '目标高于参照',
  residual: '公式未解释',
  gap: '差额',
  own: '本人',
  ref: '参照',
  part: '影响',
  notComparable: '一方为 0 或无数据，计入未解释部分',
  top: '主要原因：{factor}',
  noTop: '没有落后于参照的因素：差额来自目标高于参照的部分',
  notBehind: '已达成目标，无差距可诊断',
  noTarget: '未设目标，无法诊断',
  unavailable: '无法诊断：{reason}',
  noPeers: '你的数据权限内没有可对比的同级',
  outOfScope: '该对象不在你的数据权限范围内',
  formula: '业绩 = 商机数 × 赢率 × 平均签单金额 ÷ 周期',
  days: '{v} 天',
  actions: {
    visits: '每周多拜访 {amount} 次，新增商机才能从 {from} 个达到{reference}的 {to} 个',
    opportunities: '本期多开发 {amount} 个新商机，从 {from} 个达到{reference}的 {to} 个',
    conversion: '把赢率从 {from} 提高到{reference}的 {to}：{open} 个未结商机中多赢 {amount} 个',
    conversion_decided: '把赢率从 {from} 提高到{reference}的 {to}：每决出 {decided} 个商机多赢 {amount} 个',
    order_value: '把平均签单金额从 {from} 提高到{reference}的 {to}（每单多 {amount}）',
    cycle: '把商机周期从 {from} 天缩短到{reference}的 {to} 天（快 {amount} 天）',
  },
}

export default gapdiag
