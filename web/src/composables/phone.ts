// The phone breakpoint, shared by the layout, the lists and the dialogs: below
// it the navigation is a drawer, tables are cards and dialogs are full-screen.
// The CSS side of the same breakpoint is in styles/main.css (max-width: 767px).
import { onBeforeUnmount, ref } from 'vue'

export const PHONE_QUERY = '(max-width: 767px)'

/** True while the viewport is phone-sized; follows rotation and resizes. */
export function usePhone() {
  const mq = window.matchMedia(PHONE_QUERY)
  const phone = ref(mq.matches)
  const on = (e: MediaQueryListEvent) => (phone.value = e.matches)
  mq.addEventListener('change', on)
  onBeforeUnmount(() => mq.removeEventListener('change', on))
  return phone
}
