package login

// `login --api-key` (apikey.go): the key read from stdin, checked with one
// harmless read unless --no-verify, and stored; refused keys store nothing.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// TestAPIKeyLogin: login --api-key reads the key from standard input,
// checks it with one read, stores it (keychain, or the file without one),
// and the server then uses it like TELNYX_API_KEY.
func TestAPIKeyLogin(t *testing.T) {
	t.Parallel()
	for _, keychain := range []bool{true, false} {
		t.Run(map[bool]string{true: "keychain", false: "file fallback"}[keychain], func(t *testing.T) {
			t.Parallel()
			r := newRig(t, keychain)
			require.Equal(t, 0, r.loginAPIKey(keyCanary+"\n"), r.stderr.String())
			assert.Equal(t, []string{keyCanary}, r.bearers(telnyxfake.OpListClients), "checked with one read")
			c, loc := r.stored()
			require.NotNil(t, c)
			assert.Equal(t, credstore.KindAPIKey, c.Kind)
			assert.Equal(t, keyCanary, c.APIKey)
			assert.Equal(t, map[bool]credstore.Location{true: credstore.Keychain, false: credstore.File}[keychain], loc)
			assert.Contains(t, r.stderr.String(), safetext.Mask(keyCanary))

			stored, err := loadStored(r.store, telnyxapi.Config{BaseURL: r.fake.BaseURL}, &r.stderr)
			require.NoError(t, err)
			assert.Equal(t, keyCanary, stored.APIKey)
			assert.Nil(t, stored.Bearer, "an API key needs no token source")
			api, err := telnyxapi.New(telnyxapi.Config{BaseURL: r.fake.BaseURL, APIKey: stored.APIKey})
			require.NoError(t, err)
			text, isErr := r.callTool(r.toolClient(api), "list_oauth_grants", map[string]any{})
			require.False(t, isErr, text)
			assert.Equal(t, []string{keyCanary}, r.bearers(telnyxfake.OpListGrants))
		})
	}
}

func TestAPIKeyLoginRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
		requests    int
	}{
		{"empty input", "", nil, "no API key on standard input", 0},
		{"blank line", "  \n", nil, "no API key on standard input", 0},
		{"inner space", "KEY CANARY\n", nil, "spaces or control characters", 0},
		{"too long", strings.Repeat("k", 2000), nil, "longer than", 0},
		{"refused by Telnyx", "KEYCANARY-wrong-0123456789\n", nil, "Telnyx refused the API key (401)", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, true)
			assert.Equal(t, 1, r.loginAPIKey(tc.stdin, tc.args...))
			assert.Contains(t, r.stderr.String(), tc.want)
			assert.Len(t, r.fake.Requests(), tc.requests)
			r.assertNothingStored()
			assert.NotContains(t, r.stderr.String(), "KEYCANARY-wrong")
		})
	}
}

func TestAPIKeyLoginNoVerify(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	require.Equal(t, 0, r.loginAPIKey("KEYCANARY-unchecked-0123456789\r\n", "--no-verify"), r.stderr.String())
	assert.Empty(t, r.fake.Requests())
	c, _ := r.stored()
	require.NotNil(t, c)
	assert.Equal(t, "KEYCANARY-unchecked-0123456789", c.APIKey)
	assert.NotContains(t, r.stderr.String(), c.APIKey)
	assert.NotContains(t, r.stdout.String(), c.APIKey)
}
