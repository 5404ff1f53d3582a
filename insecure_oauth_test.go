package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// TestAllowInsecureOAuthFlag: the built binary refuses a public client
// without PKCE and a plain PKCE challenge, and allows both with
// --allow-insecure-oauth or TELNYX_MCP_ALLOW_INSECURE_OAUTH=true.
func TestAllowInsecureOAuthFlag(t *testing.T) {
	t.Parallel()
	publicNoPKCE := `{"name":"Old SPA","client_type":"public","allowed_scopes":["numbers.read"],"allowed_grant_types":["authorization_code"],` +
		`"redirect_uris":["https://spa.example.com/cb"],"require_pkce":false}`
	plain := `{"client_id":"` + telnyxfake.DemoClientID + `","redirect_uri":"` + telnyxfake.DemoRedirectURI + `",` +
		`"code_challenge":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH","code_challenge_method":"plain"}`
	for _, tc := range []struct {
		tool, args string
	}{
		{"create_oauth_client", publicNoPKCE},
		{"build_oauth_authorize_url", plain},
	} {
		out, _, code := runBin(t, baseEnv(t), "--sandbox", "call", tc.tool, tc.args)
		assert.Equal(t, 1, code, "%s is refused by default: %s", tc.tool, out)
		assert.Contains(t, out, "--allow-insecure-oauth", tc.tool)
		assert.Contains(t, out, "OAuth 2.1 requires", tc.tool)

		out, _, code = runBin(t, baseEnv(t), "--sandbox", "--allow-insecure-oauth", "call", tc.tool, tc.args)
		assert.Equal(t, 0, code, "%s with the flag: %s", tc.tool, out)

		out, _, code = runBin(t, baseEnv(t, "TELNYX_MCP_ALLOW_INSECURE_OAUTH=true"), "--sandbox", "call", tc.tool, tc.args)
		assert.Equal(t, 0, code, "%s with the variable: %s", tc.tool, out)
	}

	// The HTTP server gets the flag too.
	var args map[string]any
	require.NoError(t, json.Unmarshal([]byte(plain), &args))
	for _, allow := range []bool{false, true} {
		flags := []string{"--sandbox"}
		if allow {
			flags = append(flags, "--allow-insecure-oauth")
		}
		p := startHTTP(t, binPath, nil, flags...)
		res, err := httpCall(httpMCPClient(t, p.url, telnyxfake.DefaultAPIKey), "build_oauth_authorize_url", args)
		require.NoError(t, err)
		assert.Equal(t, !allow, res.IsError, "over HTTP, allowed=%v", allow)
	}
}
