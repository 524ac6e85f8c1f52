// The edit conflict dialog (utils/conflict.ts): theirs and mine after a 412.
export default {
  title: '已被他人修改',
  text: '您打开后，其他人保存了这条记录。保留对方的版本，还是用您的修改覆盖？',
  textMerge: '您打开后，其他人保存了这条记录。请逐项选择保留对方的还是您的，或全部保留对方的。',
  field: '字段',
  theirs: '对方（已保存）',
  mine: '我的',
  keepTheirs: '保留对方的',
  keepMine: '保存我的',
  saveChosen: '保存所选',
  keptTheirs: '已保留对方的修改，您的修改未保存',
  merged: '已合并保存：所选字段用您的，其余保留对方的',
  statusAction: '状态 / 您的操作',
}
