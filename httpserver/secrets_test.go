package httpserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// Secrets never leak over HTTP: the HTTP half of the canary sweep (the
// tools half is in package tools):
// every tool over streamable HTTP, in key mode (each caller's own Telnyx
// key) and token mode (an inbound token, the server's own key upstream),
// without faults and under upstream faults that quote the request back;
// no canary may reach the log, an audit line or a result, and in token
// mode the inbound token never reaches Telnyx.

func canaryHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestCanarySweepHTTP(t *testing.T) {
	t.Parallel()
	c := map[string]string{
		"server API key":     "KEYCANARY-server-" + canaryHex(12),
		"caller API key":     "KEYCANARY-caller-" + canaryHex(12),
		"inbound token":      "INBOUNDCANARY-" + canaryHex(12),
		"client secret":      "SECRETCANARY-" + canaryHex(12),
		"authorization code": "CODECANARY-" + canaryHex(12),
		"code verifier":      "VERIFIERCANARY-" + canaryHex(16),
		"refresh token":      "RTCANARY-" + canaryHex(12),
		"consent token":      "CTCANARY-" + canaryHex(12),
		"introspected token": "ITCANARY-" + canaryHex(12),
		"access token":       "eyJhbGciOiJFUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJzdWIiOiJjYW5hcnkifQ.ATCANARY-" + canaryHex(12),
	}
	const clientID = "5eed0999-0000-4000-8000-00000000c999"
	c["basic credential"] = base64.StdEncoding.EncodeToString([]byte(clientID + ":" + c["client secret"]))
	leaks := func(text string) []string {
		var out []string
		for kind, v := range c {
			if strings.Contains(text, v) || strings.Contains(text, v[len(v)-12:]) {
				out = append(out, kind)
			}
		}
		return out
	}
	redirect := "https://app.example.com/callback"
	calls := []struct {
		tool string
		op   string
		args map[string]any
	}{
		{"get_oauth_server_metadata", telnyxfake.OpGetAuthorizationServerMetadata, map[string]any{}},
		{"get_oauth_protected_resource_metadata", telnyxfake.OpGetProtectedResourceMetadata, map[string]any{}},
		{"get_oauth_jwks", telnyxfake.OpGetJWKS, map[string]any{}},
		{"build_oauth_authorize_url", telnyxfake.OpAuthorize, map[string]any{"client_id": clientID, "redirect_uri": redirect, "check": true}},
		{"exchange_oauth_token", telnyxfake.OpToken, map[string]any{"grant_type": "authorization_code", "code": c["authorization code"],
			"redirect_uri": redirect, "code_verifier": c["code verifier"], "client_id": clientID, "client_secret": c["client secret"]}},
		{"exchange_oauth_token", telnyxfake.OpToken, map[string]any{"grant_type": "refresh_token", "refresh_token": c["refresh token"],
			"client_id": clientID, "client_secret": c["client secret"]}},
		{"introspect_oauth_token", telnyxfake.OpIntrospect, map[string]any{"token": c["introspected token"], "client_id": clientID, "client_secret": c["client secret"]}},
		{"verify_oauth_access_token", telnyxfake.OpGetJWKS, map[string]any{"token": c["access token"]}},
		{"register_oauth_client", telnyxfake.OpRegister, map[string]any{"client_name": "Registered", "redirect_uris": []string{redirect}}},
		{"get_oauth_consent", telnyxfake.OpGetConsentToken, map[string]any{"consent_token": c["consent token"]}},
		{"submit_oauth_consent", telnyxfake.OpCreateGrant, map[string]any{"consent_token": c["consent token"], "allowed": true}},
		{"list_oauth_clients", telnyxfake.OpListClients, map[string]any{}},
		{"create_oauth_client", telnyxfake.OpCreateClient, map[string]any{"name": "Created", "client_type": "confidential",
			"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}}},
		{"get_oauth_client", telnyxfake.OpGetClient, map[string]any{"client_id": clientID}},
		{"update_oauth_client", telnyxfake.OpUpdateClient, map[string]any{"client_id": clientID, "name": "Renamed"}},
		{"list_oauth_grants", telnyxfake.OpListGrants, map[string]any{}},
		{"get_oauth_grant", telnyxfake.OpGetGrant, map[string]any{"grant_id": telnyxfake.DemoStaleGrantID}},
		{"revoke_oauth_grant", telnyxfake.OpRevokeGrant, map[string]any{"grant_id": telnyxfake.DemoStaleGrantID}},
		{"delete_oauth_client", telnyxfake.OpDeleteClient, map[string]any{"client_id": clientID}},
	}
	faults := []struct {
		name  string
		fault func() faultinject.Fault
	}{
		{"echo 500", func() faultinject.Fault { return faultinject.EchoRequest(http.StatusInternalServerError, false) }},
		{"echo 401", func() faultinject.Fault { return faultinject.EchoRequest(http.StatusUnauthorized, false) }},
		{"echo 422", func() faultinject.Fault { return faultinject.EchoRequest(http.StatusUnprocessableEntity, false) }},
		{"echo 400 OAuth shape", func() faultinject.Fault { return faultinject.EchoRequest(http.StatusBadRequest, true) }},
		{"HTML 502", func() faultinject.Fault { return faultinject.HTML(http.StatusBadGateway) }},
		{"reset after apply", func() faultinject.Fault { return faultinject.ResetAfterApply() }},
		{"200 text/html", func() faultinject.Fault {
			return faultinject.Body(http.StatusOK, "text/html", "<html><body>portal</body></html>")
		}},
	}

	tokens := filepath.Join(t.TempDir(), "tokens")
	require.NoError(t, os.WriteFile(tokens, []byte(hashToken(c["inbound token"])+" write\n"), 0o600))
	modes := []struct {
		name        string
		bearer      string
		upstreamKey string // the key Telnyx accepts
		mod         func(up *upstream, cfg *Config)
	}{
		{name: "key mode", bearer: c["caller API key"], upstreamKey: c["caller API key"], mod: func(_ *upstream, cfg *Config) { cfg.Auth = AuthKey }},
		{name: "token mode", bearer: c["inbound token"], upstreamKey: c["server API key"], mod: func(up *upstream, cfg *Config) {
			cfg.Auth, cfg.TokensFile = AuthToken, tokens
			api, err := telnyxapi.New(telnyxapi.Config{BaseURL: up.BaseURL, APIKey: c["server API key"], Backoff: time.Millisecond,
				OnAttempt: cfg.Metrics.ObserveAttempt})
			require.NoError(t, err)
			cfg.Client = api
		}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			// The fake itself, not newUpstream's front (which swaps the
			// caller's key for the fake's), so that an echoing fault quotes
			// the credential really sent.
			fake, err := faultinject.Listen(telnyxfake.Options{APIKey: mode.upstreamKey, Seed: true})
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, fake.Close()) })
			up := &upstream{Fake: &faultinject.Fake{Fake: fake.Fake, Gateway: fake.Gateway}, BaseURL: fake.BaseURL}
			up.AddClient(telnyxfake.Client{ClientID: clientID, Name: "Canary app", ClientType: telnyxfake.ClientTypeConfidential,
				ClientSecret: c["client secret"], AllowedScopes: []string{"admin"}, RedirectURIs: []string{redirect},
				AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials, telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken}})
			logs := &syncBuffer{}
			ts := startServer(t, up, func(cfg *Config) {
				cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				cfg.DisableConfirmation = true
				cfg.RateLimit, cfg.RateLimitMutating = -1, -1
				cfg.Selection = tools.Selection{Toolsets: []string{"all"}}
				cfg.Metrics = NewMetrics()
				mode.mod(up, cfg)
			})
			mc := connect(t, ts.URL, mode.bearer, modern)

			var texts []string
			errorsSeen := 0
			run := func(what, tool string, args map[string]any) {
				t.Helper()
				res := callTool(t, mc, tool, args)
				text := textOf(res)
				if res.StructuredContent != nil {
					b, _ := json.Marshal(res.StructuredContent)
					text += "\n" + string(b)
				}
				texts = append(texts, text)
				if res.IsError {
					errorsSeen++
				}
				if kinds := leaks(text); len(kinds) > 0 {
					t.Errorf("%s %s: %v leaked into the result: %s", what, tool, kinds, text)
				}
			}
			for _, call := range calls {
				run("no fault", call.tool, call.args)
			}
			for _, f := range faults {
				for _, call := range calls {
					// Enough for every retry; leftovers are drained below.
					for range 3 {
						up.Inject(call.op, f.fault())
					}
					run(f.name, call.tool, call.args)
					for up.PendingFaults(call.op) > 0 {
						// Drain what the call did not consume, with a raw request
						// the fault answers, so the next fault starts clean.
						drain(t, fake.URL, call.op)
					}
				}
			}
			assert.Greater(t, errorsSeen, len(calls)*len(faults)/2, "the faults failed the calls")

			audit := ts.audit.String()
			assert.Contains(t, audit, `"tool":"delete_oauth_client"`, "mutating calls were audited")
			for what, text := range map[string]string{"the log": logs.String(), "an audit line": audit} {
				if kinds := leaks(text); len(kinds) > 0 {
					t.Errorf("%v leaked into %s", kinds, what)
				}
			}
			for _, r := range fake.Requests() {
				hay := r.RawPath + " " + r.RawQuery + " " + string(r.Body)
				for k, vs := range r.Header {
					hay += " " + k + ": " + strings.Join(vs, ",")
				}
				assert.NotContains(t, hay, c["inbound token"], "the inbound token reached Telnyx: %s %s", r.Method, r.Path)
				assert.NotContains(t, hay, strings.TrimPrefix(hashToken(c["inbound token"]), "sha256:"))
				if mode.name == "token mode" {
					assert.NotContains(t, hay, c["caller API key"])
				}
			}
		})
	}
}

