package tools_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// The end-to-end tests of this package run the production server (tools.All,
// tools.Select, tools.NewServer with tools.Extras) through mcp-go's
// in-process client against a telnyxfake listening on 127.0.0.1, and check
// both what the model gets back and what the fake received. One harness
// serves them all, the fuzz targets included.

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
// The zero options (after newHarness's defaults) are: every tool and the
// resources and prompts, the suite's API key, confirmation on, secrets
// shown, an empty fake.
type harnessOptions struct {
	apiKey string
	// fake configures the fake; its API key is apiKey unless set.
	fake    telnyxfake.Options
	elicit  client.ElicitationHandler
	legacy  bool
	confirm *tools.Confirmer
	secrets tools.SecretsPolicy
	// wrap replaces the ClientFunc the tools get.
	wrap func(tools.ClientFunc) tools.ClientFunc
	// api changes the Telnyx client's configuration (timeouts, client
	// credentials) before it is built.
	api func(*telnyxapi.Config)
	// insecureOAuth is --allow-insecure-oauth.
	insecureOAuth bool
	sel           tools.Selection
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

// withoutConfirmation is --confirm-destructive=false.
func withoutConfirmation() option { return withConfirmer(tools.NewConfirmer(false, nil)) }

func withSecrets(p tools.SecretsPolicy) option { return func(o *harnessOptions) { o.secrets = p } }

// withAPIKey is the key the client sends; "" for none.
func withAPIKey(k string) option { return func(o *harnessOptions) { o.apiKey = k } }

// withRefusedAPIKey makes the fake accept another key than the one the
// client sends, so every bearer call gets a genuine 401.
func withRefusedAPIKey() option {
	return func(o *harnessOptions) { o.fake.APIKey = "KEYfake-" + randomHex(8) }
}

func withInsecureOAuth() option { return func(o *harnessOptions) { o.insecureOAuth = true } }

func withClientFunc(wrap func(tools.ClientFunc) tools.ClientFunc) option {
	return func(o *harnessOptions) { o.wrap = wrap }
}

// withAPIConfig changes the Telnyx client's configuration.
func withAPIConfig(change func(*telnyxapi.Config)) option {
	return func(o *harnessOptions) { o.api = change }
}

// selecting exposes what sel selects, as --toolsets, --tools and
// --read-only do.
func selecting(sel tools.Selection) option { return func(o *harnessOptions) { o.sel = sel } }

// seeded fills the fake with its demo data.
func seeded() option { return func(o *harnessOptions) { o.fake.Seed = true } }

// sandbox is the server as --sandbox builds it: the fake's demo data, and
// its demo client authenticating the token and introspection calls.
func sandbox() option {
	return func(o *harnessOptions) {
		o.fake.Seed = true
		demo := o.api
		o.api = func(c *telnyxapi.Config) {
			c.ClientID, c.ClientSecret = telnyxfake.DemoClientID, telnyxfake.DemoClientSecret
			if demo != nil {
				demo(c)
			}
		}
	}
}

// fakeClock makes the fake read the time from now.
func fakeClock(now func() time.Time) option { return func(o *harnessOptions) { o.fake.Now = now } }

// harness is one fake, one server as main builds it (tools.All,
// tools.Select, tools.NewServer with tools.Extras), and one connected
// client.
type harness struct {
	fake *faultinject.Server
	api  *telnyxapi.Client
	http *http.Client // for setting up state straight on the fake
	// browser reaches the fake as a user agent would, without following
	// redirects: for the consent page of the authorization-code flow.
	browser   *http.Client
	transport *http.Transport
	mcp       *client.Client
	logs      *lockedBuffer
	apiKey    string
	tools     map[string]tools.Tool
}

// newHarness builds a harness; it takes a testing.TB so that fuzz targets
// can use it.
func newHarness(tb testing.TB, opts ...option) *harness {
	tb.Helper()
	o := harnessOptions{apiKey: suiteAPIKey, secrets: tools.SecretsShow, sel: tools.Selection{Toolsets: []string{"all"}}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.confirm == nil {
		o.confirm = tools.NewConfirmer(true, nil)
	}
	if o.fake.APIKey == "" {
		o.fake.APIKey = o.apiKey
	}
	fake, err := faultinject.Listen(o.fake)
	require.NoError(tb, err)
	tb.Cleanup(func() { assert.NoError(tb, fake.Close()) })

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	tb.Cleanup(transport.CloseIdleConnections)
	cfg := telnyxapi.Config{
		BaseURL:   fake.BaseURL,
		APIKey:    o.apiKey,
		UserAgent: "telnyx-oauth-mcp/test",
		Backoff:   time.Millisecond,
		Transport: transport,
	}
	if o.api != nil {
		o.api(&cfg)
	}
	api, err := telnyxapi.New(cfg)
	require.NoError(tb, err)

	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(logs, &suiteLog), &slog.HandlerOptions{Level: slog.LevelDebug}))
	clientFunc := tools.ClientFunc(func(context.Context) (*telnyxapi.Client, error) { return api, nil })
	if o.wrap != nil {
		clientFunc = o.wrap(clientFunc)
	}
	deps := tools.Deps{Client: clientFunc, Confirm: o.confirm, Secrets: o.secrets, Logger: logger, AllowInsecureOAuth: o.insecureOAuth}
	selected, err := tools.Select(tools.All(deps), o.sel)
	require.NoError(tb, err)
	byName := map[string]tools.Tool{}
	for _, t := range selected {
		byName[t.Name()] = t
	}
	srv := tools.NewServer("test", selected, tools.Extras(deps, selected)...)

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
	require.NoError(tb, err)
	require.NoError(tb, c.Start(context.Background()))
	tb.Cleanup(func() { _ = c.Close() })

	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = version
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-e2e", Version: "1"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Initialize(ctx, init)
	require.NoError(tb, err)
	require.Equal(tb, version, res.ProtocolVersion, "the client must really speak the era under test")

	browser := &http.Client{
		Transport:     transport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &harness{fake: fake, api: api, http: &http.Client{Transport: transport}, browser: browser, transport: transport,
		mcp: c, logs: logs, apiKey: o.apiKey, tools: byName}
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
	if h.apiKey == "" {
		return res
	}
	text := resultText(res)
	assert.NotContains(t, text, h.apiKey, "the API key must never reach a result")
	if raw := structuredJSON(t, res); raw != nil {
		assert.NotContains(t, string(raw), h.apiKey, "the API key must never reach a result")
	}
	return res
}

// callRaw runs a tool through the MCP client with args exactly as given
// (valid JSON, or empty for none). It returns the protocol error, if any,
// rather than failing: fuzz targets decide what to do with it.
func (h *harness) callRaw(ctx context.Context, name string, args json.RawMessage) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.RawArguments = args
	return h.mcp.CallTool(ctx, req)
}

