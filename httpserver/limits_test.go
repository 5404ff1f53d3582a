package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// TestStalledHeadersClosed: 300 connections that stop in the middle of
// their headers are all closed by the server within the header timeout
// (300 ms here; 2 s allowed for scheduling), while a normal request sent
// meanwhile succeeds.
func TestStalledHeadersClosed(t *testing.T) {
	t.Parallel()
	const conns = 300
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.ReadHeaderTimeout = 300 * time.Millisecond; c.Stateless = true })

	stalled := make([]net.Conn, 0, conns)
	t.Cleanup(func() {
		for _, c := range stalled {
			_ = c.Close()
		}
	})
	d := net.Dialer{Timeout: 2 * time.Second}
	for range conns {
		c, err := d.Dial("tcp", ts.Addr)
		require.NoError(t, err)
		stalled = append(stalled, c)
		_, err = c.Write([]byte("POST /mcp HTTP/1.1\r\nHo"))
		require.NoError(t, err)
	}
	opened := time.Now()

	status, _, body := rawPost(t, httpClient(t), ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusOK, status, "a normal request is served meanwhile: %s", body)

	deadline := opened.Add(2 * time.Second)
	var wg sync.WaitGroup
	var open atomic.Int32
	for _, c := range stalled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(deadline)
			_, err := io.Copy(io.Discard, c) // returns at EOF or a reset: the server hung up
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				open.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, open.Load(), "connections still open 2 s after they stalled")
	assert.Less(t, time.Since(opened), 2*time.Second+500*time.Millisecond)
}

