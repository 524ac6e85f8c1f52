// Package obs holds Cohort's observability: a request-id aware slog handler
// and a small Prometheus text-format registry (counters and histograms), so
// that /metrics needs no third-party client.
package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type ridKey struct{}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ridKey{}, id)
}

// RequestID returns the request id in ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}

// LogHandler adds the request id of the context to every record.
type LogHandler struct{ slog.Handler }

// Handle adds request_id and passes the record on.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper.
func (h LogHandler) WithAttrs(a []slog.Attr) slog.Handler { return LogHandler{h.Handler.WithAttrs(a)} }

// WithGroup keeps the wrapper.
func (h LogHandler) WithGroup(n string) slog.Handler { return LogHandler{h.Handler.WithGroup(n)} }

// NewLogger returns a logger writing text or JSON at level to w.
func NewLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opt := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opt)
	if format == "json" {
		h = slog.NewJSONHandler(w, opt)
	}
	return slog.New(LogHandler{h})
}

// Registry holds metrics and writes them in the Prometheus text format.
type Registry struct {
	mu     sync.Mutex
	counts map[string]*Counter
	hists  map[string]*Histogram
	help   map[string]string
	start  time.Time
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{counts: map[string]*Counter{}, hists: map[string]*Histogram{}, help: map[string]string{}, start: time.Now()}
}

// Counter is a monotonically increasing value.
type Counter struct{ v atomic.Int64 }

// Add adds n.
func (c *Counter) Add(n int64) { c.v.Add(n) }

// Histogram counts observations into fixed buckets.
type Histogram struct {
	bounds []float64
	counts []atomic.Int64
	sum    atomic.Int64 // micro-units
	n      atomic.Int64
}

// Observe records v.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.counts[i].Add(1)
	h.sum.Add(int64(math.Round(v * 1e6)))
	h.n.Add(1)
}

// DurationBuckets suit request latencies in seconds.
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func key(name string, labels []string) string {
	if len(labels) == 0 {
		return name
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// Counter returns the counter name{labels...} (label name, value pairs).
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	k := key(name, labels)
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.counts[k]
	if !ok {
		c = &Counter{}
		r.counts[k] = c
		r.help[name] = help
	}
	return c
}

// Histogram returns the histogram name{labels...}.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	k := key(name, labels)
	r.mu.Lock()
	defer r.mu.Unlock()
	h, ok := r.hists[k]
	if !ok {
		h = &Histogram{bounds: buckets, counts: make([]atomic.Int64, len(buckets)+1)}
		r.hists[k] = h
		r.help[name] = help
	}
	return h
}

func baseName(k string) (string, string) {
	if i := strings.IndexByte(k, '{'); i >= 0 {
		return k[:i], k[i+1 : len(k)-1]
	}
	return k, ""
}

// WriteTo writes every metric, plus process gauges, in the text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	r.mu.Lock()
	typed := map[string]bool{}
	ck := make([]string, 0, len(r.counts))
	for k := range r.counts {
		ck = append(ck, k)
	}
	sort.Strings(ck)
	for _, k := range ck {
		name, _ := baseName(k)
		if !typed[name] {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n", name, r.help[name], name)
			typed[name] = true
		}
		fmt.Fprintf(&b, "%s %d\n", k, r.counts[k].v.Load())
	}
	hk := make([]string, 0, len(r.hists))
	for k := range r.hists {
		hk = append(hk, k)
	}
	sort.Strings(hk)
	for _, k := range hk {
		name, labels := baseName(k)
		if !typed[name] {
			fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s histogram\n", name, r.help[name], name)
			typed[name] = true
		}
		h := r.hists[k]
		sep := ""
		if labels != "" {
			sep = ","
		}
		var cum int64
		for i, ub := range h.bounds {
			cum += h.counts[i].Load()
			fmt.Fprintf(&b, "%s_bucket{%s%sle=\"%g\"} %d\n", name, labels, sep, ub, cum)
		}
		cum += h.counts[len(h.bounds)].Load()
		fmt.Fprintf(&b, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
		lb := ""
		if labels != "" {
			lb = "{" + labels + "}"
		}
		fmt.Fprintf(&b, "%s_sum%s %g\n%s_count%s %d\n", name, lb, float64(h.sum.Load())/1e6, name, lb, h.n.Load())
	}
	r.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(&b, "# TYPE go_goroutines gauge\ngo_goroutines %d\n", runtime.NumGoroutine())
	fmt.Fprintf(&b, "# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
	fmt.Fprintf(&b, "# TYPE process_uptime_seconds gauge\nprocess_uptime_seconds %g\n", time.Since(r.start).Seconds())
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
