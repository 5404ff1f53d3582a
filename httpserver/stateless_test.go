package httpserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// alternator sends each request to the next of several replicas in turn,
// as a load balancer without sticky sessions would, and can rewrite the
// requestState of a tools/call retry on its way (an attacker, or a buggy
// client). It records which replica got each request.
type alternator struct {
	hosts []string
	next  atomic.Int64
	base  http.RoundTripper

	mu      sync.Mutex
	log     []hop
	tamper  func(state string) string // nil: leave the state alone
	lastSet string                    // the last requestState sent
}

type hop struct {
	host, method string
	retry        bool // a tools/call carrying inputResponses
}

func (a *alternator) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	host := a.hosts[int(a.next.Add(1)-1)%len(a.hosts)]
	r.URL.Host, r.Host = host, host
	h := hop{host: host}
	if r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		body = a.rewrite(body, &h)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	a.mu.Lock()
	a.log = append(a.log, h)
	a.mu.Unlock()
	return a.base.RoundTrip(r)
}

func (a *alternator) rewrite(body []byte, h *hop) []byte {
	var msg map[string]any
	if json.Unmarshal(body, &msg) != nil {
		return body
	}
	h.method, _ = msg["method"].(string)
	params, _ := msg["params"].(map[string]any)
	state, ok := params["requestState"].(string)
	if !ok {
		return body
	}
	h.retry = true
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tamper != nil {
		state = a.tamper(state)
		params["requestState"] = state
	}
	a.lastSet = state
	out, err := json.Marshal(msg)
	if err != nil {
		return body
	}
	return out
}

func (a *alternator) setTamper(fn func(string) string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tamper = fn
}

func (a *alternator) lastState() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastSet
}

func (a *alternator) hops() []hop {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]hop(nil), a.log...)
}

// replicas starts two stateless servers in front of one fake, sharing the
// state key and a clock the test can move, and returns a client transport
// that alternates between them.
type replicas struct {
	up    *upstream
	a, b  *testServer
	alt   *alternator
	clock *testClock
}