// callArgs runs a tool with args (marshalled to JSON) and fails the test on
// a protocol error: only bugs may be protocol errors. Unlike call, it
// leaves what the result may carry to the test.
func (h *harness) callArgs(tb testing.TB, name string, args any) *mcp.CallToolResult {
	tb.Helper()
	raw, err := json.Marshal(args)
	require.NoError(tb, err)
	if args == nil {
		raw = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := h.callRaw(ctx, name, raw)
	require.NoError(tb, err, "tools/call %s must not be a protocol error", name)
	require.NotNil(tb, res)
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

// allText is everything a result shows the model: its text content and its
// structured content.
func allText(res *mcp.CallToolResult) string {
	out := resultText(res)
	if len(res.RawStructuredContent) > 0 {
		out += "\n" + string(res.RawStructuredContent)
	} else if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		out += "\n" + string(b)
	}
	return out
}

// toolOps is every operation each tool may send, whatever its arguments:
// the confirmation gate's read of the target included.
var toolOps = map[string][]string{
	"get_oauth_server_metadata":             {telnyxfake.OpGetAuthorizationServerMetadata},
	"get_oauth_protected_resource_metadata": {telnyxfake.OpGetProtectedResourceMetadata},
	"get_oauth_jwks":                        {telnyxfake.OpGetJWKS},
	"build_oauth_authorize_url":             {telnyxfake.OpAuthorize},
	"exchange_oauth_token":                  {telnyxfake.OpToken},
	"introspect_oauth_token":                {telnyxfake.OpIntrospect},
	"verify_oauth_access_token":             {telnyxfake.OpGetAuthorizationServerMetadata, telnyxfake.OpGetJWKS},
	"register_oauth_client":                 {telnyxfake.OpRegister},
	"get_oauth_consent":                     {telnyxfake.OpGetConsentToken},
	"submit_oauth_consent":                  {telnyxfake.OpGetConsentToken, telnyxfake.OpCreateGrant},
	"list_oauth_clients":                    {telnyxfake.OpListClients},
	"create_oauth_client":                   {telnyxfake.OpCreateClient},
	"get_oauth_client":                      {telnyxfake.OpGetClient},
	"update_oauth_client":                   {telnyxfake.OpGetClient, telnyxfake.OpUpdateClient},
	"delete_oauth_client":                   {telnyxfake.OpGetClient, telnyxfake.OpDeleteClient},
	"list_oauth_grants":                     {telnyxfake.OpListGrants},
	"get_oauth_grant":                       {telnyxfake.OpGetGrant},
	"revoke_oauth_grant":                    {telnyxfake.OpGetGrant, telnyxfake.OpRevokeGrant},
}

// hasHTML reports whether text carries markup of an HTML page.
func hasHTML(text string) bool {
	lower := strings.ToLower(text)
	for _, tag := range []string{"<html", "<script", "<head", "<body", "<title", "<!doctype", "<div", "<style"} {
		if strings.Contains(lower, tag) {
			return true
		}
	}
	return false
}

// jwksRequests counts the key-set fetches the fake saw.
func (h *harness) jwksRequests() int { return len(h.fake.RequestsFor(telnyxfake.OpGetJWKS)) }
