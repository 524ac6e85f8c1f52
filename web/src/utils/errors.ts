import { ElMessage } from 'element-plus'
import { ApiError } from '@/api/client'
import { t } from '@/i18n'
import { localiseServerText } from './serverText'

/** The message to show for a failed call: the server's problem `detail` first. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('common.networkError')
    if (e.status === 412) return t('common.conflict')
    if (e.detail) return localiseServerText(e.detail)
    if (e.status === 403) return t('common.forbidden')
    if (e.status === 404) return t('common.notFound')
    return t('common.unknownError')
  }
  if (e instanceof Error && e.message) return e.message
  return t('common.unknownError')
}

/** Show an error toast, unless it is a 401 (the router already went to login). */
export function showError(e: unknown) {
  if (e instanceof ApiError && e.status === 401) return
  ElMessage({ type: 'error', message: errorMessage(e), showClose: true, duration: 5000 })
}

/** Map a problem's field errors onto a form's error props: {field: message}. */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (e instanceof ApiError) for (const f of e.fields) if (f.field && !out[f.field]) out[f.field] = f.message
  return out
}

/** True when the user dismissed a confirmation box (ElMessageBox rejects). */
export function isCancel(e: unknown): boolean {
  return e === 'cancel' || e === 'close'
}
