package tools_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// echo is a fault that answers status with an error body quoting the
// request back: its Authorization header and its whole body, as a careless
// upstream or proxy might. Whatever credential the request carried is then
// in the error the client reads.
func echo(status int, oauthShape bool) faultinject.Fault {
	return faultinject.Func(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		detail := "bad request: Authorization: " + r.Header.Get("Authorization") + " path " + r.URL.Path + " body " + string(body)
		var out any = map[string]any{"errors": []map[string]any{{"code": "10007", "title": "Unexpected error", "detail": detail}}}
		if oauthShape {
			out = map[string]any{"error": "invalid_request", "error_description": detail}
		}
		b, _ := json.Marshal(out)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	})
}

// TestCanariesNeverLeak runs a spread of calls, successes and failures (401,
// 400, 422, 500, HTML pages, upstream errors that echo the request back),
// with canary values for the API key, a client secret, an access token, a
// refresh token, an authorization code, a PKCE verifier and a consent token,
// and checks that none reaches the log (debug level) or any isError text.
// Done when: "Canary values for the API key, a client secret and an access
// token appear nowhere on stderr during the whole suite" (TestMain checks the
// logs of every other test for the suite's API key canary).
func TestCanariesNeverLeak(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withAPIKey("KEYCANARY-"+randomHex(16)), withConfirmer(tools.NewConfirmer(false, nil)))
	// A second server whose key the fake refuses: genuine 401s.
	refused := newHarness(t, withAPIKey("KEYCANARY-"+randomHex(16)), withRefusedAPIKey())

	canaries := map[string]string{"API key": h.apiKey, "refused API key": refused.apiKey}
	var errorTexts []string
	run := func(h *harness, tool string, args map[string]any) {
		t.Helper()
		res := h.call(t, tool, args)
		if res.IsError {
			errorTexts = append(errorTexts, tool+": "+resultText(res))
		}
	}

	// A client secret from create, then an access token from exchange.
	created := decode[tools.CreateClientOutput](t, h.ok(t, "create_oauth_client", map[string]any{
		"name": "Canary app", "client_type": "confidential", "allowed_scopes": []string{"admin", "numbers.read"},
		"allowed_grant_types": []string{"client_credentials", "authorization_code", "refresh_token"}, "redirect_uris": []string{confRedirect}}))
	id, secret := created.Client.ClientID, created.ClientSecret
	canaries["client secret"] = secret
	canaries["client credentials (HTTP Basic)"] = strings.TrimPrefix(basicAuth(id, secret), "Basic ")
	tok := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
		"grant_type": "client_credentials", "client_id": id, "client_secret": secret}))
	canaries["access token"] = tok.AccessToken

	verifier := "VERIFIERCANARY-" + randomHex(16)
	canaries["code verifier"] = verifier
	code := h.authCode(t, id, confRedirect, "admin", verifier)
	canaries["authorization code"] = code
	consent := h.fake.NewConsentToken(id, confRedirect, "admin", "st", "", "")
	canaries["consent token"] = consent

	// Successes that carry the secrets as arguments.
	run(h, "introspect_oauth_token", map[string]any{"token": tok.AccessToken, "client_id": id, "client_secret": secret})
	run(h, "get_oauth_consent", map[string]any{"consent_token": consent})
	codeTok := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
		"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect, "code_verifier": verifier,
		"client_id": id, "client_secret": secret}))
	canaries["refresh token"] = codeTok.RefreshToken

	// Upstream failures that quote the request, secrets included.
	h.fake.Inject(telnyxfake.OpGetClient, echo(401, false))
	run(h, "get_oauth_client", map[string]any{"client_id": id})
	h.fake.Inject(telnyxfake.OpListClients, echo(500, false), echo(500, false), echo(500, false))
	run(h, "list_oauth_clients", map[string]any{"name": "x"})
	h.fake.Inject(telnyxfake.OpUpdateClient, echo(422, false))
	run(h, "update_oauth_client", map[string]any{"client_id": id, "name": "renamed"})
	h.fake.Inject(telnyxfake.OpToken, echo(400, true))
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": codeTok.RefreshToken, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpToken, echo(500, true))
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect,
		"code_verifier": verifier, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpIntrospect, echo(401, true))
	run(h, "introspect_oauth_token", map[string]any{"token": tok.AccessToken, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpGetConsentToken, echo(422, true))
	run(h, "get_oauth_consent", map[string]any{"consent_token": consent})
	h.fake.Inject(telnyxfake.OpCreateGrant, echo(500, true))
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})
	h.fake.Inject(telnyxfake.OpGetGrant, faultinject.HTML(502), faultinject.HTML(502), faultinject.HTML(502))
	run(h, "get_oauth_grant", map[string]any{"grant_id": "g-1"})
	h.fake.Inject(telnyxfake.OpRevokeGrant, echo(404, false))
	run(h, "revoke_oauth_grant", map[string]any{"grant_id": "g-1"})
	h.fake.Inject(telnyxfake.OpDeleteClient, echo(500, false), echo(500, false), echo(500, false))
	run(h, "delete_oauth_client", map[string]any{"client_id": id})

	// Genuine refusals by the fake: a wrong secret, a used code, a bad scope,
	// an unknown client at authorize, a consent token used up.
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret + "x"})
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect,
		"code_verifier": verifier, "client_id": id, "client_secret": secret})
	run(h, "create_oauth_client", map[string]any{"name": "Bad scope", "client_type": "confidential",
		"allowed_scopes": []string{"not-a-scope"}, "allowed_grant_types": []string{"client_credentials"}})
	run(h, "build_oauth_authorize_url", map[string]any{"client_id": "no-such-client", "redirect_uri": confRedirect, "check": true})
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})

	// The API key itself refused (401 from the fake), on every bearer tool.
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"list_oauth_clients", nil},
		{"get_oauth_client", map[string]any{"client_id": "cli-1"}},
		{"create_oauth_client", map[string]any{"name": "x", "client_type": "confidential", "allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}}},
		{"delete_oauth_client", map[string]any{"client_id": "cli-1", "confirm": "cli-1"}},
		{"list_oauth_grants", nil},
		{"get_oauth_consent", map[string]any{"consent_token": "tok-1"}},
	} {
		run(refused, call.tool, call.args)
	}
	require.Len(t, refused.fake.RequestsFor(telnyxfake.OpListClients), 1, "the refused key was sent")

	assert.GreaterOrEqual(t, len(errorTexts), 22, "the failures really failed")
	logs := h.logs.String() + refused.logs.String()
	assert.Contains(t, logs, "tool call", "the debug log was written")
	for what, value := range canaries {
		require.GreaterOrEqual(t, len(value), 16, what)
		assert.NotContains(t, logs, value, "the %s reached the log", what)
		assert.NotContains(t, logs, value[len(value)-12:], "a piece of the %s reached the log", what)
		for _, text := range errorTexts {
			assert.NotContains(t, text, value, "the %s reached an error result", what)
		}
	}
	// The echoing upstream did quote the key: the scrubbing was exercised.
	joined := strings.Join(errorTexts, "\n")
	assert.Contains(t, joined, "[redacted]")
	assert.Contains(t, joined, "TELNYX_API_KEY", "a 401 says which credential to check")
}
