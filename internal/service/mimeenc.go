package service

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
)

func newQP(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

// newB64 decodes a base64 body, ignoring the line breaks mail wraps it in.
func newB64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
}

type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	out := strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n]))
	copy(p, out)
	return len(out), err
}
