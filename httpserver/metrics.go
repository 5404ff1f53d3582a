package httpserver

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Metrics are the server's Prometheus metrics, served at /metrics. They
// live in their own registry, so several servers can run in one process
// (tests do); one Metrics belongs to one Server.
//
// The upstream metrics come from the Telnyx client, which is built before
// the server: pass ObserveAttempt as telnyxapi.Config.OnAttempt and the
// same Metrics as Config.Metrics.
type Metrics struct {
	reg       *prometheus.Registry
	toolCalls *prometheus.CounterVec
	upstream  *prometheus.HistogramVec
	retries   *prometheus.CounterVec
	rejected  *prometheus.CounterVec
}

// NewMetrics returns an empty set of metrics, with Go runtime and process
// metrics included.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "telnyx_mcp_tool_calls_total",
			Help: "Tool calls by tool and outcome (ok, error, input_required, rate_limited, canceled).",
		}, []string{"tool", "outcome"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "telnyx_mcp_upstream_request_duration_seconds",
			Help:    "Duration of each HTTP attempt to the Telnyx API, by operation and result (2xx, 4xx, 5xx, error).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation", "result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "telnyx_mcp_upstream_retries_total",
			Help: "Retried HTTP attempts to the Telnyx API, by operation.",
		}, []string{"operation"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "telnyx_mcp_rejected_requests_total",
			Help: "Requests and tool calls refused before reaching a tool, by reason.",
		}, []string{"reason"}),
	}
	m.reg.MustRegister(m.toolCalls, m.upstream, m.retries, m.rejected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveAttempt records one attempt of the Telnyx client; it is the
// telnyxapi.Config.OnAttempt hook.
func (m *Metrics) ObserveAttempt(a telnyxapi.Attempt) {
	result := "error"
	if a.Status > 0 {
		result = strconv.Itoa(a.Status/100) + "xx"
	}
	m.upstream.WithLabelValues(a.Operation, result).Observe(a.Duration.Seconds())
	if a.Retry > 0 {
		m.retries.WithLabelValues(a.Operation).Inc()
	}
}

func (m *Metrics) reject(reason string) { m.rejected.WithLabelValues(reason).Inc() }

func (m *Metrics) toolCall(tool, outcome string) { m.toolCalls.WithLabelValues(tool, outcome).Inc() }

// liveSessions adds the live-session gauge, read from the server's store.
func (m *Metrics) liveSessions(count func() int) error {
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "telnyx_mcp_live_sessions",
		Help: "Live 2025-11-25 sessions (always 0 in stateless mode).",
	}, func() float64 { return float64(count()) }))
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
