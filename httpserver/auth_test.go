package httpserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestKeyModeCallersIsolated: two callers with different keys run at the
// same time, in both eras, their clients using the same JSON-RPC ids
// (mcp-go numbers each client's requests from 1). Every upstream request
// carries the key of the caller it was made for, and only that; every
// caller gets its own results.
func TestKeyModeCallersIsolated(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice, keyBob)
	ts := startServer(t, up, func(c *Config) { c.RateLimit, c.RateLimitMutating = -1, -1 })
	const rounds = 8

	callers := []struct {
		who, key, getID string
	}{
		{"alice", keyAlice, telnyxfake.BillingClientID},
		{"bob", keyBob, telnyxfake.MobileClientID},
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ids := &idRecorder{base: tr, seen: map[string]map[string]bool{}}
	var wg sync.WaitGroup
	for _, e := range eras {
		for _, cl := range callers {
			c := connectWith(t, ts.URL, cl.key, &http.Client{Transport: ids, Timeout: callTimeout}, e)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					var got struct {
						ClientID string `json:"client_id"`
					}
					res, err := callToolErr(c, "get_oauth_client", map[string]any{"client_id": cl.getID})
					if !assert.NoError(t, err) {
						return
					}
					decode(t, res, &got)
					assert.Equal(t, cl.getID, got.ClientID, "%s got another caller's result", cl.who)

					name := fmt.Sprintf("%s-%s-%d", cl.who, e.name, i)
					res, err = callToolErr(c, "create_oauth_client", map[string]any{
						"name": name, "client_type": "public",
						"allowed_scopes": []string{"numbers.read"}, "allowed_grant_types": []string{"authorization_code"},
						"redirect_uris": []string{"https://" + cl.who + ".example/cb"},
					})
					if !assert.NoError(t, err) {
						return
					}
					var created struct {
						Client struct {
							Name string `json:"name"`
						} `json:"client"`
					}
					decode(t, res, &created)
					assert.Equal(t, name, created.Client.Name)
				}
			}()
		}
	}
	wg.Wait()
	shared := 0
	for id := range ids.seen[keyAlice] {
		if ids.seen[keyBob][id] {
			shared++
		}
	}
	assert.GreaterOrEqual(t, shared, rounds, "the two callers' tools/call requests used the same JSON-RPC ids")

	seen := up.seen()
	require.Len(t, seen, 2*len(eras)*rounds*2, "one upstream request per call")
	for _, r := range seen {
		var who string
		switch {
		case strings.HasSuffix(r.path, telnyxfake.BillingClientID), strings.Contains(string(r.body), `"alice-`):
			who = keyAlice
		case strings.HasSuffix(r.path, telnyxfake.MobileClientID), strings.Contains(string(r.body), `"bob-`):
			who = keyBob
		default:
			t.Fatalf("unexpected upstream request %s %s", r.method, r.path)
		}
		assert.Equal(t, "Bearer "+who, r.auth, "%s %s %s", r.method, r.path, r.body)
	}
}

// idRecorder records the JSON-RPC ids of each caller's tools/call requests.
type idRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen map[string]map[string]bool // key → ids
}

func (r *idRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(body, &msg) == nil && msg.Method == "tools/call" {
			key := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
			r.mu.Lock()
			if r.seen[key] == nil {
				r.seen[key] = map[string]bool{}
			}
			r.seen[key][string(msg.ID)] = true
			r.mu.Unlock()
		}
	}
	return r.base.RoundTrip(req)
}

// TestSessionBoundToCaller: a 2025-11-25 session belongs to the key that
// created it. Its id presented with another key is refused (403); without
// an id a stateful server answers 400 (mcp-go alone says 404); an unknown
// or terminated id gets 404.
func TestSessionBoundToCaller(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice, keyBob)
	ts := startServer(t, up, nil)
	alice := connect(t, ts.URL, keyAlice, legacy)
	sid := alice.GetSessionId()
	require.NotEmpty(t, sid)
	assert.GreaterOrEqual(t, len(sid), 32, "at least 192 random bits")

	hc := httpClient(t)
	list := `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`
	legacyHeaders := func(key string) map[string]string {
		return with(bearer(key), "Mcp-Protocol-Version", legacy.version, "Mcp-Session-Id", sid)
	}
	status, _, body := rawPost(t, hc, ts.URL, legacyHeaders(keyBob), list)
	assert.Equal(t, http.StatusForbidden, status, body)
	status, _, body = rawPost(t, hc, ts.URL, legacyHeaders(keyAlice), list)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, "list_oauth_clients")

	status, _, _ = rawPost(t, hc, ts.URL, with(bearer(keyAlice), "Mcp-Protocol-Version", legacy.version), list)
	assert.Equal(t, http.StatusBadRequest, status, "a missing session id is a bad request")
	status, _, _ = rawPost(t, hc, ts.URL, with(legacyHeaders(keyAlice), "Mcp-Session-Id", newSessionID()), list)
	assert.Equal(t, http.StatusNotFound, status, "a never-issued id")

	// Bob cannot end Alice's session; Alice can, and then it is gone.
	del := func(key string) int {
		req, err := http.NewRequest(http.MethodDelete, ts.URL, nil)
		require.NoError(t, err)
		for k, v := range legacyHeaders(key) {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusForbidden, del(keyBob))
	assert.Equal(t, http.StatusOK, del(keyAlice))
	status, _, _ = rawPost(t, hc, ts.URL, legacyHeaders(keyAlice), list)
	assert.Equal(t, http.StatusNotFound, status, "a terminated session")
}

