package main

// The upstream credential (credentials.go): the error when there is none,
// what `login` stored, and `call` keeping its credential when the
// environment says HTTP key mode.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// TestMissingCredentials: no credential and no --sandbox → a non-zero exit,
// one line on stderr naming TELNYX_API_KEY, and not one byte on stdout.
func TestMissingCredentials(t *testing.T) {
	t.Parallel()
	for name, env := range map[string][]string{
		"none":             baseEnv(t),
		"client id only":   baseEnv(t, "TELNYX_CLIENT_ID=cid"),
		"secret only":      baseEnv(t, "TELNYX_CLIENT_SECRET=SECRETCANARY-half"),
		"empty key":        baseEnv(t, "TELNYX_API_KEY="),
		"sandbox env off":  baseEnv(t, "TELNYX_MCP_SANDBOX=false"),
		"call, no sandbox": baseEnv(t),
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{}
			if name == "call, no sandbox" {
				args = []string{"call", "list_oauth_clients", "{}"}
			}
			stdout, stderr, code := runBin(t, env, args...)
			assert.Equal(t, 2, code, "README: exit status 2")
			assert.Empty(t, stdout, "nothing on stdout")
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "exactly one line on stderr: %q", stderr)
			assert.True(t, strings.HasSuffix(stderr, "\n"))
			assert.Contains(t, stderr, "TELNYX_API_KEY")
			assert.NotContains(t, stderr, "SECRETCANARY")
		})
	}
}

// TestCallIgnoresHTTPTransport: `call` runs one tool in-process whatever
// the transport says (the container image sets TELNYX_MCP_TRANSPORT=http),
// with the usual credential, which key mode would otherwise drop.
func TestCallIgnoresHTTPTransport(t *testing.T) {
	t.Parallel()
	fake, err := telnyxfake.Listen(telnyxfake.Options{Seed: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	env := map[string]string{"TELNYX_MCP_TRANSPORT": "http", "TELNYX_API_KEY": telnyxfake.DefaultAPIKey, "TELNYX_BASE_URL": fake.BaseURL}
	var stdout, stderr bytes.Buffer
	code := run([]string{"call", "get_oauth_client", `{"client_id":"` + telnyxfake.BillingClientID + `"}`},
		strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	assert.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "Billing dashboard")
}

// TestServerUsesStoredLogin: a stored OAuth login is the server's bearer;
// an expired one that cannot be refreshed makes the call fail with the
// instruction to log in again.
func TestServerUsesStoredLogin(t *testing.T) {
	t.Parallel()
	fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: storedKeyCanary})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	env, dir := accountEnv(t)
	store := &credstore.Store{Mode: credstore.FileOnly, Dir: dir}
	pub := fake.AddClient(telnyxfake.Client{ClientType: telnyxfake.ClientTypePublic, AllowedScopes: []string{"admin"},
		AllowedGrantTypes: []string{telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken}})
	access := fake.IssueAccessToken(pub.ClientID, "admin", time.Hour)
	_, err = store.Save(&credstore.Credential{Kind: credstore.KindOAuth, BaseURL: fake.BaseURL, ClientID: pub.ClientID,
		AccessToken: access, RefreshToken: "RTCANARY-unknown-0123456789", Expiry: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	stdout, stderr, code := runCLI(t, env, "", "--base-url", fake.BaseURL, "call", "list_oauth_clients", "{}")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, access, lastBearer(t, fake, telnyxfake.OpListClients))
	assert.NotContains(t, stdout+stderr, access)

	stdout, _, code = runCLI(t, env, "", "--base-url", fake.BaseURL, "status")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "stored login: OAuth access token "+safetext.Mask(access))
	assert.Contains(t, stdout, pub.ClientID)

	// Expired, and the refresh token is not one the fake knows.
	c, _, err := store.Load(fake.BaseURL)
	require.NoError(t, err)
	c.Expiry = time.Now().Add(-time.Minute)
	_, err = store.Save(c)
	require.NoError(t, err)
	stdout, stderr, code = runCLI(t, env, "", "--base-url", fake.BaseURL, "call", "list_oauth_clients", "{}")
	assert.Equal(t, 1, code)
	var res map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &res), stdout)
	assert.Contains(t, res["error"], "run `telnyx-oauth-mcp login` again")
	assert.NotContains(t, stdout+stderr, "RTCANARY")
	assert.NotContains(t, stdout+stderr, access)
}
