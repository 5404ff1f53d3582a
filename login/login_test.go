package login

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
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

// TestLoginEndToEnd runs the whole browser login against the fake over real
// loopback HTTP, once with the keychain (go-keyring's mock provider) and
// once on a machine without one (the 0600 file): registration, authorize
// with PKCE S256 and state, consent approved in the "browser", the callback,
// the code exchange, the tokens stored, then a tool call that uses the
// stored access token as its bearer. A second login reuses the client.
func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	for _, keychain := range []bool{true, false} {
		name := map[bool]string{true: "keychain", false: "file fallback"}[keychain]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, keychain)
			b := newBrowser(r, true)
			require.Equal(t, 0, r.login(b), "stderr: %s", r.stderr.String())

			// Registration: one public client for a loopback redirect.
			regs := r.fake.RequestsFor(telnyxfake.OpRegister)
			require.Len(t, regs, 1)
			var reg telnyxapi.RegisterRequest
			require.NoError(t, json.Unmarshal(regs[0].Body, &reg))
			assert.Equal(t, "none", reg.TokenEndpointAuthMethod)
			assert.Equal(t, []string{"authorization_code", "refresh_token"}, reg.GrantTypes)
			require.Len(t, reg.RedirectURIs, 1)
			redirect, err := url.Parse(reg.RedirectURIs[0])
			require.NoError(t, err)
			assert.Equal(t, "http", redirect.Scheme)
			assert.Equal(t, "127.0.0.1", redirect.Hostname())
			assert.Equal(t, "/callback", redirect.Path)
			assert.NotEmpty(t, redirect.Port())
			assert.Equal(t, "", regs[0].Header.Get("Authorization"), "registration needs no credential")

			// Authorize: PKCE S256, a random state, every advertised scope.
			auths := r.fake.RequestsFor(telnyxfake.OpAuthorize)
			require.Len(t, auths, 1)
			q := auths[0].Query
			assert.Equal(t, "S256", q.Get("code_challenge_method"))
			assert.Len(t, q.Get("state"), 43)
			assert.Equal(t, strings.Join(telnyxfake.SupportedScopes(), " "), q.Get("scope"))
			assert.Equal(t, reg.RedirectURIs[0], q.Get("redirect_uri"))

			// Exchange: the verifier that matches the challenge, as a public
			// client (client_id in the form, no Authorization header).
			exchanges := r.tokenForms("authorization_code")
			require.Len(t, exchanges, 1)
			form := exchanges[0]
			assert.Equal(t, q.Get("code_challenge"), safetext.S256(form.Get("code_verifier")))
			assert.Equal(t, reg.RedirectURIs[0], form.Get("redirect_uri"))
			assert.Equal(t, q.Get("client_id"), form.Get("client_id"))
			assert.Empty(t, r.fake.RequestsFor(telnyxfake.OpToken)[0].Header.Get("Authorization"))
			assert.Equal(t, http.StatusOK, b.callbackStatus(), "the browser is told the login worked")

			// Stored: access and refresh token, expiry, client_id, base URL.
			c, loc := r.stored()
			require.NotNil(t, c)
			assert.Equal(t, credstore.KindOAuth, c.Kind)
			assert.Equal(t, r.fake.BaseURL, c.BaseURL)
			assert.Equal(t, q.Get("client_id"), c.ClientID)
			assert.NotEmpty(t, c.AccessToken)
			assert.NotEmpty(t, c.RefreshToken)
			assert.WithinDuration(t, time.Now().Add(time.Hour), c.Expiry, time.Minute)
			if keychain {
				assert.Equal(t, credstore.Keychain, loc)
				assert.NoFileExists(t, r.store.FilePath(), "nothing on disk when the keychain works")
				assert.Contains(t, r.stderr.String(), "OS keychain")
			} else {
				assert.Equal(t, credstore.File, loc)
				assert.Contains(t, r.stderr.String(), "Not stored in the OS keychain")
				assert.Contains(t, r.stderr.String(), r.store.FilePath())
				if runtime.GOOS != "windows" {
					fi, err := os.Stat(r.store.FilePath())
					require.NoError(t, err)
					assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
					di, err := os.Stat(r.store.Dir)
					require.NoError(t, err)
					assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
				}
			}
			assert.Contains(t, r.stderr.String(), b.authURL, "the URL is always printed")

			// The listener took its one request and is gone.
			_, err = net.DialTimeout("tcp", redirect.Host, time.Second)
			assert.Error(t, err, "the loopback listener still accepts connections")

			// A later tool call uses the stored token as its bearer.
			stored, err := loadStored(r.store, telnyxapi.Config{BaseURL: r.fake.BaseURL}, &r.stderr)
			require.NoError(t, err)
			require.NotNil(t, stored.Bearer)
			assert.Empty(t, stored.APIKey)
			api, err := telnyxapi.New(telnyxapi.Config{BaseURL: r.fake.BaseURL, Bearer: stored.Bearer})
			require.NoError(t, err)
			text, isErr := r.callTool(r.toolClient(api), "list_oauth_clients", map[string]any{})
			require.False(t, isErr, text)
			assert.Contains(t, text, c.ClientID, "the registered client is listed")
			assert.Equal(t, []string{c.AccessToken}, r.bearers(telnyxfake.OpListClients))
			assert.Empty(t, r.tokenForms("refresh_token"), "a fresh token is not refreshed")

			// Logging in again reuses the remembered client and its port.
			b2 := newBrowser(r, true)
			require.Equal(t, 0, r.login(b2), "stderr: %s", r.stderr.String())
			assert.Len(t, r.fake.RequestsFor(telnyxfake.OpRegister), 1, "the client is registered once")
			assert.Equal(t, reg.RedirectURIs[0], r.fake.RequestsFor(telnyxfake.OpAuthorize)[1].Query.Get("redirect_uri"))
			c2, _ := r.stored()
			require.NotNil(t, c2)
			assert.NotEqual(t, c.AccessToken, c2.AccessToken, "the new login replaced the old tokens")
		})
	}
}

