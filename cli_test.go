package main

// The command line's face (cli.go): --help and help, version, and the
// one-line errors for a mistyped flag or command.

import (
	"bytes"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
		// The account commands' own flags: the same lines, naming the command.
		{[]string{"status", "--log-level", "debug"}, `telnyx-oauth-mcp status: unknown flag --log-level`},
		{[]string{"logout", "--forget-clinet"}, `telnyx-oauth-mcp logout: unknown flag --forget-clinet (did you mean --forget-client?)`},
		{[]string{"login", "--scpoe", "numbers.read"}, `telnyx-oauth-mcp login: unknown flag --scpoe (did you mean --scope?)`},
		{[]string{"init", "--hots", "cursor"}, `telnyx-oauth-mcp init: unknown flag --hots (did you mean --host?)`},
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

// readmeFlags returns the flags README.md documents in its flag table.
func readmeFlags(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	re := regexp.MustCompile("(?m)^\\| `--([a-z-]+)")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestHelpVersionAndBadFlags: --help documents every flag of the README (and
// the README every flag of --help) on stdout, as `--flag VALUE`; -h and help
// print the same; --version and version print the version; and an unknown
// flag or command exits 2.
func TestHelpVersionAndBadFlags(t *testing.T) {
	t.Parallel()
	documented := readmeFlags(t)
	require.Subset(t, documented, []string{"base-url", "toolsets", "tools", "read-only", "confirm-destructive",
		"secrets", "timeout", "attempt-timeout", "log-level", "sandbox", "version", "help"})

	stdout, stderr, code := runBin(t, baseEnv(t), "--help")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr, "usage goes to stdout")
	assert.True(t, strings.HasPrefix(stdout, "telnyx-oauth-mcp: Telnyx OAuth as MCP tools"), stdout)
	for _, f := range documented {
		if f == "help" {
			continue
		}
		assert.Regexp(t, `(?m)^  --`+regexp.QuoteMeta(f)+`\b`, stdout, "--help does not show the README's --%s", f)
	}
	assert.Contains(t, stdout, "\n  --timeout DURATION\n", "a placeholder, in capitals")
	assert.Contains(t, stdout, "(default 1m0s)", "the real default")
	assert.NotRegexp(t, `(?m)^\s+-[a-z]`, stdout, "flags are shown with two dashes")
	// And the other way round: every flag --help shows is in the README,
	// in the flag table or wherever the README describes it.
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)`).FindAllStringSubmatch(stdout, -1) {
		documentedAnywhere := regexp.MustCompile("`--" + regexp.QuoteMeta(m[1]) + "\\b").Match(readme)
		assert.True(t, documentedAnywhere, "--help shows --%s, which the README does not document", m[1])
	}
	for _, v := range []string{"TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_MCP_", "--sandbox"} {
		assert.Contains(t, stdout, v)
	}
	// Every environment variable --help names is in the README too.
	vars := regexp.MustCompile(`\bTELNYX_[A-Z_]*[A-Z]\b`).FindAllString(stdout, -1)
	slices.Sort(vars)
	for _, v := range slices.Compact(vars) {
		assert.True(t, bytes.Contains(readme, []byte(v)), "--help names %s, which the README does not document", v)
	}
	for _, args := range [][]string{{"-h"}, {"help"}, {"-help"}, {"--sandbox", "--help"}} {
		out, errOut, c := runBin(t, baseEnv(t), args...)
		assert.Equal(t, 0, c, "%v", args)
		assert.Equal(t, stdout, out, "%v prints the same usage", args)
		assert.Empty(t, errOut, "%v", args)
	}

	want := "telnyx-oauth-mcp " + binaryVersion(t) + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		stdout, stderr, code = runBin(t, baseEnv(t), args...)
		assert.Equal(t, 0, code, "%v", args)
		assert.Equal(t, want, stdout, "%v", args)
		assert.Empty(t, stderr)
	}

	for _, args := range [][]string{{"--bogus"}, {"--sandbox", "--no-such-flag=1"}, {"--timeout", "soon"}, {"--sandbox", "serve-http"}} {
		stdout, stderr, code = runBin(t, baseEnv(t), args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Empty(t, stdout, "%v", args)
		assert.NotEmpty(t, stderr, "%v", args)
	}
}

// binaryVersion is what the test binary's --version should say, from its
// build info (no -ldflags are set).
func binaryVersion(t *testing.T) string {
	t.Helper()
	info, err := buildinfo.ReadFile(binPath)
	require.NoError(t, err)
	return resolveVersion("dev", info, true)
}
