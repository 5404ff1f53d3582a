package hostconfig

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tailscale/hujson"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
)

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
	assert.Equal(t, 2, w.run("--bogus"))
	assert.Equal(t, "telnyx-oauth-mcp init: flag provided but not defined: -bogus\n", w.stderr.String(), "one line")
	assert.Equal(t, 0, w.run("--help"))
	assert.True(t, strings.HasPrefix(w.stdout.String(), "Usage: telnyx-oauth-mcp init"), "the usage --help asks for goes to stdout")
	assert.Contains(t, w.stdout.String(), "claude-desktop, claude-code, cursor, vscode, windsurf")
	assert.Empty(t, w.stderr.String())
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

	// An entry whose args name the base URL itself gets no TELNYX_BASE_URL,
	// whether the args are given now or kept from the entry.
	w2 := newWorld(t, false)
	const base = "http://127.0.0.1:4010/v2"
	require.Equal(t, 0, w2.run("--host", "cursor", "--base-url", base, "--", "--base-url", base), w2.stderr.String())
	require.Equal(t, 0, w2.run("--host", "cursor", "--base-url", base), w2.stderr.String())
	assert.Contains(t, w2.stdout.String(), "nothing changed")
	b, _ = os.ReadFile(w2.path("cursor"))
	doc = nil
	require.NoError(t, json.Unmarshal(b, &doc))
	e = doc["mcpServers"][DefaultName]
	assert.Equal(t, []any{"--base-url", base}, e["args"])
	assert.NotContains(t, e, "env")
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

	// Run again without server flags, the entry keeps its args and so
	// still runs the sandbox.
	require.Equal(t, 0, w.run("--host", "cursor"), w.stderr.String())
	assert.NotContains(t, w.stderr.String(), "No credential is stored")
	assert.Contains(t, w.stderr.String(), "needs no credential")
	assert.Contains(t, w.stdout.String(), "nothing changed")

	// Without the sandbox the warning is there.
	w2 := newWorld(t, false)
	require.Equal(t, 0, w2.run("--host", "cursor"), w2.stderr.String())
	assert.Contains(t, w2.stderr.String(), "No credential is stored")
	require.Equal(t, 0, w2.run("--host", "cursor", "--", "--sandbox=false", "--read-only"), w2.stderr.String())
	assert.Contains(t, w2.stderr.String(), "No credential is stored")
	require.Equal(t, 0, w2.run("--host", "cursor"), w2.stderr.String())
	assert.Contains(t, w2.stderr.String(), "No credential is stored")
}

// TestInitEnvKeyTightensMode: --with-env-key writes an API key in plain
// text; a host file that was world- or group-readable (0644 is what most
// editors and hosts create) must not keep those bits once it holds the key.
func TestInitEnvKeyTightensMode(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	w := newWorld(t, false)
	const optIn = "OPTINKEY-0123456789abcdef" // written on purpose, so not a canary
	w.env["TELNYX_API_KEY"] = optIn
	path := w.path("cursor")
	writeSeed(t, path, seeds["cursor"])
	require.NoError(t, os.Chmod(path, 0o644))
	require.Equal(t, 0, w.run("--host", "cursor", "--with-env-key"), w.stderr.String())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), optIn)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a file holding an API key is readable by others")
}

// TestInitDanglingSymlinkKept: a dotfile manager's symlink whose target
// does not exist yet stays a symlink; the file is created where it points.
func TestInitDanglingSymlinkKept(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	w := newWorld(t, true)
	path := w.path("windsurf")
	real := filepath.Join(w.home, "dotfiles", "windsurf", "mcp_config.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Dir(real), 0o755))
	require.NoError(t, os.Symlink(real, path))
	require.Equal(t, 0, w.run("--host", "windsurf"), w.stderr.String())
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeSymlink, "the symlink was replaced by a plain file")
	b, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Contains(t, string(b), exe)
}

// TestInitFailureSnippetHidesKey: when the host's file cannot be edited,
// init prints the entry to add by hand on stderr; with --with-env-key that
// snippet must not carry the API key into the terminal or a CI log.
func TestInitFailureSnippetHidesKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	path := w.path("vscode")
	writeSeed(t, path, "{\n  \"servers\": {\n}\n") // unclosed: not even JSON with comments
	require.Equal(t, 1, w.run("--host", "vscode", "--with-env-key"))
	assert.Contains(t, w.stderr.String(), "Add this entry by hand")
	assert.Contains(t, w.stderr.String(), "TELNYX_API_KEY")
	// checkNoSecrets (newWorld's cleanup) asserts envKeyCanary is absent.
}
