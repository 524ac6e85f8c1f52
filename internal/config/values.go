package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// value parses and formats one setting. Errors from Set must not repeat the
// value when it may be a secret; only the string kinds hold secrets, and they
// never fail.
type value interface {
	Set(string) error
	String() string
}

type stringValue string

func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) String() string     { return string(*v) }

// dsnValue is a database name; it never fails to parse here (Validate checks
// it) so that a password in it is never echoed in an error.
type dsnValue string

func (v *dsnValue) Set(s string) error { *v = dsnValue(strings.TrimSpace(s)); return nil }
func (v *dsnValue) String() string     { return string(*v) }

type lowerValue string

func (v *lowerValue) Set(s string) error {
	*v = lowerValue(strings.ToLower(strings.TrimSpace(s)))
	return nil
}
func (v *lowerValue) String() string { return string(*v) }

type upperValue string

func (v *upperValue) Set(s string) error {
	*v = upperValue(strings.ToUpper(strings.TrimSpace(s)))
	return nil
}
func (v *upperValue) String() string { return string(*v) }

type intValue int

func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) String() string { return strconv.Itoa(int(*v)) }

type boolValue bool

func (v *boolValue) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "t", "true", "yes", "y", "on":
		*v = true
	case "0", "f", "false", "no", "n", "off":
		*v = false
	default:
		return fmt.Errorf("%q is not true or false", s)
	}
	return nil
}
func (v *boolValue) String() string   { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue time.Duration

func (v *durationValue) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "0" {
		*v = 0
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 90s, 15m, 12h)", s)
	}
	*v = durationValue(d)
	return nil
}

// String writes 12h rather than 12h0m0s.
func (v *durationValue) String() string {
	d := time.Duration(*v)
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// sizeValue is a number of bytes, written plain or with a unit.
type sizeValue int64

var sizeUnits = []struct {
	name string
	n    int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

func (v *sizeValue) Set(s string) error {
	t := strings.TrimSpace(s)
	mul := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.name) && strings.EqualFold(t[len(t)-len(u.name):], u.name) {
			t, mul = strings.TrimSpace(t[:len(t)-len(u.name)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mul {
		return fmt.Errorf("%q is not a size (a number of bytes, or e.g. 512KiB, 4MiB)", s)
	}
	*v = sizeValue(n * mul)
	return nil
}

func (v *sizeValue) String() string {
	n := int64(*v)
	for _, u := range sizeUnits[:3] {
		if n != 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// prefixesValue is a list of networks; a single address is a network of one.
type prefixesValue []netip.Prefix

func (v *prefixesValue) Set(s string) error {
	var out []netip.Prefix
	var errs []error
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		errs = append(errs, fmt.Errorf("%q is not a network (e.g. 10.0.0.0/8) or an IP address", f))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*v = out
	return nil
}

func (v *prefixesValue) String() string {
	s := make([]string, len(*v))
	for i, p := range *v {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// flagValue binds a setting to a flag and records that the flag was given.
type flagValue struct {
	v    value
	done func()
}

func (f *flagValue) Set(s string) error {
	if err := f.v.Set(s); err != nil {
		return err
	}
	f.done()
	return nil
}

func (f *flagValue) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return f.v.String()
}

func (f *flagValue) IsBoolFlag() bool {
	b, ok := f.v.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// fileFlag sets a secret from the trimmed content of the file it names.
type fileFlag struct {
	v    value
	done func()
}

func (f *fileFlag) Set(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return fmt.Errorf("%s is empty", path)
	}
	if err := f.v.Set(s); err != nil {
		return err
	}
	f.done()
	return nil
}

func (f *fileFlag) String() string { return "" }