// TestTokenMode: callers present tokens from the tokens file. A read token
// neither lists nor can call create, update, delete or revoke; a write
// token can. Upstream calls use the server's own key, and no inbound token
// (nor its hash) ever reaches the fake, in any header, path, query or body.
func TestTokenMode(t *testing.T) {
	t.Parallel()
	const (
		readToken  = "INBOUND-CANARY-read-token-6c1f0e"
		writeToken = "INBOUND-CANARY-write-token-9a7d2b"
	)
	file := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, os.WriteFile(file, []byte(
		"# telnyx-oauth-mcp tokens\n"+
			hashToken(readToken)+" read   # dashboards\n\n"+
			hashToken(writeToken)+" write\n"), 0o600))
	up := newUpstream(t) // only the server's own key
	ts := startServer(t, up, func(c *Config) { c.Auth = AuthToken; c.TokensFile = file })

	var readOnly []string
	for _, tl := range tools.All(tools.Deps{}) {
		if tl.ReadOnly() {
			readOnly = append(readOnly, tl.Name())
		}
	}
	mutating := []string{"create_oauth_client", "update_oauth_client", "delete_oauth_client", "revoke_oauth_grant"}
	for _, e := range eras {
		t.Run("read token "+e.name, func(t *testing.T) {
			c := connect(t, ts.URL, readToken, e)
			listed := listToolNames(t, c)
			assert.ElementsMatch(t, readOnly, listed)
			for _, name := range mutating {
				assert.NotContains(t, listed, name)
				_, err := callToolErr(c, name, map[string]any{
					"client_id": telnyxfake.BillingClientID, "grant_id": telnyxfake.MobileActiveGrantID,
					"confirm": telnyxfake.BillingClientID, "name": "x",
				})
				assert.ErrorContains(t, err, "not found", "%s is not callable with a read token", name)
			}
			res := callTool(t, c, "list_oauth_clients", map[string]any{})
			assert.False(t, res.IsError, textOf(res))
		})
	}
	for _, r := range up.Requests() {
		assert.Contains(t, []string{http.MethodGet}, r.Method, "a read token caused %s %s", r.Method, r.Path)
	}

	t.Run("write token", func(t *testing.T) {
		c := connect(t, ts.URL, writeToken, modern, client.WithElicitationHandler(&elicitor{action: mcp.ElicitationResponseActionAccept}))
		assert.ElementsMatch(t, allToolNames(), listToolNames(t, c))
		id := createClient(t, c, "made with a write token")
		var del deleteResult
		decode(t, callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id}), &del)
		assert.True(t, del.Deleted)
	})

	t.Run("unknown token", func(t *testing.T) {
		status, h, _ := rawPost(t, httpClient(t), ts.URL, bearer("INBOUND-CANARY-not-listed"), initializeBody)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Contains(t, h.Get("WWW-Authenticate"), `error="invalid_token"`)
	})

	reqs := up.Requests()
	require.NotEmpty(t, reqs)
	for _, r := range reqs {
		var hdr strings.Builder
		for k, vs := range r.Header {
			hdr.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		for _, hay := range []string{hdr.String(), r.RawPath, r.RawQuery, string(r.Body)} {
			assert.NotContains(t, hay, "INBOUND-CANARY", "an inbound token reached Telnyx: %s %s", r.Method, r.Path)
			assert.NotContains(t, hay, strings.TrimPrefix(hashToken(readToken), "sha256:"))
			assert.NotContains(t, hay, strings.TrimPrefix(hashToken(writeToken), "sha256:"))
		}
		assert.Equal(t, "Bearer "+telnyxfake.DefaultAPIKey, r.Header.Get("Authorization"), "%s %s", r.Method, r.Path)
	}
	assert.True(t, slices.ContainsFunc(reqs, func(r telnyxfake.Request) bool { return r.Method == http.MethodDelete }))
}

func TestTokensFile(t *testing.T) {
	t.Parallel()
	h := hashToken("secret")
	assert.Equal(t, "sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", h)
	tests := []struct {
		name, text, err string
	}{
		{"good", h + " read\n# comment\n\n" + hashToken("b") + " write # note\n", ""},
		{"plain token", "secret read\n", "sha256:<64 hex digits>, the digits `printf '%s' \"$TOKEN\" | sha256sum` prints"},
		{"short hash", "sha256:abcd read\n", "sha256:<64 hex digits>"},
		{"bad role", h + " admin\n", "role must be read or write"},
		{"missing role", h + "\n", "want"},
		{"duplicate", h + " read\n" + h + " write\n", "twice"},
		{"empty", "# nothing\n", "no tokens"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, err := parseTokens(strings.NewReader(tc.text), "tokens")
			if tc.err == "" {
				require.NoError(t, err)
				assert.Len(t, entries, 2)
				return
			}
			assert.ErrorContains(t, err, tc.err)
		})
	}
}
