package hostconfig

// Where each host keeps its configuration file (hosts.go).

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
