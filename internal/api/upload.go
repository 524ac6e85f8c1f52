package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/cohortcrm/cohort"
)

// A multipart upload is read as a stream, so a body cut short or otherwise
// malformed shows up as an error of a read somewhere in the middle. These
// helpers turn every such error into a 400 problem (413 past the size limit)
// and report the end of a file only once the body has been read to its
// closing boundary, so that the service keeps nothing of a malformed upload.

// uploadReader reads a multipart/form-data body as a stream.
type uploadReader struct {
	*multipart.Reader
	body *boundaryWatch
}

// multipartBody opens r's body as multipart/form-data; ok is false when the
// request is of another type.
func multipartBody(r *http.Request) (*uploadReader, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, false
	}
	w := &boundaryWatch{r: r.Body, mark: []byte("--" + params["boundary"] + "--")}
	return &uploadReader{Reader: multipart.NewReader(w, params["boundary"]), body: w}, true
}

// next is NextPart with its errors as problems; io.EOF (exactly) means the
// closing boundary was read. (The multipart reader also answers io.EOF for
// a body cut in the headers of a part, hence the watch.)
func (u *uploadReader) next() (*multipart.Part, error) {
	part, err := u.NextPart()
	if err == io.EOF {
		if !u.body.seen {
			return nil, malformedUpload(io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	if err != nil {
		return nil, malformedUpload(err)
	}
	return part, nil
}

// boundaryWatch notes whether the closing boundary went past.
type boundaryWatch struct {
	r    io.Reader
	mark []byte
	tail []byte // the last len(mark)-1 bytes, for a mark across two reads
	seen bool
}

func (b *boundaryWatch) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 && !b.seen {
		buf := append(b.tail, p[:n]...)
		b.seen = bytes.Contains(buf, b.mark)
		if keep := len(b.mark) - 1; len(buf) > keep {
			buf = buf[len(buf)-keep:]
		}
		b.tail = append(b.tail[:0], buf...)
	}
	return n, err
}

// malformedUpload is the problem for a read error of a multipart body.
func malformedUpload(err error) error {
	var maxErr *http.MaxBytesError
	var ce *cohort.Error
	switch {
	case errors.As(err, &maxErr):
		return errorf(cohort.ETOOLARGE, "the upload is larger than "+strconv.FormatInt(maxErr.Limit>>20, 10)+" MiB")
	case errors.As(err, &ce):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return cohort.Errorf(cohort.EBADREQUEST, "malformed multipart body: it ends before its closing boundary")
	}
	return cohort.Errorf(cohort.EBADREQUEST, "malformed multipart body")
}

// uploadFile is the body of one file part. Its end is io.EOF only when the
// rest of the multipart body, after the file, is well formed too.
type uploadFile struct {
	part *multipart.Part
	mr   *uploadReader
	err  error // sticky
}

func (u *uploadFile) Read(p []byte) (int, error) {
	if u.err != nil {
		return 0, u.err
	}
	n, err := u.part.Read(p)
	switch {
	case err == io.EOF:
		err = u.rest()
	case err != nil:
		err = malformedUpload(err)
	}
	u.err = err
	return n, err
}

// rest reads the parts after the file to the closing boundary; they are
// ignored, but must be whole.
func (u *uploadFile) rest() error {
	for {
		part, err := u.mr.next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return malformedUpload(err)
		}
	}
}

// formValue reads a small form field of at most 100 bytes.
func formValue(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, 100))
	if err != nil {
		return "", malformedUpload(err)
	}
	return string(b), nil
}

// filePart finds the multipart field "file" of r, skipping (and reading
// whole) the fields before it; body streams the file and then checks the
// rest of the upload. A request that is not multipart is a 415, an upload
// without the field a 422.
func filePart(r *http.Request) (part *multipart.Part, body io.Reader, err error) {
	mr, ok := multipartBody(r)
	if !ok {
		return nil, nil, errorf(cohort.EUNSUPPORTEDTYPE, "send the file as multipart/form-data in the field \"file\"")
	}
	for {
		part, err := mr.next()
		if err == io.EOF {
			return nil, nil, cohort.Errorf(cohort.EINVALID, "file: no field \"file\" in the upload")
		}
		if err != nil {
			return nil, nil, err
		}
		if part.FormName() == "file" {
			return part, &uploadFile{part: part, mr: mr}, nil
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return nil, nil, malformedUpload(err)
		}
	}
}
