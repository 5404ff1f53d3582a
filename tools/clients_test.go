package tools_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestUpdateOAuthClientConfirmsTakeovers: an update that changes where
// authorization codes go (redirect_uris), what tokens can do
// (allowed_scopes, allowed_grant_types) or drops PKCE is confirmed by the
// user like a delete, showing each field as current → new from Telnyx; a
// name or logo change is not.
func TestUpdateOAuthClientConfirmsTakeovers(t *testing.T) {
	t.Parallel()
	const attacker = "https://attacker.example/cb"
	accept := func() *elicitor { return answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true}) }

	t.Run("no confirmation: no PUT, and the preview shows old and new", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		c := h.confidentialClient(t)
		text := h.fail(t, "update_oauth_client", map[string]any{"client_id": c.ClientID, "redirect_uris": []string{attacker}})
		assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient), "no PUT without confirmation")
		assert.Contains(t, text, "redirect_uris: "+confRedirect+" → "+attacker)
		assert.Contains(t, text, `"confirm": "`+c.ClientID+`"`)
		got, _ := h.fake.Client(c.ClientID)
		assert.Equal(t, []string{confRedirect}, got.RedirectURIs)
	})

	for _, legacy := range []bool{false, true} {
		era := "2026-07-28"
		if legacy {
			era = "2025-11-25"
		}
		t.Run("elicitation accepted, "+era, func(t *testing.T) {
			t.Parallel()
			el := accept()
			opts := []option{withElicitation(el)}
			if legacy {
				opts = append(opts, legacyEra())
			}
			h := newHarness(t, opts...)
			c := h.confidentialClient(t)
			h.ok(t, "update_oauth_client", map[string]any{"client_id": c.ClientID, "redirect_uris": []string{attacker},
				"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"authorization_code"}})
			assert.Len(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient), 1, "exactly one PUT (recorded: %v)", h.operations())
			asked := el.asked()
			require.Len(t, asked, 1)
			assert.Contains(t, asked[0], confRedirect, "the question shows the current URI")
			assert.Contains(t, asked[0], attacker, "and the new one")
			assert.Contains(t, asked[0], "redirect_uris: "+confRedirect+" → "+attacker)
			assert.Contains(t, asked[0], "allowed_scopes: admin numbers.read → admin")
			assert.Contains(t, asked[0], "allowed_grant_types: client_credentials authorization_code refresh_token → authorization_code")
			assert.Contains(t, asked[0], `"Billing dashboard"`)
		})
	}

	t.Run("elicitation declined: no PUT", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withElicitation(answer(mcp.ElicitationResponseActionDecline, nil)))
		c := h.confidentialClient(t)
		text := h.fail(t, "update_oauth_client", map[string]any{"client_id": c.ClientID, "allowed_scopes": []string{"admin"}})
		assert.Contains(t, text, "nothing was changed")
		assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient))
	})

	t.Run("confidential client turning PKCE off is confirmed", func(t *testing.T) {
		t.Parallel()
		el := accept()
		h := newHarness(t, withElicitation(el))
		c := h.fake.AddClient(telnyxfake.Client{Name: "Web", ClientType: telnyxfake.ClientTypeConfidential, ClientSecret: "s-" + randomHex(8),
			RequirePKCE: true, AllowedGrantTypes: []string{telnyxfake.GrantAuthorizationCode}, AllowedScopes: []string{"admin"}, RedirectURIs: []string{confRedirect}})
		h.ok(t, "update_oauth_client", map[string]any{"client_id": c.ClientID, "require_pkce": false})
		require.Len(t, el.asked(), 1)
		assert.Contains(t, el.asked()[0], "require_pkce: true → false")
		assert.Len(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient), 1)
	})

	t.Run("name and logo only: no confirmation", func(t *testing.T) {
		t.Parallel()
		el := accept()
		h := newHarness(t, withElicitation(el))
		c := h.confidentialClient(t)
		h.ok(t, "update_oauth_client", map[string]any{"client_id": c.ClientID, "name": "Billing v2", "logo_uri": "https://app.example.com/logo.png"})
		assert.Empty(t, el.asked(), "nobody is asked")
		assert.Equal(t, []string{telnyxfake.OpUpdateClient}, h.operations(), "one PUT, not even a read first")
	})
}

