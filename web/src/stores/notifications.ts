import { defineStore } from 'pinia'
import { ref } from 'vue'
import { ElNotification } from 'element-plus'
import { notifications as api } from '@/api/endpoints'
import type { Notification } from '@/api/types'
import { notificationTitle } from '@/utils/format'
import { t } from '@/i18n'

const POLL_MS = 30_000
const EVENTS_URL = '/api/v1/events'

/**
 * The bell: unread count plus the latest notifications. Live delivery comes from
 * the server-sent event stream; when it cannot be used we poll the unread count.
 */
export const useNotifications = defineStore('notifications', () => {
  const unread = ref(0)
  const items = ref<Notification[]>([])
  const loading = ref(false)
  /** 'sse' while the event stream is open, 'poll' in fallback, 'off' when stopped. */
  const mode = ref<'off' | 'sse' | 'poll'>('off')
  /** Bumped on each "facts" event: the tenant's figures changed (live cockpits). */
  const factsTick = ref(0)

  let es: EventSource | null = null
  let pollTimer: ReturnType<typeof setInterval> | null = null
  let failures = 0

  async function refreshCount() {
    try {
      unread.value = await api.unreadCount()
    } catch {
      /* keep the last count */
    }
  }

  async function loadList() {
    loading.value = true
    try {
      const page = await api.list({ limit: 20 })
      items.value = page.items
    } catch {
      /* the dropdown shows what it has */
    } finally {
      loading.value = false
    }
  }

  async function markRead(n: Notification) {
    if (n.read_at) return
    await api.markRead(n.id)
    n.read_at = new Date().toISOString()
    unread.value = Math.max(0, unread.value - 1)
  }

  async function readAll() {
    await api.readAll()
    const now = new Date().toISOString()
    for (const n of items.value) if (!n.read_at) n.read_at = now
    unread.value = 0
  }

  function received(n: Notification) {
    if (n && n.id && items.value.some((x) => x.id === n.id)) return
    if (n && n.id) items.value = [n, ...items.value].slice(0, 50)
    if (!n?.read_at) unread.value += 1
    ElNotification({
      title: t('notifications.newNotification'),
      message: notificationTitle(n),
      type: 'info',
      // Bottom right: clear of the header's bell and of its dropdown.
      position: 'bottom-right',
      duration: 6000,
      customClass: 'cohort-toast',
    })
  }

  function startPolling() {
    if (pollTimer) return
    mode.value = 'poll'
    pollTimer = setInterval(refreshCount, POLL_MS)
  }

  function stopPolling() {
    if (pollTimer) clearInterval(pollTimer)
    pollTimer = null
  }

  function connect() {
    if (typeof EventSource === 'undefined') {
      startPolling()
      return
    }
    es = new EventSource(EVENTS_URL, { withCredentials: true })
    es.addEventListener('open', () => {
      failures = 0
      mode.value = 'sse'
      stopPolling()
      // Anything that arrived while we were not connected.
      refreshCount()
    })
    es.addEventListener('notification', (ev) => {
      let n: Notification
      try {
        n = JSON.parse((ev as MessageEvent).data)
      } catch {
        n = { id: '' }
      }
      received(n)
    })
    es.addEventListener('facts', () => {
      factsTick.value += 1
    })
    es.addEventListener('error', () => {
      failures += 1
      // CLOSED: the server refused the stream (no session, wrong type); the browser
      // will not retry. Several failures in a row: a proxy is in the way.
      if (!es || es.readyState === EventSource.CLOSED || failures >= 3) {
        es?.close()
        es = null
        startPolling()
        // Try the stream again later; polling keeps the badge fresh meanwhile.
        setTimeout(() => {
          if (mode.value === 'poll' && !es) {
            failures = 0
            connect()
          }
        }, 5 * 60_000)
      }
    })
  }

  function start() {
    if (mode.value !== 'off') return
    mode.value = 'poll'
    refreshCount()
    connect()
  }

  function stop() {
    es?.close()
    es = null
    stopPolling()
    mode.value = 'off'
    unread.value = 0
    items.value = []
  }

  return { unread, items, loading, mode, factsTick, refreshCount, loadList, markRead, readAll, start, stop, received }
})
