package httpserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// newFrozenClock stands still until the test moves it, so that "per
// second" means exactly what the test says.
func newFrozenClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC))
}

// TestMadeUpKeysRefused: in key mode, 1,000 initialize requests from one
// address, each with a different made-up key, all get 401 with a Bearer
// challenge; none creates a session or reaches mcp-go, and they cost
// Telnyx no more key checks than the address's allowance for the second.
// Another address has its own allowance (X-Forwarded-For counts only when
// the proxy is trusted).
func TestMadeUpKeysRefused(t *testing.T) {
	t.Parallel()
	const perSecond = 3
	up := newUpstream(t, keyAlice)
	clock := newFrozenClock()
	ts := startServer(t, up, func(c *Config) { c.KeyChecksPerSecond = perSecond; c.Now = clock.Now })
	trusting := startServer(t, up, func(c *Config) {
		c.KeyChecksPerSecond = perSecond
		c.Now = clock.Now
		c.TrustProxyHeaders = true
	})
	hc := httpClient(t)

	var (
		rounds   atomic.Int64
		mu       sync.Mutex
		statuses = map[int]int{}
		noChal   int
	)
	// flood sends n initialize requests, eight at a time, each with a key
	// never used before.
	flood := func(srv *testServer, n int, header map[string]string) {
		round := rounds.Add(1)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1); i <= int64(n); i = next.Add(1) {
					key := fmt.Sprintf("KEYmade-up-%d-%06d", round, i)
					status, h, _ := rawPost(t, hc, srv.URL, with(bearer(key), flattenPairs(header)...), initializeBody)
					mu.Lock()
					statuses[status]++
					if h.Get("WWW-Authenticate") == "" {
						noChal++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}

	flood(ts, 1000, nil)
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 1000}, statuses)
	assert.Zero(t, noChal, "every 401 carries a Bearer challenge")
	assert.Zero(t, ts.liveSessions(), "no session for a made-up key")
	assert.Zero(t, ts.mcpServed.Load(), "mcp-go never saw one")
	assert.Len(t, up.keyChecks(), perSecond, "only the address's allowance reached Telnyx")

	// A second later the address has its allowance again, and no more.
	clock.Advance(time.Second)
	flood(ts, 50, nil)
	assert.Len(t, up.keyChecks(), 2*perSecond)

	// X-Forwarded-For is the client's own say-so unless the proxy is
	// trusted; behind a trusted proxy, the address the proxy saw (the last
	// entry, the one it added) is the one that pays.
	flood(ts, 50, map[string]string{"X-Forwarded-For": "203.0.113.7"})
	assert.Len(t, up.keyChecks(), 2*perSecond, "an untrusted X-Forwarded-For changes nothing")
	flood(trusting, 50, map[string]string{"X-Forwarded-For": "203.0.113.7"})
	assert.Len(t, up.keyChecks(), 3*perSecond)
	flood(trusting, 50, map[string]string{"X-Forwarded-For": "198.51.100.9, 203.0.113.7"})
	assert.Len(t, up.keyChecks(), 3*perSecond, "an entry the client wrote before the proxy's is not an address")
	flood(trusting, 50, map[string]string{"X-Forwarded-For": "203.0.113.8"})
	assert.Len(t, up.keyChecks(), 4*perSecond, "another address has its own allowance")
	assert.Zero(t, trusting.liveSessions())
	assert.Equal(t, map[int]int{http.StatusUnauthorized: 1250}, statuses)

	// A real caller from a flooded address waits for the next allowance,
	// told when by Retry-After, then gets in.
	status, h, body := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusUnauthorized, status, body)
	assert.Equal(t, "1", h.Get("Retry-After"))
	assert.Contains(t, body, "too many unverified credentials from this address")
	clock.Advance(time.Second)
	status, _, body = rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, 1, ts.liveSessions())
}

func flattenPairs(h map[string]string) []string {
	var out []string
	for k, v := range h {
		out = append(out, k, v)
	}
	return out
}

// TestLocalRefusalsCostNoKeyCheck: a request refused for what it says
// itself (a PUT, a Content-Type other than JSON, an announced body over
// the cap) gets its refusal before the server asks Telnyx about its key:
// a key nobody checked yet costs no round trip and none of the address's
// checks.
func TestLocalRefusalsCostNoKeyCheck(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.MaxBodyBytes = 4096 })
	hc := httpClient(t)
	unknown := bearer("KEYnever-checked-0123456789abcdef")

	send := func(method, contentType, body string) int {
		req, err := http.NewRequest(method, ts.URL, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", unknown["Authorization"])
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusMethodNotAllowed, send(http.MethodPut, "application/json", initializeBody))
	assert.Equal(t, http.StatusUnsupportedMediaType, send(http.MethodPost, "text/plain", initializeBody))
	assert.Equal(t, http.StatusRequestEntityTooLarge, send(http.MethodPost, "application/json", initializeBody+strings.Repeat(" ", 8192)))
	assert.Empty(t, up.keyChecks(), "no key was checked with Telnyx")
	assert.Zero(t, ts.mcpServed.Load())

	// The same key in a request the server can serve is checked (and refused).
	status, _, body := rawPost(t, hc, ts.URL, unknown, initializeBody)
	assert.Equal(t, http.StatusUnauthorized, status, body)
	assert.Len(t, up.keyChecks(), 1)
}

