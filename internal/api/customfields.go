package api

import (
	"net/http"
	"slices"

	"github.com/cohortcrm/cohort"
)

type customFieldInput struct {
	ObjectType cohort.ObjectType `json:"object_type"`
	Key        string            `json:"key"`
	LabelZh    string            `json:"label_zh" openapi:"required"`
	LabelEn    string            `json:"label_en" openapi:"required"`
	Type       string            `json:"type"`
	Options    []string          `json:"options"`
	LookupType cohort.ObjectType `json:"lookup_type"`
	Required   bool              `json:"required"`
	SortOrder  int               `json:"sort_order"`
}

func (s *Server) listCustomFields(w http.ResponseWriter, r *http.Request) {
	obj := cohort.ObjectType(r.URL.Query().Get("object_type"))
	if obj != "" && !slices.Contains(cohort.CustomFieldObjects, obj) {
		s.writeError(w, r, cohort.Errorf(cohort.EBADREQUEST, "object_type: custom fields exist on customer, contact, opportunity and lead"))
		return
	}
	fs, err := s.svc.CustomFields(r.Context(), obj)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*cohort.CustomField]{Items: fs})
}

func (s *Server) createCustomField(w http.ResponseWriter, r *http.Request) {
	var in customFieldInput
	if err := decode(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	f := &cohort.CustomField{ObjectType: in.ObjectType, Key: in.Key, LabelZh: in.LabelZh, LabelEn: in.LabelEn, Type: in.Type, Options: in.Options,
		LookupType: in.LookupType, Required: in.Required, SortOrder: in.SortOrder}
	if err := s.svc.CreateCustomField(r.Context(), f); err != nil {
		s.writeError(w, r, err)
		return
	}
	respondVersioned(w, http.StatusCreated, f, f.Version)
}
