package httpserver

// Test helpers: a Telnyx fake that accepts several keys and records the
// credential of every request, a server under test on 127.0.0.1:0, and
// mcp-go clients (both protocol eras) that talk to it over real HTTP.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// Callers' Telnyx keys in key mode. The fake accepts both (see upstream).
const (
	keyAlice = "KEYalice-0123456789abcdef0123456789"
	keyBob   = "KEYbob-fedcba9876543210fedcba98765"
)

// testStateKey is the state key the replicas of a test share.
var testStateKey = []byte("test-state-key: 0123456789abcdef0123456789abcdef")

// callTimeout bounds every single request a test makes.
const callTimeout = 15 * time.Second

// era is one protocol generation, as mcp-go's client selects it.
type era struct {
	name    string
	version string
	opts    []client.ClientOption
}

var (
	modern = era{name: "2026-07-28", version: mcp.LATEST_PROTOCOL_VERSION}
	legacy = era{name: "2025-11-25", version: mcp.LATEST_LEGACY_PROTOCOL_VERSION,
		opts: []client.ClientOption{client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION)}}
	eras = []era{modern, legacy}
)

// upstream is the Telnyx fake behind a front that accepts every key in
// keys (passing the fake its own key instead), records the Authorization
// header of every request as it arrived, and tracks concurrency.
type upstream struct {
	*faultinject.Fake
	BaseURL string

	keys map[string]bool

	mu       sync.Mutex
	auths    []authSeen
	inFlight int
	peak     int
}

type authSeen struct {
	auth, method, path, query string
	body                      []byte
}

func newUpstream(t *testing.T, keys ...string) *upstream {
	t.Helper()
	u := &upstream{Fake: faultinject.New(telnyxfake.Options{Seed: true}), keys: map[string]bool{}}
	for _, k := range keys {
		u.keys[k] = true
	}
	srv := httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(srv.Close)
	u.BaseURL = srv.URL + "/v2"
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	auth := r.Header.Get("Authorization")
	u.mu.Lock()
	u.auths = append(u.auths, authSeen{auth: auth, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, body: body})
	u.inFlight++
	u.peak = max(u.peak, u.inFlight)
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.inFlight--
		u.mu.Unlock()
	}()
	if key, ok := strings.CutPrefix(auth, "Bearer "); ok && u.keys[key] {
		r.Header.Set("Authorization", "Bearer "+telnyxfake.DefaultAPIKey)
	}
	u.Fake.ServeHTTP(w, r)
}

// seen returns the requests tool calls made, as they arrived: the server's
// checks of callers' keys left out.
func (u *upstream) seen() []authSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []authSeen
	for _, a := range u.auths {
		if !(a.method == http.MethodGet && a.path == "/v2/oauth_clients" && a.query == keyCheckQuery) {
			out = append(out, a)
		}
	}
	return out
}

// keyCheckQuery is the query of the server's check of a caller's key: the
// first page, of one client (see keycheck.go). No test's tool call asks
// for exactly that.
const keyCheckQuery = "page%5Bsize%5D=1"

func isKeyCheck(r telnyxfake.Request) bool {
	return r.Operation == telnyxfake.OpListClients && r.RawQuery == keyCheckQuery
}

// toolRequests returns what the fake received for op, less the server's
// key checks.
func (u *upstream) toolRequests(op string) []telnyxfake.Request {
	var out []telnyxfake.Request
	for _, r := range u.RequestsFor(op) {
		if !isKeyCheck(r) {
			out = append(out, r)
		}
	}
	return out
}

// keyChecks returns the server's checks of callers' keys the fake received.
func (u *upstream) keyChecks() []telnyxfake.Request {
	var out []telnyxfake.Request
	for _, r := range u.RequestsFor(telnyxfake.OpListClients) {
		if isKeyCheck(r) {
			out = append(out, r)
		}
	}
	return out
}

func (u *upstream) peakConcurrency() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.peak
}

// deletes returns the DELETE requests the fake received for a client.
func (u *upstream) deletes(clientID string) int {
	n := 0
	for _, r := range u.RequestsFor(telnyxfake.OpDeleteClient) {
		if strings.HasSuffix(r.Path, "/"+clientID) {
			n++
		}
	}
	return n
}

// syncBuffer collects audit lines the server writes while a test reads.
type syncBuffer = testkit.Buffer

// testServer is a Server serving on 127.0.0.1:0.
type testServer struct {
	*Server
	Root  string // http://127.0.0.1:PORT
	URL   string // Root + "/mcp"
	Addr  string // 127.0.0.1:PORT
	audit *syncBuffer
	stop  func() // shuts down (gracefully) and waits for Serve to return
	// mcpServed counts the requests the guard handed to mcp-go, to show
	// that a refused one never got that far.
	mcpServed *atomic.Int64
}

// countingTransport counts the requests handed to an MCP transport.
type countingTransport struct {
	mcpTransport
	n *atomic.Int64
}

