package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpThroughAPipe: `--help | head` shows the usage, so --help writes
// to stdout and exits 0.
func TestHelpThroughAPipe(t *testing.T) {
	t.Parallel()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to build a pipe with")
	}
	cmd := exec.Command(sh, "-c", `set -e; "$BIN" --help > "$OUT"; "$BIN" --help | head -n 3`)
	out := filepath.Join(t.TempDir(), "usage")
	cmd.Env = append(baseEnv(t), "BIN="+binPath, "OUT="+out)
	got, err := cmd.Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, "telnyx-oauth-mcp: Telnyx OAuth as MCP tools (clients, grants, tokens, discovery).", lines[0])
	assert.Equal(t, "Usage:", lines[2])
	full, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(full), "  --sandbox\n")
}

// TestUnknownCommandOrFlag: one line naming the mistake and the nearest
// valid name, the list of every command, and where help is; exit 2.
func TestUnknownCommandOrFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args  []string
		first string
	}{
		{[]string{"lgoin"}, `telnyx-oauth-mcp: unknown command "lgoin" (did you mean login?)`},
		{[]string{"tols", "--sandbox"}, `telnyx-oauth-mcp: unknown command "tols" (did you mean tools?)`},
		{[]string{"frobnicate"}, `telnyx-oauth-mcp: unknown command "frobnicate"`},
		{[]string{"--sandbx", "call", "list_oauth_clients"}, `telnyx-oauth-mcp: unknown flag --sandbx (did you mean --sandbox?)`},
		{[]string{"call", "list_oauth_clients", "{}", "--raed-only"}, `telnyx-oauth-mcp: unknown flag --raed-only (did you mean --read-only?)`},
		{[]string{"--zzzzzzzz"}, `telnyx-oauth-mcp: unknown flag --zzzzzzzz`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runBin(t, baseEnv(t), tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			require.Len(t, lines, 3, stderr)
			assert.Equal(t, tc.first, lines[0])
			for _, c := range []string{"serve", "tools", "call", "version", "help", "login", "logout", "status", "init"} {
				assert.Contains(t, lines[1], c)
			}
			assert.Contains(t, lines[2], "--help")
		})
	}
}

// callError runs `call` and returns the JSON error object it printed.
func callError(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runBin(t, baseEnv(t), args...)
	assert.Equal(t, 1, code, "stderr: %s", stderr)
	var out map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout is one JSON object: %q", stdout)
	require.Len(t, out, 1)
	return out["error"]
}

// TestCallUnknownOrHiddenTool: `call` of a tool that does not exist, or
// that the flags hide, prints the JSON error object any failed call
// prints, saying which; nothing needs a credential to find that out.
func TestCallUnknownOrHiddenTool(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "unknown tool \"nope\"; `telnyx-oauth-mcp tools` lists every tool", callError(t, "call", "nope", "{}"))
	assert.Contains(t, callError(t, "call", "list_oauth_client", "{}"), "(did you mean list_oauth_clients?)")
	assert.Equal(t, `tool "submit_oauth_consent" exists but is hidden by --toolsets (discovery,protocol,clients,grants): it is in the consent toolset; add it, as in --toolsets discovery,protocol,clients,grants,consent`,
		callError(t, "call", "submit_oauth_consent", "{}"))
	assert.Contains(t, callError(t, "call", "get_oauth_jwks", "{}", "--toolsets", "clients"), "hidden by --toolsets (clients)")
	assert.Equal(t, `tool "delete_oauth_client" exists but is hidden by --read-only: it changes things`,
		callError(t, "call", "delete_oauth_client", "{}", "--read-only"))
	assert.Equal(t, `tool "get_oauth_jwks" exists but is hidden by --tools, which exposes only list_oauth_clients`,
		callError(t, "--tools", "list_oauth_clients", "call", "get_oauth_jwks"))

	// Set in the environment, the setting is named as the variable.
	stdout, _, code := runBin(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "call", "delete_oauth_client", "{}")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "hidden by TELNYX_MCP_READ_ONLY")

	// The same shape as a call the tool itself refuses.
	var failed map[string]string
	stdout, _, code = runBin(t, baseEnv(t), "call", "get_oauth_client", `{"client_id":"../x"}`, "--sandbox")
	assert.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(stdout), &failed))
	assert.Contains(t, failed, "error")
}

