// Edit conflicts. Every edit form saves with If-Match (the version it loaded);
// a 412 means someone else saved the record meanwhile. saveResolving then
// loads theirs, shows field by field theirs and mine, and does what the user
// chooses: keep theirs, save mine over theirs (with the new version), or —
// where the form allows — pick per field (a merge, saved with the new version).
import { defineComponent, h, reactive, type PropType } from 'vue'
import { ElMessage, ElMessageBox, ElRadio } from 'element-plus'
import { ApiError } from '@/api/client'
import { t } from '@/i18n'
import { cfLabel } from '@/utils/work'
import { formatMoney } from '@/utils/crm'

export interface ConflictField {
  label: string
  theirs: unknown
  mine: unknown
}

export type Choice = 'mine' | 'theirs'

/** A value as the dialog shows it ('—' when empty). */
export const showValue = (v: unknown) => (v === undefined || v === null || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** A save refused because the record changed since it was loaded. */
export function isVersionConflict(e: unknown): e is ApiError {
  return e instanceof ApiError && e.status === 412
}

// The table of the dialog; with `choices`, each row picks theirs or mine.
const ConflictTable = defineComponent({
  props: {
    fields: { type: Array as PropType<(ConflictField & { theirsText?: string; mineText?: string })[]>, required: true },
    choices: { type: Array as PropType<Choice[]>, default: undefined },
  },
  setup(props) {
    const cell = (i: number, side: Choice, text: string) => {
      const choices = props.choices
      if (!choices) return text
      return h(
        ElRadio,
        {
          modelValue: choices[i],
          value: side,
          'onUpdate:modelValue': (v: string | number | boolean | undefined) => (choices[i] = v as Choice),
          'data-testid': `conflict-pick-${side}`,
          class: 'conflict-pick',
        },
        () => text,
      )
    }
    return () =>
      h('table', { class: 'conflict-table' }, [
        h('thead', h('tr', [h('th', t('conflict.field')), h('th', t('conflict.theirs')), h('th', t('conflict.mine'))])),
        h(
          'tbody',
          props.fields.map((f, i) =>
            h('tr', { 'data-testid': 'conflict-row', class: props.choices ? `pick-${props.choices[i]}` : '' }, [
              h('th', f.label),
              h('td', { class: 'theirs' }, cell(i, 'theirs', f.theirsText ?? showValue(f.theirs))),
              h('td', { class: 'mine' }, cell(i, 'mine', f.mineText ?? showValue(f.mine))),
            ]),
          ),
        ),
      ])
  },
})

/**
 * Shows theirs and mine. Resolves to 'theirs' (keep theirs) or to the choice
 * per field: all 'mine' unless `merge` let the user pick theirs for some.
 */
export async function askConflict(
  fields: (ConflictField & { theirsText?: string; mineText?: string })[],
  merge = false,
): Promise<'theirs' | Choice[]> {
  const choices = merge && fields.length > 1 ? reactive<Choice[]>(fields.map(() => 'mine')) : undefined
  const message = h('div', { class: 'conflict', 'data-testid': 'conflict-dialog' }, [
    h('p', t(choices ? 'conflict.textMerge' : 'conflict.text')),
    h(ConflictTable, { fields, choices }),
  ])
  try {
    await ElMessageBox.confirm(message, t('conflict.title'), {
      confirmButtonText: t(choices ? 'conflict.saveChosen' : 'conflict.keepMine'),
      cancelButtonText: t('conflict.keepTheirs'),
      distinguishCancelAndClose: true,
      customClass: 'conflict-box',
      type: 'warning',
    })
    return choices ? [...choices] : fields.map(() => 'mine')
  } catch {
    return 'theirs'
  }
}

/** Theirs for a record type without a GET of one: its row in the list (an error when it is gone). */
export async function oneOf<T extends { id: string }>(list: Promise<T[]>, id: string): Promise<T> {
  const found = (await list).find((x) => x.id === id)
  if (!found) throw new Error(t('common.notFound'))
  return found
}

/** Loose equality of field values: '' = null = undefined, objects by content. */
export function sameValue(a: unknown, b: unknown): boolean {
  const n = (v: unknown) => (v === undefined || v === null || v === '' ? null : v)
  const x = n(a)
  const y = n(b)
  if (x === y) return true
  if (x === null || y === null) return false
  if (typeof x === 'object' || typeof y === 'object') return JSON.stringify(x) === JSON.stringify(y)
  return false
}

export interface ResolveOptions<T extends { version?: number }> {
  /** Mine: the fields this form saves. `custom` (custom field values) is compared per key. */
  body: object
  /** The record as the form loaded it; fields of body equal to it are not mine to save. */
  base?: T | null
  /** Saves body at a version (the form's update call). */
  save: (body: never, version: number) => Promise<T>
  /** Loads theirs (the record as saved now). */
  reload: () => Promise<T>
  /** A field's label (custom fields are labelled from customFields). */
  label: (key: string) => string
  /** The custom field declarations of the record's type, for their labels. */
  customFields?: { key: string; label_zh: string; label_en: string }[]
  /** How a value reads (ids as names, minor units as money); default as it is. */
  format?: (key: string, value: unknown) => string
  /** Theirs of a field when it is not record[key] (the form's value of it). */
  theirs?: (latest: T, key: string) => unknown
  /** Let the user pick theirs or mine per field (default true). */
  merge?: boolean
  /** For an update that replaces the whole record: the body of theirs, under the fields kept from mine. */
  whole?: (latest: T) => object
  /** Fields of body not shown nor compared, sent along when any of the listed fields is kept (a move's date). */
  along?: Record<string, string[]>
}

export type Outcome = 'saved' | 'mine' | 'merged' | 'theirs'

type Rec = Record<string, unknown>

// body → [key, value] pairs, custom values one pair each ("custom.<key>").
function flatten(body: Rec): [string, unknown][] {
  const out: [string, unknown][] = []
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue
    if (k === 'custom' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [ck, cv] of Object.entries(v as Rec)) out.push([`custom.${ck}`, cv])
    } else out.push([k, v])
  }
  return out
}