// TestPKCEHeldByDefault: OAuth 2.1 requires PKCE with S256 for public
// clients. Without --allow-insecure-oauth, a public client without PKCE
// and a plain challenge are refused before any request; with it they go
// through.
func TestPKCEHeldByDefault(t *testing.T) {
	t.Parallel()
	public := func(pkce any) map[string]any {
		args := map[string]any{"name": "SPA", "client_type": "public", "allowed_scopes": []string{"numbers.read"},
			"allowed_grant_types": []string{"authorization_code"}, "redirect_uris": []string{pubRedirect}}
		if pkce != nil {
			args["require_pkce"] = pkce
		}
		return args
	}
	plain := func(clientID string) map[string]any {
		return map[string]any{"client_id": clientID, "redirect_uri": pubRedirect,
			"code_challenge": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", "code_challenge_method": "plain", "check": true}
	}

	t.Run("the descriptions state the rule the flag sets", func(t *testing.T) {
		t.Parallel()
		for _, insecure := range []bool{false, true} {
			for _, tool := range tools.All(tools.Deps{AllowInsecureOAuth: insecure}) {
				var rule string
				switch tool.Name() {
				case "create_oauth_client", "update_oauth_client":
					rule = "Public clients always require PKCE."
				case "build_oauth_authorize_url":
					rule = "code_challenge_method plain is refused."
				default:
					continue
				}
				if insecure {
					assert.NotContains(t, tool.Definition.Description, rule, tool.Name())
				} else {
					assert.Contains(t, tool.Definition.Description, rule, tool.Name())
				}
			}
		}
	})

	t.Run("refused without the flag", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		text := h.fail(t, "create_oauth_client", public(false))
		assert.Contains(t, text, "OAuth 2.1 requires PKCE with S256 for public clients")
		assert.Contains(t, text, "--allow-insecure-oauth")
		assert.Contains(t, text, "TELNYX_MCP_ALLOW_INSECURE_OAUTH")
		assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpCreateClient), "no POST")

		pub := h.publicClient(t)
		text = h.fail(t, "update_oauth_client", map[string]any{"client_id": pub.ClientID, "require_pkce": false, "confirm": pub.ClientID})
		assert.Contains(t, text, "--allow-insecure-oauth")
		assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient), "no PUT")

		text = h.fail(t, "build_oauth_authorize_url", plain(pub.ClientID))
		assert.Contains(t, text, "OAuth 2.1 requires S256 for public clients")
		assert.Contains(t, text, "--allow-insecure-oauth")
		assert.Equal(t, []string{telnyxfake.OpGetClient}, h.operations(), "only update's read of the client type; the authorize check was not sent")
	})

	t.Run("a public client without require_pkce gets PKCE", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		out := h.ok(t, "create_oauth_client", public(nil))
		var body map[string]any
		require.NoError(t, json.Unmarshal(h.only(t, telnyxfake.OpCreateClient).Body, &body))
		assert.Equal(t, true, body["require_pkce"])
		assert.NotContains(t, string(out), "warnings")
	})

	t.Run("allowed with the flag", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, withInsecureOAuth())
		out := h.ok(t, "create_oauth_client", public(false))
		assert.Contains(t, string(out), "does not require PKCE", "the warning stays")
		assert.Len(t, h.fake.RequestsFor(telnyxfake.OpCreateClient), 1)

		pub := h.publicClient(t)
		h.ok(t, "update_oauth_client", map[string]any{"client_id": pub.ClientID, "require_pkce": false, "confirm": pub.ClientID})
		assert.Len(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient), 1)

		res := h.call(t, "build_oauth_authorize_url", plain(pub.ClientID))
		assert.NotContains(t, resultText(res), "allow-insecure-oauth")
		assert.Contains(t, resultText(res), "code_challenge_method=plain")
	})
}

const storedSecretClientJSON = `{"record_type":"oauth_client","client_id":"c-stored","name":"n","client_type":"confidential","require_pkce":false,"client_secret":"STORED-SECRET-0123456789"}`

// The API includes client_secret on a client object "when available". Only
// create_oauth_client may show it, once; get, list and update must not,
// whatever --secrets says.
func TestClientSecretOnlyFromCreate(t *testing.T) {
	t.Parallel()
	for _, policy := range []tools.SecretsPolicy{tools.SecretsShow, tools.SecretsRedact} {
		h := newHarness(t, withSecrets(policy))
		h.fake.Inject(telnyxfake.OpGetClient, faultinject.Status(http.StatusOK, `{"data":`+storedSecretClientJSON+`}`))
		h.fake.Inject(telnyxfake.OpListClients, faultinject.Status(http.StatusOK,
			`{"data":[`+storedSecretClientJSON+`],"meta":{"page_number":1,"page_size":20,"total_pages":1,"total_results":1}}`))
		h.fake.Inject(telnyxfake.OpUpdateClient, faultinject.Status(http.StatusOK, `{"data":`+storedSecretClientJSON+`}`))

		for name, args := range map[string]map[string]any{
			"get_oauth_client":    {"client_id": "c-stored"},
			"list_oauth_clients":  {},
			"update_oauth_client": {"client_id": "c-stored", "name": "x"},
		} {
			raw := h.ok(t, name, args)
			assert.NotContains(t, string(raw), "STORED-SECRET", "%s (%s) shows a stored client_secret", name, policy)
		}
	}
}

// update_oauth_client with redirect_uris: [] asks to clear the list. The
// schema accepts it and validation tells it from an omitted field, so the
// request must carry the empty list rather than silently change nothing.
func TestUpdateClearsRedirectURIs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.fake.AddClient(telnyxfake.Client{
		Name: "svc", ClientType: telnyxfake.ClientTypeConfidential, ClientSecret: "s-" + randomHex(8),
		AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"},
		RedirectURIs: []string{confRedirect},
	})
	out := decode[tools.OAuthClient](t, h.ok(t, "update_oauth_client", map[string]any{"client_id": cl.ClientID, "redirect_uris": []string{}, "confirm": cl.ClientID}))
	assert.Empty(t, out.RedirectURIs)
	got, ok := h.fake.Client(cl.ClientID)
	require.True(t, ok)
	assert.Empty(t, got.RedirectURIs, "the redirect URIs were not cleared")
}
