import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { FollowUp, NextAction, PlanType } from '@/api/crm'

export interface QuickTarget {
  id: string
  name: string
  /** Only active customers require a next action. */
  status?: string
}

/**
 * The quick follow-up dialog is one instance in the main layout; any page opens
 * it with open(customer) and watches `saved` to refresh after a follow-up.
 */
export const useQuickFollowUp = defineStore('quickFollowUp', () => {
  const visible = ref(false)
  const target = ref<QuickTarget | null>(null)
  const planType = ref<PlanType | null>(null)
  /** Increments after every saved follow-up. */
  const saved = ref(0)
  const last = ref<{ followup: FollowUp; next_action: NextAction | null } | null>(null)

  function open(customer: QuickTarget | null, opts: { planType?: PlanType | null } = {}) {
    target.value = customer
    planType.value = opts.planType ?? null
    visible.value = true
  }

  function done(result: { followup: FollowUp; next_action: NextAction | null }) {
    last.value = result
    saved.value += 1
  }

  return { visible, target, planType, saved, last, open, done }
})
