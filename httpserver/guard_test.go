package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// TestGuards: the hardening in front of mcp-go, each over real HTTP.
// Foreign Origin and Host get 403, a text/plain POST 415, a missing or
// wrong credential 401 with a Bearer challenge, a token in the query 401;
// X-Forwarded-Host counts only behind a trusted proxy. None of the refused
// requests reaches mcp-go.
func TestGuards(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) {
		c.Stateless = true
		c.AllowedOrigins = []string{"https://app.example.com"}
		c.AllowedHosts = []string{"mcp.example.com", "internal.example:8443"}
	})
	trusting := startServer(t, up, func(c *Config) { c.Stateless = true; c.TrustProxyHeaders = true })
	hc := httpClient(t)
	port := ts.Addr[strings.LastIndexByte(ts.Addr, ':')+1:]
	ok := bearer(keyAlice)

	tests := []struct {
		name   string
		srv    *testServer
		header map[string]string
		query  string
		want   int
	}{
		{"plain request", ts, ok, "", http.StatusOK},
		{"Origin evil", ts, with(ok, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"), "", http.StatusForbidden},
		{"Origin null", ts, with(ok, "Origin", "null"), "", http.StatusForbidden},
		{"Origin evil on a loopback port", ts, with(ok, "Origin", "https://evil.example:"+port), "", http.StatusForbidden},
		{"Origin loopback", ts, with(ok, "Origin", "http://localhost:6274"), "", http.StatusOK},
		{"Origin allowed", ts, with(ok, "Origin", "https://app.example.com"), "", http.StatusOK},
		{"Host evil", ts, with(ok, "Host", "evil.example"), "", http.StatusForbidden},
		{"Host evil with port", ts, with(ok, "Host", "evil.example:80"), "", http.StatusForbidden},
		{"Host look-alike", ts, with(ok, "Host", "localhost.evil.com"), "", http.StatusForbidden},
		{"Host 127.0.0.1", ts, with(ok, "Host", "127.0.0.1:"+port), "", http.StatusOK},
		{"Host localhost", ts, with(ok, "Host", "localhost:"+port), "", http.StatusOK},
		{"Host [::1]", ts, with(ok, "Host", "[::1]:"+port), "", http.StatusOK},
		{"Host allowed", ts, with(ok, "Host", "mcp.example.com"), "", http.StatusOK},
		{"Host allowed only on its port", ts, with(ok, "Host", "internal.example:80"), "", http.StatusForbidden},
		{"Host allowed with its port", ts, with(ok, "Host", "internal.example:8443"), "", http.StatusOK},
		{"X-Forwarded-Host ignored", ts, with(ok, "X-Forwarded-Host", "evil.example"), "", http.StatusOK},
		{"X-Forwarded-Host trusted", trusting, with(ok, "X-Forwarded-Host", "evil.example"), "", http.StatusForbidden},
		{"Content-Type text/plain", ts, with(ok, "Content-Type", "text/plain"), "", http.StatusUnsupportedMediaType},
		{"no credential", ts, nil, "", http.StatusUnauthorized},
		{"Basic credential", ts, map[string]string{"Authorization": "Basic YWxpY2U6cHc="}, "", http.StatusUnauthorized},
		{"malformed bearer", ts, map[string]string{"Authorization": "Bearer two words"}, "", http.StatusUnauthorized},
		{"token in the query", ts, ok, "?access_token=" + keyAlice, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.srv.mcpServed.Load()
			status, h, body := rawPost(t, hc, tc.srv.URL+tc.query, tc.header, initializeBody)
			assert.Equal(t, tc.want, status, body)
			if tc.want != http.StatusOK {
				assert.Equal(t, before, tc.srv.mcpServed.Load(), "refused before mcp-go")
			}
			if tc.want == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer "), "challenge: %q", h.Get("WWW-Authenticate"))
			}
			if o := tc.header["Origin"]; tc.want == http.StatusOK && o != "" {
				assert.Equal(t, o, h.Get("Access-Control-Allow-Origin"))
			}
		})
	}

	t.Run("CORS preflight for an allowed origin", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodOptions, ts.URL, nil)
		require.NoError(t, err)
		req.Header.Set("Origin", "https://app.example.com")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	})
}

