package hostconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tailscale/hujson"
	"github.com/zalando/go-keyring"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Secrets that must never reach a written configuration file or the
// output: the key the user has in the environment, and the stored login.
const (
	envKeyCanary = "KEYCANARY-env-0123456789abcdef"
	atCanary     = "ATCANARY-stored-0123456789abcdef"
	rtCanary     = "RTCANARY-stored-0123456789abcdef"
	exe          = "/opt/telnyx/bin/telnyx-oauth-mcp"
)

func TestMain(m *testing.M) {
	keyring.MockInit() // go-keyring's in-memory provider for the OS keychain
	os.Exit(m.Run())
}

var seq atomic.Int64

// world is a scratch home directory with a credential store.
type world struct {
	t      *testing.T
	home   string
	env    map[string]string
	store  *credstore.Store
	clock  time.Time
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func newWorld(t *testing.T, stored bool) *world {
	t.Helper()
	w := &world{t: t, home: t.TempDir(), clock: time.Date(2026, 8, 28, 10, 15, 0, 0, time.UTC)}
	w.env = map[string]string{EnvConfigHome: w.home, "TELNYX_API_KEY": envKeyCanary}
	w.store = &credstore.Store{
		Service: fmt.Sprintf("hostconfig-test-%d", seq.Add(1)),
		Dir:     filepath.Join(w.home, "store"),
	}
	if stored {
		_, err := w.store.Save(&credstore.Credential{Kind: credstore.KindOAuth, BaseURL: telnyxapi.DefaultBaseURL,
			AccessToken: atCanary, RefreshToken: rtCanary, Expiry: time.Now().Add(time.Hour), ClientID: "cid"})
		require.NoError(t, err)
	}
	t.Cleanup(w.checkNoSecrets)
	return w
}

func (w *world) opts() Options {
	return Options{
		Getenv:     func(k string) string { return w.env[k] },
		Executable: func() (string, error) { return exe, nil },
		Store:      w.store,
		GOOS:       "linux",
		Now:        func() time.Time { w.clock = w.clock.Add(time.Second); return w.clock },
		CheckArgs: func(args []string) error {
			for _, a := range args {
				if a == "--bogus" {
					return errors.New("flag provided but not defined: -bogus")
				}
			}
			return nil
		},
	}
}

func (w *world) run(args ...string) int {
	w.stdout.Reset()
	w.stderr.Reset()
	return Run(w.opts(), args, &w.stdout, &w.stderr)
}

// checkNoSecrets: no stored or environment secret in anything printed or
// in any file under the home directory, backups aside (a backup is the
// user's own old file, kept as it was).
func (w *world) checkNoSecrets() {
	for _, s := range []string{envKeyCanary, atCanary, rtCanary} {
		assert.NotContains(w.t, w.stdout.String()+w.stderr.String(), s)
	}
	_ = filepath.WalkDir(w.home, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(filepath.Base(path), ".bak-") || strings.HasPrefix(path, w.store.Dir) {
			return nil
		}
		b, err := os.ReadFile(path)
		require.NoError(w.t, err)
		for _, s := range []string{envKeyCanary, atCanary, rtCanary} {
			assert.NotContains(w.t, string(b), s, "a secret in %s", path)
		}
		return nil
	})
}

func (w *world) path(host string) string {
	h, err := Lookup(host)
	require.NoError(w.t, err)
	p, err := h.Path("linux", func(k string) string { return w.env[k] })
	require.NoError(w.t, err)
	return p
}

func (w *world) backups(path string) []string {
	m, err := filepath.Glob(path + ".bak-*")
	require.NoError(w.t, err)
	return m
}

