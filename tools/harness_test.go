package tools_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// The end-to-end tests of this package run the production server (tools.All,
// tools.Select, tools.NewServer) through mcp-go's in-process client against a
// telnyxfake listening on 127.0.0.1, and check both what the model gets back
// and what the fake received.

// suiteAPIKey is the API key of every harness that does not choose its own.
// It is a canary: the call helper fails any test whose result carries it, and
// TestMain fails the suite if any log line does.
var suiteAPIKey = "KEYCANARY-" + randomHex(12)

// suiteLog receives every harness's log output as well as its own buffer.
var suiteLog lockedBuffer

// TestMain checks for leaked goroutines (nothing is ignored: every goroutine
// the tests start, the fake's and the HTTP client's included, must be gone
// once the tests end) and that no canary reached a log anywhere in the suite.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if logs := suiteLog.String(); code == 0 && strings.Contains(logs, "CANARY") {
			i := strings.Index(logs, "CANARY")
			fmt.Fprintf(os.Stderr, "a canary value reached the logs: …%s…\n", logs[max(0, i-80):min(len(logs), i+80)])
			code = 1
		}
		os.Exit(code)
	}))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lockedBuffer is the log of a server whose handlers run concurrently.
type lockedBuffer = testkit.Buffer

// harnessOptions change how newHarness builds the server and the client.
type harnessOptions struct {
	apiKey string
	// fakeKey is the API key the fake accepts; apiKey when empty.
	fakeKey string
	elicit  client.ElicitationHandler
	legacy  bool
	confirm *tools.Confirmer
	secrets tools.SecretsPolicy
	// wrap replaces the ClientFunc the tools get.
	wrap func(tools.ClientFunc) tools.ClientFunc
	// insecureOAuth is --allow-insecure-oauth.
	insecureOAuth bool
}

type option func(*harnessOptions)

// withElicitation gives the MCP client an elicitation handler, so it declares
// the capability.
func withElicitation(e client.ElicitationHandler) option {
	return func(o *harnessOptions) { o.elicit = e }
}

// legacyEra pins the client to 2025-11-25: initialize handshake, and
// elicitation as a server-to-client elicitation/create request.
func legacyEra() option { return func(o *harnessOptions) { o.legacy = true } }

func withConfirmer(c *tools.Confirmer) option { return func(o *harnessOptions) { o.confirm = c } }

func withSecrets(p tools.SecretsPolicy) option { return func(o *harnessOptions) { o.secrets = p } }

func withAPIKey(k string) option { return func(o *harnessOptions) { o.apiKey = k } }

// withRefusedAPIKey makes the fake accept another key than the one the
// client sends, so every bearer call gets a genuine 401.
func withRefusedAPIKey() option {
	return func(o *harnessOptions) { o.fakeKey = "KEYfake-" + randomHex(8) }
}

func withInsecureOAuth() option { return func(o *harnessOptions) { o.insecureOAuth = true } }

func withClientFunc(wrap func(tools.ClientFunc) tools.ClientFunc) option {
	return func(o *harnessOptions) { o.wrap = wrap }
}

