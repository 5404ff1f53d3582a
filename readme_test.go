package main

// The README's first five minutes, checked: what it says the server is, the
// two commands (the sandbox call and the tests), adding it to a host with
// init, and the sandbox commands. Every block marked
// "<!-- readme_test.go runs each command of this block, as printed -->" is
// run here line by line through sh, exactly as printed, with the built
// binary first in PATH as telnyx-oauth-mcp, in a scratch home.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// readmeBlock is one marked block of commands.
type readmeBlock struct {
	offset int    // where it starts in the README
	note   string // the marker's words after "as printed"
	lines  []string
}

var readmeMarker = regexp.MustCompile("(?s)<!-- readme_test.go runs each command of this block, as printed([^>]*)-->\n```sh\n(.*?)```")

func readmeBlocks(t *testing.T) (string, []readmeBlock) {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	readme := string(b)
	var blocks []readmeBlock
	for _, m := range readmeMarker.FindAllStringSubmatchIndex(readme, -1) {
		blk := readmeBlock{offset: m[0], note: strings.TrimSpace(readme[m[2]:m[3]])}
		for _, l := range strings.Split(readme[m[4]:m[5]], "\n") {
			if strings.TrimSpace(l) != "" {
				blk.lines = append(blk.lines, l)
			}
		}
		blocks = append(blocks, blk)
	}
	require.NotEmpty(t, blocks)
	return readme, blocks
}

// command is a README line without its comment.
func command(line string) string {
	if i := strings.Index(line, "   #"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// TestReadmeFirstFiveMinutes: two sentences on what the server is, then the
// two commands (the main job on the sandbox, and the tests CI runs), then
// adding it to a host with init, before anything else.
func TestReadmeFirstFiveMinutes(t *testing.T) {
	t.Parallel()
	readme, blocks := readmeBlocks(t)
	intro := readme[strings.Index(readme, "\n")+1 : blocks[0].offset]
	sentences := regexp.MustCompile(`[.!?](\s|$)`).FindAllString(strings.TrimSpace(intro), -1)
	assert.Len(t, sentences, 2, "two sentences say what it is: %q", intro)
	assert.NotContains(t, intro, "##", "nothing comes between the title and the two commands")

	first := blocks[0].lines
	require.Len(t, first, 2, "the two commands")
	assert.Regexp(t, `^go run \. call \S+ '\{\}' --sandbox$`, command(first[0]))
	assert.Contains(t, first[0], "no Telnyx key")
	assert.Equal(t, "go test -race ./...", command(first[1]))
	ci, err := os.ReadFile(".ci/run")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(command(first[1]))+`$`, string(ci), "CI runs the README's test command as printed")

	// The first section after them adds the server to a host.
	rest := readme[blocks[0].offset:]
	heading := regexp.MustCompile(`(?m)^## .*$`).FindString(rest)
	assert.Equal(t, "## Add it to a host", heading)
	require.Greater(t, len(blocks), 1)
	host := strings.Join(blocks[1].lines, "\n")
	assert.Contains(t, host, "go install ")
	assert.Contains(t, host, "telnyx-oauth-mcp init --host ")
}

// TestReadmeToolCounts: every "N tools" in the README is the number of
// tools, which is the number of rows of its tool table.
func TestReadmeToolCounts(t *testing.T) {
	t.Parallel()
	readme, _ := readmeBlocks(t)
	all := len(tools.All(tools.Deps{}))
	counts := regexp.MustCompile(`\b(\d+) tools\b`).FindAllStringSubmatch(readme, -1)
	require.NotEmpty(t, counts)
	for _, c := range counts {
		n, _ := strconv.Atoi(c[1])
		assert.Equal(t, all, n, "the README says %q", c[0])
	}
	table := readme[strings.Index(readme, "<!-- tools:start"):strings.Index(readme, "<!-- tools:end")]
	assert.Equal(t, all, strings.Count(table, "\n| `"), "rows of the tool table")
	assert.NotRegexp(t, `\b\d+ Telnyx OAuth operations\b`, readme, "one count, the tools'")
}

// readmeEnv is the environment the README's commands run in: the built
// binary first in PATH, a scratch home and credential store, and the Go
// caches of this machine with the network off (go run builds offline).
func readmeEnv(t *testing.T) (env []string, home string) {
	t.Helper()
	env = baseEnv(t)
	for i, kv := range env {
		switch {
		case strings.HasPrefix(kv, "PATH="):
			env[i] = "PATH=" + filepath.Dir(binPath) + string(os.PathListSeparator) + strings.TrimPrefix(kv, "PATH=")
		case strings.HasPrefix(kv, "HOME="):
			home = strings.TrimPrefix(kv, "HOME=")
		}
	}
	ctx := t.Context()
	for _, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS"} {
		env = append(env, name+"="+goEnv(ctx, t, name))
	}
	return append(env, "GOPROXY=off", "GOTOOLCHAIN=local", "TELNYX_MCP_CONFIG_HOME="+home), home
}

var exitStatusNote = regexp.MustCompile(`exit status (\d+)`)