// seeds are realistic existing files: other servers, and members init
// knows nothing about, in an order it must keep.
var seeds = map[string]string{
	"claude-desktop": `{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/home/me"]},
    "zeta": {"command": "/usr/bin/zeta", "env": {"ZETA_TOKEN": "other-servers-secret"}}
  },
  "preferences": {"theme": "dark"}
}
`,
	"claude-code": `{
  "numStartups": 42,
  "projects": {"/home/me/src": {"mcpServers": {}, "allowedTools": []}},
  "mcpServers": {
    "sentry": {"type": "http", "url": "https://mcp.sentry.dev/mcp"}
  },
  "oauthAccount": {"emailAddress": "me@example.com"},
  "zzz": [1, 2.50, {"nested": null}]
}
`,
	"cursor": `{
    "mcpServers": {
        "playwright": {"command": "npx", "args": ["@playwright/mcp@latest"]}
    }
}
`,
	"vscode": `{
  "inputs": [{"type": "promptString", "id": "gh", "description": "GitHub token", "password": true}],
  "servers": {
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer ${input:gh}"}}
  }
}
`,
	"windsurf": `{
  "mcpServers": {
    "ollama": {"command": "py", "args": ["-m", "mcp_ollama_python"], "disabled": false, "env": {}}
  }
}
`,
}

func writeSeed(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// keys returns an object's member names in file order.
func keys(t *testing.T, raw []byte) []string {
	t.Helper()
	o, err := parseObject(raw)
	require.NoError(t, err)
	var out []string
	for _, m := range o {
		out = append(out, m.key)
	}
	return out
}

// TestInitEachHost: for every host, against its file in a scratch home:
// the result is valid JSON, a backup of the old file is made, every other
// entry and member is untouched and in place, the entry has this binary's
// absolute path and no secret (the keychain holds the credential), and a
// second run changes nothing and makes no backup.
func TestInitEachHost(t *testing.T) {
	t.Parallel()
	for _, host := range HostNames() {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, true)
			h, _ := Lookup(host)
			path := w.path(host)
			writeSeed(t, path, seeds[host])

			require.Equal(t, 0, w.run("--host", host), w.stderr.String())
			assert.Contains(t, w.stderr.String(), "no secret goes into the host's file")
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, json.Valid(after), string(after))

			// The backup is the old file, byte for byte, and private.
			bk := w.backups(path)
			require.Len(t, bk, 1)
			old, err := os.ReadFile(bk[0])
			require.NoError(t, err)
			assert.Equal(t, seeds[host], string(old))
			assert.Contains(t, w.stdout.String(), bk[0])
			if runtime.GOOS != "windows" {
				fi, err := os.Stat(bk[0])
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
				fi, err = os.Stat(path)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "the file keeps its mode")
			}

			// Everything else is as it was, in the same order.
			var before, now map[string]any
			require.NoError(t, json.Unmarshal([]byte(seeds[host]), &before))
			require.NoError(t, json.Unmarshal(after, &now))
			assert.Equal(t, keys(t, []byte(seeds[host])), keys(t, after), "top-level order")
			beforeServers := before[h.Key].(map[string]any)
			nowServers := now[h.Key].(map[string]any)
			entry := nowServers[DefaultName].(map[string]any)
			delete(nowServers, DefaultName)
			assert.Equal(t, beforeServers, nowServers, "other servers untouched")
			delete(before, h.Key)
			delete(now, h.Key)
			assert.Equal(t, before, now, "other members untouched")
			serverOrder := keys(t, mustGet(t, after, h.Key))
			assert.Equal(t, append(keys(t, mustGet(t, []byte(seeds[host]), h.Key)), DefaultName), serverOrder, "the new entry goes last")

			// The entry: this binary, nothing secret.
			assert.Equal(t, exe, entry["command"])
			assert.Equal(t, []any{}, entry["args"])
			assert.NotContains(t, entry, "env")
			if h.Type != "" {
				assert.Equal(t, "stdio", entry["type"])
			} else {
				assert.NotContains(t, entry, "type")
			}
			assert.Equal(t, indentOf([]byte(seeds[host])), indentOf(after), "the file's indent is kept")

			// Idempotent: no change, no backup, the same bytes.
			fi1, _ := os.Stat(path)
			require.Equal(t, 0, w.run("--host", host), w.stderr.String())
			assert.Contains(t, w.stdout.String(), "nothing changed")
			again, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, after, again)
			assert.Len(t, w.backups(path), 1, "no new backup")
			fi2, _ := os.Stat(path)
			assert.Equal(t, fi1.ModTime(), fi2.ModTime())
		})
	}
}

