package main

// End-to-end tests of the account commands through the built binary:
// `login --api-key`, `status`, `logout` and `init`, and the server's use of
// the stored credential with its precedence (TELNYX_API_KEY, then
// TELNYX_CLIENT_ID/SECRET, then what login stored). The browser login
// itself is tested end to end in package login.

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/hostconfig"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// TestAccountCommandsAPIKey: login --api-key stores the key read from
// stdin, status reports it masked, the server uses it, the environment
// wins over it, and logout removes it.
func TestAccountCommandsAPIKey(t *testing.T) {
	t.Parallel()
	fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: storedKeyCanary})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	env, dir := accountEnv(t)
	base := []string{"--base-url", fake.BaseURL}
	var printed []string
	run := func(env []string, stdin string, args ...string) (string, string, int) {
		out, errb, code := runCLI(t, env, stdin, append(base, args...)...)
		printed = append(printed, out, errb)
		return out, errb, code
	}

	_, stderr, code := run(env, storedKeyCanary+"\n", "login", "--api-key")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, filepath.Join(dir, credstore.FileName), "says where it went")
	if runtime.GOOS == "linux" {
		assert.Contains(t, stderr, "Not stored in the OS keychain", "go-keyring fails without a Secret Service")
	}
	fi, err := os.Stat(filepath.Join(dir, credstore.FileName))
	require.NoError(t, err)
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	stdout, _, code := run(env, "", "status")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "stored API key "+safetext.Mask(storedKeyCanary))

	// The server uses the stored key when the environment has none.
	stdout, stderr, code = run(env, "", "call", "list_oauth_clients", "{}")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "using the Telnyx credential stored in")
	assert.Equal(t, storedKeyCanary, lastBearer(t, fake, telnyxfake.OpListClients))

	// TELNYX_API_KEY wins over the stored key (the fake refuses it).
	_, _, code = run(append(env, "TELNYX_API_KEY="+envKeyCanaryCLI), "", "call", "list_oauth_clients", "{}")
	assert.Equal(t, 1, code)
	assert.Equal(t, envKeyCanaryCLI, lastBearer(t, fake, telnyxfake.OpListClients))

	// TELNYX_CLIENT_ID/SECRET win too: a client-credentials token is the bearer.
	cc := fake.AddClient(telnyxfake.Client{ClientType: telnyxfake.ClientTypeConfidential,
		AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"}})
	_, stderr, code = run(append(env, "TELNYX_CLIENT_ID="+cc.ClientID, "TELNYX_CLIENT_SECRET="+cc.ClientSecret), "", "call", "list_oauth_clients", "{}")
	require.Equal(t, 0, code, stderr)
	bearer := lastBearer(t, fake, telnyxfake.OpListClients)
	assert.NotEqual(t, storedKeyCanary, bearer)
	assert.Len(t, fake.RequestsFor(telnyxfake.OpToken), 1, "a client-credentials token was fetched")

	stdout, _, code = run(env, "", "logout")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "Removed the stored credential")
	_, _, code = run(env, "", "status")
	assert.Equal(t, 1, code)
	stdout, stderr, code = run(env, "", "call", "list_oauth_clients", "{}")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "telnyx-oauth-mcp login")

	for _, p := range printed {
		for _, secret := range []string{storedKeyCanary, envKeyCanaryCLI, cc.ClientSecret, bearer} {
			assert.NotContains(t, p, secret)
		}
	}
}