// TestKeyVerdictRemembered: a key Telnyx accepts is checked once, even by
// 20 requests at the same moment, and then serves 100 tool calls without
// another check until its verdict expires; a refused key is refused again
// without a check until its shorter time is up; and when Telnyx cannot
// answer, the caller gets 503 and nothing is remembered.
func TestKeyVerdictRemembered(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	clock := newFrozenClock()
	logs := &syncBuffer{}
	ts := startServer(t, up, func(c *Config) {
		c.Stateless = true
		c.Now = clock.Now
		c.RateLimit = -1
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	hc := httpClient(t)

	t.Run("accepted key, checked once", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, _, body := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody)
				assert.Equal(t, http.StatusOK, status, body)
			}()
		}
		wg.Wait()
		require.Len(t, up.keyChecks(), 1, "concurrent requests share one check")

		c := connect(t, ts.URL, keyAlice, modern)
		for range 100 {
			res := callTool(t, c, "get_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID})
			require.False(t, res.IsError, textOf(res))
		}
		assert.Len(t, up.toolRequests(telnyxfake.OpGetClient), 100)
		assert.Len(t, up.keyChecks(), 1, "one upstream check for 100 calls")

		clock.Advance(DefaultKeyAcceptedTTL + time.Second)
		res := callTool(t, c, "get_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID})
		require.False(t, res.IsError, textOf(res))
		assert.Len(t, up.keyChecks(), 2, "checked again once the verdict expired")
	})

	t.Run("refused key, remembered for less long", func(t *testing.T) {
		before := len(up.keyChecks())
		for range 3 {
			status, h, _ := rawPost(t, hc, ts.URL, bearer(keyBob), initializeBody)
			assert.Equal(t, http.StatusUnauthorized, status)
			assert.Contains(t, h.Get("WWW-Authenticate"), `error="invalid_token"`)
		}
		assert.Len(t, up.keyChecks(), before+1)
		clock.Advance(DefaultKeyRefusedTTL + time.Second)
		status, _, _ := rawPost(t, hc, ts.URL, bearer(keyBob), initializeBody)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Len(t, up.keyChecks(), before+2)
	})

	t.Run("Telnyx cannot answer", func(t *testing.T) {
		key := telnyxfake.DefaultAPIKey // a key the fake accepts, not yet checked
		busy := faultinject.Status(500, `{"errors":[{"code":"10000","title":"busy","detail":"Bearer `+key+` is busy"}]}`)
		up.Inject(telnyxfake.OpListClients, busy, busy, busy) // the first try and its two retries
		status, h, body := rawPost(t, hc, ts.URL, bearer(key), initializeBody)
		assert.Equal(t, http.StatusServiceUnavailable, status, body)
		assert.NotEmpty(t, h.Get("Retry-After"))
		assert.Contains(t, body, "could not check your Telnyx API key")
		// The operator learns why, and not the key.
		assert.Regexp(t, `level=WARN msg="could not check a caller's Telnyx API key" error=.*500 Internal Server Error.*busy`, logs.String())
		assert.NotContains(t, logs.String(), key)
		status, _, body = rawPost(t, hc, ts.URL, bearer(key), initializeBody)
		assert.Equal(t, http.StatusOK, status, "no verdict was remembered: %s", body)
	})
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="key_refused"} 4`)
}

// TestKeyCacheBounded: the verdicts kept never exceed the cache size,
// however many keys are checked.
func TestKeyCacheBounded(t *testing.T) {
	t.Parallel()
	clock := newFrozenClock()
	var asked atomic.Int32
	k := &keyChecker{
		ask:         func(_ context.Context, _ string) error { asked.Add(1); return nil },
		acceptedTTL: time.Minute, refused: time.Second, perSecond: -1, cacheSize: 16,
		now: clock.Now, base: context.Background(),
		verdicts: map[[32]byte]cachedVerdict{}, pending: map[[32]byte]*pendingCheck{}, addrs: map[string]*bucket{},
	}
	for i := range 200 {
		v, err := k.verify(context.Background(), fmt.Sprintf("KEY-%d", i), "192.0.2.1")
		require.NoError(t, err)
		require.Equal(t, keyAccepted, v)
		k.mu.Lock()
		n := len(k.verdicts)
		k.mu.Unlock()
		require.LessOrEqual(t, n, 16)
	}
	assert.EqualValues(t, 200, asked.Load())
	_, _ = k.verify(context.Background(), "KEY-199", "192.0.2.1")
	assert.EqualValues(t, 200, asked.Load(), "the latest verdict is kept")
}