function unflatten(pairs: [string, unknown][]): Rec {
  const out: Rec = {}
  for (const [k, v] of pairs) {
    if (k.startsWith('custom.')) {
      const c = (out.custom ??= {}) as Rec
      c[k.slice(7)] = v
    } else out[k] = v
  }
  return out
}

function valueOf(rec: unknown, key: string): unknown {
  const r = (rec ?? {}) as Rec
  if (key.startsWith('custom.')) return ((r.custom ?? {}) as Rec)[key.slice(7)]
  return r[key]
}

/**
 * Saves body with the version; on a version conflict asks the user (theirs /
 * mine / per field) and saves again with the new version if the user keeps
 * any of mine. Resolves to the record as it is now and what happened; any
 * other error is thrown as it came.
 */
export async function saveResolving<T extends { version?: number }>(
  version: number | undefined,
  o: ResolveOptions<T>,
): Promise<{ record: T; outcome: Outcome }> {
  const save = o.save as (body: Rec, version: number) => Promise<T>
  try {
    return { record: await save(o.body as Rec, version as number), outcome: 'saved' }
  } catch (e) {
    if (!isVersionConflict(e)) throw e
  }
  // Mine: what this form changed (with a base) or all it sends.
  const along = o.along ?? {}
  let pairs = flatten(o.body as Rec).filter(([k, v]) => !(k in along) && (!o.base || !sameValue(v, valueOf(o.base, k))))
  for (let attempt = 0; attempt < 3; attempt++) {
    const latest = await o.reload()
    const theirsOf = (k: string) => (o.theirs ? o.theirs(latest, k) : valueOf(latest, k))
    // Where theirs is mine already there is nothing to choose (nor to save).
    const open = pairs.filter(([k, v]) => !sameValue(v, theirsOf(k)))
    if (!open.length) return { record: latest, outcome: 'saved' }
    const fmt = o.format ?? ((_k: string, v: unknown) => showValue(v))
    const label = (k: string) => {
      if (!k.startsWith('custom.')) return o.label(k)
      const f = o.customFields?.find((c) => c.key === k.slice(7))
      return f ? cfLabel(f) : k.slice(7)
    }
    const answer = await askConflict(
      open.map(([k, v]) => ({ label: label(k), theirs: theirsOf(k), mine: v, theirsText: fmt(k, theirsOf(k)), mineText: fmt(k, v) })),
      o.merge !== false,
    )
    if (answer === 'theirs') return { record: latest, outcome: 'theirs' }
    const kept = open.filter((_, i) => answer[i] === 'mine')
    if (!kept.length) return { record: latest, outcome: 'theirs' }
    const extra = Object.fromEntries(
      Object.entries(along)
        .filter(([, keys]) => kept.some(([k]) => keys.includes(k)))
        .map(([k]) => [k, (o.body as Rec)[k]]),
    )
    const body = o.merge === false ? (o.body as Rec) : { ...(o.whole ? (o.whole(latest) as Rec) : {}), ...unflatten(kept), ...extra }
    try {
      const record = await save(body, latest.version as number)
      return { record, outcome: kept.length === open.length ? 'mine' : 'merged' }
    } catch (e) {
      // Changed once more meanwhile: ask again with the newest.
      if (!isVersionConflict(e)) throw e
      pairs = kept
    }
  }
  return { record: await o.reload(), outcome: 'theirs' }
}

/** Tells the user how a save ended: `saved` when mine (or all of it) was saved. */
export function announceSave(outcome: Outcome, saved: string) {
  if (outcome === 'theirs') ElMessage.info(t('conflict.keptTheirs'))
  else if (outcome === 'merged') ElMessage.success(t('conflict.merged'))
  else ElMessage.success(saved)
}

interface LineLike {
  product_id: string
  product_name?: string
  quantity: number
  unit_price: number
  discount_bp?: number
}

/** Product lines as one readable value ("name × qty @ price, −discount%; …"); names from any lines that carry them. */
export function linesText(lines: unknown, currency?: string, ...named: (LineLike[] | null | undefined)[]): string {
  if (!Array.isArray(lines) || !lines.length) return '—'
  const names = new Map<string, string>()
  for (const ls of named) for (const l of ls ?? []) if (l.product_name) names.set(l.product_id, l.product_name)
  return (lines as LineLike[])
    .map((l) => {
      const name = l.product_name || names.get(l.product_id) || l.product_id
      const off = l.discount_bp ? ` −${l.discount_bp / 100}%` : ''
      return `${name} × ${l.quantity} @ ${formatMoney(l.unit_price, currency)}${off}`
    })
    .join('; ')
}
