package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/search"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/sheet"
	"github.com/cohortcrm/cohort/internal/store"
)

// Route is one entry of the route table. Req and Resp are zero values of the
// request and response bodies; the OpenAPI document is generated from them.
type Route struct {
	Method  string
	Path    string
	Summary string
	// Perm names the permission the service checks ("user:view"), for the
	// document and the reader; "" means any authenticated user.
	Perm       string
	Public     bool
	Idempotent bool
	// List marks keyset-paged lists that take filter, sort, cursor and limit.
	List bool
	// MaxBody caps the request body; 0 means Options.MaxBodyBytes.
	MaxBody int64
	Req     any
	Resp    any
	Status  int
	Handler http.HandlerFunc
}

// routeTable lists every route of the API with its permission.
func (s *Server) routeTable() []Route {
	return append(append(append([]Route{
		{Method: "GET", Path: "/healthz", Summary: "Liveness", Public: true, Resp: map[string]string{}, Handler: s.healthz},
		{Method: "GET", Path: "/readyz", Summary: "Readiness: the database answers and is migrated", Public: true, Resp: map[string]string{}, Handler: s.readyz},
		{Method: "GET", Path: "/metrics", Summary: "Prometheus metrics", Public: true, Handler: s.metricsHandler},
		{Method: "GET", Path: "/api/v1/openapi.json", Summary: "This API's OpenAPI 3.1 document", Public: true, Resp: map[string]any{}, Handler: s.openapi},

		{Method: "POST", Path: "/api/v1/auth/login", Summary: "Log in and start a session", Public: true, Req: loginRequest{}, Resp: meResponse{}, Handler: s.login},
		{Method: "GET", Path: "/api/v1/auth/session", Summary: "Whether the browser's session is live, and whose (200 either way)", Public: true, Resp: sessionResponse{}, Handler: s.session},
		{Method: "GET", Path: "/api/v1/signup", Summary: "Whether this server offers self-service sign-up", Public: true, Resp: signupState{}, Handler: s.getSignup},
		{Method: "POST", Path: "/api/v1/signup", Summary: "Create a company and its administrator, and log in (when sign-up is on)", Public: true, Req: service.Signup{}, Resp: meResponse{}, Status: 201, Handler: s.signup},
		{Method: "POST", Path: "/api/v1/auth/logout", Summary: "End this session", Status: 204, Handler: s.logout},

		{Method: "GET", Path: "/api/v1/me", Summary: "Who I am, my tenant and my permissions", Resp: meResponse{}, Handler: s.me},
		{Method: "PATCH", Path: "/api/v1/me", Summary: "Change my name, phone or language", Req: service.MeUpdate{}, Resp: cohort.User{}, Handler: s.updateMe},
		{Method: "POST", Path: "/api/v1/me/password", Summary: "Change my password (ends my other sessions)", Req: passwordChange{}, Status: 204, Handler: s.changePassword},
		{Method: "GET", Path: "/api/v1/me/default-team", Summary: "My default team: people who join every new record I own", Resp: defaultTeam{}, Handler: s.getDefaultTeam},
		{Method: "PUT", Path: "/api/v1/me/default-team", Summary: "Replace my default team", Req: defaultTeam{}, Resp: defaultTeam{}, Handler: s.setDefaultTeam},
		{Method: "GET", Path: "/api/v1/me/tokens", Summary: "My API tokens", Resp: listOf[cohort.APIToken]{}, Handler: s.listTokens},
		{Method: "POST", Path: "/api/v1/me/tokens", Summary: "Create an API token (its secret is shown once)", Idempotent: true, Req: tokenRequest{}, Resp: cohort.APIToken{}, Status: 201, Handler: s.createToken},
		{Method: "DELETE", Path: "/api/v1/me/tokens/{id}", Summary: "Revoke an API token", Status: 204, Handler: s.revokeToken},

		{Method: "GET", Path: "/api/v1/users", Summary: "List users", Perm: "user:view", List: true, Resp: listOf[cohort.User]{}, Handler: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", Summary: "Create a user", Perm: "user:create", Idempotent: true, Req: userCreate{}, Resp: cohort.User{}, Status: 201, Handler: s.createUser},
		{Method: "GET", Path: "/api/v1/users/{id}", Summary: "One user", Perm: "user:view", Resp: cohort.User{}, Handler: getByID(s, s.svc.FindUser, userVersion)},
		{Method: "PATCH", Path: "/api/v1/users/{id}", Summary: "Change a user (roles need role:administer)", Perm: "user:edit", Req: cohort.UserUpdate{}, Resp: cohort.User{}, Handler: patchByID(s, s.svc.UpdateUser, userVersion)},
		{Method: "POST", Path: "/api/v1/users/{id}/password", Summary: "Set a user's password (ends their sessions)", Perm: "user:administer", Req: passwordSet{}, Status: 204, Handler: s.setUserPassword},
		{Method: "GET", Path: "/api/v1/users/{id}/org-history", Summary: "A user's department and manager history", Perm: "user:view", Resp: listOf[cohort.OrgAssignment]{}, Handler: s.userOrgHistory},

		{Method: "GET", Path: "/api/v1/departments", Summary: "The department tree, parents first", Perm: "department:view", Resp: listOf[cohort.Department]{}, Handler: s.listDepartments},
		{Method: "POST", Path: "/api/v1/departments", Summary: "Create a department", Perm: "department:create", Idempotent: true, Req: departmentCreate{}, Resp: cohort.Department{}, Status: 201, Handler: s.createDepartment},
		{Method: "PATCH", Path: "/api/v1/departments/{id}", Summary: "Rename or move a department", Perm: "department:edit", Req: cohort.DepartmentUpdate{}, Resp: cohort.Department{}, Handler: patchByID(s, s.svc.UpdateDepartment, departmentVersion)},
		{Method: "DELETE", Path: "/api/v1/departments/{id}", Summary: "Delete an empty department", Perm: "department:delete", Status: 204, Handler: s.deleteDepartment},

		{Method: "GET", Path: "/api/v1/tenant/settings", Summary: "The tenant's settings: name, time zone, fiscal-year start, currency, week start, backdating window", Resp: cohort.Tenant{}, Handler: s.getTenantSettings},
		{Method: "PATCH", Path: "/api/v1/tenant/settings", Summary: "Change the tenant's settings (audited; a bad value is a 422 naming the field)", Perm: "tenant:administer", Req: cohort.TenantUpdate{}, Resp: cohort.Tenant{}, Handler: s.updateTenantSettings},

		{Method: "GET", Path: "/api/v1/permissions/catalog", Summary: "Object types, actions and scopes", Resp: catalog{}, Handler: s.catalog},
		{Method: "GET", Path: "/api/v1/perm-roles", Summary: "Permission roles", Perm: "role:view", Resp: listOf[cohort.PermRole]{}, Handler: s.listPermRoles},
		{Method: "POST", Path: "/api/v1/perm-roles", Summary: "Create a permission role", Perm: "role:administer", Idempotent: true, Req: permRoleCreate{}, Resp: cohort.PermRole{}, Status: 201, Handler: s.createPermRole},
		{Method: "GET", Path: "/api/v1/perm-roles/{id}", Summary: "One permission role", Perm: "role:view", Resp: cohort.PermRole{}, Handler: getByID(s, s.svc.FindPermRole, permRoleVersion)},
		{Method: "PATCH", Path: "/api/v1/perm-roles/{id}", Summary: "Change a permission role", Perm: "role:administer", Req: cohort.PermRoleUpdate{}, Resp: cohort.PermRole{}, Handler: patchByID(s, s.svc.UpdatePermRole, permRoleVersion)},
		{Method: "DELETE", Path: "/api/v1/perm-roles/{id}", Summary: "Delete a permission role nobody holds", Perm: "role:administer", Status: 204, Handler: s.deletePermRole},

		{Method: "GET", Path: "/api/v1/business-roles", Summary: "Business roles", Perm: "role:view", Resp: listOf[cohort.BusinessRole]{}, Handler: s.listBusinessRoles},
		{Method: "POST", Path: "/api/v1/business-roles", Summary: "Add a business role", Perm: "role:administer", Idempotent: true, Req: businessRoleCreate{}, Resp: cohort.BusinessRole{}, Status: 201, Handler: s.createBusinessRole},
		{Method: "PATCH", Path: "/api/v1/business-roles/{id}", Summary: "Change a business role", Perm: "role:administer", Req: cohort.BusinessRoleUpdate{}, Resp: cohort.BusinessRole{}, Handler: patchByID(s, s.svc.UpdateBusinessRole, businessRoleVersion)},
		{Method: "DELETE", Path: "/api/v1/business-roles/{id}", Summary: "Delete a tenant-defined business role", Perm: "role:administer", Status: 204, Handler: s.deleteBusinessRole},

		{Method: "GET", Path: "/api/v1/custom-fields", Summary: "Custom fields (?object_type=customer|contact|opportunity|lead)", Resp: listOf[cohort.CustomField]{}, Handler: s.listCustomFields},
		{Method: "POST", Path: "/api/v1/custom-fields", Summary: "Declare a custom field", Perm: "<object_type>:administer", Idempotent: true, Req: customFieldInput{}, Resp: cohort.CustomField{}, Status: 201, Handler: s.createCustomField},
		{Method: "PATCH", Path: "/api/v1/custom-fields/{id}", Summary: "Change a custom field's labels, options, order or state", Perm: "<object_type>:administer", Req: service.CustomFieldUpdate{}, Resp: cohort.CustomField{}, Handler: patchByID(s, s.svc.UpdateCustomField, customFieldVersion)},

		{Method: "GET", Path: "/api/v1/leads", Summary: "List leads", Perm: "lead:view", List: true, Resp: listOf[cohort.Lead]{}, Handler: s.listLeads},
		{Method: "POST", Path: "/api/v1/leads", Summary: "Record a lead", Perm: "lead:create", Idempotent: true, Req: leadInput{}, Resp: cohort.Lead{}, Status: 201, Handler: s.createLead},
		{Method: "GET", Path: "/api/v1/leads/{id}", Summary: "One lead", Perm: "lead:view", Resp: cohort.Lead{}, Handler: getByID(s, s.svc.FindLead, leadVersion)},
		{Method: "PATCH", Path: "/api/v1/leads/{id}", Summary: "Change an unconverted lead", Perm: "lead:edit", Req: cohort.LeadUpdate{}, Resp: cohort.Lead{}, Handler: patchByID(s, s.svc.UpdateLead, leadVersion)},
		{Method: "POST", Path: "/api/v1/leads/{id}/convert", Summary: "Convert into customer + contact (+ opportunity) through the mapping", Perm: "lead:edit", Req: service.ConvertLead{}, Resp: cohort.Lead{}, Handler: s.convertLead},
		{Method: "GET", Path: "/api/v1/leads/{id}/timeline", Summary: "A lead's changes, newest first", Perm: "lead:view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(cohort.ObjLead)},
		{Method: "GET", Path: "/api/v1/settings/followup-types", Summary: "Follow-up types: built-in and the tenant's own", Resp: followUpTypesBody{}, Handler: s.getFollowUpTypes},
		{Method: "PUT", Path: "/api/v1/settings/followup-types", Summary: "Replace the tenant's own follow-up types", Perm: "followup:administer", Req: followUpTypesBody{}, Resp: followUpTypesBody{}, Handler: s.setFollowUpTypes},
		{Method: "GET", Path: "/api/v1/settings/lead-mapping", Summary: "The lead conversion field mapping", Perm: "lead:view", Resp: cohort.LeadMapping{}, Handler: s.getLeadMapping},
		{Method: "PUT", Path: "/api/v1/settings/lead-mapping", Summary: "Change the lead conversion field mapping", Perm: "lead:administer", Req: cohort.LeadMapping{}, Resp: cohort.LeadMapping{}, Handler: s.setLeadMapping},

		{Method: "GET", Path: "/api/v1/customers", Summary: "List customers (?view=all|mine|subordinates|team)", Perm: "customer:view", List: true, Resp: listOf[cohort.Customer]{}, Handler: s.listCustomers},
		{Method: "POST", Path: "/api/v1/customers", Summary: "Create a customer with its team", Perm: "customer:create", Idempotent: true, Req: customerInput{}, Resp: cohort.Customer{}, Status: 201, Handler: s.createCustomer},
		{Method: "GET", Path: "/api/v1/customers/{id}", Summary: "One customer", Perm: "customer:view", Resp: cohort.Customer{}, Handler: getByID(s, s.svc.FindCustomer, customerVersion)},
		{Method: "PATCH", Path: "/api/v1/customers/{id}", Summary: "Change a customer, its value calibration or status", Perm: "customer:edit", Req: cohort.CustomerUpdate{}, Resp: cohort.Customer{}, Handler: patchByID(s, s.svc.UpdateCustomer, customerVersion)},
		{Method: "POST", Path: "/api/v1/customers/{id}/transfer", Summary: "Hand a customer to a new owner", Perm: "customer:transfer", Req: transferRequest{}, Resp: cohort.Customer{}, Handler: s.transferCustomer},
		{Method: "GET", Path: "/api/v1/customers/{id}/team", Summary: "A customer's team (?history=true for every membership)", Perm: "customer:view", Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjCustomer)},
		{Method: "PUT", Path: "/api/v1/customers/{id}/team", Summary: "Replace a customer's team", Perm: "customer:edit", Req: teamRequest{}, Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjCustomer)},
		{Method: "GET", Path: "/api/v1/customers/{id}/timeline", Summary: "A customer's follow-ups and changes, newest first", Perm: "customer:view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(cohort.ObjCustomer)},
		{Method: "GET", Path: "/api/v1/customers/{id}/next-actions", Summary: "A customer's open next actions, soonest due first", Perm: "customer:view", Resp: listOf[cohort.NextAction]{}, Handler: listByID(s, s.svc.CustomerNextActions)},
		{Method: "GET", Path: "/api/v1/customers/{id}/payments", Summary: "Payments on a customer's contracts and orders the caller may see, newest first", Perm: "customer:view", Resp: listOf[service.CustomerPayment]{}, Handler: listByID(s, s.svc.CustomerPayments)},
		{Method: "GET", Path: "/api/v1/customers/{id}/figures", Summary: "A customer's figures from the metric engine (open pipeline, won, signed, collected, receivable, tickets, follow-ups), inside the caller's scope", Perm: "customer:view", Resp: service.CustomerFigures{}, Handler: s.customerFigures},
		{Method: "GET", Path: "/api/v1/customers/{id}/duplicates", Summary: "Customers matching this one by name, credit code, phone or email", Perm: "customer:view", Resp: listOf[service.Duplicate]{}, Handler: s.customerDuplicates},
		{Method: "POST", Path: "/api/v1/customers/{id}/merge", Summary: "Merge a duplicate into this customer, moving every related record", Perm: "customer:edit", Req: mergeRequest{}, Resp: service.MergeResult{}, Handler: s.mergeCustomer},
		{Method: "GET", Path: "/api/v1/customers/{id}/contacts", Summary: "A customer's contacts", Perm: "customer:view", Resp: listOf[cohort.Contact]{}, Handler: s.customerContacts},
		{Method: "POST", Path: "/api/v1/customers/{id}/contacts", Summary: "Add a contact", Perm: "customer:edit", Idempotent: true, Req: contactInput{}, Resp: cohort.Contact{}, Status: 201, Handler: s.createContact},
		{Method: "PATCH", Path: "/api/v1/contacts/{id}", Summary: "Change a contact", Perm: "customer:edit", Req: cohort.ContactUpdate{}, Resp: cohort.Contact{}, Handler: patchByID(s, s.svc.UpdateContact, contactVersion)},
		{Method: "DELETE", Path: "/api/v1/contacts/{id}", Summary: "Delete a contact no follow-up names", Perm: "customer:edit", Status: 204, Handler: s.deleteContact},
		{Method: "POST", Path: "/api/v1/followups", Summary: "Log a follow-up and set the next action", Perm: "followup:create", Idempotent: true, Req: followUpInput{}, Resp: followUpResult{}, Status: 201, Handler: s.logFollowUp},
		{Method: "POST", Path: "/api/v1/followups/{id}/attachments", Summary: "Attach a file (multipart field \"file\", at most 50 MiB)", Perm: "customer:view", MaxBody: 51 << 20, Resp: store.Attachment{}, Status: 201, Handler: s.uploadAttachment},
		{Method: "GET", Path: "/api/v1/followups/{id}/attachments", Summary: "A follow-up's attachments", Perm: "customer:view", Resp: listOf[store.Attachment]{}, Handler: s.listAttachments},
		{Method: "GET", Path: "/api/v1/attachments/{id}", Summary: "Download an attachment", Perm: "customer:view", Handler: s.downloadAttachment},
		{Method: "DELETE", Path: "/api/v1/attachments/{id}", Summary: "Delete an attachment", Perm: "customer:view", Status: 204, Handler: s.deleteAttachment},
		{Method: "GET", Path: "/api/v1/followups", Summary: "Follow-ups on the customers I may see", Perm: "customer:view", List: true, Resp: listOf[cohort.FollowUp]{}, Handler: s.listFollowUps},
		{Method: "POST", Path: "/api/v1/capture/batch", Summary: "Ingest call records, SMS and emails (raw .eml); matched ones become follow-ups", Perm: "followup:import", Req: captureBatch{}, Resp: captureResults{}, Handler: s.captureBatch},
		{Method: "GET", Path: "/api/v1/capture/inbox", Summary: "Captured items no customer could be matched to", Resp: listOf[cohort.CommItem]{}, Handler: s.captureInbox},
		{Method: "POST", Path: "/api/v1/capture/inbox/{id}/link", Summary: "Link a captured item to a customer by hand", Perm: "customer:view", Req: linkRequest{}, Resp: cohort.CommItem{}, Handler: s.linkCaptured},
		{Method: "POST", Path: "/api/v1/capture/inbox/{id}/dismiss", Summary: "Dismiss a captured item", Status: 204, Handler: s.dismissCaptured},
		{Method: "GET", Path: "/api/v1/workbench", Summary: "My next actions for today, overdue ones and forgotten customers", Resp: service.Workbench{}, Handler: s.workbench},

		{Method: "GET", Path: "/api/v1/sales-processes", Summary: "Sales processes with their stages", Perm: "opportunity:view", Resp: listOf[cohort.SalesProcess]{}, Handler: s.listProcesses},
		{Method: "POST", Path: "/api/v1/sales-processes", Summary: "Add a sales process", Perm: "opportunity:administer", Idempotent: true, Req: processInput{}, Resp: cohort.SalesProcess{}, Status: 201, Handler: s.saveProcess},
		{Method: "PATCH", Path: "/api/v1/sales-processes/{id}", Summary: "Replace a sales process's names and stages", Perm: "opportunity:administer", Req: processInput{}, Resp: cohort.SalesProcess{}, Handler: s.saveProcess},
		{Method: "GET", Path: "/api/v1/product-categories", Summary: "Product categories", Perm: "opportunity:view", Resp: listOf[store.ProductCategory]{}, Handler: s.listProductCategories},
		{Method: "POST", Path: "/api/v1/product-categories", Summary: "Add a product category", Perm: "product:create", Idempotent: true, Req: categoryInput{}, Resp: store.ProductCategory{}, Status: 201, Handler: s.createProductCategory},
		{Method: "GET", Path: "/api/v1/products", Summary: "Products", Perm: "opportunity:view", List: true, Resp: listOf[cohort.Product]{}, Handler: s.listProducts},
		{Method: "POST", Path: "/api/v1/products", Summary: "Add a product", Perm: "product:create", Idempotent: true, Req: productInput{}, Resp: cohort.Product{}, Status: 201, Handler: s.createProduct},
		{Method: "GET", Path: "/api/v1/opportunities", Summary: "List opportunities (?view=all|mine|team)", Perm: "opportunity:view", List: true, Resp: listOf[cohort.Opportunity]{}, Handler: s.listOpportunities},
		{Method: "GET", Path: "/api/v1/opportunities/stage-totals", Summary: "The board's column totals from the metric engine: open opportunities now per stage of a process, count and amount, in the caller's scope (?process_id=&view=all|mine|team|followed&owner_id=&customer_id=)", Perm: "opportunity:view", Resp: service.StageTotals{}, Handler: s.stageTotals},
		{Method: "POST", Path: "/api/v1/opportunities", Summary: "Open an opportunity in the first stage of its process", Perm: "opportunity:create", Idempotent: true, Req: opportunityInput{}, Resp: cohort.Opportunity{}, Status: 201, Handler: s.createOpportunity},
		{Method: "GET", Path: "/api/v1/opportunities/{id}", Summary: "One opportunity with its lines", Perm: "opportunity:view", Resp: cohort.Opportunity{}, Handler: getByID(s, s.svc.FindOpportunity, opportunityVersion)},
		{Method: "PATCH", Path: "/api/v1/opportunities/{id}", Summary: "Change an open opportunity", Perm: "opportunity:edit", Req: cohort.OpportunityUpdate{}, Resp: cohort.Opportunity{}, Handler: patchByID(s, s.svc.UpdateOpportunity, opportunityVersion)},
		{Method: "POST", Path: "/api/v1/opportunities/{id}/stage", Summary: "Move to another stage (entry requirements enforced: 422 names what is missing)", Perm: "opportunity:edit", Req: stageRequest{}, Resp: cohort.Opportunity{}, Handler: patchByID(s, s.moveStage, opportunityVersion)},
		{Method: "POST", Path: "/api/v1/opportunities/{id}/close", Summary: "Close as won, lost (with reason and competitor) or invalid", Perm: "opportunity:edit", Req: closeRequest{}, Resp: cohort.Opportunity{}, Handler: patchByID(s, s.closeOpportunity, opportunityVersion)},
		{Method: "GET", Path: "/api/v1/opportunities/{id}/stages", Summary: "Stage history with timestamps", Perm: "opportunity:view", Resp: listOf[cohort.StageEntry]{}, Handler: s.opportunityStages},
		{Method: "GET", Path: "/api/v1/opportunities/{id}/timeline", Summary: "An opportunity's follow-ups and changes, newest first", Perm: "opportunity:view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(cohort.ObjOpportunity)},
		{Method: "GET", Path: "/api/v1/opportunities/{id}/team", Summary: "An opportunity's team (?history=true)", Perm: "opportunity:view", Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjOpportunity)},
		{Method: "PUT", Path: "/api/v1/opportunities/{id}/team", Summary: "Replace an opportunity's team", Perm: "opportunity:edit", Req: teamRequest{}, Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjOpportunity)},

		{Method: "GET", Path: "/api/v1/price-lists", Summary: "Price lists with their product prices", Perm: "opportunity:view", List: true, Resp: listOf[cohort.PriceList]{}, Handler: s.listPriceLists},
		{Method: "POST", Path: "/api/v1/price-lists", Summary: "Add a price list with validity dates and product prices", Perm: "product:create", Idempotent: true, Req: priceListInput{}, Resp: cohort.PriceList{}, Status: 201, Handler: s.createPriceList},
		{Method: "GET", Path: "/api/v1/price-lists/{id}", Summary: "One price list", Perm: "opportunity:view", Resp: cohort.PriceList{}, Handler: getByID(s, s.svc.FindPriceList, priceListVersion)},
		{Method: "PATCH", Path: "/api/v1/price-lists/{id}", Summary: "Change a price list (items replace all prices)", Perm: "product:edit", Req: cohort.PriceListUpdate{}, Resp: cohort.PriceList{}, Handler: patchByID(s, s.svc.UpdatePriceList, priceListVersion)},
	}, s.dealRoutes()...), []Route{
		{Method: "GET", Path: "/api/v1/projects", Summary: "List delivery projects (?view=all|mine|team)", Perm: "project:view", List: true, Resp: listOf[cohort.Project]{}, Handler: s.listProjects},
		{Method: "POST", Path: "/api/v1/projects", Summary: "Open a delivery project for a signed contract/order or a customer, with its team", Perm: "project:create", Idempotent: true, Req: projectInput{}, Resp: cohort.Project{}, Status: 201, Handler: s.createProject},
		{Method: "GET", Path: "/api/v1/projects/{id}", Summary: "One project with its milestones", Perm: "project:view", Resp: cohort.Project{}, Handler: getByID(s, s.svc.FindProject, projectVersion)},
		{Method: "PATCH", Path: "/api/v1/projects/{id}", Summary: "Change a project's name, dates or note", Perm: "project:edit", Req: cohort.ProjectUpdate{}, Resp: cohort.Project{}, Handler: patchByID(s, s.svc.UpdateProject, projectVersion)},
		{Method: "POST", Path: "/api/v1/projects/{id}/status", Summary: "Move a project: planned, in_progress, on_hold, completed, cancelled (422 names the allowed moves)", Perm: "project:edit", Req: projectStatusRequest{}, Resp: cohort.Project{}, Handler: patchByID(s, s.moveProject, projectVersion)},
		{Method: "POST", Path: "/api/v1/projects/{id}/milestones", Summary: "Add a milestone", Perm: "project:edit", Req: milestoneInput{}, Resp: cohort.Project{}, Status: 201, Handler: s.addMilestone},
		{Method: "POST", Path: "/api/v1/projects/{id}/milestones/{milestone_id}/done", Summary: "Mark a milestone done (now, by me)", Perm: "project:edit", Resp: cohort.Project{}, Handler: s.milestoneDone},
		{Method: "GET", Path: "/api/v1/projects/{id}/events", Summary: "A project's events with time and person", Perm: "project:view", Resp: listOf[cohort.RecordEvent]{}, Handler: s.recordEvents(cohort.ObjProject)},
		{Method: "GET", Path: "/api/v1/projects/{id}/timeline", Summary: "A project's changes, newest first", Perm: "project:view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(cohort.ObjProject)},
		{Method: "GET", Path: "/api/v1/projects/{id}/team", Summary: "A project's team (?history=true, ?at=time)", Perm: "project:view", Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjProject)},
		{Method: "PUT", Path: "/api/v1/projects/{id}/team", Summary: "Replace a project's team", Perm: "project:edit", Req: teamRequest{}, Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjProject)},

		{Method: "GET", Path: "/api/v1/expenses", Summary: "List sales expenses of the people in the caller's data scope", Perm: "customer:view", List: true, Resp: listOf[cohort.Expense]{}, Handler: s.listExpenses},
		{Method: "POST", Path: "/api/v1/expenses", Summary: "Record a sales expense incurred by user_id (default the caller) on incurred_on", Perm: "customer:view", Idempotent: true, Req: expenseInput{}, Resp: cohort.Expense{}, Status: 201, Handler: s.createExpense},
		{Method: "GET", Path: "/api/v1/expenses/{id}", Summary: "One expense", Perm: "customer:view", Resp: cohort.Expense{}, Handler: getByID(s, s.svc.FindExpense, expenseVersion)},
		{Method: "PATCH", Path: "/api/v1/expenses/{id}", Summary: "Change an expense", Perm: "customer:view", Req: cohort.ExpenseUpdate{}, Resp: cohort.Expense{}, Handler: patchByID(s, s.svc.UpdateExpense, expenseVersion)},
		{Method: "DELETE", Path: "/api/v1/expenses/{id}", Summary: "Delete an expense", Perm: "customer:view", Status: 204, Handler: s.deleteExpense},
		{Method: "GET", Path: "/api/v1/tickets", Summary: "List service tickets (?view=all|mine|team)", Perm: "ticket:view", List: true, Resp: listOf[cohort.Ticket]{}, Handler: s.listTickets},
		{Method: "POST", Path: "/api/v1/tickets", Summary: "Open a ticket (request, complaint or fault) assigned to owner_id", Perm: "ticket:create", Idempotent: true, Req: ticketInput{}, Resp: cohort.Ticket{}, Status: 201, Handler: s.createTicket},
		{Method: "GET", Path: "/api/v1/tickets/{id}", Summary: "One ticket", Perm: "ticket:view", Resp: cohort.Ticket{}, Handler: getByID(s, s.svc.FindTicket, ticketVersion)},
		{Method: "PATCH", Path: "/api/v1/tickets/{id}", Summary: "Change a ticket's subject, kind, priority, contact or cost", Perm: "ticket:edit", Req: cohort.TicketUpdate{}, Resp: cohort.Ticket{}, Handler: patchByID(s, s.svc.UpdateTicket, ticketVersion)},
		{Method: "POST", Path: "/api/v1/tickets/{id}/respond", Summary: "Respond (the first response sets first_response_at)", Perm: "ticket:edit", Req: service.TicketInput{}, Resp: cohort.Ticket{}, Handler: s.ticketAction("respond")},
		{Method: "POST", Path: "/api/v1/tickets/{id}/resolve", Summary: "Resolve with a resolution and cost", Perm: "ticket:edit", Req: service.TicketInput{}, Resp: cohort.Ticket{}, Handler: s.ticketAction("resolve")},
		{Method: "POST", Path: "/api/v1/tickets/{id}/close", Summary: "Close a resolved ticket", Perm: "ticket:edit", Req: service.TicketInput{}, Resp: cohort.Ticket{}, Handler: s.ticketAction("close")},
		{Method: "POST", Path: "/api/v1/tickets/{id}/reopen", Summary: "Reopen a resolved or closed ticket", Perm: "ticket:edit", Req: service.TicketInput{}, Resp: cohort.Ticket{}, Handler: s.ticketAction("reopen")},
		{Method: "POST", Path: "/api/v1/tickets/{id}/rate", Summary: "Record the customer's satisfaction (1–5) after resolution", Perm: "ticket:edit", Req: service.TicketInput{}, Resp: cohort.Ticket{}, Handler: s.ticketAction("rate")},
		{Method: "GET", Path: "/api/v1/tickets/{id}/events", Summary: "A ticket's events with time and person", Perm: "ticket:view", Resp: listOf[cohort.RecordEvent]{}, Handler: s.recordEvents(cohort.ObjTicket)},
		{Method: "GET", Path: "/api/v1/tickets/{id}/timeline", Summary: "A ticket's follow-ups and changes, newest first", Perm: "ticket:view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(cohort.ObjTicket)},
		{Method: "GET", Path: "/api/v1/tickets/{id}/team", Summary: "A ticket's team (?history=true, ?at=time)", Perm: "ticket:view", Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjTicket)},
		{Method: "PUT", Path: "/api/v1/tickets/{id}/team", Summary: "Replace a ticket's team (a new owner is told)", Perm: "ticket:edit", Req: teamRequest{}, Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(cohort.ObjTicket)},

		{Method: "GET", Path: "/api/v1/pools", Summary: "Public pools (公海)", Perm: "customer:view", Resp: listOf[cohort.Pool]{}, Handler: s.listPools},
		{Method: "POST", Path: "/api/v1/pools", Summary: "Create a pool with its rules", Perm: "customer:administer", Idempotent: true, Req: poolInput{}, Resp: cohort.Pool{}, Status: 201, Handler: s.createPool},
		{Method: "PATCH", Path: "/api/v1/pools/{id}", Summary: "Replace a pool's settings and rules", Perm: "customer:administer", Req: poolInput{}, Resp: cohort.Pool{}, Handler: s.updatePool},
		{Method: "GET", Path: "/api/v1/pools/{id}/customers", Summary: "Customers waiting in a pool I belong to", Perm: "customer:view", List: true, Resp: listOf[cohort.Customer]{}, Handler: s.poolCustomers},
		{Method: "POST", Path: "/api/v1/customers/{id}/release", Summary: "Put a customer into a pool", Perm: "customer:edit", Req: releaseRequest{}, Status: 204, Handler: s.releaseCustomer},
		{Method: "GET", Path: "/api/v1/customers/{id}/pool-events", Summary: "A customer's movements into and out of pools, newest first", Perm: "customer:view", Resp: listOf[cohort.PoolEvent]{}, Handler: listByID(s, s.svc.PoolEvents)},
		{Method: "POST", Path: "/api/v1/customers/{id}/claim", Summary: "Claim a customer from a pool", Perm: "customer:view", Resp: cohort.Customer{}, Handler: s.claimCustomer},
		{Method: "POST", Path: "/api/v1/customers/{id}/assign", Summary: "Give a customer in a pool to someone (pool administrators)", Perm: "customer:view", Req: assignRequest{}, Resp: cohort.Customer{}, Handler: s.assignCustomer},

		{Method: "GET", Path: "/api/v1/import/templates/{file}", Summary: "Import template: {object}.xlsx or {object}.csv (customer, contact, lead, followup), ?lang=zh-CN|en", Perm: "<object>:import", Handler: s.importTemplate},
		{Method: "POST", Path: "/api/v1/imports", Summary: "Upload a file to import (multipart: object, dry_run, file); worked in the background", Perm: "<object>:import", MaxBody: s.opt.MaxUploadBytes, Resp: cohort.Import{}, Status: 202, Handler: s.startImport},
		{Method: "GET", Path: "/api/v1/imports/{id}", Summary: "An import's status and progress", Perm: "<object>:import", Resp: cohort.Import{}, Handler: s.getImport},
		{Method: "GET", Path: "/api/v1/imports/{id}/errors.csv", Summary: "An import's refused rows with their reasons (CSV)", Perm: "<object>:import", Handler: s.importErrors(sheet.CSV)},
		{Method: "GET", Path: "/api/v1/imports/{id}/errors.xlsx", Summary: "An import's refused rows with their reasons (xlsx)", Perm: "<object>:import", Handler: s.importErrors(sheet.XLSX)},
		{Method: "GET", Path: "/api/v1/exports/{file}", Summary: "Export {object}.xlsx or {object}.csv in my scope (?view=&filter=&sort=&q= as the list)", Perm: "<object>:export", Handler: s.export},

		{Method: "PUT", Path: "/api/v1/customers/{id}/follow", Summary: "Follow a customer (it shows in view=followed)", Perm: "customer:view", Status: 204, Handler: s.follow(cohort.ObjCustomer)},
		{Method: "DELETE", Path: "/api/v1/customers/{id}/follow", Summary: "Stop following a customer", Perm: "customer:view", Status: 204, Handler: s.follow(cohort.ObjCustomer)},
		{Method: "PUT", Path: "/api/v1/opportunities/{id}/follow", Summary: "Follow an opportunity", Perm: "opportunity:view", Status: 204, Handler: s.follow(cohort.ObjOpportunity)},
		{Method: "DELETE", Path: "/api/v1/opportunities/{id}/follow", Summary: "Stop following an opportunity", Perm: "opportunity:view", Status: 204, Handler: s.follow(cohort.ObjOpportunity)},
		{Method: "GET", Path: "/api/v1/views", Summary: "My saved list views (?object_type=customer|opportunity|lead|followup)", Resp: listOf[store.SavedView]{}, Handler: s.listViews},
		{Method: "POST", Path: "/api/v1/views", Summary: "Save a list view (a name and the list's query string)", Req: viewInput{}, Resp: store.SavedView{}, Status: 201, Handler: s.createView},
		{Method: "DELETE", Path: "/api/v1/views/{id}", Summary: "Delete one of my saved views", Status: 204, Handler: s.deleteView},
		{Method: "GET", Path: "/api/v1/search", Summary: "Full-text search across customers, contacts, opportunities and leads I may see (?q=&types=&limit=)", Resp: listOf[search.Hit]{}, Handler: s.search},

		{Method: "GET", Path: "/api/v1/audit", Summary: "The audit log, newest first", Perm: "audit:view", List: true, Resp: listOf[cohort.AuditEntry]{}, Handler: s.listAudit},

		{Method: "GET", Path: "/api/v1/notifications", Summary: "My inbox, newest first (?unread=true)", Resp: listOf[cohort.Notification]{}, Handler: s.listNotifications},
		{Method: "GET", Path: "/api/v1/notifications/unread-count", Summary: "How many unread messages I have", Resp: countResponse{}, Handler: s.unreadCount},
		{Method: "POST", Path: "/api/v1/notifications/{id}/read", Summary: "Mark a message read", Status: 204, Handler: s.markRead},
		{Method: "POST", Path: "/api/v1/notifications/read-all", Summary: "Mark all my messages read", Status: 204, Handler: s.markAllRead},
		{Method: "GET", Path: "/api/v1/events", Summary: "Server-sent events: live notifications", Handler: s.events},
	}...), slices.Concat(s.metricRoutes(), s.analysisRoutes(), s.goalRoutes(), s.goalDiagnosisRoutes(), s.scorecardRoutes(), s.objectiveRoutes(), s.cockpitRoutes(), s.forecastRoutes())...)
}

