package tools_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBadArgumentsAreRefusedBeforeAnyRequest sends arguments the input
// schemas or the tools' own rules refuse. Each call must be an isError naming
// the argument, and the fake must record nothing.
func TestBadArgumentsAreRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	create := func(over map[string]any) map[string]any {
		args := map[string]any{"name": "App", "client_type": "confidential", "allowed_scopes": []string{"admin"},
			"allowed_grant_types": []string{"authorization_code"}, "redirect_uris": []string{confRedirect}}
		for k, v := range over {
			if v == nil {
				delete(args, k)
			} else {
				args[k] = v
			}
		}
		return args
	}
	tests := []struct {
		name  string
		tool  string
		args  map[string]any
		field string
	}{
		{"unknown argument: base_url", "get_oauth_client", map[string]any{"client_id": "cli-1", "base_url": "http://127.0.0.1:1"}, "base_url"},
		{"unknown argument: headers", "list_oauth_clients", map[string]any{"headers": map[string]any{"Authorization": "Bearer x"}}, "headers"},
		{"unknown argument on a no-argument tool", "get_oauth_server_metadata", map[string]any{"url": "http://169.254.169.254/"}, "url"},
		{"missing required argument", "get_oauth_client", map[string]any{}, "client_id"},
		{"wrong type: id", "get_oauth_client", map[string]any{"client_id": 42}, "client_id"},
		{"wrong type: page_size", "list_oauth_clients", map[string]any{"page_size": "10"}, "page_size"},
		{"wrong type: page_number fraction", "list_oauth_clients", map[string]any{"page_number": 1.5}, "page_number"},
		{"wrong type: verified", "list_oauth_clients", map[string]any{"verified": "yes"}, "verified"},
		{"page_size 500", "list_oauth_clients", map[string]any{"page_size": 500}, "page_size"},
		{"page_size 0", "list_oauth_grants", map[string]any{"page_size": 0}, "page_size"},
		{"page_number 0", "list_oauth_grants", map[string]any{"page_number": 0}, "page_number"},
		{"bad enum: client_type filter", "list_oauth_clients", map[string]any{"client_type": "secret"}, "client_type"},
		{"bad enum: grant type filter", "list_oauth_clients", map[string]any{"allowed_grant_type": "password"}, "allowed_grant_type"},
		{"bad enum: client_type", "create_oauth_client", create(map[string]any{"client_type": "trusted"}), "client_type"},
		{"bad enum: allowed_grant_types", "create_oauth_client", create(map[string]any{"allowed_grant_types": []string{"implicit"}}), "allowed_grant_types"},
		{"javascript: redirect URI", "create_oauth_client", create(map[string]any{"redirect_uris": []string{"javascript:alert(document.cookie)"}}), "redirect_uris"},
		{"data: redirect URI", "create_oauth_client", create(map[string]any{"redirect_uris": []string{"data:text/html,<script>x</script>"}}), "redirect_uris"},
		{"plain http to a public host", "create_oauth_client", create(map[string]any{"redirect_uris": []string{"http://example.com/callback"}}), "redirect_uris"},
		{"redirect URI with a fragment", "create_oauth_client", create(map[string]any{"redirect_uris": []string{"https://app.example.com/cb#frag"}}), "redirect_uris"},
		{"one bad redirect URI among good ones", "create_oauth_client", create(map[string]any{"redirect_uris": []string{confRedirect, "http://example.com/cb"}}), "redirect_uris[1]"},
		{"authorization_code needs a redirect URI", "create_oauth_client", create(map[string]any{"redirect_uris": nil}), "redirect_uris"},
		{"no scopes", "create_oauth_client", create(map[string]any{"allowed_scopes": []string{}}), "allowed_scopes"},
		{"missing name", "create_oauth_client", create(map[string]any{"name": nil}), "name"},
		{"public client with client_credentials", "create_oauth_client",
			create(map[string]any{"client_type": "public", "allowed_grant_types": []string{"client_credentials"}}), "allowed_grant_types"},
		{"logo_uri over http", "create_oauth_client", create(map[string]any{"logo_uri": "http://example.com/logo.png"}), "logo_uri"},
		{"update with nothing to change", "update_oauth_client", map[string]any{"client_id": "cli-1"}, "give at least one of: name"},
		{"update with a javascript: redirect URI", "update_oauth_client",
			map[string]any{"client_id": "cli-1", "redirect_uris": []string{"javascript:alert(1)"}}, "redirect_uris"},
		{"update the type", "update_oauth_client", map[string]any{"client_id": "cli-1", "client_type": "public"}, "client_type"},
		{"register with a public http redirect", "register_oauth_client", map[string]any{"redirect_uris": []string{"http://example.com/cb"}}, "redirect_uris"},
		{"register with a file: policy", "register_oauth_client", map[string]any{"policy_uri": "file:///etc/passwd"}, "policy_uri"},
		{"register with an unknown auth method", "register_oauth_client", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"},
		{"bad enum: grant_type", "exchange_oauth_token", map[string]any{"grant_type": "password"}, "grant_type"},
		{"authorization_code without a code", "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "redirect_uri": confRedirect}, "code"},
		{"refresh_token without a token", "exchange_oauth_token", map[string]any{"grant_type": "refresh_token"}, "refresh_token"},
		{"a client secret without a client", "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_secret": "s3cret-value"}, "client_id"},
		{"authorization_code with an empty code", "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": "", "redirect_uri": confRedirect}, "code"},
		{"authorization_code with an empty redirect_uri", "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": "c0de", "redirect_uri": ""}, "redirect_uri"},
		{"refresh_token with an empty token", "exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": ""}, "refresh_token"},
		{"a client secret with an empty client", "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_id": "", "client_secret": "s3cret-value"}, "client_id"},
		{"introspect with a secret and an empty client", "introspect_oauth_token", map[string]any{"token": "t0ken", "client_id": "", "client_secret": "s3cret-value"}, "client_id"},
		{"update with only an empty logo_uri", "update_oauth_client", map[string]any{"client_id": "cli-1", "logo_uri": ""}, "give at least one of: name"},
		{"introspect without a token", "introspect_oauth_token", map[string]any{}, "token"},
		{"authorize to a javascript: URI", "build_oauth_authorize_url", map[string]any{"client_id": "cli-1", "redirect_uri": "javascript:alert(1)", "check": true}, "redirect_uri"},
		{"authorize to plain http", "build_oauth_authorize_url", map[string]any{"client_id": "cli-1", "redirect_uri": "http://example.com/cb", "check": true}, "redirect_uri"},
		{"authorize with a fragment", "build_oauth_authorize_url", map[string]any{"client_id": "cli-1", "redirect_uri": "https://app.example.com/cb#x", "check": true}, "redirect_uri"},
		{"bad enum: code_challenge_method", "build_oauth_authorize_url",
			map[string]any{"client_id": "cli-1", "redirect_uri": confRedirect, "code_challenge": strings.Repeat("a", 43), "code_challenge_method": "S512", "check": true}, "code_challenge_method"},
		{"no_pkce with a challenge", "build_oauth_authorize_url",
			map[string]any{"client_id": "cli-1", "redirect_uri": confRedirect, "code_challenge": strings.Repeat("a", 43), "no_pkce": true, "check": true}, "no_pkce"},
		{"code_challenge_method without a challenge", "build_oauth_authorize_url",
			map[string]any{"client_id": "cli-1", "redirect_uri": confRedirect, "code_challenge_method": "S256", "check": true}, "code_challenge"},
		{"missing scopes", "create_oauth_client", create(map[string]any{"allowed_scopes": nil}), "allowed_scopes"},
		{"missing grant types", "create_oauth_client", create(map[string]any{"allowed_grant_types": nil}), "allowed_grant_types"},
		{"confirm too long", "delete_oauth_client", map[string]any{"client_id": "cli-1", "confirm": strings.Repeat("c", 300)}, "confirm"},
		{"wrong type: allowed", "submit_oauth_consent", map[string]any{"consent_token": "tok", "allowed": "yes", "confirm": "cli-1"}, "allowed"},
		{"missing allowed", "submit_oauth_consent", map[string]any{"consent_token": "tok", "confirm": "cli-1"}, "allowed"},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.fake.ResetRequests()
			text := h.fail(t, tc.tool, tc.args)
			assert.Contains(t, text, "invalid arguments")
			assert.Contains(t, text, tc.field, "the error names the argument")
			assert.Contains(t, text, "Nothing was sent to Telnyx")
			assert.Empty(t, h.sent(), "no request may reach Telnyx")
		})
	}
}
