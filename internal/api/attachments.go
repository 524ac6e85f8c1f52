package api

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/store"
)

// uploadAttachment streams the multipart field "file" to the file store.
func (s *Server) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The follow-up first: another tenant's id is not found, whatever the body.
	if _, err := s.svc.Attachments(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	part, body, err := filePart(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.svc.AddAttachment(r.Context(), id, part.FileName(), part.Header.Get("Content-Type"), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusCreated, a)
}

func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.svc.Attachments(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, cohort.Page[*store.Attachment]{Items: as})
}

// downloadAttachment sends a file as a download, never rendered inline, so
// that an uploaded page cannot run in Cohort's origin.
func (s *Server) downloadAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, rc, err := s.svc.OpenAttachment(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})+
		"; filename*=UTF-8''"+url.PathEscape(a.Name))
	w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = io.Copy(w, rc)
}

func (s *Server) deleteAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = s.svc.DeleteAttachment(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