// harness is one fake, one server with every tool, and one connected client.
type harness struct {
	fake   *faultinject.Server
	http   *http.Client // for setting up state straight on the fake
	mcp    *client.Client
	logs   *lockedBuffer
	apiKey string
}

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	o := harnessOptions{apiKey: suiteAPIKey, secrets: tools.SecretsShow}
	for _, opt := range opts {
		opt(&o)
	}
	if o.confirm == nil {
		o.confirm = tools.NewConfirmer(true, nil)
	}

	if o.fakeKey == "" {
		o.fakeKey = o.apiKey
	}
	fake, err := faultinject.Listen(telnyxfake.Options{APIKey: o.fakeKey})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fake.Close()) })

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	t.Cleanup(transport.CloseIdleConnections)
	api, err := telnyxapi.New(telnyxapi.Config{
		BaseURL:   fake.BaseURL,
		APIKey:    o.apiKey,
		UserAgent: "telnyx-oauth-mcp/test",
		Backoff:   time.Millisecond,
		Transport: transport,
	})
	require.NoError(t, err)

	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, &suiteLog), &slog.HandlerOptions{Level: slog.LevelDebug}))
	clientFunc := tools.ClientFunc(func(context.Context) (*telnyxapi.Client, error) { return api, nil })
	if o.wrap != nil {
		clientFunc = o.wrap(clientFunc)
	}
	deps := tools.Deps{Client: clientFunc, Confirm: o.confirm, Secrets: o.secrets, Logger: logger, AllowInsecureOAuth: o.insecureOAuth}
	selected, err := tools.Select(tools.All(deps), tools.Selection{Toolsets: []string{"all"}})
	require.NoError(t, err)
	srv := tools.NewServer("test", selected)

	var copts []client.ClientOption
	if o.elicit != nil {
		copts = append(copts, client.WithElicitationHandler(o.elicit))
	}
	version := mcp.LATEST_PROTOCOL_VERSION
	if o.legacy {
		version = mcp.LATEST_LEGACY_PROTOCOL_VERSION
		copts = append(copts, client.WithProtocolVersion(version))
	}
	c, err := client.NewInProcessClientWithOptions(srv, copts...)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	t.Cleanup(func() { _ = c.Close() })

	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-e2e", Version: "1"}
	res, err := c.Initialize(t.Context(), init)
	require.NoError(t, err)
	require.Equal(t, version, res.ProtocolVersion, "the client must really speak the era under test")

	return &harness{fake: fake, http: &http.Client{Transport: transport}, mcp: c, logs: logs, apiKey: o.apiKey}
}

// call runs one tool through the MCP client. A JSON-RPC error fails the test:
// only bugs may be protocol errors. No result, error or not, may carry the
// API key.
func (h *harness) call(t *testing.T, name string, args any) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := h.mcp.CallTool(t.Context(), req)
	require.NoError(t, err, "tools/call %s must not be a protocol error", name)
	require.NotNil(t, res)
	text := resultText(res)
	assert.NotContains(t, text, h.apiKey, "the API key must never reach a result")
	if raw := structuredJSON(t, res); raw != nil {
		assert.NotContains(t, string(raw), h.apiKey, "the API key must never reach a result")
	}
	return res
}

// ok calls a tool that must succeed and returns its structuredContent, after
// checking that the text content carries the same JSON.
func (h *harness) ok(t *testing.T, name string, args any) json.RawMessage {
	t.Helper()
	res := h.call(t, name, args)
	require.False(t, res.IsError, "%s failed: %s", name, resultText(res))
	raw := structuredJSON(t, res)
	require.NotNil(t, raw, "%s returned no structuredContent", name)
	assert.JSONEq(t, string(raw), resultText(res), "the text content must be the structured result as JSON")
	return raw
}

// fail calls a tool that must return isError and returns the error text.
func (h *harness) fail(t *testing.T, name string, args any) string {
	t.Helper()
	res := h.call(t, name, args)
	require.True(t, res.IsError, "%s should have failed, got: %s", name, resultText(res))
	text := resultText(res)
	require.NotEmpty(t, text)
	return text
}

// decode unmarshals a structured result into T.
func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), "structuredContent: %s", raw)
	return v
}

var resultText = testkit.Text

func structuredJSON(t *testing.T, res *mcp.CallToolResult) json.RawMessage {
	t.Helper()
	if len(res.RawStructuredContent) > 0 {
		return res.RawStructuredContent
	}
	if res.StructuredContent == nil {
		return nil
	}
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	return b
}

// operations lists the operations the fake recorded, in order.
func (h *harness) operations() []string {
	var ops []string
	for _, r := range h.fake.Requests() {
		ops = append(ops, r.Operation)
	}
	return ops
}

// sent lists the requests the fake recorded as "METHOD path", clipped, for
// assertions that expect none.
func (h *harness) sent() []string {
	var out []string
	for _, r := range h.fake.Requests() {
		line := r.Method + " " + r.RawPath
		if len(line) > 100 {
			line = line[:100] + "…"
		}
		out = append(out, line)
	}
	return out
}

