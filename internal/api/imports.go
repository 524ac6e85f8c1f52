package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohortcrm/cohort"
	"github.com/cohortcrm/cohort/internal/service"
	"github.com/cohortcrm/cohort/internal/sheet"
)

// splitFile parses "{object}.{format}" of a download path.
func splitFile(file string) (cohort.ObjectType, string, error) {
	name, format, ok := strings.Cut(file, ".")
	if !ok || (format != sheet.CSV && format != sheet.XLSX) {
		return "", "", cohort.Errorf(cohort.ENOTFOUND, "not found: ask for {object}.xlsx or {object}.csv")
	}
	return cohort.ObjectType(name), format, nil
}

// download sets the headers of a file download.
func download(w http.ResponseWriter, name, format string) {
	w.Header().Set("Content-Type", sheet.ContentType(format))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
}

// buffered holds a file produced in one go (templates, error files) so
// that an error can still be answered as a problem.
type buffered struct{ b []byte }

func (b *buffered) Write(p []byte) (int, error) { b.b = append(b.b, p...); return len(p), nil }

func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request) {
	obj, format, err := splitFile(r.PathValue("file"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf buffered
	if err := s.svc.Template(r.Context(), obj, format, r.URL.Query().Get("lang"), &buf); err != nil {
		s.writeError(w, r, err)
		return
	}
	download(w, string(obj)+"-template."+format, format)
	_, _ = w.Write(buf.b)
}

// startImport reads the multipart form as a stream: the object and dry_run
// fields (or query parameters) and then the file, which goes straight to
// disk without being held in memory.
func (s *Server) startImport(w http.ResponseWriter, r *http.Request) {
	// A large upload on a slow line takes longer than the server's read
	// timeout, which suits JSON bodies.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(30 * time.Minute))
	mr, ok := multipartBody(r)
	if !ok {
		s.writeError(w, r, errorf(cohort.EUNSUPPORTEDTYPE, "send the file as multipart/form-data with the fields object, dry_run and file"))
		return
	}
	q := r.URL.Query()
	up := service.Upload{Object: cohort.ObjectType(q.Get("object"))}
	up.DryRun, _ = strconv.ParseBool(q.Get("dry_run"))
	for {
		part, err := mr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		switch part.FormName() {
		case "object", "dry_run":
			v, err := formValue(part)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if part.FormName() == "object" {
				up.Object = cohort.ObjectType(strings.TrimSpace(v))
			} else {
				up.DryRun, _ = strconv.ParseBool(strings.TrimSpace(v))
			}
		case "file":
			if up.Object == "" {
				s.writeError(w, r, cohort.Errorf(cohort.EINVALID, "object: is required, before the file"))
				return
			}
			up.FileName, up.Body = part.FileName(), &uploadFile{part: part, mr: mr}
			imp, err := s.svc.StartImport(r.Context(), up)
			if err != nil {
				s.writeError(w, r, uploadError(err))
				return
			}
			w.Header().Set("Location", "/api/v1/imports/"+imp.ID.String())
			respond(w, http.StatusAccepted, imp)
			return
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				s.writeError(w, r, malformedUpload(err))
				return
			}
		}
	}
	s.writeError(w, r, cohort.Errorf(cohort.EINVALID, "file: is required"))
}

// uploadError reports a body over the route's limit as 413.
func uploadError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return errorf(cohort.ETOOLARGE, "the upload is larger than "+strconv.FormatInt(maxErr.Limit>>20, 10)+" MiB")
	}
	var ce *cohort.Error
	if !errors.As(err, &ce) && strings.Contains(err.Error(), "multipart") {
		return cohort.Errorf(cohort.EBADREQUEST, "malformed multipart body")
	}
	return err
}

func (s *Server) getImport(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	imp, err := s.svc.FindImport(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	respond(w, http.StatusOK, imp)
}

func (s *Server) importErrors(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		var buf buffered
		if err := s.svc.ImportErrors(r.Context(), id, format, &buf); err != nil {
			s.writeError(w, r, err)
			return
		}
		download(w, "import-"+id.String()+"-errors."+format, format)
		_, _ = w.Write(buf.b)
	}
}

// export streams the file as it is made. Once the first byte is out, an
// error can no longer become a problem response: the connection is
// aborted, so the client sees a failed download, not a short file.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	obj, format, err := splitFile(r.PathValue("file"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	lq, err := listQuery(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(30 * time.Minute))
	sw := &startWriter{w: w, start: func() { download(w, string(obj)+"-"+time.Now().UTC().Format("20060102-150405")+"."+format, format) }}
	if err := s.svc.Export(r.Context(), obj, format, r.URL.Query().Get("view"), lq, sw); err != nil {
		if !sw.started {
			s.writeError(w, r, err)
			return
		}
		s.log.ErrorContext(r.Context(), "export failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// startWriter sets the download headers before the first byte.
type startWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (s *startWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.start()
	}
	return s.w.Write(p)
}