type testClock struct{ offset atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func newReplicas(t *testing.T) *replicas {
	t.Helper()
	r := &replicas{up: newUpstream(t, keyAlice, keyBob), clock: &testClock{}}
	mod := func(c *Config) {
		c.Stateless = true
		c.StateKey = testStateKey
		c.Now = r.clock.now
	}
	r.a = startServer(t, r.up, mod)
	r.b = startServer(t, r.up, mod)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	r.alt = &alternator{hosts: []string{r.a.Addr, r.b.Addr}, base: tr}
	return r
}

// client returns a client of e whose requests alternate between the
// replicas.
func (r *replicas) client(t *testing.T, key string, e era, el *elicitor) *client.Client {
	t.Helper()
	hc := &http.Client{Transport: r.alt, Timeout: callTimeout}
	return connectWith(t, r.a.URL, key, hc, e, client.WithElicitationHandler(el))
}

// TestStatelessReplicasAlternate: two server instances with the same state
// key serve alternate requests of one client, and every call works, the
// confirmed delete included: for a 2026-07-28 client the input_required
// answer and the retry land on different replicas.
func TestStatelessReplicasAlternate(t *testing.T) {
	t.Parallel()
	r := newReplicas(t)
	for _, e := range eras {
		t.Run(e.name, func(t *testing.T) {
			el := &elicitor{action: mcp.ElicitationResponseActionAccept}
			c := r.client(t, keyAlice, e, el)
			assert.ElementsMatch(t, allToolNames(), listToolNames(t, c))
			res := callTool(t, c, "get_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID})
			assert.False(t, res.IsError, textOf(res))
			id := createClient(t, c, "replicated "+e.name)
			args := map[string]any{"client_id": id}
			if e.name == legacy.name {
				args["confirm"] = id // a stateless server cannot elicit a 2025-11-25 client
			}
			var del deleteResult
			decode(t, callTool(t, c, "delete_oauth_client", args), &del)
			assert.True(t, del.Deleted, "%+v", del)
			assert.Equal(t, 1, r.up.deletes(id))
		})
	}

	served := map[string]int{}
	var first, retry string
	for i, h := range r.alt.hops() {
		served[h.host]++
		if h.retry {
			retry = h.host
			first = r.alt.hops()[i-1].host
		}
	}
	assert.Len(t, served, 2, "both replicas served requests")
	assert.Positive(t, r.a.mcpServed.Load())
	assert.Positive(t, r.b.mcpServed.Load())
	require.NotEmpty(t, retry, "the 2026-07-28 delete was confirmed through input_required")
	assert.NotEqual(t, first, retry, "the confirmation was minted by one replica and checked by the other")
}

// TestRequestStateRefused: a requestState that was altered, has expired,
// or is replayed for another call or by another caller is refused, and
// nothing changes: the fake records no DELETE and the client is still
// there. The states are minted and checked by alternating replicas.
func TestRequestStateRefused(t *testing.T) {
	t.Parallel()
	r := newReplicas(t)
	alice := r.client(t, keyAlice, modern, &elicitor{action: mcp.ElicitationResponseActionAccept})
	target := createClient(t, alice, "must survive")
	other := createClient(t, alice, "another target")

	// A state minted for (alice, delete target), captured from a declined
	// confirmation.
	decliner := r.client(t, keyAlice, modern, &elicitor{action: mcp.ElicitationResponseActionDecline})
	var del deleteResult
	decode(t, callTool(t, decliner, "delete_oauth_client", map[string]any{"client_id": target}), &del)
	require.False(t, del.Deleted)
	aliceTarget := r.alt.lastState()
	require.NotEmpty(t, aliceTarget)

	tests := []struct {
		name   string
		key    string
		id     string
		tamper func(string) string
		before func()
		want   string
	}{
		{name: "altered signature", key: keyAlice, id: target, want: "altered",
			tamper: func(s string) string { return s[:len(s)-4] + flip(s[len(s)-4:]) }},
		{name: "altered body (expiry pushed back)", key: keyAlice, id: target, want: "altered",
			tamper: func(s string) string { return extendExpiry(t, s) }},
		{name: "replayed for another call", key: keyAlice, id: other, want: "another call",
			tamper: func(string) string { return aliceTarget }},
		{name: "replayed by another caller", key: keyBob, id: target, want: "another caller",
			tamper: func(string) string { return aliceTarget }},
		// Last: it moves the replicas' shared clock past the 10 minutes a
		// confirmation lives, while the user "thinks".
		{name: "expired", key: keyAlice, id: target, want: "expired",
			before: func() { r.clock.advance(11 * time.Minute) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.alt.setTamper(tc.tamper)
			defer r.alt.setTamper(nil)
			el := &elicitor{action: mcp.ElicitationResponseActionAccept, before: tc.before}
			c := r.client(t, tc.key, modern, el)
			res := callTool(t, c, "delete_oauth_client", map[string]any{"client_id": tc.id})
			assert.True(t, res.IsError, "refused: %s", textOf(res))
			assert.Contains(t, textOf(res), tc.want)
			assert.Contains(t, textOf(res), "nothing was changed")
			assert.Equal(t, int32(1), el.asked.Load())
		})
	}

	assert.Empty(t, r.up.RequestsFor(telnyxfake.OpDeleteClient), "no DELETE reached Telnyx")
	for _, id := range []string{target, other} {
		res := callTool(t, alice, "get_oauth_client", map[string]any{"client_id": id})
		assert.False(t, res.IsError, "client %s is still there: %s", id, textOf(res))
	}
}

// extendExpiry rewrites the expiry inside a state, keeping its signature:
// what an attacker holding an old confirmation would try.
func extendExpiry(t *testing.T, state string) string {
	body, sig, ok := strings.Cut(state, ".")
	require.True(t, ok)
	raw, err := base64.RawURLEncoding.DecodeString(body)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	p["e"] = time.Now().Add(24 * time.Hour).Unix()
	raw, err = json.Marshal(p)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestStatelessNeedsStateKey: a stateless server will not start without a
// key the replicas share, nor with a short one.
func TestStatelessNeedsStateKey(t *testing.T) {
	t.Parallel()
	up := newUpstream(t)
	cl := startServer(t, up, nil).cfg.Client
	_, err := New(Config{Client: cl, Auth: AuthKey, Stateless: true})
	assert.ErrorContains(t, err, "state key")
	_, err = New(Config{Client: cl, Auth: AuthKey, Stateless: true, StateKey: []byte("short")})
	assert.ErrorContains(t, err, "at least 32 bytes")
	_, err = New(Config{Client: cl, Auth: "none"})
	assert.ErrorContains(t, err, "no unauthenticated HTTP mode")

	_, err = ParseStateKey(strings.Repeat("x", 31))
	assert.Error(t, err)
	k, err := ParseStateKey("  " + strings.Repeat("x", 32) + "\n")
	require.NoError(t, err)
	assert.Len(t, k, 32)
}