// TestBodyCap: a 5 MiB body gets 413 whether it announces its length or
// comes chunked, and the MCP handler never runs; nothing reaches Telnyx.
func TestBodyCap(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true })
	hc := httpClient(t)
	huge := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_oauth_client","arguments":{"name":"` +
		strings.Repeat("x", 5<<20) + `"}}}`

	for _, chunked := range []bool{false, true} {
		name := "Content-Length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(huge)
			if chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, ts.URL, body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+keyAlice)
			if chunked {
				require.Equal(t, int64(0), req.ContentLength)
				req.ContentLength = -1
			}
			resp, err := hc.Do(req)
			if chunked && err != nil {
				// The server answers 413 and hangs up once the cap is
				// read; a client still sending may see the reset instead.
				t.Logf("chunked: %v", err)
				return
			}
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		})
	}
	assert.Zero(t, ts.mcpServed.Load(), "the MCP handler never ran")
	assert.Len(t, up.Requests(), len(up.keyChecks()), "nothing but the check of the caller's key reached Telnyx")
	assert.Contains(t, scrape(t, ts), `telnyx_mcp_rejected_requests_total{reason="body_too_large"} 2`)

	// Just under the cap is fine.
	small := bytes.Repeat([]byte(" "), 1<<20-len(initializeBody))
	status, _, _ := rawPost(t, hc, ts.URL, bearer(keyAlice), initializeBody+string(small))
	assert.Equal(t, http.StatusOK, status)
}