func mustGet(t *testing.T, doc []byte, key string) []byte {
	t.Helper()
	o, err := parseObject(doc)
	require.NoError(t, err)
	raw, ok := o.get(key)
	require.True(t, ok)
	return raw
}

// TestInitNewFile: a host without a file gets one, with no backup.
func TestInitNewFile(t *testing.T) {
	t.Parallel()
	for _, host := range HostNames() {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, true)
			path := w.path(host)
			require.Equal(t, 0, w.run("--host", host), w.stderr.String())
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			h, _ := Lookup(host)
			var doc map[string]map[string]map[string]any
			require.NoError(t, json.Unmarshal(b, &doc))
			assert.Equal(t, exe, doc[h.Key][DefaultName]["command"])
			assert.Empty(t, w.backups(path))
			assert.Contains(t, w.stdout.String(), "Created "+path)
			require.Equal(t, 0, w.run("--host", host))
			assert.Contains(t, w.stdout.String(), "nothing changed")
		})
	}
}

// TestInitSecrets: with the credential in the keychain, an API key in the
// environment or already in the entry stays out of the file; without a
// stored credential the key is only copied with --with-env-key.
func TestInitSecrets(t *testing.T) {
	t.Parallel()
	t.Run("stored credential removes a key from the entry", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, true)
		path := w.path("claude-desktop")
		writeSeed(t, path, `{"mcpServers":{"telnyx-oauth":{"command":"/old/path","args":["--read-only"],"env":{"TELNYX_API_KEY":"`+envKeyCanary+`","TELNYX_MCP_LOG_LEVEL":"debug"}}}}`)
		require.Equal(t, 0, w.run("--host", "claude-desktop", "--with-env-key"), w.stderr.String())
		assert.Contains(t, w.stderr.String(), "Ignoring --with-env-key")
		assert.Contains(t, w.stderr.String(), "Removed TELNYX_API_KEY")
		var doc map[string]map[string]map[string]any
		b, _ := os.ReadFile(path)
		require.NoError(t, json.Unmarshal(b, &doc))
		e := doc["mcpServers"][DefaultName]
		assert.Equal(t, exe, e["command"], "the path is updated")
		assert.Equal(t, []any{"--read-only"}, e["args"], "the user's args are kept")
		assert.Equal(t, map[string]any{"TELNYX_MCP_LOG_LEVEL": "debug"}, e["env"], "other variables are kept")
		assert.Contains(t, w.stdout.String(), "Updated")
	})
	t.Run("the only variable removed drops env", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, true)
		path := w.path("cursor")
		writeSeed(t, path, `{"mcpServers":{"telnyx-oauth":{"command":"`+exe+`","env":{"TELNYX_API_KEY":"`+envKeyCanary+`"}}}}`)
		require.Equal(t, 0, w.run("--host", "cursor"))
		b, _ := os.ReadFile(path)
		assert.NotContains(t, string(b), `"env"`)
	})
	t.Run("no stored credential: the key is not copied", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, false)
		require.Equal(t, 0, w.run("--host", "windsurf"))
		assert.Contains(t, w.stderr.String(), "No credential is stored yet")
		assert.Contains(t, w.stderr.String(), "--with-env-key would copy it")
	})
	t.Run("no stored credential: --with-env-key copies it", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, false)
		const optIn = "OPTINKEY-0123456789abcdef" // written on purpose, so not a canary
		w.env["TELNYX_API_KEY"] = optIn
		require.Equal(t, 0, w.run("--host", "vscode", "--with-env-key"))
		assert.Contains(t, w.stderr.String(), "plain text")
		b, _ := os.ReadFile(w.path("vscode"))
		assert.Contains(t, string(b), `"TELNYX_API_KEY": "`+optIn+`"`)
		assert.NotContains(t, w.stdout.String()+w.stderr.String(), optIn)
	})
	t.Run("--with-env-key without a key", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, false)
		delete(w.env, "TELNYX_API_KEY")
		assert.Equal(t, 2, w.run("--host", "vscode", "--with-env-key"))
		assert.NoFileExists(t, w.path("vscode"))
	})
}

