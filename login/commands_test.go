package login

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

func (r *rig) run(cmd func(context.Context, Options, []string, *syncBuffer, *syncBuffer) int, args ...string) int {
	return cmd(context.Background(), r.opts(nil), args, &r.stdout, &r.stderr)
}

func status(ctx context.Context, o Options, args []string, stdout, stderr *syncBuffer) int {
	return RunStatus(ctx, o, args, stdout, stderr)
}

func logout(ctx context.Context, o Options, args []string, stdout, stderr *syncBuffer) int {
	return RunLogout(ctx, o, args, stdout, stderr)
}

func (r *rig) loginAPIKey(stdin string, args ...string) int {
	return Run(context.Background(), r.opts(nil), append([]string{"--api-key"}, args...), strings.NewReader(stdin), &r.stdout, &r.stderr)
}

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

// TestStatus says which credential is in use, where from and until when,
// following the server's precedence, and never prints a secret.
func TestStatus(t *testing.T) {
	t.Parallel()
	t.Run("nothing", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, true)
		assert.Equal(t, 1, r.run(status))
		assert.Contains(t, r.stdout.String(), "nothing: run `telnyx-oauth-mcp login`")
	})
	t.Run("stored login", func(t *testing.T) {
		t.Parallel()
		r, c := loggedIn(t, true)
		r.stdout = syncBuffer{}
		assert.Equal(t, 0, r.run(status))
		out := r.stdout.String()
		assert.Contains(t, out, "stored login: OAuth access token "+safetext.Mask(c.AccessToken))
		assert.Contains(t, out, "the OS keychain")
		assert.Contains(t, out, c.ClientID)
		assert.Contains(t, out, c.Expiry.Local().Format(time.RFC1123))
		assert.Regexp(t, `\(in (59m|1h0m)`, out)
		assert.Contains(t, out, "a refresh token is stored")
	})
	t.Run("stored login in the file, expired", func(t *testing.T) {
		t.Parallel()
		r, _ := loggedIn(t, false)
		r.expire()
		r.stdout = syncBuffer{}
		assert.Equal(t, 0, r.run(status), "a refresh token keeps it usable")
		assert.Contains(t, r.stdout.String(), r.store.FilePath())
		assert.Contains(t, r.stdout.String(), "ago)")
	})
	t.Run("environment wins", func(t *testing.T) {
		t.Parallel()
		r, _ := loggedIn(t, true)
		r.env["TELNYX_API_KEY"] = "KEYCANARY-env-0123456789abcd"
		r.stdout = syncBuffer{}
		assert.Equal(t, 0, r.run(status))
		out := r.stdout.String()
		assert.Contains(t, out, "API key ****abcd")
		assert.Contains(t, out, "the environment variable TELNYX_API_KEY")
		assert.Contains(t, out, "unused while the environment sets a credential")
		assert.NotContains(t, out, "KEYCANARY-env")
		r.record(out)
	})
	t.Run("client credentials", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, true)
		r.env["TELNYX_CLIENT_ID"] = "cid-1"
		r.env["TELNYX_CLIENT_SECRET"] = "SECRETCANARY-0123456789wxyz"
		assert.Equal(t, 0, r.run(status))
		assert.Contains(t, r.stdout.String(), "client cid-1 (secret ****wxyz)")
		assert.NotContains(t, r.stdout.String(), "SECRETCANARY")
	})
	t.Run("stored API key", func(t *testing.T) {
		t.Parallel()
		r := newRig(t, false)
		require.Equal(t, 0, r.loginAPIKey(keyCanary+"\n"))
		r.stdout = syncBuffer{}
		assert.Equal(t, 0, r.run(status))
		assert.Contains(t, r.stdout.String(), "stored API key "+safetext.Mask(keyCanary))
		assert.Contains(t, r.stdout.String(), "(mode 0600)")
	})
}

// TestLogout removes what was stored, from the keychain and the file, and
// keeps the remembered client unless asked.
func TestLogout(t *testing.T) {
	t.Parallel()
	for _, keychain := range []bool{true, false} {
		t.Run(map[bool]string{true: "keychain", false: "file fallback"}[keychain], func(t *testing.T) {
			t.Parallel()
			r, _ := loggedIn(t, keychain)
			assert.Equal(t, 0, r.run(logout))
			assert.Contains(t, r.stdout.String(), "Removed the stored credential")
			assert.Contains(t, r.stdout.String(), "The grant itself stays valid", "an OAuth login left a grant")
			assert.NotContains(t, r.stdout.String(), "API key")
			r.assertNothingStored()
			assert.Equal(t, 1, r.run(status), "nothing left to use")

			r.stdout = syncBuffer{}
			assert.Equal(t, 0, r.run(logout))
			assert.Contains(t, r.stdout.String(), "No credential was stored")

			// The client is remembered: logging in again registers nothing.
			require.Equal(t, 0, r.login(newBrowser(r, true)), r.stderr.String())
			assert.Len(t, r.fake.RequestsFor(telnyxfake.OpRegister), 1)
			assert.Equal(t, 0, r.run(logout, "--forget-client"))
			assert.Contains(t, r.stdout.String(), "Forgot the registered OAuth client")
			require.Equal(t, 0, r.login(newBrowser(r, true)), r.stderr.String())
			assert.Len(t, r.fake.RequestsFor(telnyxfake.OpRegister), 2)
		})
	}
}

// TestLogoutAPIKey: after login --api-key, logout speaks of the key it
// removed, not of a grant that never existed.
func TestLogoutAPIKey(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	require.Equal(t, 0, r.loginAPIKey(keyCanary+"\n"), r.stderr.String())
	r.stdout = syncBuffer{}
	assert.Equal(t, 0, r.run(logout))
	assert.Contains(t, r.stdout.String(), "Removed the stored credential")
	assert.Contains(t, r.stdout.String(), "The API key itself stays valid at Telnyx")
	assert.NotContains(t, r.stdout.String(), "grant")
	assert.NotContains(t, r.stdout.String(), keyCanary)
	r.assertNothingStored()
}

// TestStoredPerBaseURL: a credential is only ever used for the base URL it
// was stored for.
func TestStoredPerBaseURL(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, true)
	other, err := loadStored(r.store, telnyxapi.Config{BaseURL: telnyxapi.DefaultBaseURL}, &r.stderr)
	require.NoError(t, err)
	assert.Nil(t, other, "a login at the fake is not a login at api.telnyx.com")
	same, err := loadStored(r.store, telnyxapi.Config{BaseURL: r.fake.BaseURL + "/"}, &r.stderr)
	require.NoError(t, err)
	assert.NotNil(t, same, "the base URL is normalized")
}
