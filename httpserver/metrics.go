package httpserver

import (
	"bytes"
	"errors"
	"math"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Metrics are the server's metrics, served at /metrics in the Prometheus
// text format (version 0.0.4). One Metrics belongs to one Server; several
// servers can run in one process (tests do).
//
// They are written out by hand rather than with prometheus/client_golang:
// a handful of counters, one histogram and one gauge do not need a library
// whose package initialisation and protobuf dependencies cost every
// process, stdio ones included, about 3 MB of resident memory and several
// milliseconds of start-up (see docs/benchmarks.md). Family and label names
// are the ones client_golang would write, so dashboards keep working.
//
// The upstream metrics come from the Telnyx client, which is built before
// the server: pass ObserveAttempt as telnyxapi.Config.OnAttempt and the
// same Metrics as Config.Metrics.
type Metrics struct {
	toolCalls *counterVec
	upstream  *histogramVec
	retries   *counterVec
	rejected  *counterVec

	mu       sync.Mutex
	sessions func() int
}

// upstreamBuckets are the upper bounds, in seconds, of the upstream
// request duration histogram.
var upstreamBuckets = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// NewMetrics returns an empty set of metrics, with Go runtime and process
// metrics included.
func NewMetrics() *Metrics {
	return &Metrics{
		toolCalls: newCounterVec("telnyx_mcp_tool_calls_total",
			"Tool calls by tool and outcome (ok, error, input_required, rate_limited, canceled).", "tool", "outcome"),
		upstream: newHistogramVec("telnyx_mcp_upstream_request_duration_seconds",
			"Duration of each HTTP attempt to the Telnyx API, by operation and result (2xx, 4xx, 5xx, error).",
			upstreamBuckets, "operation", "result"),
		retries: newCounterVec("telnyx_mcp_upstream_retries_total",
			"Retried HTTP attempts to the Telnyx API, by operation.", "operation"),
		rejected: newCounterVec("telnyx_mcp_rejected_requests_total",
			"Requests and tool calls refused before reaching a tool, by reason.", "reason"),
	}
}

// ObserveAttempt records one attempt of the Telnyx client; it is the
// telnyxapi.Config.OnAttempt hook.
func (m *Metrics) ObserveAttempt(a telnyxapi.Attempt) {
	result := "error"
	if a.Status > 0 {
		result = strconv.Itoa(a.Status/100) + "xx"
	}
	m.upstream.observe(a.Duration.Seconds(), a.Operation, result)
	if a.Retry > 0 {
		m.retries.inc(a.Operation)
	}
}

func (m *Metrics) reject(reason string) { m.rejected.inc(reason) }

func (m *Metrics) toolCall(tool, outcome string) { m.toolCalls.inc(tool, outcome) }

// liveSessions adds the live-session gauge, read from the server's store.
func (m *Metrics) liveSessions(count func() int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sessions != nil {
		return errors.New("the live-session gauge is already registered")
	}
	m.sessions = count
	return nil
}

func (m *Metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		m.write(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b.Bytes())
	})
}

// write appends every family, sorted by name as client_golang sorts them.
func (m *Metrics) write(b *bytes.Buffer) {
	var fams []family
	fams = append(fams, goFamilies()...)
	fams = append(fams, processFamilies()...)
	m.mu.Lock()
	sessions := m.sessions
	m.mu.Unlock()
	if sessions != nil {
		fams = append(fams, gauge("telnyx_mcp_live_sessions", "Live 2025-11-25 sessions (always 0 in stateless mode).", float64(sessions())))
	}
	fams = append(fams, m.toolCalls.family(), m.upstream.family(), m.retries.family(), m.rejected.family())
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name, b.name) })
	for _, f := range fams {
		if len(f.lines) == 0 {
			continue // a vector nothing was counted in yet, as client_golang omits it
		}
		b.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		b.WriteString("# TYPE " + f.name + " " + f.kind + "\n")
		for _, l := range f.lines {
			b.WriteString(l)
		}
	}
}

// family is one metric family, rendered: its sample lines, sorted.
type family struct {
	name, help, kind string
	lines            []string
}

func gauge(name, help string, v float64, labels ...string) family {
	return family{name: name, help: help, kind: "gauge", lines: []string{sample(name, labels, v)}}
}

func counter(name, help string, v float64) family {
	return family{name: name, help: help, kind: "counter", lines: []string{sample(name, nil, v)}}
}

// sample renders one line; labels are name, value pairs, in order.
func sample(name string, labels []string, v float64) string {
	var b strings.Builder
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i])
			b.WriteString(`="`)
			b.WriteString(escapeLabel(labels[i+1]))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
	return b.String()
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, +1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

// labelled is what the vectors share: label names, and the series keyed by
// their label values joined with a byte no value contains once escaped.
type labelled struct {
	name, help string
	labels     []string // in the caller's order
	order      []int    // indexes of labels sorted by name: the output order
}

func newLabelled(name, help string, labels []string) labelled {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return labelled{name: name, help: help, labels: labels, order: order}
}

func (l *labelled) key(values []string) string { return strings.Join(values, "\xff") }

