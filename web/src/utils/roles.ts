// The built-in permission roles in the reader's language. The server stores
// them under one bilingual name ("销售 Salesperson") and an English
// description; they cannot be renamed, so the stored name identifies them.
import { i18n, t } from '@/i18n'

const BUILTIN: Record<string, string> = {
  '管理员 Administrator': 'admin',
  '销售经理 Sales manager': 'manager',
  '销售 Salesperson': 'sales',
}

interface RoleLike {
  name: string
  description?: string | null
  builtin?: boolean
}

function key(r: RoleLike): string | null {
  const k = r.builtin ? BUILTIN[r.name] : undefined
  return k && i18n.global.te(`permRoles.builtins.${k}.name`) ? k : null
}

export function permRoleName(r: RoleLike): string {
  const k = key(r)
  return k ? t(`permRoles.builtins.${k}.name`) : r.name
}

export function permRoleDescription(r: RoleLike): string {
  const k = key(r)
  return k ? t(`permRoles.builtins.${k}.description`) : (r.description ?? '')
}