// TestLoginRefused: a callback with a wrong state, an exchange with a
// missing or wrong code_verifier (the fake refuses), a callback carrying
// error=access_denied, and no callback at all each fail the login, and
// nothing is stored anywhere.
func TestLoginRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		allow    bool
		mangle   func(string) string
		tamper   func(string) string
		noBrowse bool
		stderr   string
		// exchanges is how many code exchanges the fake must have seen.
		exchanges int
	}{
		{
			name: "wrong state", allow: true,
			mangle: func(u string) string {
				p, _ := url.Parse(u)
				q := p.Query()
				q.Set("state", safetext.Random(32))
				p.RawQuery = q.Encode()
				return p.String()
			},
			stderr: "state that does not belong to this login",
		},
		{
			name: "state missing", allow: true,
			mangle: func(u string) string {
				p, _ := url.Parse(u)
				q := p.Query()
				q.Del("state")
				p.RawQuery = q.Encode()
				return p.String()
			},
			stderr: "state that does not belong to this login",
		},
		{name: "missing code_verifier", allow: true, tamper: func(string) string { return "" }, stderr: "code_verifier is required", exchanges: 1},
		{name: "wrong code_verifier", allow: true, tamper: func(string) string { return safetext.Random(32) }, stderr: "code_verifier does not match", exchanges: 1},
		{name: "access denied", allow: false, stderr: "access_denied"},
		{name: "no browser comes back", noBrowse: true, stderr: "no answer from the browser"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, true)
			o := r.opts(nil)
			var b *fakeBrowser
			if !tc.noBrowse {
				b = newBrowser(r, tc.allow)
				b.mangle = tc.mangle
				o = r.opts(b)
			} else {
				o.OpenBrowser = func(string) error { return nil }
			}
			o.tamperVerifier = tc.tamper
			args := []string{}
			if tc.noBrowse {
				args = []string{"--timeout", "300ms"} // the later flag wins
			}
			code := r.loginWith(o, b, args...)
			assert.Equal(t, 1, code)
			assert.Contains(t, r.stderr.String(), tc.stderr)
			r.assertNothingStored()
			assert.Len(t, r.tokenForms("authorization_code"), tc.exchanges)
			if b != nil {
				assert.Equal(t, http.StatusBadRequest, b.callbackStatus(), "the browser page says the login failed")
				if tc.exchanges == 0 {
					assert.NotEqual(t, http.StatusOK, b.callbackStatus())
				}
				// The listener is closed after its one request.
				u, err := url.Parse(b.callbackURL())
				require.NoError(t, err)
				_, err = net.DialTimeout("tcp", u.Host, time.Second)
				assert.Error(t, err)
			}
		})
	}
}

