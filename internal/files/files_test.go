package files

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLocalStore(t *testing.T) {
	ctx := context.Background()
	l := Local{Dir: t.TempDir()}
	key, n, err := l.Put(ctx, "t1/followup", strings.NewReader("录音文件"))
	if err != nil || n != int64(len("录音文件")) {
		t.Fatalf("put: %v %d", err, n)
	}
	r, err := l.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "录音文件" {
		t.Fatalf("read %q", b)
	}
	if _, err := l.Open(ctx, "../etc/passwd"); err == nil {
		t.Fatal("a key leaving the folder was opened")
	}
	if err := l.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Open(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