// only returns the one request recorded for op, failing unless there is
// exactly one.
func (h *harness) only(t *testing.T, op string) telnyxfake.Request {
	t.Helper()
	reqs := h.fake.RequestsFor(op)
	require.Len(t, reqs, 1, "%s requests (all recorded: %v)", op, h.operations())
	return reqs[0]
}

// Fixtures: a confidential client that may use every grant, a public PKCE
// client, and a grant.

const (
	confRedirect = "https://app.example.com/callback"
	pubRedirect  = "http://127.0.0.1:8765/callback"
)

func (h *harness) confidentialClient(t *testing.T) telnyxfake.Client {
	t.Helper()
	return h.fake.AddClient(telnyxfake.Client{
		Name:              "Billing dashboard",
		ClientType:        telnyxfake.ClientTypeConfidential,
		ClientSecret:      "conf-secret-" + randomHex(16),
		AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials, telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken},
		AllowedScopes:     []string{"admin", "numbers.read"},
		RedirectURIs:      []string{confRedirect},
		Verified:          true,
	})
}

func (h *harness) publicClient(t *testing.T) telnyxfake.Client {
	t.Helper()
	return h.fake.AddClient(telnyxfake.Client{
		Name:              "Desktop CLI",
		ClientType:        telnyxfake.ClientTypePublic,
		RequirePKCE:       true,
		AllowedGrantTypes: []string{telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken},
		AllowedScopes:     []string{"numbers.read"},
		RedirectURIs:      []string{pubRedirect},
	})
}

// rawAPI sends one request straight to the fake, for setting up state that
// only a flow can create (codes, refresh tokens). It clears the request log
// afterwards, so tests see only what the tools sent.
func (h *harness) rawAPI(t *testing.T, method, path string, header http.Header, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, h.fake.BaseURL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header = header
	resp, err := h.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %v", method, path, out)
	h.fake.ResetRequests()
	return out
}

// authCode runs the consent decision for clientID and returns the
// authorization code, bound to verifier by an S256 challenge.
func (h *harness) authCode(t *testing.T, clientID, redirectURI, scope, verifier string) string {
	t.Helper()
	token := h.fake.NewConsentToken(clientID, redirectURI, scope, "st", safetext.S256(verifier), "S256")
	body, _ := json.Marshal(map[string]any{"allowed": true, "consent_token": token})
	out := h.rawAPI(t, http.MethodPost, "/oauth/grants",
		http.Header{"Authorization": {"Bearer " + h.apiKey}, "Content-Type": {"application/json"}}, string(body))
	u, err := url.Parse(out["redirect_uri"].(string))
	require.NoError(t, err)
	code := u.Query().Get("code")
	require.NotEmpty(t, code)
	return code
}

// refreshToken returns a refresh token of the confidential client cl.
func (h *harness) refreshToken(t *testing.T, cl telnyxfake.Client) string {
	t.Helper()
	verifier := "v-" + randomHex(24)
	code := h.authCode(t, cl.ClientID, confRedirect, "admin", verifier)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {confRedirect}, "code_verifier": {verifier}}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {basicAuth(cl.ClientID, cl.ClientSecret)}}
	out := h.rawAPI(t, http.MethodPost, "/oauth/token", header, form.Encode())
	rt, _ := out["refresh_token"].(string)
	require.NotEmpty(t, rt)
	return rt
}

func basicAuth(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// elicitor answers every elicitation the same way and remembers what it was
// asked.
type elicitor struct {
	action  mcp.ElicitationResponseAction
	content any

	mu       sync.Mutex
	messages []string
}

func answer(action mcp.ElicitationResponseAction, content any) *elicitor {
	return &elicitor{action: action, content: content}
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	e.messages = append(e.messages, req.Params.Message)
	e.mu.Unlock()
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: e.action, Content: e.content}}, nil
}

func (e *elicitor) asked() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.messages...)
}
