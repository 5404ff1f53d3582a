package tools_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// The adversarial suite (fuzzing, the fault table, the canary sweep and
// prompt-injection data) builds its servers with advHarness: like harness,
// but usable from a fuzz target (testing.TB), with the client's timeouts
// and credentials and the fake's options under the test's control.

// advOptions configure an advHarness. The zero value is every tool, the
// suite's API key, confirmation off, secrets shown.
type advOptions struct {
	apiKey  string // suiteAPIKey when empty; "-" for none
	confirm bool   // the confirmation gate (a client without elicitation)
	secrets tools.SecretsPolicy
	fake    telnyxfake.Options
	// api changes the Telnyx client's configuration (timeouts, client
	// credentials) before it is built.
	api func(*telnyxapi.Config)
}

type advHarness struct {
	fake      *faultinject.Server
	api       *telnyxapi.Client
	mcp       *client.Client
	transport *http.Transport
	logs      *lockedBuffer
	apiKey    string
	tools     map[string]tools.Tool
}

func newAdvHarness(tb testing.TB, o advOptions) *advHarness {
	tb.Helper()
	if o.apiKey == "" {
		o.apiKey = suiteAPIKey
	}
	if o.apiKey == "-" {
		o.apiKey = ""
	}
	if o.secrets == "" {
		o.secrets = tools.SecretsShow
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
	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(o.confirm, nil),
		Secrets: o.secrets,
		Logger:  logger,
	}
	selected, err := tools.Select(tools.All(deps), tools.Selection{Toolsets: []string{"all"}})
	require.NoError(tb, err)
	byName := map[string]tools.Tool{}
	for _, t := range selected {
		byName[t.Name()] = t
	}
	srv := tools.NewServer("test", selected, tools.Extras(deps, selected)...)
	c, err := client.NewInProcessClient(srv)
	require.NoError(tb, err)
	require.NoError(tb, c.Start(context.Background()))
	tb.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "adversarial", Version: "1"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Initialize(ctx, init)
	require.NoError(tb, err)
	return &advHarness{fake: fake, api: api, mcp: c, transport: transport, logs: logs, apiKey: o.apiKey, tools: byName}
}

// callRaw runs a tool through the MCP client with args exactly as given
// (valid JSON, or empty for none). It returns the protocol error, if any,
// rather than failing: fuzz targets decide what to do with it.
func (h *advHarness) callRaw(ctx context.Context, name string, args json.RawMessage) (*mcp.CallToolResult, error) {
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.RawArguments = args
	return h.mcp.CallTool(ctx, req)
}

// callArgs runs a tool with args (marshalled to JSON) and fails the test on
// a protocol error: only bugs may be protocol errors.
func (h *advHarness) callArgs(tb testing.TB, name string, args any) *mcp.CallToolResult {
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

// ops lists the operations the fake recorded.
func (h *advHarness) ops() []string {
	var out []string
	for _, r := range h.fake.Requests() {
		out = append(out, r.Operation)
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