// TestInitCommandLine: init writes this binary's absolute path into the
// host file under the scratch home, and a second run changes nothing.
func TestInitCommandLine(t *testing.T) {
	t.Parallel()
	env, _ := accountEnv(t, "TELNYX_API_KEY="+envKeyCanaryCLI)
	home := strings.TrimPrefix(env[1], "HOME=")
	stdout, stderr, code := runCLI(t, env, "", "init", "--host", "cursor", "--", "--read-only")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Created")
	path := filepath.Join(home, ".cursor", "mcp.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]map[string]map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	e := doc["mcpServers"][hostconfig.DefaultName]
	assert.Equal(t, binPath, e["command"])
	assert.Equal(t, []any{"--read-only"}, e["args"])
	assert.NotContains(t, string(b)+stdout+stderr, envKeyCanaryCLI, "no key copied without --with-env-key")

	stdout, _, code = runCLI(t, env, "", "init", "--host", "cursor", "--", "--read-only")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "nothing changed")

	_, stderr, code = runCLI(t, env, "", "init", "--host", "cursor", "--", "--no-such-flag")
	assert.Equal(t, 2, code, "server flags are checked")
	assert.Contains(t, stderr, "no-such-flag")
}

// TestAccountCommandsHelp: every account command has its own --help, and
// the main usage lists them.
func TestAccountCommandsHelp(t *testing.T) {
	t.Parallel()
	env, _ := accountEnv(t)
	stdout, _, code := runCLI(t, env, "", "--help")
	assert.Equal(t, 0, code)
	for _, c := range []string{"login", "login --api-key", "logout", "status", "init --host"} {
		assert.Contains(t, stdout, "telnyx-oauth-mcp "+c)
	}
	for _, c := range []string{"login", "logout", "status", "init"} {
		for _, h := range []string{"--help", "-h"} {
			stdout, stderr, code := runCLI(t, env, "", c, h)
			assert.Equal(t, 0, code, c)
			assert.Contains(t, stdout, "Usage: telnyx-oauth-mcp "+c, "%s %s prints its usage on stdout", c, h)
			assert.Empty(t, stderr, c)
		}
	}
}

// TestInitRefusesHTTPServerFlags: a host launches the server over stdio, so
// init will not write HTTP-only flags into its entry; one line says why.
func TestInitRefusesHTTPServerFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		why  string
	}{
		{[]string{"--transport", "http"}, "--transport http cannot work here: the host launches the server and talks to it over stdio"},
		{[]string{"--transport=http", "--read-only"}, "--transport http cannot work here"},
		{[]string{"--listen", "127.0.0.1:9"}, "--listen only applies to an HTTP server"},
		{[]string{"--stateless", "--http-auth", "token"}, "--http-auth, --stateless only apply to an HTTP server"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "mcp.json")
			stdout, stderr, code := runBin(t, baseEnv(t), append([]string{"init", "--host", "cursor", "--config-path", path, "--"}, tc.args...)...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.Contains(t, stderr, tc.why)
			assert.NoFileExists(t, path)
		})
	}
	// Stdio flags are fine.
	path := filepath.Join(t.TempDir(), "mcp.json")
	_, stderr, code := runBin(t, baseEnv(t), "init", "--host", "cursor", "--config-path", path, "--", "--read-only", "--sandbox")
	require.Equal(t, 0, code, stderr)
	assert.FileExists(t, path)
	assert.Contains(t, stderr, "needs no credential")

	// Run again without server flags, the entry keeps them: it still runs
	// the sandbox, which needs no credential.
	_, stderr, code = runBin(t, baseEnv(t), "init", "--host", "cursor", "--config-path", path)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "needs no credential")
	assert.NotContains(t, stderr, "No credential is stored")
}

// TestLoginScopeDashH: -h as a flag's value is that value, not a request
// for help: login runs (against a closed port on 127.0.0.1, so it fails at
// once) and, as always, says everything on stderr and nothing on stdout.
func TestLoginScopeDashH(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String() + "/v2"
	require.NoError(t, l.Close())
	env, _ := accountEnv(t)
	stdout, stderr, code := runCLI(t, env, "", "login", "--no-browser", "--base-url", closed, "--scope", "-h")
	assert.Equal(t, 1, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "telnyx-oauth-mcp login: ")
	assert.NotContains(t, stderr, "Usage:")
}
