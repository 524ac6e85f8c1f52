package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/cohortcrm/cohort/internal/service"
)

// Goal completion answers hundreds of rows, each with its trend: thousands
// of numbers that encoding/json reaches through reflection. They are
// written here by hand, byte for byte what respond would write (a test
// compares the two); the rule and the period go through encoding/json.

// respondGoalCompletion is respond(w, 200, c).
func respondGoalCompletion(w http.ResponseWriter, c *service.GoalCompletion) {
	b, err := appendGoalCompletion(make([]byte, 0, 512+len(c.Rows)*(320+90*trendLen(c))), c)
	if err != nil {
		http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func trendLen(c *service.GoalCompletion) int {
	if len(c.Rows) == 0 {
		return 0
	}
	return len(c.Rows[0].Trend)
}

var errNotFinite = errors.New("json: a number is not finite")

// appendGoalCompletion appends c as encoding/json encodes it (HTML not
// escaped), with the Encoder's newline.
func appendGoalCompletion(b []byte, c *service.GoalCompletion) ([]byte, error) {
	var err error
	b = append(b, `{"rule":`...)
	if b, err = appendValue(b, c.Rule); err != nil {
		return nil, err
	}
	b = append(b, `,"unit":`...)
	b = appendString(b, c.Unit)
	b = append(b, `,"period":`...)
	if b, err = appendValue(b, c.Period); err != nil {
		return nil, err
	}
	b = append(b, `,"as_of":`...)
	b = appendString(b, c.AsOf)
	b = append(b, `,"time_progress":`...)
	if b, err = appendFloat(b, c.TimeProgress); err != nil {
		return nil, err
	}
	b = append(b, `,"rows":`...)
	if c.Rows == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range c.Rows {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendCompletionRow(b, &c.Rows[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...), nil
}

func appendCompletionRow(b []byte, r *service.GoalCompletionRow) ([]byte, error) {
	var err error
	b = append(b, `{"subject":`...)
	b = appendString(b, r.Subject)
	b = append(b, `,"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"label":`...)
	b = appendString(b, r.Label)
	b = append(b, `,"parent":`...)
	b = appendString(b, r.Parent)
	b = append(b, `,"depth":`...)
	b = strconv.AppendInt(b, int64(r.Depth), 10)
	for _, f := range []struct {
		name string
		v    *float64
	}{{`,"actual":`, r.Actual}, {`,"target":`, r.Target}, {`,"completion_rate":`, r.CompletionRate}, {`,"gap":`, r.Gap}} {
		b = append(b, f.name...)
		if b, err = appendFloatPtr(b, f.v); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"band":`...)
	if r.Band == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *r.Band)
	}
	b = append(b, `,"forecast":`...)
	if b, err = appendFloatPtr(b, r.Forecast); err != nil {
		return nil, err
	}
	b = append(b, `,"rank":`...)
	if r.Rank == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*r.Rank), 10)
	}
	b = append(b, `,"peers":`...)
	b = strconv.AppendInt(b, int64(r.Peers), 10)
	if r.FrozenActual != nil {
		b = append(b, `,"frozen_actual":`...)
		if b, err = appendFloatPtr(b, r.FrozenActual); err != nil {
			return nil, err
		}
	}
	if r.Difference != nil {
		b = append(b, `,"difference":`...)
		if b, err = appendFloatPtr(b, r.Difference); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"trend":`...)
	if r.Trend == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Trend {
			p := &r.Trend[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"period":`...)
			b = appendString(b, p.Period)
			b = append(b, `,"actual":`...)
			if b, err = appendFloatPtr(b, p.Actual); err != nil {
				return nil, err
			}
			b = append(b, `,"target":`...)
			if b, err = appendFloatPtr(b, p.Target); err != nil {
				return nil, err
			}
			b = append(b, `,"completion_rate":`...)
			if b, err = appendFloatPtr(b, p.CompletionRate); err != nil {
				return nil, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendValue appends v through encoding/json, HTML not escaped.
func appendValue(b []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

func appendFloatPtr(b []byte, f *float64) ([]byte, error) {
	if f == nil {
		return append(b, "null"...), nil
	}
	return appendFloat(b, *f)
}

// appendFloat is encoding/json's float64: the shortest decimal, with an
// exponent below 1e-6 and from 1e21.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errNotFinite
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendString quotes s as-is when nothing in it needs escaping, else
// through encoding/json.
func appendString(b []byte, s string) []byte {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == '"' || c == '\\':
			plain = false
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9): // U+2028, U+2029
			plain = false
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	out, _ := appendValue(b, s) // a string always encodes
	return out
}
