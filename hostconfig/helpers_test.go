package hostconfig

// The harness of this package's tests: a world per test (a scratch home,
// a credential store, init's output checked for secrets) and the hosts'
// files seeded as each host writes them.

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		CheckArgs: func(args []string) (ServerArgs, error) {
			// A few of the server's flags, parsed as the program does.
			fs := flag.NewFlagSet("server", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var sa ServerArgs
			fs.BoolVar(&sa.Sandbox, "sandbox", false, "")
			fs.Bool("read-only", false, "")
			fs.String("base-url", "", "")
			if err := fs.Parse(args); err != nil {
				return ServerArgs{}, err
			}
			fs.Visit(func(f *flag.Flag) { sa.BaseURL = sa.BaseURL || f.Name == "base-url" })
			return sa, nil
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
