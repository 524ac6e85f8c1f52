// The edit conflict dialog (utils/conflict.ts): theirs and mine after a 412.
import type zhCN from './zh-CN'

const en: typeof zhCN = {
  title: 'Changed by someone else',
  text: 'Someone else saved this record after you opened it. Keep their version, or save yours over it?',
  textMerge: 'Someone else saved this record after you opened it. Pick theirs or yours field by field, or keep all of theirs.',
  field: 'Field',
  theirs: 'Theirs (saved)',
  mine: 'Mine',
  keepTheirs: 'Keep theirs',
  keepMine: 'Save mine',
  saveChosen: 'Save chosen',
  keptTheirs: 'Kept their changes; yours were not saved',
  merged: 'Saved the merge: yours where chosen, theirs elsewhere',
  statusAction: 'Status / your action',
}
export default en
