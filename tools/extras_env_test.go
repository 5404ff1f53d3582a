package tools_test

import (
	"context"
	"encoding/json"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"io"
	"log/slog"
	"net/http"
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

// The tests of verify_oauth_access_token, the resources and the prompts run
// the production server as main builds it (tools.All, tools.Select,
// tools.NewServer with tools.Extras) through mcp-go's in-process client
// against a seeded telnyxfake on 127.0.0.1, configured like --sandbox: the
// demo client authenticates the token and introspection calls.

const extrasAPIKey = "KEY-extras-test"

// extrasEnv is one seeded fake, one server and one connected client.
type extrasEnv struct {
	fake *faultinject.Server
	api  *telnyxapi.Client
	mcp  *client.Client
	// browser reaches the fake as a user agent would, without following
	// redirects: for the consent page of the authorization-code flow.
	browser *http.Client
}

type extrasConfig struct {
	sel  tools.Selection
	fake telnyxfake.Options
	wrap func(tools.ClientFunc) tools.ClientFunc
}

type extrasOption func(*extrasConfig)

func selecting(sel tools.Selection) extrasOption {
	return func(c *extrasConfig) { c.sel = sel }
}

// wrapClient replaces the ClientFunc the server gets.
func wrapClient(wrap func(tools.ClientFunc) tools.ClientFunc) extrasOption {
	return func(c *extrasConfig) { c.wrap = wrap }
}

// fakeClock makes the fake read the time from now.
func fakeClock(now func() time.Time) extrasOption {
	return func(c *extrasConfig) { c.fake.Now = now }
}

func newExtrasEnv(t *testing.T, opts ...extrasOption) *extrasEnv {
	t.Helper()
	cfg := extrasConfig{sel: tools.Selection{Toolsets: []string{"all"}}, fake: telnyxfake.Options{Seed: true, APIKey: extrasAPIKey}}
	for _, o := range opts {
		o(&cfg)
	}
	fake, err := faultinject.Listen(cfg.fake)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fake.Close()) })

	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	t.Cleanup(transport.CloseIdleConnections)
	api, err := telnyxapi.New(telnyxapi.Config{
		BaseURL:      fake.BaseURL,
		APIKey:       extrasAPIKey,
		ClientID:     telnyxfake.DemoClientID,
		ClientSecret: telnyxfake.DemoClientSecret,
		UserAgent:    "telnyx-oauth-mcp/test",
		Backoff:      time.Millisecond,
		Transport:    transport,
	})
	require.NoError(t, err)

	clientFunc := tools.ClientFunc(func(context.Context) (*telnyxapi.Client, error) { return api, nil })
	if cfg.wrap != nil {
		clientFunc = cfg.wrap(clientFunc)
	}
	deps := tools.Deps{
		Client:  clientFunc,
		Confirm: tools.NewConfirmer(true, nil),
		Secrets: tools.SecretsShow,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	selected, err := tools.Select(tools.All(deps), cfg.sel)
	require.NoError(t, err)
	srv := tools.NewServer("test", selected, tools.Extras(deps, selected)...)

	c, err := client.NewInProcessClient(srv)
	require.NoError(t, err)
	require.NoError(t, c.Start(t.Context()))
	t.Cleanup(func() { _ = c.Close() })
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "extras-e2e", Version: "1"}
	_, err = c.Initialize(t.Context(), init)
	require.NoError(t, err)

	browser := &http.Client{
		Transport:     transport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &extrasEnv{fake: fake, api: api, mcp: c, browser: browser}
}

// callTool runs a tool; a protocol error fails the test, and no result may
// carry the API key.
func (e *extrasEnv) callTool(t *testing.T, name string, args any) *mcp.CallToolResult {
	t.Helper()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.mcp.CallTool(t.Context(), req)
	require.NoError(t, err, "tools/call %s", name)
	require.NotNil(t, res)
	assert.NotContains(t, textOf(res), extrasAPIKey)
	return res
}

// okTool runs a tool that must succeed and decodes its structured result.
func okTool[T any](t *testing.T, e *extrasEnv, name string, args any) T {
	t.Helper()
	res := e.callTool(t, name, args)
	require.False(t, res.IsError, "%s failed: %s", name, textOf(res))
	var out T
	require.NoError(t, json.Unmarshal([]byte(textOf(res)), &out), "%s: %s", name, textOf(res))
	return out
}

var textOf = testkit.Text

// jwksRequests counts the key-set fetches the fake saw.
func (e *extrasEnv) jwksRequests() int { return len(e.fake.RequestsFor(telnyxfake.OpGetJWKS)) }