// TestRefusalStatuses: what the front door refuses gets the HTTP status
// and JSON-RPC error its kind calls for. A look-alike key is -32600 with
// id null and 400. A request with a bad tool name is -32602 with its id:
// 200 under 2025-11-25, 400 under 2026-07-28. The same as a notification
// is -32602 with id null and 400 under both: no JSON-RPC answer exists for
// a notification, and MCP wants an HTTP error for a message the server does
// not accept. None reaches mcp-go.
func TestRefusalStatuses(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true })
	hc := httpClient(t)
	const (
		lookAlike    = `{"jsonrpc":"2.0","id":3,"method":"tools/list","Method":"tools/call"}`
		badName      = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"bad name"}}`
		notification = `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"bad name"}}`
	)
	for _, tc := range []struct {
		name, body, version string
		status, code        int
		id                  string
	}{
		{"look-alike key, 2025-11-25", lookAlike, legacy.version, http.StatusBadRequest, -32600, "null"},
		{"look-alike key, 2026-07-28", lookAlike, modern.version, http.StatusBadRequest, -32600, "null"},
		{"bad tool name, 2025-11-25", badName, legacy.version, http.StatusOK, -32602, "3"},
		{"bad tool name, 2026-07-28", badName, modern.version, http.StatusBadRequest, -32602, "3"},
		{"bad tool name in a notification, 2025-11-25", notification, legacy.version, http.StatusBadRequest, -32602, "null"},
		{"bad tool name in a notification, 2026-07-28", notification, modern.version, http.StatusBadRequest, -32602, "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.mcpServed.Load()
			status, h, body := rawPost(t, hc, ts.URL, with(bearer(keyAlice), "Mcp-Protocol-Version", tc.version), tc.body)
			assert.Equal(t, tc.status, status, body)
			assert.Equal(t, "application/json", h.Get("Content-Type"))
			var got struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(body), &got), body)
			assert.Equal(t, "2.0", got.JSONRPC)
			assert.Equal(t, tc.id, string(got.ID))
			assert.Equal(t, tc.code, got.Error.Code, body)
			assert.NotEmpty(t, got.Error.Message)
			assert.Equal(t, before, ts.mcpServed.Load(), "refused before mcp-go")
		})
	}
}

// TestHandlerErrorStatuses: a resource handler's error reaches the client
// with the code the handler gave it (jsonrpc.Error, put in by the reply
// edge), and under 2026-07-28 with the HTTP status that version gives the
// code, as mcp-go gives its own errors: 400 for -32602. Under 2025-11-25
// every JSON-RPC answer is 200.
func TestHandlerErrorStatuses(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true })
	hc := httpClient(t)
	read := func(e era, uri string) (int, string) {
		meta := ""
		header := with(bearer(keyAlice), "Mcp-Protocol-Version", e.version)
		if e.version == modern.version {
			meta = modernMeta(e.version, false) + ","
			header = with(header, mcp.HeaderMethod, "resources/read", mcp.HeaderName, uri)
		}
		status, _, body := rawPost(t, hc, ts.URL, header,
			`{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{`+meta+`"uri":"`+uri+`"}}`)
		return status, body
	}
	const (
		malformed = "telnyx-oauth://clients/a%2Fb"
		missing   = "telnyx-oauth://clients/5eed0009-0000-4000-8000-00000000dead"
	)
	for _, tc := range []struct {
		e      era
		uri    string
		status int
		code   string
	}{
		{modern, malformed, http.StatusBadRequest, `"code":-32602`},
		{modern, missing, http.StatusBadRequest, `"code":-32602`},
		{legacy, malformed, http.StatusOK, `"code":-32602`},
		{legacy, missing, http.StatusOK, `"code":-32002`},
	} {
		status, body := read(tc.e, tc.uri)
		assert.Equal(t, tc.status, status, "%s %s: %s", tc.e.name, tc.uri, body)
		assert.Contains(t, body, tc.code, "%s %s", tc.e.name, tc.uri)
		assert.Contains(t, body, `"id":6`, "%s %s", tc.e.name, tc.uri)
	}
}

// scrape returns the /metrics text.
func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := httpClient(t).Get(ts.Root + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}

// TestStreamsAndVersions: a 2025-11-25 GET (the standalone SSE stream) is
// refused with 405 by a stateless server, which is what keeps mcp-go from
// registering one shared session under the empty id; a stateful server
// wants the session id on it (400 without). An unsupported
// Mcp-Protocol-Version gets 400.
func TestStreamsAndVersions(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	stateless := startServer(t, up, func(c *Config) { c.Stateless = true })
	stateful := startServer(t, up, nil)
	hc := httpClient(t)
	get := func(url string) int {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+keyAlice)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusMethodNotAllowed, get(stateless.URL))
	assert.Equal(t, http.StatusBadRequest, get(stateful.URL))

	status, _, _ := rawPost(t, hc, stateless.URL, with(bearer(keyAlice), "Mcp-Protocol-Version", "1999-01-01"),
		`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`)
	assert.Equal(t, http.StatusBadRequest, status)
}

// TestSlowBodyClosed: a client that sends its headers at once and
// then drips the body a byte at a time is cut off by the body read
// deadline, instead of holding a connection and a goroutine for as long as
// it likes (1 MiB at 1 B/s is twelve days). The deadline ends with the
// body: a tool call that runs longer than it still gets its answer.
func TestSlowBodyClosed(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.ReadBodyTimeout = 300 * time.Millisecond })
	cl := connect(t, ts.URL, keyAlice, modern) // Telnyx has accepted the key
	up.Inject(telnyxfake.OpListClients, faultinject.Delay(time.Second))

	c, err := net.DialTimeout("tcp", ts.Addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	const bodyLen = 40
	_, err = fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", ts.Addr, keyAlice, bodyLen)
	require.NoError(t, err)
	// The whole body would take 3.9 s to drip; the deadline is 300 ms.
	assert.Less(t, dripUntilClosed(t, c, " ", bodyLen-1), 20, "a dripped body must be cut off by the read deadline")

	// The deadline covers the body only: a call longer than it succeeds.
	res := callTool(t, cl, "list_oauth_clients", map[string]any{})
	assert.False(t, res.IsError, textOf(res))
}

// dripUntilClosed writes drip to c every 100 ms, at most n times, until
// the server closes the connection, and returns how many it wrote. The
// test fails if the server never closes it.
func dripUntilClosed(t *testing.T, c net.Conn, drip string, n int) int {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, c) // EOF or reset once the server gives up
	}()
	sent := 0
	for ; sent < n; sent++ {
		select {
		case <-closed:
			return sent
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write([]byte(drip)); err != nil {
			break
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("connection never closed")
	}
	return sent
}

// TestSlowBodyRefusedClosed: a request refused before its body is
// read (here: no credential) is no way around the body deadline either.
// net/http drains up to 256 KiB of an unread body before it sends the
// answer, with no deadline of its own, so an unauthenticated client
// dripping a body held the connection and a handler for as long as it
// liked.
func TestSlowBodyRefusedClosed(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.ReadBodyTimeout = 300 * time.Millisecond })
	for _, te := range []string{"Content-Length: 40", "Transfer-Encoding: chunked"} {
		t.Run(te, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", ts.Addr, 2*time.Second)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			first := "{"
			drip := " "
			if strings.HasPrefix(te, "Transfer") {
				first, drip = "1\r\n{\r\n", "1\r\n \r\n"
			}
			_, err = fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n%s", ts.Addr, te, first)
			require.NoError(t, err)
			assert.Less(t, dripUntilClosed(t, c, drip, 39), 20, "a dripped body must be cut off even when the request is refused")
		})
	}
}

// TestAllowedHostIPv6Literal: an --allowed-hosts entry naming an
// IPv6 address in brackets, as it appears in a Host header, matches that
// Host on any port (as a name without a port does), not only when the
// client leaves the port out.
func TestAllowedHostIPv6Literal(t *testing.T) {
	t.Parallel()
	s := &Server{allowedHosts: normalizeHosts([]string{"[2001:DB8::1]", "[2001:db8::2]:8443"})}
	for host, want := range map[string]bool{
		"[2001:db8::1]":      true,
		"[2001:db8::1]:8080": true,
		"[2001:db8::2]:8443": true,
		"[2001:db8::2]:80":   false,
		"[2001:db8::3]:8080": false,
	} {
		r := &http.Request{Host: host, Header: http.Header{}}
		assert.Equal(t, want, s.hostAllowed(r), host)
	}
}