func (c countingTransport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.mcpTransport.ServeHTTP(w, r)
}

// startServer starts a server in front of up. By default: key mode,
// stateful, every tool exposed, confirmation on. mod changes the Config
// before New; a nil Client is built for up (with the server's own key in
// token mode, none in key mode) reporting to the server's Metrics.
func startServer(t *testing.T, up *upstream, mod func(*Config)) *testServer {
	t.Helper()
	return startServerThen(t, up, mod, nil)
}

// startServerThen is startServer with a last change to the built Server,
// made before it serves.
func startServerThen(t *testing.T, up *upstream, mod func(*Config), then func(*Server)) *testServer {
	t.Helper()
	audit := &syncBuffer{}
	cfg := Config{
		Version:   "test",
		Selection: tools.Selection{Toolsets: []string{"all"}},
		Auth:      AuthKey,
		Audit:     audit,
		StateKey:  testStateKey,
	}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Client == nil {
		apiCfg := telnyxapi.Config{BaseURL: up.BaseURL, OnAttempt: cfg.Metrics.ObserveAttempt, Backoff: time.Millisecond}
		if cfg.Auth == AuthToken {
			apiCfg.APIKey = telnyxfake.DefaultAPIKey
		}
		c, err := telnyxapi.New(apiCfg)
		require.NoError(t, err)
		cfg.Client = c
	}
	srv, err := New(cfg)
	require.NoError(t, err)
	if then != nil {
		then(srv)
	}
	served := &atomic.Int64{}
	srv.mcpWrite = countingTransport{srv.mcpWrite, served}
	if srv.mcpRead != nil {
		srv.mcpRead = countingTransport{srv.mcpRead, served}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	ts := &testServer{Server: srv, Addr: ln.Addr().String(), audit: audit, mcpServed: served}
	ts.Root = "http://" + ts.Addr
	ts.URL = ts.Root + "/mcp"
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(cfg.ShutdownGrace + 5*time.Second):
				t.Error("Serve did not return after shutdown")
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// httpClient returns a client whose connections are closed when the test
// ends.
func httpClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: callTimeout}
}

// connect returns an initialized mcp-go client of e speaking to url with
// bearer as its credential.
func connect(t *testing.T, url, bearer string, e era, opts ...client.ClientOption) *client.Client {
	t.Helper()
	return connectWith(t, url, bearer, httpClient(t), e, opts...)
}

func connectWith(t *testing.T, url, bearer string, hc *http.Client, e era, opts ...client.ClientOption) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url,
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + bearer}),
		transport.WithHTTPBasicClient(hc))
	require.NoError(t, err)
	c := client.NewClient(tr, append(append([]client.ClientOption(nil), e.opts...), opts...)...)
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "httpserver-test", Version: "1"}
	res, err := c.Initialize(ctx, init)
	require.NoError(t, err)
	require.Equal(t, e.version, res.ProtocolVersion)
	return c
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := callToolErr(c, name, args)
	require.NoError(t, err, "%s", name)
	return res
}

func callToolErr(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

func listToolNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var out []string
	for _, tl := range res.Tools {
		out = append(out, tl.Name)
	}
	return out
}

var textOf = testkit.Text

// decode reads a successful result's structured content into v.
func decode(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	require.False(t, res.IsError, "tool error: %s", textOf(res))
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), "%s", b)
}

// createClient creates an OAuth client through the MCP tool and returns its
// id.
func createClient(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	var out struct {
		Client struct {
			ClientID string `json:"client_id"`
			Name     string `json:"name"`
		} `json:"client"`
	}
	decode(t, callTool(t, c, "create_oauth_client", map[string]any{
		"name": name, "client_type": "confidential",
		"allowed_scopes": []string{"numbers.read"}, "allowed_grant_types": []string{"client_credentials"},
	}), &out)
	require.Equal(t, name, out.Client.Name)
	require.NotEmpty(t, out.Client.ClientID)
	return out.Client.ClientID
}

type deleteResult struct {
	ClientID string `json:"client_id"`
	Deleted  bool   `json:"deleted"`
	Message  string `json:"message"`
}

// elicitor answers every elicitation with its action and counts them.
type elicitor struct {
	action mcp.ElicitationResponseAction
	asked  atomic.Int32
	// before, when set, runs before answering (e.g. to move a clock).
	before func()
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.asked.Add(1)
	if e.before != nil {
		e.before()
	}
	res := &mcp.ElicitationResult{}
	res.Action = e.action
	if e.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": true}
	}
	return res, nil
}

// rawPost sends one POST to the MCP endpoint with the given headers (plus
// JSON content type and accept) and returns the status, headers and body.
func rawPost(t *testing.T, hc *http.Client, url string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// initializeBody is a 2025-11-25 initialize request.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func bearer(key string) map[string]string { return map[string]string{"Authorization": "Bearer " + key} }

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// hashToken is a token's line form in the tokens file, as operators make it
// with `printf '%s' "$TOKEN" | sha256sum`.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}