// pairs returns the label name, value pairs of key, sorted by name, plus
// extra pairs at the end (the histogram's le).
func (l *labelled) pairs(key string, extra ...string) []string {
	values := strings.Split(key, "\xff")
	out := make([]string, 0, 2*len(l.labels)+len(extra))
	for _, i := range l.order {
		out = append(out, l.labels[i], values[i])
	}
	return append(out, extra...)
}

// counterVec is a counter with labels.
type counterVec struct {
	labelled
	mu     sync.Mutex
	series map[string]float64
}

func newCounterVec(name, help string, labels ...string) *counterVec {
	return &counterVec{labelled: newLabelled(name, help, labels), series: map[string]float64{}}
}

func (c *counterVec) inc(values ...string) {
	k := c.key(values)
	c.mu.Lock()
	c.series[k]++
	c.mu.Unlock()
}

func (c *counterVec) family() family {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := family{name: c.name, help: c.help, kind: "counter"}
	for k, v := range c.series {
		f.lines = append(f.lines, sample(c.name, c.pairs(k), v))
	}
	slices.Sort(f.lines)
	return f
}

// histogramVec is a histogram with labels.
type histogramVec struct {
	labelled
	bounds []float64
	mu     sync.Mutex
	series map[string]*histogram
}

type histogram struct {
	counts     []uint64 // per bucket, not cumulative; the last is +Inf
	sum        float64
	totalCount uint64
}

func newHistogramVec(name, help string, bounds []float64, labels ...string) *histogramVec {
	return &histogramVec{labelled: newLabelled(name, help, labels), bounds: bounds, series: map[string]*histogram{}}
}

func (h *histogramVec) observe(v float64, values ...string) {
	k := h.key(values)
	i, _ := slices.BinarySearch(h.bounds, v) // the first bound ≥ v: le is inclusive
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[k]
	if s == nil {
		s = &histogram{counts: make([]uint64, len(h.bounds)+1)}
		h.series[k] = s
	}
	s.counts[i]++
	s.sum += v
	s.totalCount++
}

func (h *histogramVec) family() family {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := family{name: h.name, help: h.help, kind: "histogram"}
	keys := make([]string, 0, len(h.series))
	for k := range h.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := h.series[k]
		var cum uint64
		for i, n := range s.counts {
			cum += n
			le := "+Inf"
			if i < len(h.bounds) {
				le = formatFloat(h.bounds[i])
			}
			f.lines = append(f.lines, sample(h.name+"_bucket", h.pairs(k, "le", le), float64(cum)))
		}
		f.lines = append(f.lines,
			sample(h.name+"_sum", h.pairs(k), s.sum),
			sample(h.name+"_count", h.pairs(k), float64(s.totalCount)))
	}
	return f
}

// goSamples are the runtime/metrics the Go families are made of.
var goSamples = []string{
	"/gc/gogc:percent",
	"/gc/gomemlimit:bytes",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
	"/gc/heap/frees:objects",
	"/gc/heap/goal:bytes",
	"/gc/heap/objects:objects",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
	"/sched/gomaxprocs:threads",
	"/sched/goroutines:goroutines",
}

// goFamilies are the Go runtime's metrics under client_golang's names,
// read without stopping the world.
func goFamilies() []family {
	samples := make([]metrics.Sample, len(goSamples))
	for i, name := range goSamples {
		samples[i].Name = name
	}
	metrics.Read(samples)
	v := map[string]float64{}
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			v[s.Name] = float64(s.Value.Uint64())
		case metrics.KindFloat64:
			v[s.Name] = s.Value.Float64()
		}
	}
	heapInuse := v["/memory/classes/heap/objects:bytes"] + v["/memory/classes/heap/unused:bytes"]
	heapIdle := v["/memory/classes/heap/free:bytes"] + v["/memory/classes/heap/released:bytes"]
	return []family{
		gauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100.", v["/gc/gogc:percent"]),
		gauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64.", v["/gc/gomemlimit:bytes"]),
		gauge("go_goroutines", "Number of goroutines that currently exist.", v["/sched/goroutines:goroutines"]),
		gauge("go_info", "Information about the Go environment.", 1, "version", runtime.Version()),
		gauge("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", v["/memory/classes/heap/objects:bytes"]),
		counter("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", v["/gc/heap/allocs:bytes"]),
		counter("go_memstats_frees_total", "Total number of heap objects frees.", v["/gc/heap/frees:objects"]),
		gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", v["/memory/classes/heap/objects:bytes"]),
		gauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", heapIdle),
		gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", heapInuse),
		gauge("go_memstats_heap_objects", "Number of currently allocated objects.", v["/gc/heap/objects:objects"]),
		gauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", v["/memory/classes/heap/released:bytes"]),
		gauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", heapInuse+heapIdle),
		counter("go_memstats_mallocs_total", "Total number of heap objects allocated.", v["/gc/heap/allocs:objects"]),
		gauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", v["/gc/heap/goal:bytes"]),
		gauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator.", v["/memory/classes/heap/stacks:bytes"]),
		gauge("go_memstats_sys_bytes", "Number of bytes obtained from system.", v["/memory/classes/total:bytes"]),
		gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", v["/sched/gomaxprocs:threads"]),
	}
}