// drain sends one request for op straight to the upstream, to consume a
// queued fault the tool call left over.
func drain(t *testing.T, root, op string) {
	t.Helper()
	paths := map[string][2]string{
		telnyxfake.OpGetAuthorizationServerMetadata: {http.MethodGet, "/.well-known/oauth-authorization-server"},
		telnyxfake.OpGetProtectedResourceMetadata:   {http.MethodGet, "/.well-known/oauth-protected-resource"},
		telnyxfake.OpGetJWKS:                        {http.MethodGet, "/v2/oauth/jwks"},
		telnyxfake.OpAuthorize:                      {http.MethodGet, "/v2/oauth/authorize"},
		telnyxfake.OpToken:                          {http.MethodPost, "/v2/oauth/token"},
		telnyxfake.OpIntrospect:                     {http.MethodPost, "/v2/oauth/introspect"},
		telnyxfake.OpRegister:                       {http.MethodPost, "/v2/oauth/register"},
		telnyxfake.OpGetConsentToken:                {http.MethodGet, "/v2/oauth/consent/drain"},
		telnyxfake.OpCreateGrant:                    {http.MethodPost, "/v2/oauth/grants"},
		telnyxfake.OpListClients:                    {http.MethodGet, "/v2/oauth_clients"},
		telnyxfake.OpCreateClient:                   {http.MethodPost, "/v2/oauth_clients"},
		telnyxfake.OpGetClient:                      {http.MethodGet, "/v2/oauth_clients/drain"},
		telnyxfake.OpUpdateClient:                   {http.MethodPut, "/v2/oauth_clients/drain"},
		telnyxfake.OpDeleteClient:                   {http.MethodDelete, "/v2/oauth_clients/drain"},
		telnyxfake.OpListGrants:                     {http.MethodGet, "/v2/oauth_grants"},
		telnyxfake.OpGetGrant:                       {http.MethodGet, "/v2/oauth_grants/drain"},
		telnyxfake.OpRevokeGrant:                    {http.MethodDelete, "/v2/oauth_grants/drain"},
	}
	p, ok := paths[op]
	require.True(t, ok, op)
	req, err := http.NewRequest(p[0], root+p[1], strings.NewReader("{}"))
	require.NoError(t, err)
	resp, err := httpClient(t).Do(req)
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}