// TestReadmeCommands runs every command of the marked blocks, as printed,
// and checks what it printed.
func TestReadmeCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run and the built binary")
	}
	t.Parallel()
	require.Equal(t, "telnyx-oauth-mcp", filepath.Base(binPath), "the README's commands call the binary by this name")
	_, blocks := readmeBlocks(t)
	mod := modulePath(t)
	ran := 0
	for _, blk := range blocks {
		if strings.Contains(blk.note, "npx") {
			continue // TestReadmeInspectorCommand
		}
		for _, line := range blk.lines {
			cmd := command(line)
			switch {
			case cmd == "go test -race ./...":
				continue // .ci/run runs it (TestReadmeFirstFiveMinutes)
			case strings.HasPrefix(cmd, "go install "):
				// The module proxy cannot serve an unpublished module; the
				// same command for this module, from the zip of this tree
				// at a test version, is TestGoInstallFromModuleZip.
				assert.Equal(t, "go install "+mod+"@latest", cmd)
				continue
			}
			ran++
			t.Run(cmd, func(t *testing.T) {
				t.Parallel()
				want := 0
				if m := exitStatusNote.FindStringSubmatch(line); m != nil {
					want, _ = strconv.Atoi(m[1])
				}
				env, home := readmeEnv(t)
				ctx, cancel := context.WithTimeout(t.Context(), 3*callTimeout)
				defer cancel()
				c := exec.CommandContext(ctx, "sh", "-c", line)
				c.Env = env
				var stdout, stderr bytes.Buffer
				c.Stdout, c.Stderr = &stdout, &stderr
				err := c.Run()
				var exit *exec.ExitError
				if err != nil && !errors.As(err, &exit) {
					require.NoError(t, err)
				}
				require.Equal(t, want, c.ProcessState.ExitCode(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				checkReadmeOutput(t, cmd, want, stdout.String(), home)
			})
		}
	}
	assert.GreaterOrEqual(t, ran, 8, "the sandbox, host and version commands ran")
}

// checkReadmeOutput checks that a README command did what the README says.
func checkReadmeOutput(t *testing.T, cmd string, exit int, stdout, home string) {
	t.Helper()
	switch {
	case strings.Contains(cmd, " call "):
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "one JSON object: %q", stdout)
		if exit == 0 {
			assert.NotContains(t, out, "error")
		} else {
			assert.Contains(t, out, "error")
		}
		if strings.Contains(cmd, "list_oauth_clients") {
			assert.Contains(t, stdout, "Sandbox demo client")
		}
	case strings.HasSuffix(cmd, " tools"):
		assert.True(t, strings.HasPrefix(stdout, "TOOL "), stdout)
	case strings.Contains(cmd, " init "):
		var found []string
		_ = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Name() == "claude_desktop_config.json" {
				found = append(found, p)
			}
			return nil
		})
		require.Len(t, found, 1, "init wrote Claude Desktop's file under the scratch home")
		b, err := os.ReadFile(found[0])
		require.NoError(t, err)
		var doc struct {
			MCPServers map[string]struct {
				Command string   `json:"command"`
				Args    []string `json:"args"`
			} `json:"mcpServers"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		entry := doc.MCPServers["telnyx-oauth"]
		assert.Equal(t, binPath, entry.Command)
		assert.Equal(t, []string{"--sandbox"}, entry.Args)
	case strings.HasSuffix(cmd, " --help"):
		assert.True(t, strings.HasPrefix(stdout, "telnyx-oauth-mcp: Telnyx OAuth as MCP tools"), stdout)
		assert.Contains(t, stdout, "\n  --sandbox\n")
	case strings.HasSuffix(cmd, " version"):
		assert.Equal(t, "telnyx-oauth-mcp "+binaryVersion(t)+"\n", stdout)
	default:
		t.Errorf("no check for the README command %q", cmd)
	}
}

// TestReadmeInspectorCommand runs the README's MCP Inspector command. The
// Inspector is a Node.js program, and tests never download, so this runs
// only where npx and an installed Inspector are; the binary's own `call`
// (TestReadmeCommands) is what proves the README's commands.
func TestReadmeInspectorCommand(t *testing.T) {
	t.Parallel()
	_, blocks := readmeBlocks(t)
	var lines []string
	for _, blk := range blocks {
		if strings.Contains(blk.note, "npx") {
			lines = append(lines, blk.lines...)
		}
	}
	require.NotEmpty(t, lines, "the README shows an Inspector command")
	if _, err := exec.LookPath("npx"); err != nil {
		t.Skip("npx is not installed (CI has only Go); TestReadmeCommands runs the README's call commands")
	}
	if !inspectorInstalled(t) {
		t.Skip("the MCP Inspector is not in the npx cache, and tests do not download it; `npx @modelcontextprotocol/inspector --help` once installs it")
	}
	for _, line := range lines {
		env, _ := readmeEnv(t)
		env = append(env, "npm_config_cache="+npmCache(t), "npm_config_offline=true")
		ctx, cancel := context.WithTimeout(t.Context(), 2*callTimeout)
		defer cancel()
		c := exec.CommandContext(ctx, "sh", "-c", line)
		c.Env = env
		out, err := c.CombinedOutput()
		require.NoError(t, err, "%s\n%s", line, out)
		assert.Contains(t, string(out), "Sandbox demo client")
	}
}

func npmCache(t *testing.T) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "npm", "config", "get", "cache").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// inspectorInstalled reports whether npx has the Inspector in its cache.
func inspectorInstalled(t *testing.T) bool {
	cache := npmCache(t)
	if cache == "" {
		return false
	}
	m, _ := filepath.Glob(filepath.Join(cache, "_npx", "*", "node_modules", "@modelcontextprotocol", "inspector", "package.json"))
	return len(m) > 0
}
