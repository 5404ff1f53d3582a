package main

// Canaries: credentials and tokens the fake knows never reach stderr, at
// debug level, through calls that succeed and calls that fail.

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

const (
	keyCanary    = "KEYCANARY-1234567890abcdef"
	secretCanary = "SECRETCANARY-0987654321fedcba"
	canaryClient = "canary-client-0001"
)

// TestCanariesNeverOnStderr runs the binary against an in-process fake that
// knows canary credentials, at debug log level, through successful and
// failing calls, and checks that no credential or token reaches stderr.
func TestCanariesNeverOnStderr(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"api key", "client credentials only"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			fake, err := faultinject.Listen(telnyxfake.Options{APIKey: keyCanary, Seed: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = fake.Close() })
			fake.AddClient(telnyxfake.Client{
				ClientID: canaryClient, Name: "Canary", ClientType: telnyxfake.ClientTypeConfidential,
				AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"},
				ClientSecret: secretCanary,
			})

			env := baseEnv(t, "TELNYX_CLIENT_ID="+canaryClient, "TELNYX_CLIENT_SECRET="+secretCanary)
			if mode == "api key" {
				env = append(env, "TELNYX_API_KEY="+keyCanary)
			}
			c, p, _ := startClient(t, env,
				[]string{"--base-url", fake.BaseURL, "--log-level", "debug", "--toolsets", "all", "--timeout", "10s", "--attempt-timeout", "3s"},
				client.WithProtocolVersion("2025-11-25"))

			canaries := []string{keyCanary, secretCanary,
				base64.StdEncoding.EncodeToString([]byte(canaryClient + ":" + secretCanary)),
				"KEYCANARY", "SECRETCANARY"}

			// Successful calls, one of which issues an access token.
			var page clientsPage
			structured(t, callMCP(t, c, "list_oauth_clients", map[string]any{}), &page)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			structured(t, callMCP(t, c, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials"}), &tok)
			require.NotEmpty(t, tok.AccessToken)
			canaries = append(canaries, tok.AccessToken)
			res := callMCP(t, c, "introspect_oauth_token", map[string]any{"token": tok.AccessToken})
			assert.False(t, res.IsError, textOf(res))
			structured(t, callMCP(t, c, "get_oauth_client", map[string]any{"client_id": canaryClient}), new(map[string]any))
			// The bearer the server really used (the API key, or a token it
			// obtained with the client credentials).
			reqs := fake.RequestsFor(telnyxfake.OpListClients)
			require.NotEmpty(t, reqs)
			bearer := strings.TrimPrefix(reqs[len(reqs)-1].Header.Get("Authorization"), "Bearer ")
			require.NotEmpty(t, bearer)
			canaries = append(canaries, bearer)

			// Failing calls: the API echoes the Authorization header back in
			// its error, answers with HTML, resets, redirects, rate-limits.
			echo := faultinject.Func(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{
					"code": "10009", "title": "Authentication failed", "detail": "rejected: " + r.Header.Get("Authorization"),
				}}})
				_, _ = w.Write(b)
			})
			echoes := []faultinject.Fault{echo}
			if mode != "api key" {
				echoes = append(echoes, echo) // a 401 makes the server fetch a new token and retry once
			}
			html := faultinject.HTML(502)
			for _, fc := range []struct {
				tool   string
				args   map[string]any
				op     string
				faults []faultinject.Fault
			}{
				{"list_oauth_clients", map[string]any{}, telnyxfake.OpListClients, echoes},
				{"get_oauth_client", map[string]any{"client_id": canaryClient}, telnyxfake.OpGetClient, []faultinject.Fault{html, html, html}},
				{"create_oauth_client", map[string]any{"name": "x", "client_type": "confidential",
					"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}},
					telnyxfake.OpCreateClient, []faultinject.Fault{faultinject.Status(500, `{"errors":[{"code":"10007","title":"Unexpected error"}]}`)}},
				{"list_oauth_grants", map[string]any{}, telnyxfake.OpListGrants, []faultinject.Fault{faultinject.RetryAfter(429, "86400")}},
				{"get_oauth_jwks", map[string]any{}, telnyxfake.OpGetJWKS, []faultinject.Fault{faultinject.Redirect(302, "http://127.0.0.1:1/steal")}},
				{"exchange_oauth_token", map[string]any{"grant_type": "client_credentials"}, telnyxfake.OpToken, []faultinject.Fault{faultinject.ResetBeforeBody()}},
				{"introspect_oauth_token", map[string]any{"token": tok.AccessToken}, telnyxfake.OpIntrospect,
					[]faultinject.Fault{faultinject.Status(401, `{"error":"invalid_client","error_description":"bad client"}`)}},
				{"exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": "REFRESHCANARY-1"}, telnyxfake.OpToken, nil},
				{"get_oauth_client", map[string]any{"client_id": "../ARGCANARY-1"}, telnyxfake.OpGetClient, nil},
			} {
				if len(fc.faults) > 0 {
					fake.Inject(fc.op, fc.faults...)
				}
				res := callMCP(t, c, fc.tool, fc.args)
				assert.True(t, res.IsError, "%s should fail: %s", fc.tool, textOf(res))
				assert.Zero(t, fake.PendingFaults(fc.op), "%s: every scripted fault was hit", fc.tool)
				for _, canary := range []string{keyCanary, secretCanary, bearer} {
					assert.NotContains(t, textOf(res), canary, "%s: a credential in the tool error", fc.tool)
				}
			}
			// Every bearer the server sent (in client-credentials mode, each
			// token it obtained).
			for _, r := range fake.Requests() {
				if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && b != "" {
					canaries = append(canaries, b)
				}
			}
			canaries = append(canaries, "REFRESHCANARY", "ARGCANARY")

			finish(t, c, p)
			stderr := p.errb.String()
			assert.Contains(t, stderr, "level=DEBUG", "debug logging is on")
			assert.Contains(t, stderr, "tool call")
			for _, canary := range canaries {
				assert.NotContains(t, stderr, canary, "a secret on stderr")
			}
			out := p.out.String()
			for _, canary := range []string{keyCanary, secretCanary, bearer} {
				assert.NotContains(t, out, canary, "a credential on stdout")
			}
		})
	}
}
