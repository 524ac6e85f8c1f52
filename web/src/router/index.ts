import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { ElMessage } from 'element-plus'
import { onUnauthorized } from '@/api/client'
import { useSession } from '@/stores/session'
import { pinia } from '@/stores'

declare module 'vue-router' {
  interface RouteMeta {
    /** Public pages need no session. */
    public?: boolean
    /** i18n key of the page title. */
    title?: string
    /** [object type, action] needed to open the page. */
    perm?: [string, string]
    /** Any one of these [object type, action] pairs opens the page. */
    anyPerm?: [string, string][]
  }
}

const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'login',
    component: () => import('@/views/LoginView.vue'),
    meta: { public: true, title: 'login.title' },
  },
  {
    path: '/signup',
    name: 'signup',
    component: () => import('@/views/SignupView.vue'),
    meta: { public: true, title: 'signup.title' },
  },
  {
    path: '/',
    component: () => import('@/layouts/MainLayout.vue'),
    children: [
      { path: '', name: 'workbench', component: () => import('@/views/WorkbenchView.vue'), meta: { title: 'nav.workbench' } },
      {
        path: 'customers',
        name: 'customers',
        component: () => import('@/views/CustomersView.vue'),
        meta: { title: 'nav.customers', perm: ['customer', 'view'] },
      },
      {
        path: 'customers/:id',
        name: 'customer',
        component: () => import('@/views/CustomerView.vue'),
        meta: { title: 'nav.customers', perm: ['customer', 'view'] },
      },
      {
        path: 'opportunities',
        name: 'opportunities',
        component: () => import('@/views/OpportunitiesView.vue'),
        meta: { title: 'nav.opportunities', perm: ['opportunity', 'view'] },
      },
      {
        path: 'leads',
        name: 'leads',
        component: () => import('@/views/work/LeadsView.vue'),
        meta: { title: 'nav.leads', perm: ['lead', 'view'] },
      },
      {
        path: 'import',
        name: 'import',
        component: () => import('@/views/work/ImportView.vue'),
        meta: { title: 'nav.import', anyPerm: ['customer', 'contact', 'lead', 'followup', 'opportunity', 'contract', 'order', 'ticket'].map((o): [string, string] => [o, 'import']) },
      },
      {
        path: 'opportunities/:id',
        name: 'opportunity',
        component: () => import('@/views/work/OpportunityView.vue'),
        meta: { title: 'nav.opportunities', perm: ['opportunity', 'view'] },
      },
      {
        path: 'contracts',
        name: 'contracts',
        component: () => import('@/views/work/DealsView.vue'),
        props: { kind: 'contract' },
        meta: { title: 'nav.contracts', perm: ['contract', 'view'] },
      },
      {
        path: 'orders',
        name: 'orders',
        component: () => import('@/views/work/DealsView.vue'),
        props: { kind: 'order' },
        meta: { title: 'nav.orders', perm: ['order', 'view'] },
      },
      {
        path: 'quotes',
        name: 'quotes',
        component: () => import('@/views/work/DealsView.vue'),
        props: { kind: 'quote' },
        meta: { title: 'nav.quotes', perm: ['quote', 'view'] },
      },
      {
        path: ':kind(contracts|orders|quotes)/:id',
        name: 'deal',
        component: () => import('@/views/work/DealView.vue'),
        meta: { title: 'nav.contracts' },
      },
      {
        path: 'settings/custom-fields',
        name: 'custom-fields',
        component: () => import('@/views/work/CustomFieldsView.vue'),
        meta: {
          title: 'nav.customFields',
          anyPerm: [['customer', 'administer'], ['contact', 'administer'], ['opportunity', 'administer'], ['lead', 'administer']],
        },
      },
      {
        path: 'capture',
        name: 'capture',
        component: () => import('@/views/work/CaptureInboxView.vue'),
        meta: { title: 'nav.capture', perm: ['customer', 'view'] },
      },
      {
        path: 'projects',
        name: 'projects',
        component: () => import('@/views/work/ProjectsView.vue'),
        meta: { title: 'nav.projects', perm: ['project', 'view'] },
      },
      {
        path: 'projects/:id',
        name: 'project',
        component: () => import('@/views/work/ProjectView.vue'),
        meta: { title: 'nav.projects', perm: ['project', 'view'] },
      },
      {
        path: 'tickets',
        name: 'tickets',
        component: () => import('@/views/work/TicketsView.vue'),
        meta: { title: 'nav.tickets', perm: ['ticket', 'view'] },
      },
      {
        path: 'tickets/:id',
        name: 'ticket',
        component: () => import('@/views/work/TicketView.vue'),
        meta: { title: 'nav.tickets', perm: ['ticket', 'view'] },
      },
      {
        path: 'expenses',
        name: 'expenses',
        component: () => import('@/views/work/ExpensesView.vue'),
        meta: { title: 'expenses.nav', perm: ['customer', 'view'] },
      },
      {
        path: 'goals',
        name: 'goals',
        component: () => import('@/views/goals/GoalsView.vue'),
        meta: { title: 'goals.nav', perm: ['customer', 'view'] },
      },
      {
        path: 'goals/scorecards',
        name: 'scorecards',
        component: () => import('@/views/goals/ScorecardsView.vue'),
        meta: { title: 'scorecards.nav', perm: ['customer', 'view'] },
      },
      {
        path: 'goals/okr',
        name: 'okr',
        component: () => import('@/views/goals/ObjectivesView.vue'),
        meta: { title: 'okr.nav', perm: ['customer', 'view'] },
      },
      {
        path: 'pools',
        name: 'pools',
        component: () => import('@/views/PoolsView.vue'),
        meta: { title: 'nav.pools', perm: ['customer', 'view'] },
      },
      {
        path: 'org/users',
        name: 'users',
        component: () => import('@/views/UsersView.vue'),
        meta: { title: 'nav.users', perm: ['user', 'view'] },
      },
      {
        path: 'org/departments',
        name: 'departments',
        component: () => import('@/views/DepartmentsView.vue'),
        meta: { title: 'nav.departments', perm: ['department', 'view'] },
      },
      {
        path: 'settings/tenant',
        name: 'tenant-settings',
        component: () => import('@/views/TenantSettingsView.vue'),
        meta: { title: 'nav.tenantSettings' },
      },
      {
        path: 'settings/perm-roles',
        name: 'perm-roles',
        component: () => import('@/views/PermRolesView.vue'),
        meta: { title: 'nav.permRoles', perm: ['role', 'view'] },
      },
      {
        path: 'settings/business-roles',
        name: 'business-roles',
        component: () => import('@/views/BusinessRolesView.vue'),
        meta: { title: 'nav.businessRoles', perm: ['role', 'view'] },
      },
      {
        path: 'analyses/:tab?',
        name: 'analyses',
        component: () => import('@/views/analyses/AnalysesView.vue'),
        meta: { title: 'analyses.title', perm: ['customer', 'view'] },
      },
      {
        path: 'analytics/cockpits',
        name: 'cockpits',
        component: () => import('@/views/analytics/CockpitsView.vue'),
        meta: { title: 'cockpits.nav.cockpits', perm: ['customer', 'view'] },
      },
      {
        path: 'analytics/cockpits/:id',
        name: 'cockpit',
        component: () => import('@/views/analytics/CockpitView.vue'),
        meta: { title: 'cockpits.nav.cockpits', perm: ['customer', 'view'] },
      },
      {
        path: 'analytics/analysis',
        name: 'analysis',
        component: () => import('@/views/analytics/AnalysisView.vue'),
        meta: { title: 'cockpits.nav.analysis', perm: ['customer', 'view'] },
      },
      {
        path: 'audit',
        name: 'audit',
        component: () => import('@/views/AuditView.vue'),
        meta: { title: 'nav.audit', perm: ['audit', 'view'] },
      },
      {
        path: 'analyses/forecast',
        name: 'analyses-forecast',
        component: () => import('@/views/analyses/ForecastView.vue'),
        meta: { title: 'forecast.nav.forecast', perm: ['opportunity', 'view'] },
      },
      {
        path: 'analyses/segmentation',
        name: 'analyses-segmentation',
        component: () => import('@/views/analyses/SegmentationView.vue'),
        meta: { title: 'forecast.nav.segmentation', perm: ['customer', 'view'] },
      },
      { path: 'profile', name: 'profile', component: () => import('@/views/ProfileView.vue'), meta: { title: 'nav.profile' } },
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('@/views/NotFoundView.vue'),
        meta: { title: 'notFound.title' },
      },
    ],
  },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

