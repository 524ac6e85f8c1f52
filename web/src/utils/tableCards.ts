// On a phone every Element Plus table is shown as a list of cards (CSS in
// styles/main.css). A card line reads "label  value": this writes each body
// cell's column header into its data-label, for every table on the page and
// in dialogs, as tables render and re-render. Desktop tables are untouched.

function label(root: ParentNode) {
  for (const table of root.querySelectorAll<HTMLElement>('.el-table')) {
    const heads = [...table.querySelectorAll<HTMLElement>('.el-table__header-wrapper thead tr:last-child th')].map(
      (th) => (th.classList.contains('el-table-column--selection') ? '' : (th.querySelector('.cell')?.textContent ?? '').trim()),
    )
    for (const row of table.querySelectorAll<HTMLElement>('.el-table__body tr.el-table__row')) {
      row.querySelectorAll<HTMLElement>(':scope > td').forEach((td, i) => {
        const l = heads[i] ?? ''
        if (td.dataset.label !== l) td.dataset.label = l
      })
    }
  }
}

/** Starts labelling table cells; returns the function that stops it. */
export function startTableCards(): () => void {
  let pending = 0
  const schedule = () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), label(document)))
  }
  const obs = new MutationObserver(schedule)
  obs.observe(document.body, { childList: true, subtree: true, characterData: true })
  schedule()
  return () => {
    obs.disconnect()
    if (pending) cancelAnimationFrame(pending)
  }
}
