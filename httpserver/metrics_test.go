package httpserver

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// TestMetricsExposition parses the whole /metrics page with Prometheus's
// own text parser: every family must be well formed, counters count,
// histogram buckets are cumulative with le inclusive, and label values are
// escaped.
func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	m := NewMetrics()
	require.NoError(t, m.liveSessions(func() int { return 7 }))
	require.Error(t, m.liveSessions(func() int { return 0 }), "one gauge per Metrics")
	m.toolCall("list_oauth_clients", "ok")
	m.toolCall("list_oauth_clients", "ok")
	m.toolCall("get_oauth_client", "error")
	m.reject("weird \"reason\"\\with\nnewline")
	m.ObserveAttempt(telnyxapi.Attempt{Operation: "ListOAuthClients", Status: 200, Duration: 10 * time.Millisecond})
	m.ObserveAttempt(telnyxapi.Attempt{Operation: "ListOAuthClients", Status: 200, Duration: 40 * time.Millisecond})
	m.ObserveAttempt(telnyxapi.Attempt{Operation: "ListOAuthClients", Retry: 1, Duration: time.Minute})

	rec := httptest.NewRecorder()
	m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", rec.Header().Get("Content-Type"))
	body := rec.Body.String()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	require.NoError(t, err, body)

	for _, name := range []string{"go_goroutines", "go_info", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes",
		"telnyx_mcp_live_sessions", "telnyx_mcp_tool_calls_total", "telnyx_mcp_rejected_requests_total",
		"telnyx_mcp_upstream_request_duration_seconds", "telnyx_mcp_upstream_retries_total"} {
		assert.Contains(t, fams, name)
	}
	assert.Contains(t, body, `telnyx_mcp_tool_calls_total{outcome="ok",tool="list_oauth_clients"} 2`)
	assert.Contains(t, body, `telnyx_mcp_tool_calls_total{outcome="error",tool="get_oauth_client"} 1`)
	assert.Contains(t, body, `telnyx_mcp_live_sessions 7`)
	assert.Contains(t, body, `telnyx_mcp_upstream_retries_total{operation="ListOAuthClients"} 1`)
	reason := fams["telnyx_mcp_rejected_requests_total"].GetMetric()[0].GetLabel()[0].GetValue()
	assert.Equal(t, "weird \"reason\"\\with\nnewline", reason, "label values round-trip")

	hist := fams["telnyx_mcp_upstream_request_duration_seconds"].GetMetric()
	require.Len(t, hist, 2, "one series per operation and result")
	for _, h := range hist {
		labels := map[string]string{}
		for _, l := range h.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		buckets := map[float64]uint64{}
		for _, b := range h.GetHistogram().GetBucket() {
			buckets[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		switch labels["result"] {
		case "2xx":
			assert.Equal(t, uint64(2), h.GetHistogram().GetSampleCount())
			assert.InDelta(t, 0.05, h.GetHistogram().GetSampleSum(), 1e-9)
			assert.Equal(t, uint64(1), buckets[0.01], "le is inclusive")
			assert.Equal(t, uint64(1), buckets[0.025])
			assert.Equal(t, uint64(2), buckets[0.05])
			assert.Equal(t, uint64(2), buckets[30])
		case "error":
			assert.Equal(t, uint64(1), h.GetHistogram().GetSampleCount())
			assert.Equal(t, uint64(0), buckets[30], "a minute is past the last bound")
		default:
			t.Errorf("unexpected series %v", labels)
		}
	}
}