router.beforeEach(async (to) => {
  const session = useSession(pinia)
  if (!session.checked) {
    try {
      await session.load()
    } catch {
      /* server unreachable: the login page will show the error on submit */
    }
  }
  if (to.meta.public) {
    if (to.name === 'login' && session.loggedIn) {
      const r = typeof to.query.redirect === 'string' && to.query.redirect.startsWith('/') ? to.query.redirect : '/'
      return r
    }
    return true
  }
  if (!session.loggedIn) {
    return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  // Pages the user has no permission for lead back to the workbench.
  const perm = to.meta.perm
  if (perm && !session.can(perm[0], perm[1])) return { name: 'workbench' }
  const any = to.meta.anyPerm
  if (any && !any.some(([o, a]) => session.can(o, a))) return { name: 'workbench' }
  if (to.name === 'deal') {
    const kind = String(to.params.kind).replace(/s$/, '')
    if (!session.can(kind, 'view')) return { name: 'workbench' }
    // One route serves the three kinds; the title names the kind shown
    // (to.meta is this navigation's own merged copy).
    to.meta.title = `nav.${kind}s`
  }
  return true
})

// Any 401 from the API: the session is gone; back to the login page.
onUnauthorized(() => {
  const session = useSession(pinia)
  const wasLoggedIn = session.loggedIn
  session.clear()
  const cur = router.currentRoute.value
  if (cur.name !== 'login') {
    ElMessage.closeAll()
    router.replace({
      name: 'login',
      query: { redirect: cur.fullPath !== '/' ? cur.fullPath : undefined, expired: wasLoggedIn ? '1' : undefined },
    })
  }
})