func TestInitDryRunAndPrint(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	path := w.path("claude-code")
	writeSeed(t, path, seeds["claude-code"])

	require.Equal(t, 0, w.run("--host", "claude-code", "--dry-run"))
	assert.True(t, json.Valid(w.stdout.Bytes()))
	assert.Contains(t, w.stdout.String(), exe)
	assert.Contains(t, w.stderr.String(), "nothing was written")
	b, _ := os.ReadFile(path)
	assert.Equal(t, seeds["claude-code"], string(b), "dry run writes nothing")
	assert.Empty(t, w.backups(path))

	require.Equal(t, 0, w.run("--print", "--host", "vscode"))
	var snippet map[string]map[string]map[string]any
	require.NoError(t, json.Unmarshal(w.stdout.Bytes(), &snippet))
	assert.Equal(t, "stdio", snippet["servers"][DefaultName]["type"])
	assert.NoFileExists(t, w.path("vscode"))

	require.Equal(t, 0, w.run("--print", "--name", "telnyx", "--", "--read-only"))
	require.NoError(t, json.Unmarshal(w.stdout.Bytes(), &snippet))
	assert.Equal(t, []any{"--read-only"}, snippet["mcpServers"]["telnyx"]["args"])
}

// TestInitRefuses files it cannot edit safely, leaving them alone.
func TestInitRefuses(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"unclosed":         `{"mcpServers": {"a": {"command": "x"}`,
		"comment unclosed": "{\n  /* my servers\n  \"mcpServers\": {}\n}\n",
		"not an object":    `[1, 2]`,
		"servers not obj":  `{"mcpServers": []}`,
		"entry not obj":    `{"mcpServers": {"telnyx-oauth": "x"}}`,
		"duplicate key":    `{"mcpServers": {}, "mcpServers": {}}`,
		"env not obj":      `{"mcpServers": {"telnyx-oauth": {"command": "x", "env": []}}}`,
		"trailing garbage": `{"mcpServers": {}} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, true)
			path := w.path("cursor")
			writeSeed(t, path, content)
			assert.Equal(t, 1, w.run("--host", "cursor"))
			assert.Contains(t, w.stderr.String(), "nothing was changed")
			assert.Contains(t, w.stderr.String(), "Add this entry by hand")
			b, _ := os.ReadFile(path)
			assert.Equal(t, content, string(b))
			assert.Empty(t, w.backups(path))
		})
	}
}

func TestInitUsage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	for _, args := range [][]string{{}, {"--host", "notepad"}, {"--host", "cursor", "--", "--bogus"}, {"--host", "cursor", "--name", ""}, {"--bogus"}, {"--host", "cursor", "--base-url", "http://example.com/v2"}} {
		assert.Equal(t, 2, w.run(args...), "%v", args)
	}
	assert.NoFileExists(t, w.path("cursor"))
	assert.Equal(t, 0, w.run("--help"))
	assert.Contains(t, w.stderr.String(), "claude-desktop, claude-code, cursor, vscode, windsurf")
}

// TestInitArgsAndBaseURL: flags after -- become the entry's args; a
// non-default base URL goes into env as TELNYX_BASE_URL (not a secret).
func TestInitArgsAndBaseURL(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	w.store.Mode = credstore.FileOnly
	_, err := w.store.Save(&credstore.Credential{Kind: credstore.KindAPIKey, BaseURL: "http://127.0.0.1:4010/v2", APIKey: envKeyCanary})
	require.NoError(t, err)
	path := w.path("claude-desktop")
	require.Equal(t, 0, w.run("--host", "claude-desktop", "--base-url", "http://127.0.0.1:4010/v2/", "--", "--read-only"), w.stderr.String())
	assert.Contains(t, w.stderr.String(), "no secret goes into the host's file", "found the credential stored for that base URL")
	var doc map[string]map[string]map[string]any
	b, _ := os.ReadFile(path)
	require.NoError(t, json.Unmarshal(b, &doc))
	e := doc["mcpServers"][DefaultName]
	assert.Equal(t, []any{"--read-only"}, e["args"])
	assert.Equal(t, map[string]any{"TELNYX_BASE_URL": "http://127.0.0.1:4010/v2"}, e["env"])
}

// TestInitSymlinkAndLineEndings: a symlinked file (a dotfile manager) is
// edited through the link, and CRLF files keep CRLF.
func TestInitSymlinkAndLineEndings(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	w := newWorld(t, true)
	path := w.path("windsurf")
	real := filepath.Join(w.home, "dotfiles", "mcp_config.json")
	writeSeed(t, real, strings.ReplaceAll(seeds["windsurf"], "\n", "\r\n"))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.Symlink(real, path))
	require.Equal(t, 0, w.run("--host", "windsurf"), w.stderr.String())
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "still a symlink")
	b, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Contains(t, string(b), exe)
	assert.Equal(t, strings.Count(string(b), "\n"), strings.Count(string(b), "\r\n"), "CRLF kept")
	assert.Len(t, w.backups(real), 1)
}

// vscodeFile is a VS Code mcp.json as people write it: comments, trailing
// commas, and servers written on one line.
const vscodeFile = `{
  // Inputs VS Code prompts for; see https://code.visualstudio.com/docs/copilot/customization/mcp-servers
  "inputs": [
    {"type": "promptString", "id": "gh", "description": "GitHub token", "password": true}, // asked once
  ],
  "servers": {
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/", "headers": {"Authorization": "Bearer ${input:gh}"}},
    /* memory for the agent */
    "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"]},
  },
}
`

// inserted returns what after adds to before, when after is before with
// one run of bytes inserted; ok is false for any other change.
func inserted(before, after string) (chunk string, ok bool) {
	p := 0
	for p < len(before) && p < len(after) && before[p] == after[p] {
		p++
	}
	s := 0
	for s < len(before)-p && s < len(after)-p && before[len(before)-1-s] == after[len(after)-1-s] {
		s++
	}
	if p+s != len(before) {
		return "", false
	}
	return after[p : len(after)-s], true
}

// TestInitKeepsTheUsersFile: init on a file with comments, trailing commas
// and one-line entries adds its entry and changes no other byte; a second
// run changes nothing; updating the entry changes only the entry's bytes.
func TestInitKeepsTheUsersFile(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	path := w.path("vscode")
	writeSeed(t, path, vscodeFile)

	require.Equal(t, 0, w.run("--host", "vscode"), w.stderr.String())
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	_, ok := inserted(vscodeFile, string(after))
	require.True(t, ok, "init changed bytes besides adding its entry:\n%s", after)
	memory := `"args": ["-y", "@modelcontextprotocol/server-memory"]},`
	want := strings.Replace(vscodeFile, memory, memory+`
    "telnyx-oauth": {
      "type": "stdio",
      "command": "/opt/telnyx/bin/telnyx-oauth-mcp",
      "args": []
    },`, 1)
	assert.Equal(t, want, string(after), "one entry after the others, indented like them, with the file's trailing comma")
	std, err := hujson.Standardize(bytes.Clone(after)) // Standardize rewrites its argument
	require.NoError(t, err)
	var doc struct {
		Servers map[string]map[string]any `json:"servers"`
	}
	require.NoError(t, json.Unmarshal(std, &doc))
	assert.Equal(t, exe, doc.Servers[DefaultName]["command"])
	assert.Len(t, doc.Servers, 3)

	// A second run: the same bytes, no backup.
	require.Equal(t, 0, w.run("--host", "vscode"), w.stderr.String())
	assert.Contains(t, w.stdout.String(), "nothing changed")
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(after), string(again))
	assert.Len(t, w.backups(path), 1)

	// A changed entry (new server flags) is replaced in place; everything
	// before and after it stays.
	require.Equal(t, 0, w.run("--host", "vscode", "--", "--read-only"), w.stderr.String())
	updated, err := os.ReadFile(path)
	require.NoError(t, err)
	start := strings.Index(string(after), `"telnyx-oauth": {`)
	end := start + strings.Index(string(after)[start:], "},") + 1
	require.Positive(t, start)
	assert.True(t, strings.HasPrefix(string(updated), string(after)[:start]), "the bytes before the entry are kept")
	assert.True(t, strings.HasSuffix(string(updated), string(after)[end:]), "the bytes after the entry are kept")
	assert.Contains(t, string(updated), `"args": [
        "--read-only"
      ]`)
}

// TestInitLayouts: the entry follows the layout around it: one line in a
// one-line object (a replaced entry too), a new object of servers when
// there is none, and no trailing comma added where the file has none.
func TestInitLayouts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, before, after string }{
		{"one line", `{"mcpServers": {"a": {"command": "x"}}}`,
			`{"mcpServers": {"a": {"command": "x"}, "telnyx-oauth": {"command": "` + exe + `", "args": []}}}`},
		{"one-line entry replaced", `{"mcpServers": {"telnyx-oauth": {"command": "/old/bin/telnyx-oauth-mcp", "args": []}, /* b */ "b": {"command": "y"},}}`,
			`{"mcpServers": {"telnyx-oauth": {"command": "` + exe + `", "args": []}, /* b */ "b": {"command": "y"},}}`},
		{"no servers yet", "{\n  // nothing yet\n}\n",
			"{\n  \"mcpServers\": {\n    \"telnyx-oauth\": {\n      \"command\": \"" + exe + "\",\n      \"args\": []\n    }\n  }\n  // nothing yet\n}\n"},
		{"empty servers", "{\n  \"mcpServers\": {}\n}\n",
			"{\n  \"mcpServers\": {\n    \"telnyx-oauth\": {\n      \"command\": \"" + exe + "\",\n      \"args\": []\n    }\n  }\n}\n"},
		{"no trailing comma", "{\n\t\"mcpServers\": {\n\t\t\"a\": {\"command\": \"x\"} // mine\n\t}\n}\n",
			"{\n\t\"mcpServers\": {\n\t\t\"a\": {\"command\": \"x\"},\n\t\t\"telnyx-oauth\": {\n\t\t\t\"command\": \"" + exe + "\",\n\t\t\t\"args\": []\n\t\t} // mine\n\t}\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, true)
			path := w.path("cursor")
			writeSeed(t, path, tc.before)
			require.Equal(t, 0, w.run("--host", "cursor"), w.stderr.String())
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tc.after, string(b))
			require.Equal(t, 0, w.run("--host", "cursor"))
			assert.Contains(t, w.stdout.String(), "nothing changed")
		})
	}
}

// TestInitConfigPathDirectory: --config-path into a directory that does not
// exist is an error (a typo should not create directories) unless
// --create-dirs asks for them.
func TestInitConfigPathDirectory(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	path := filepath.Join(w.home, "no", "such", "dir", "mcp.json")
	assert.Equal(t, 2, w.run("--host", "cursor", "--config-path", path))
	assert.Contains(t, w.stderr.String(), "--create-dirs")
	assert.Equal(t, 1, strings.Count(w.stderr.String(), "telnyx-oauth-mcp init:"), w.stderr.String())
	assert.NoDirExists(t, filepath.Join(w.home, "no"))

	require.Equal(t, 0, w.run("--host", "cursor", "--config-path", path, "--create-dirs"), w.stderr.String())
	assert.FileExists(t, path)
}

// TestInitSandboxNeedsNoCredential: an entry that runs --sandbox gets no
// warning about a missing credential and no key.
func TestInitSandboxNeedsNoCredential(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	require.Equal(t, 0, w.run("--host", "cursor", "--", "--sandbox"), w.stderr.String())
	assert.NotContains(t, w.stderr.String(), "No credential is stored")
	assert.NotContains(t, w.stderr.String(), "TELNYX_API_KEY")
	assert.Contains(t, w.stderr.String(), "needs no credential")
	b, err := os.ReadFile(w.path("cursor"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"--sandbox"`)

	// Without the sandbox the warning is there.
	w2 := newWorld(t, false)
	require.Equal(t, 0, w2.run("--host", "cursor"), w2.stderr.String())
	assert.Contains(t, w2.stderr.String(), "No credential is stored")
}

