package login

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

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

// TestStatusLogoutUsage: status and logout take no arguments: a stray one
// (a base URL without --base-url) is a usage error, one line, and logout
// removes nothing then; --help prints the usage on stdout.
func TestStatusLogoutUsage(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	require.Equal(t, 0, r.loginAPIKey(keyCanary+"\n", "--no-verify"), r.stderr.String())
	for name, cmd := range map[string]func(context.Context, Options, []string, *syncBuffer, *syncBuffer) int{"status": status, "logout": logout} {
		var stdout, stderr syncBuffer
		assert.Equal(t, 2, cmd(context.Background(), r.opts(nil), []string{"https://api.telnyx.com/v2"}, &stdout, &stderr), name)
		assert.Equal(t, "telnyx-oauth-mcp "+name+": unexpected argument \"https://api.telnyx.com/v2\"\n", stderr.String())
		assert.Empty(t, stdout.String())

		stdout, stderr = syncBuffer{}, syncBuffer{}
		assert.Equal(t, 0, cmd(context.Background(), r.opts(nil), []string{"-h"}, &stdout, &stderr), name)
		assert.True(t, strings.HasPrefix(stdout.String(), "Usage: telnyx-oauth-mcp "+name), stdout.String())
		assert.Empty(t, stderr.String())
	}
	c, _, err := r.store.Load(r.fake.BaseURL)
	require.NoError(t, err)
	assert.NotNil(t, c, "logout with a stray argument removed nothing")
}
