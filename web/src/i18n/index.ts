import { createI18n } from 'vue-i18n'
import zhCN, { type MessageSchema } from './locales/zh-CN'
import en from './locales/en'
import { setApiLanguage } from '@/api/client'

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]
export const DEFAULT_LOCALE: Locale = 'zh-CN'
const STORAGE_KEY = 'cohort.locale'

export function normaliseLocale(v: unknown): Locale | null {
  if (typeof v !== 'string' || !v) return null
  const l = v.toLowerCase()
  if (l === 'zh' || l.startsWith('zh-') || l.startsWith('zh_')) return 'zh-CN'
  if (l === 'en' || l.startsWith('en-') || l.startsWith('en_')) return 'en'
  return null
}

export function storedLocale(): Locale | null {
  try {
    return normaliseLocale(localStorage.getItem(STORAGE_KEY))
  } catch {
    return null
  }
}

const initial = storedLocale() ?? DEFAULT_LOCALE

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initial,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
})

function apply(locale: Locale) {
  document.documentElement.lang = locale
  setApiLanguage(locale)
}
apply(initial)

export function currentLocale(): Locale {
  return i18n.global.locale.value as Locale
}

/** Switch the UI language and remember it in this browser. */
export function setLocale(locale: Locale, remember = true) {
  i18n.global.locale.value = locale
  apply(locale)
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, locale)
    } catch {
      /* private mode */
    }
  }
}

export const t = i18n.global.t