// TestHostPaths: the documented locations on each system.
func TestHostPaths(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"HOME": "/home/me", "USERPROFILE": `C:\Users\me`, "APPDATA": `C:\Users\me\AppData\Roaming`, "XDG_CONFIG_HOME": "/home/me/.xdg",
	}
	get := func(k string) string { return env[k] }
	j := filepath.Join
	want := map[string]map[string]string{
		"darwin": {
			"claude-desktop": j("/home/me", "Library", "Application Support", "Claude", "claude_desktop_config.json"),
			"claude-code":    j("/home/me", ".claude.json"),
			"cursor":         j("/home/me", ".cursor", "mcp.json"),
			"vscode":         j("/home/me", "Library", "Application Support", "Code", "User", "mcp.json"),
			"windsurf":       j("/home/me", ".codeium", "windsurf", "mcp_config.json"),
		},
		"windows": {
			"claude-desktop": j(`C:\Users\me\AppData\Roaming`, "Claude", "claude_desktop_config.json"),
			"claude-code":    j(`C:\Users\me`, ".claude.json"),
			"cursor":         j(`C:\Users\me`, ".cursor", "mcp.json"),
			"vscode":         j(`C:\Users\me\AppData\Roaming`, "Code", "User", "mcp.json"),
			"windsurf":       j(`C:\Users\me`, ".codeium", "windsurf", "mcp_config.json"),
		},
		"linux": {
			"claude-desktop": j("/home/me/.xdg", "Claude", "claude_desktop_config.json"),
			"claude-code":    j("/home/me", ".claude.json"),
			"cursor":         j("/home/me", ".cursor", "mcp.json"),
			"vscode":         j("/home/me/.xdg", "Code", "User", "mcp.json"),
			"windsurf":       j("/home/me", ".codeium", "windsurf", "mcp_config.json"),
		},
	}
	for goos, hosts := range want {
		for name, p := range hosts {
			h, err := Lookup(name)
			require.NoError(t, err)
			got, err := h.Path(goos, get)
			require.NoError(t, err)
			assert.Equal(t, p, got, "%s on %s", name, goos)
		}
	}
	env["CLAUDE_CONFIG_DIR"] = "/home/me/.claude-work"
	h, _ := Lookup("claude-code")
	got, err := h.Path("linux", get)
	require.NoError(t, err)
	assert.Equal(t, j("/home/me/.claude-work", ".claude.json"), got)

	env[EnvConfigHome] = "/tmp/scratch"
	got, err = h.Path("linux", get)
	require.NoError(t, err)
	assert.Equal(t, j("/tmp/scratch", ".claude.json"), got, "the override wins over CLAUDE_CONFIG_DIR")
	h, _ = Lookup("claude-desktop")
	got, err = h.Path("windows", get)
	require.NoError(t, err)
	assert.Equal(t, j("/tmp/scratch", "AppData", "Roaming", "Claude", "claude_desktop_config.json"), got)
}
