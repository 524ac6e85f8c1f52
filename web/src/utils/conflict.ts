// The conflict dialog: a save answered 412 (someone else changed the record
// since it was loaded) shows, field by field, their value and mine, and lets
// the user keep theirs or save theirs over with mine.
import { h } from 'vue'
import { ElMessageBox } from 'element-plus'
import { t } from '@/i18n'

export interface ConflictField {
  label: string
  theirs: unknown
  mine: unknown
}

const show = (v: unknown) => (v === undefined || v === null || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** Resolves to 'mine' (save mine over theirs) or 'theirs' (keep theirs). */
export async function askConflict(fields: ConflictField[]): Promise<'mine' | 'theirs'> {
  const rows = fields.map((f) =>
    h('tr', { 'data-testid': 'conflict-row' }, [h('th', f.label), h('td', { class: 'theirs' }, show(f.theirs)), h('td', { class: 'mine' }, show(f.mine))]),
  )
  const message = h('div', { class: 'conflict', 'data-testid': 'conflict-dialog' }, [
    h('p', t('conflict.text')),
    h('table', { class: 'conflict-table' }, [
      h('thead', h('tr', [h('th', t('conflict.field')), h('th', t('conflict.theirs')), h('th', t('conflict.mine'))])),
      h('tbody', rows),
    ]),
  ])
  try {
    await ElMessageBox.confirm(message, t('conflict.title'), {
      confirmButtonText: t('conflict.keepMine'),
      cancelButtonText: t('conflict.keepTheirs'),
      distinguishCancelAndClose: true,
      customClass: 'conflict-box',
      type: 'warning',
    })
    return 'mine'
  } catch {
    return 'theirs'
  }
}