// TestLoginWithoutBrowser: where no browser can open, the URL is printed
// and the login still completes when it is opened elsewhere.
func TestLoginWithoutBrowser(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	b := newBrowser(r, true)
	o := r.opts(nil)
	go func() {
		// "Elsewhere": read the URL off stderr, as a person would.
		deadline := time.Now().Add(testTimeout)
		for time.Now().Before(deadline) {
			for _, line := range strings.Split(r.stderr.String(), "\n") {
				if s := strings.TrimSpace(line); strings.HasPrefix(s, r.fake.BaseURL+"/oauth/authorize?") {
					_ = b.open(s)
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.done <- context.DeadlineExceeded
	}()
	require.Equal(t, 0, r.loginWith(o, b, "--no-browser"), r.stderr.String())
	assert.Contains(t, r.stderr.String(), "No browser is opened here")
	c, _ := r.stored()
	require.NotNil(t, c)
}

// TestLoginScopeFlag: --scope asks for exactly those scopes, and a client
// remembered for fewer scopes is replaced by a new registration.
func TestLoginScopeFlag(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	require.Equal(t, 0, r.login(newBrowser(r, true), "--scope", "numbers.read"), r.stderr.String())
	assert.Equal(t, "numbers.read", r.fake.RequestsFor(telnyxfake.OpAuthorize)[0].Query.Get("scope"))
	assert.Empty(t, r.fake.RequestsFor(telnyxfake.OpGetAuthorizationServerMetadata), "no metadata needed")
	c, _ := r.stored()
	require.NotNil(t, c)
	assert.Equal(t, "numbers.read", c.Scope)

	require.Equal(t, 0, r.login(newBrowser(r, true), "--scope", "numbers.read,voice.read"), r.stderr.String())
	assert.Equal(t, "numbers.read voice.read", r.fake.RequestsFor(telnyxfake.OpAuthorize)[1].Query.Get("scope"))
	assert.Len(t, r.fake.RequestsFor(telnyxfake.OpRegister), 2, "a client registered for fewer scopes is not reused")
}

// TestLoginUsage: bad flags are usage errors, each one line, that store
// nothing; --help prints the usage on stdout.
func TestLoginUsage(t *testing.T) {
	t.Parallel()
	r := newRig(t, true)
	for _, args := range [][]string{{"--bogus"}, {"extra"}, {"--base-url", "http://example.com/v2"}, {"--timeout", "0s"}} {
		var stdout, stderr strings.Builder
		assert.Equal(t, 2, Run(context.Background(), r.opts(nil), args, strings.NewReader(""), &stdout, &stderr), "%v", args)
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		assert.True(t, strings.HasPrefix(stderr.String(), "telnyx-oauth-mcp login: "), stderr.String())
		assert.Empty(t, stdout.String())
	}
	var stdout, stderr strings.Builder
	assert.Equal(t, 0, Run(context.Background(), r.opts(nil), []string{"--help"}, strings.NewReader(""), &stdout, &stderr))
	assert.True(t, strings.HasPrefix(stdout.String(), "Usage: telnyx-oauth-mcp login"), "the usage --help asks for goes to stdout")
	assert.Contains(t, stdout.String(), "--api-key")
	assert.Empty(t, stderr.String())
	r.assertNothingStored()
	assert.Empty(t, r.fake.Requests())
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c", normalizeScope(" a,b  c,a "))
	assert.True(t, coversScope("a b c", "c a"))
	assert.True(t, coversScope("a", ""))
	assert.False(t, coversScope("a", "a b"))
	assert.Equal(t, "53682", loopbackPort("http://127.0.0.1:53682/callback"))
	for _, bad := range []string{"http://localhost:1/callback", "https://127.0.0.1:1/callback", "http://127.0.0.1/callback", "http://127.0.0.1:1/other", "::"} {
		assert.Empty(t, loopbackPort(bad), bad)
	}
}
