// Package files keeps uploaded files (follow-up attachments) behind a small
// interface: the local disk by default, and anything S3-compatible can
// implement the same three methods.
package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Store keeps file contents under opaque keys.
type Store interface {
	// Put writes r under a new key and returns the key and the size.
	Put(ctx context.Context, prefix string, r io.Reader) (key string, size int64, err error)
	// Open reads the file at key.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the file at key; a missing file is not an error.
	Delete(ctx context.Context, key string) error
}

// Local keeps files in a folder on disk.
type Local struct{ Dir string }

// ErrNotFound is returned by Open for a key that holds no file.
var ErrNotFound = errors.New("files: not found")

func (l Local) path(key string) (string, error) {
	// Keys are made by Put; refuse anything that could leave the folder.
	if key == "" || strings.Contains(key, "..") || filepath.IsAbs(key) {
		return "", fmt.Errorf("files: bad key %q", key)
	}
	return filepath.Join(l.Dir, filepath.FromSlash(key)), nil
}

// Put writes r to a new file under prefix, through a temporary file renamed
// into place, so that a failed upload leaves nothing behind.
func (l Local) Put(ctx context.Context, prefix string, r io.Reader) (string, int64, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	key := prefix + "/" + hex.EncodeToString(b[:])
	p, err := l.path(key)
	if err != nil {
		return "", 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("files: %w", err)
	}
	n, err := io.Copy(tmp, r)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", 0, err
	}
	return key, n, nil
}

// Open opens the file at key.
func (l Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Delete removes the file at key.
func (l Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
