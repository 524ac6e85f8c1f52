package service

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// hashPassword returns a PHC-format argon2id hash of pw.
func (s *Service) hashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	m, t := s.opt.PasswordMemoryKiB, s.opt.PasswordTime
	key := argon2.IDKey([]byte(pw), salt, t, m, 1, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=1$%s$%s", m, t, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// checkPassword reports whether pw matches the PHC hash. The parameters come
// from the hash, so older hashes keep working when the cost is raised.
func checkPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 20 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no user, so that a missing
// account takes as long as a wrong password: one hash check either way. It is
// made once per cost (making it costs a hash too, which would show).
func (s *Service) dummyHash() string {
	key := [2]uint32{s.opt.PasswordMemoryKiB, s.opt.PasswordTime}
	if h, ok := dummyHashes.Load(key); ok {
		return h.(string)
	}
	h, _ := dummyHashes.LoadOrStore(key, s.hashPassword("no such user"))
	return h.(string)
}

var dummyHashes sync.Map // [2]uint32{memory, time} → PHC hash

// HashPassword hashes pw with the service's cost (for bulk loaders that set
// one password for many users).
func (s *Service) HashPassword(pw string) string { return s.hashPassword(pw) }