// TestSessionCap: past --max-sessions an initialize gets 503 with
// Retry-After; ending a session, or letting one idle out, frees its place.
func TestSessionCap(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	clock := &testClock{}
	ts := startServer(t, up, func(c *Config) { c.MaxSessions = 3; c.Now = clock.now })
	hc := httpClient(t)

	var ids []string
	for range 3 {
		status, h, body := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
		require.Equal(t, http.StatusOK, status, body)
		ids = append(ids, h.Get("Mcp-Session-Id"))
	}
	status, h, _ := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.NotEmpty(t, h.Get("Retry-After"))
	assert.Contains(t, scrape(t, ts), "telnyx_mcp_live_sessions 3")
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="session_cap"} 1`)

	req, err := http.NewRequest(http.MethodDelete, ts.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+keyAlice)
	req.Header.Set("Mcp-Session-Id", ids[0])
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	status, _, _ = rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusOK, status, "a terminated session frees its place")

	clock.advance(DefaultSessionIdleTTL + time.Second)
	status, _, _ = rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusOK, status, "idle sessions make room")
	status, _, _ = rawPost(t, hc, ts.URL, with(bearer(keyAlice), "Mcp-Protocol-Version", legacy.version, "Mcp-Session-Id", ids[1]),
		`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`)
	assert.Equal(t, http.StatusNotFound, status, "an expired session is gone")
}

// TestIdleSessionsReaped: sessions that go quiet are removed within the
// idle TTL and a sweep. The server's store runs on a stopped test clock, so
// a slow machine taking longer than the TTL to open the sessions cannot
// reap the first ones before they are counted.
func TestIdleSessionsReaped(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	clock := newFrozenClock()
	const ttl = 300 * time.Millisecond
	ts := startServer(t, up, func(c *Config) { c.SessionIdleTTL = ttl; c.Now = clock.Now })
	hc := httpClient(t)
	for range 20 {
		status, _, _ := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
		require.Equal(t, http.StatusOK, status)
	}
	assert.Equal(t, 20, ts.liveSessions())
	clock.Advance(ttl / 2)
	assert.Equal(t, 20, ts.liveSessions(), "not idle past the TTL yet")
	clock.Advance(ttl + time.Second) // past the TTL and the sweep interval
	assert.Equal(t, 0, ts.liveSessions())
}

// TestHeapBoundedAfterManyInitializes: 2,000 initialize calls that never
// end their sessions leave the heap bounded. Stateful, with the default cap
// of 1,000 live sessions, the first 1,000 open a session and the rest get
// 503; the heap grows by less than 32 MiB (measured: about 10 MiB, some
// 10 KiB per live session). Stateless, nothing is kept: less than 8 MiB
// (measured: well under 1 MiB). Not parallel, so that other tests do not
// move the numbers.
func TestHeapBoundedAfterManyInitializes(t *testing.T) {
	const calls = 2000
	for _, tc := range []struct {
		name      string
		stateless bool
		ok        int
		maxGrowth uint64
	}{
		{"stateful", false, DefaultMaxSessions, 32 << 20},
		{"stateless", true, calls, 8 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, keyAlice)
			// One caller fills the whole cap here: its share is raised to it.
			ts := startServer(t, up, func(c *Config) { c.Stateless = tc.stateless; c.MaxSessionsPerCaller = DefaultMaxSessions })
			hc := httpClient(t)
			status, _, _ := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody) // warm up
			require.Equal(t, http.StatusOK, status)
			before := heapAlloc()

			var ok, refused atomic.Int32
			var wg sync.WaitGroup
			work := make(chan int)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range work {
						req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL, strings.NewReader(initializeBody))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+keyAlice)
						resp, err := hc.Do(req)
						if err != nil {
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						switch resp.StatusCode {
						case http.StatusOK:
							ok.Add(1)
						case http.StatusServiceUnavailable:
							refused.Add(1)
						}
					}
				}()
			}
			for i := range calls - 1 {
				work <- i
			}
			close(work)
			wg.Wait()
			require.NoError(t, ctx.Err())

			assert.Equal(t, int32(tc.ok), ok.Load()+1) // +1: the warm-up
			assert.Equal(t, int32(calls-tc.ok), refused.Load())
			after := heapAlloc()
			growth := uint64(0)
			if after > before {
				growth = after - before
			}
			t.Logf("%s: heap %d KiB before, %d KiB after %d initialize calls (%d live sessions)",
				tc.name, before>>10, after>>10, calls, ts.liveSessions())
			assert.Less(t, growth, tc.maxGrowth, "heap growth after %d initialize calls", calls)
			if !tc.stateless {
				assert.Equal(t, DefaultMaxSessions, ts.liveSessions())
			}
		})
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRateLimits: per caller, tool calls beyond the allowance get an
// isError result saying when to retry, and calls of tools that change
// something have their own, tighter allowance. Another caller is not
// affected. Nothing refused reaches Telnyx.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice, keyBob)
	ts := startServer(t, up, func(c *Config) { c.RateLimit, c.RateLimitMutating = 6, 2; c.Stateless = true })
	alice := connect(t, ts.URL, keyAlice, modern)

	for i := range 2 {
		createClient(t, alice, fmt.Sprintf("limited %d", i))
	}
	res := callTool(t, alice, "create_oauth_client", map[string]any{
		"name": "one too many", "client_type": "confidential",
		"allowed_scopes": []string{"numbers.read"}, "allowed_grant_types": []string{"client_credentials"},
	})
	require.True(t, res.IsError)
	assert.Regexp(t, `rate limited: too many calls of tools that change something .*retry after \d+ s`, textOf(res))

	for range 4 { // 2 creates + 4 reads = the 6 allowed
		res := callTool(t, alice, "list_oauth_clients", map[string]any{})
		require.False(t, res.IsError, textOf(res))
	}
	res = callTool(t, alice, "list_oauth_clients", map[string]any{})
	require.True(t, res.IsError)
	assert.Regexp(t, `rate limited: too many tool calls .*retry after \d+ s`, textOf(res))

	bob := connect(t, ts.URL, keyBob, modern)
	res = callTool(t, bob, "list_oauth_clients", map[string]any{})
	assert.False(t, res.IsError, "another caller has its own allowance: %s", textOf(res))

	assert.Len(t, up.RequestsFor(telnyxfake.OpCreateClient), 2)
	assert.Len(t, up.toolRequests(telnyxfake.OpListClients), 5)
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_tool_calls_total{outcome="rate_limited",tool="list_oauth_clients"} 1`)
	assert.Contains(t, ts.audit.String(), `"outcome":"rate_limited"`)
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="rate_limited"} 2`, "each refused call counted once")
}

// TestCallerConcurrency: one caller's calls in progress are capped; the
// rest wait their turn, and all finish.
func TestCallerConcurrency(t *testing.T) {
	t.Parallel()
	const calls = 6
	up := newUpstream(t, keyAlice)
	faults := make([]faultinject.Fault, calls)
	for i := range faults {
		faults[i] = faultinject.Delay(200 * time.Millisecond)
	}
	ts := startServer(t, up, func(c *Config) { c.CallerConcurrency = 2; c.Stateless = true })
	c := connect(t, ts.URL, keyAlice, modern)
	up.Inject(telnyxfake.OpListClients, faults...) // after the key check

	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := callToolErr(c, "list_oauth_clients", map[string]any{})
			if assert.NoError(t, err) {
				assert.False(t, res.IsError, textOf(res))
			}
		}()
	}
	wg.Wait()
	assert.Len(t, up.toolRequests(telnyxfake.OpListClients), calls)
	assert.Equal(t, 2, up.peakConcurrency(), "at most 2 upstream calls at once for one caller")
}

// TestAuditLines: every call of a tool that changes something leaves one
// JSON line (time, caller fingerprint, tool, target id, outcome); reads
// leave none, and no line carries a credential or a secret.
func TestAuditLines(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true })
	c := connect(t, ts.URL, keyAlice, modern) // no elicitation: the confirm argument
	id := createClient(t, c, "audited")
	callTool(t, c, "list_oauth_clients", map[string]any{})
	res := callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id})
	require.True(t, res.IsError, "preview first")
	res = callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id, "confirm": id})
	require.False(t, res.IsError, textOf(res))

	out := ts.audit.String()
	assert.NotContains(t, out, keyAlice)
	assert.NotContains(t, out, "client_secret")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	var recs []auditRecord
	for _, l := range lines {
		var r auditRecord
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		_, err := time.Parse(time.RFC3339Nano, r.Time)
		assert.NoError(t, err)
		assert.Regexp(t, `^key:[0-9a-f]{16}$`, r.Caller)
		assert.Equal(t, id, r.Target)
		recs = append(recs, r)
	}
	assert.Equal(t, "create_oauth_client", recs[0].Tool)
	assert.Equal(t, "ok", recs[0].Outcome)
	assert.Equal(t, "additive", recs[0].Kind)
	assert.Equal(t, "delete_oauth_client", recs[1].Tool)
	assert.Equal(t, "error", recs[1].Outcome, "the preview")
	assert.Equal(t, "destructive, confirmed", recs[1].Kind)
	assert.Equal(t, "ok", recs[2].Outcome)

	// With confirmation off, the line says what happened: a destructive
	// call nobody confirmed.
	unconfirmed := startServer(t, up, func(c *Config) { c.Stateless = true; c.DisableConfirmation = true })
	c = connect(t, unconfirmed.URL, keyAlice, modern)
	id = createClient(t, c, "audited, unconfirmed")
	res = callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id})
	require.False(t, res.IsError, textOf(res))
	lines = strings.Split(strings.TrimSpace(unconfirmed.audit.String()), "\n")
	require.Len(t, lines, 2)
	var r auditRecord
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &r), lines[1])
	assert.Equal(t, "delete_oauth_client", r.Tool)
	assert.Equal(t, "destructive", r.Kind)
	assert.NotContains(t, unconfirmed.audit.String(), "confirmed")
}

// TestMetrics: /metrics serves, in the Prometheus text format, tool calls
// by tool and outcome, the upstream latency histogram by operation,
// retries, live sessions and rejected requests by reason.
func TestMetrics(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, nil)
	c := connect(t, ts.URL, keyAlice, legacy)
	up.Inject(telnyxfake.OpListClients, faultinject.Status(503, `{"errors":[{"code":"10000","title":"busy"}]}`))
	res := callTool(t, c, "list_oauth_clients", map[string]any{})
	require.False(t, res.IsError, textOf(res))
	status, _, _ := rawPost(t, httpClient(t), ts.URL, nil, initializeBody)
	require.Equal(t, http.StatusUnauthorized, status)

	m := scrape(t, ts)
	for _, want := range []string{
		`telnyx_mcp_tool_calls_total{outcome="ok",tool="list_oauth_clients"} 1`,
		// The check of the caller's key, then the call's retry.
		`telnyx_mcp_upstream_request_duration_seconds_count{operation="ListOAuthClients",result="2xx"} 2`,
		`telnyx_mcp_upstream_request_duration_seconds_count{operation="ListOAuthClients",result="5xx"} 1`,
		`telnyx_mcp_upstream_retries_total{operation="ListOAuthClients"} 1`,
		`telnyx_mcp_live_sessions 1`,
		`telnyx_mcp_rejected_requests_total{reason="unauthorized"} 1`,
		`go_goroutines`,
	} {
		assert.Contains(t, m, want)
	}
}

// TestGracefulShutdown: when Serve's context ends, /readyz turns 503 for
// those still connected, new connections are refused, the three calls in
// flight (each held 1 s by the fake) are all answered, and Serve returns.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true })
	hc := httpClient(t)
	resp, err := hc.Get(ts.Root + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	c := connect(t, ts.URL, keyAlice, modern)
	up.Inject(telnyxfake.OpListClients, faultinject.Delay(time.Second), faultinject.Delay(time.Second), faultinject.Delay(time.Second))
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := callToolErr(c, "list_oauth_clients", map[string]any{})
			if assert.NoError(t, err) {
				assert.False(t, res.IsError, textOf(res))
			}
		}()
	}
	require.Eventually(t, func() bool { return len(up.toolRequests(telnyxfake.OpListClients)) == 3 }, 5*time.Second, 10*time.Millisecond)

	stopped := make(chan struct{})
	go func() { ts.stop(); close(stopped) }()
	require.Eventually(t, func() bool { return ts.draining.Load() }, time.Second, 5*time.Millisecond)
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", ts.Addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, time.Second, 10*time.Millisecond, "new connections are refused once shutdown starts")
	wg.Wait()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestShutdownGraceEnds: a call still running when the grace ends is
// cancelled, and Serve returns within the grace and a second.
func TestShutdownGraceEnds(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.ShutdownGrace = 300 * time.Millisecond })
	c := connect(t, ts.URL, keyAlice, modern)
	up.Inject(telnyxfake.OpListClients, faultinject.Hang())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = callToolErr(c, "list_oauth_clients", map[string]any{})
	}()
	require.Eventually(t, func() bool { return len(up.toolRequests(telnyxfake.OpListClients)) == 1 }, 5*time.Second, 10*time.Millisecond)
	start := time.Now()
	ts.stop()
	assert.Less(t, time.Since(start), 300*time.Millisecond+time.Second)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the client never heard back")
	}
}

// TestHealth: /healthz is always 200; /readyz is 200 while serving. Like
// /mcp, they and /metrics answer only a Host on the allow-list: a page
// rebound to the server's address reads nothing.
func TestHealth(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	ts := startServer(t, up, func(c *Config) { c.AllowedHosts = []string{"mcp.example.com"} })
	hc := httpClient(t)
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		for host, want := range map[string]int{"": 200, "mcp.example.com": 200, "evil.example": 403, "localhost.evil.com:80": 403} {
			req, err := http.NewRequest(http.MethodGet, ts.Root+path, nil)
			require.NoError(t, err)
			if host != "" {
				req.Host = host
			}
			resp, err := hc.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, want, resp.StatusCode, "%s with Host %q", path, host)
		}
	}
	// A server not yet serving is not ready.
	s, err := New(Config{Client: ts.cfg.Client, Auth: AuthKey})
	require.NoError(t, err)
	defer s.Close()
	rec := &statusRecorder{header: http.Header{}}
	s.Handler().ServeHTTP(rec, mustRequest(t, http.MethodGet, "/readyz"))
	assert.Equal(t, http.StatusServiceUnavailable, rec.status)
}

type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int)        { r.status = code }

func mustRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "http://127.0.0.1"+path, nil)
	require.NoError(t, err)
	return r
}

// TestSessionCapPerCaller: one credential cannot take every session; past
// its share its initialize gets 503, while another caller still gets in.
func TestSessionCapPerCaller(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice, keyBob)
	ts := startServer(t, up, func(c *Config) { c.MaxSessions = 10; c.MaxSessionsPerCaller = 2 })
	hc := httpClient(t)
	for range 2 {
		status, _, body := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, h, _ := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusServiceUnavailable, status, "past its share")
	assert.NotEmpty(t, h.Get("Retry-After"))
	status, _, body := rawPost(t, hc, ts.URL, bearer(keyBob), initializeBody)
	assert.Equal(t, http.StatusOK, status, "another caller still gets a session: %s", body)
	assert.Contains(t, scrape(t, ts), "telnyx_mcp_live_sessions 3")
}

// TestResourcesLimited: resources/read reaches Telnyx just as a
// read tool does, so it counts against the caller's rate limit and
// concurrency cap: otherwise, in token mode, one read token could spend the
// server's shared Telnyx credential without bound.
func TestResourcesLimited(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	up.Inject(telnyxfake.OpGetJWKS, faultinject.Delay(200*time.Millisecond), faultinject.Delay(200*time.Millisecond),
		faultinject.Delay(200*time.Millisecond))
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.CallerConcurrency = 1; c.RateLimit = 3 })
	c := connect(t, ts.URL, keyAlice, modern)
	read := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "telnyx-oauth://jwks"}})
		return err
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, read()) }()
	}
	wg.Wait()
	assert.Equal(t, 1, up.peakConcurrency(), "one of this caller's upstream calls at a time")
	err := read()
	require.Error(t, err, "a fourth read within the minute is over the limit")
	assert.Contains(t, err.Error(), "rate limited")
	assert.Len(t, up.RequestsFor(telnyxfake.OpGetJWKS), 3, "the refused read never reached Telnyx")
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="rate_limited"} 1`)
}

// TestCompletionsLimited: completion/complete of a client_id lists the
// account's clients at Telnyx, so it is under the caller's rate limit, and
// refused as a resource read is: a JSON-RPC error saying so.
func TestCompletionsLimited(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.RateLimit = 2 })
	c := connect(t, ts.URL, keyAlice, modern)
	complete := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		req := mcp.CompleteRequest{}
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: "telnyx-oauth://clients/{client_id}"}
		req.Params.Argument = mcp.CompleteArgument{Name: "client_id", Value: ""}
		_, err := c.Complete(ctx, req)
		return err
	}
	require.NoError(t, complete())
	require.NoError(t, complete())
	listed := len(up.toolRequests(telnyxfake.OpListClients))
	require.Equal(t, 2, listed, "each completion lists the clients")
	err := complete()
	require.Error(t, err, "a third within the minute is over the limit")
	assert.Contains(t, err.Error(), "rate limited")
	assert.Equal(t, listed, len(up.toolRequests(telnyxfake.OpListClients)), "the refused completion never reached Telnyx")
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="rate_limited"} 1`)
}