// dealRoutes are the routes of quotes, contracts and orders; contracts and
// orders also have a team and money.
func (s *Server) dealRoutes() []Route {
	var rs []Route
	for _, kind := range cohort.DealKinds {
		k := string(kind)
		base := "/api/v1/" + k + "s"
		rs = append(rs,
			Route{Method: "GET", Path: base, Summary: "List " + k + "s (?view=all|mine|team)", Perm: k + ":view", List: true, Resp: listOf[cohort.Deal]{}, Handler: s.listDeals(kind)},
			Route{Method: "POST", Path: base, Summary: "Create a draft " + k + " with product lines (number generated when not given)", Perm: k + ":create", Idempotent: true, Req: dealInput{}, Resp: cohort.Deal{}, Status: 201, Handler: s.createDeal(kind)},
			Route{Method: "GET", Path: base + "/{id}", Summary: "One " + k + " with its lines (and balance)", Perm: k + ":view", Resp: cohort.Deal{}, Handler: getByID(s, func(ctx context.Context, id cohort.ID) (*cohort.Deal, error) { return s.svc.FindDeal(ctx, kind, id) }, dealVersion)},
			Route{Method: "PATCH", Path: base + "/{id}", Summary: "Change a " + k + " (number, lines and discount only as a draft)", Perm: k + ":edit", Req: cohort.DealUpdate{}, Resp: cohort.Deal{}, Handler: patchByID(s, func(ctx context.Context, id cohort.ID, upd cohort.DealUpdate, ver int) (*cohort.Deal, error) {
				return s.svc.UpdateDeal(ctx, kind, id, upd, ver)
			}, dealVersion)},
			Route{Method: "POST", Path: base + "/{id}/status", Summary: "Move a " + k + " to another status (422 names the allowed moves)", Perm: k + ":edit", Req: statusRequest{}, Resp: cohort.Deal{}, Handler: patchByID(s, s.moveDeal(kind), dealVersion)},
			Route{Method: "GET", Path: base + "/{id}/events", Summary: "A " + k + "'s events with time and person", Perm: k + ":view", Resp: listOf[cohort.RecordEvent]{}, Handler: s.recordEvents(kind)},
			Route{Method: "GET", Path: base + "/{id}/timeline", Summary: "A " + k + "'s changes, newest first", Perm: k + ":view", Resp: listOf[service.TimelineItem]{}, Handler: s.timeline(kind)},
		)
		if !cohort.Signable(kind) {
			continue
		}
		rs = append(rs,
			Route{Method: "GET", Path: base + "/{id}/team", Summary: "A " + k + "'s team (?history=true, ?at=time for the team of that moment)", Perm: k + ":view", Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(kind)},
			Route{Method: "PUT", Path: base + "/{id}/team", Summary: "Replace a " + k + "'s team from effective_at on (co-owners with shares adding up to 100 %)", Perm: k + ":edit", Req: teamRequest{}, Resp: listOf[cohort.TeamMember]{}, Handler: s.recordTeam(kind)},
			Route{Method: "POST", Path: base + "/{id}/void", Summary: "Void (作废) a signed " + k + " with a reason and a date: it stays visible and counts in no signed figure", Perm: k + ":edit", Req: voidRequest{}, Resp: cohort.Deal{}, Handler: patchByID(s, s.voidDeal(kind), dealVersion)},
			Route{Method: "GET", Path: base + "/{id}/payment-plans", Summary: "A " + k + "'s installments with what covers each, and its balance", Perm: k + ":view", Resp: planList{}, Handler: s.paymentPlans(kind)},
			Route{Method: "POST", Path: base + "/{id}/payment-plans", Summary: "Add an installment (installments never exceed the total)", Perm: k + ":edit", Req: installmentInput{}, Resp: cohort.PaymentPlan{}, Status: 201, Handler: s.paymentPlans(kind)},
			Route{Method: "DELETE", Path: base + "/{id}/payment-plans/{plan_id}", Summary: "Remove an installment no payment names", Perm: k + ":edit", Status: 204, Handler: s.deleteInstallment(kind)},
			Route{Method: "GET", Path: base + "/{id}/payments", Summary: "A " + k + "'s payments", Perm: k + ":view", Resp: listOf[cohort.Payment]{}, Handler: s.payments(kind)},
			Route{Method: "POST", Path: base + "/{id}/payments", Summary: "Record a payment (at most the receivable)", Perm: k + ":edit", Req: paymentInput{}, Resp: cohort.Payment{}, Status: 201, Handler: s.payments(kind)},
			Route{Method: "POST", Path: base + "/{id}/payments/{payment_id}/reverse", Summary: "Reverse (冲销) a payment: a payment of the opposite amount, dated date (default today)", Perm: k + ":edit", Idempotent: true, Req: reverseRequest{}, Resp: cohort.Payment{}, Status: 201, Handler: s.reversePayment(kind)},
			Route{Method: "GET", Path: base + "/{id}/invoices", Summary: "A " + k + "'s invoices", Perm: k + ":view", Resp: listOf[cohort.Invoice]{}, Handler: s.invoices(kind)},
			Route{Method: "POST", Path: base + "/{id}/invoices", Summary: "Issue an invoice (issued invoices never exceed the total)", Perm: k + ":edit", Req: invoiceInput{}, Resp: cohort.Invoice{}, Status: 201, Handler: s.invoices(kind)},
			Route{Method: "POST", Path: base + "/{id}/invoices/{invoice_id}/void", Summary: "Void an invoice", Perm: k + ":edit", Resp: cohort.Invoice{}, Handler: s.voidInvoice(kind)},
		)
	}
	return rs
}

// listOf is the shape of every list response.
type listOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