// TestCallFlagsAnywhere: flags before the command, between it and the tool,
// or after the JSON arguments mean the same.
func TestCallFlagsAnywhere(t *testing.T) {
	t.Parallel()
	ids := func(args ...string) []string {
		stdout, stderr, code := runBin(t, baseEnv(t), args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		var out struct {
			Clients []struct {
				ClientID string `json:"client_id"`
			} `json:"clients"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
		var got []string
		for _, c := range out.Clients {
			got = append(got, c.ClientID)
		}
		return got
	}
	want := ids("--sandbox", "call", "list_oauth_clients", "{}")
	require.Len(t, want, 3)
	assert.Equal(t, want, ids("call", "--sandbox", "list_oauth_clients", "{}"))
	assert.Equal(t, want, ids("call", "list_oauth_clients", "{}", "--sandbox"))
	assert.Equal(t, want, ids("call", "list_oauth_clients", "--sandbox", "{}"))

	// A flag after the arguments is a flag, not an argument: --read-only
	// there hides a tool that changes things.
	assert.Contains(t, callError(t, "call", "delete_oauth_client", `{"client_id":"x"}`, "--sandbox", "--read-only"), "hidden by --read-only")
}

// TestIgnoredFlagWarnings: HTTP flags outside an HTTP server, and
// --base-url with --sandbox, get one warning line each; the call still runs.
func TestIgnoredFlagWarnings(t *testing.T) {
	t.Parallel()
	warnings := func(args ...string) []string {
		_, stderr, code := runBin(t, baseEnv(t), args...)
		require.Equal(t, 0, code, stderr)
		var out []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, "warning:") {
				out = append(out, l)
			}
		}
		return out
	}
	assert.Empty(t, warnings("call", "list_oauth_clients", "{}", "--sandbox"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --listen only applies with --transport http; ignored"},
		warnings("call", "list_oauth_clients", "{}", "--sandbox", "--listen", "127.0.0.1:9"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --rate-limit, --stateless only apply with --transport http; ignored"},
		warnings("--stateless", "--rate-limit", "5", "tools"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --base-url is ignored with --sandbox, which serves its own fake Telnyx API"},
		warnings("call", "list_oauth_clients", "{}", "--sandbox", "--base-url", "https://api.example.com/v2"))
	_, stderr, code := runBin(t, baseEnv(t, "TELNYX_BASE_URL=https://api.example.com/v2"), "call", "list_oauth_clients", "--sandbox")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "warning: TELNYX_BASE_URL is ignored with --sandbox")
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
}

func TestNearest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{
		{"lgoin", "login"}, {"logni", "login"}, {"stauts", "status"}, {"tool", "tools"},
		{"serv", "serve"}, {"inti", "init"}, {"xyz", ""}, {"publish", ""},
	} {
		assert.Equal(t, tc.want, nearest(tc.name, commands), tc.name)
	}
	assert.Equal(t, 1, editDistance("ab", "ba"), "a swap is one edit")
	assert.Equal(t, 3, editDistance("", "abc"))
}

// TestHTTPOnlyFlagsExist: every name in httpOnlyFlags is a flag, so the
// help's HTTP section and the warnings cannot name a flag that is gone.
func TestHTTPOnlyFlagsExist(t *testing.T) {
	t.Parallel()
	fs := (&config{}).flagSet()
	for name := range httpOnlyFlags {
		assert.NotNil(t, fs.Lookup(name), name)
	}
}
