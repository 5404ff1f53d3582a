// Package hostconfig adds this server to an MCP host's configuration file
// (Claude Desktop, Claude Code, Cursor, VS Code, Windsurf): the `init`
// command. It edits JSON without disturbing it: every other member, other
// servers included, keeps its value and its place; the old file is kept as
// a timestamped backup; and a second run changes nothing.
package hostconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// EnvConfigHome, when set, is used as the home directory from which every
// host's configuration path is derived (and %APPDATA%, XDG_CONFIG_HOME and
// CLAUDE_CONFIG_DIR are ignored), so that tests and dry runs can use a
// scratch directory.
const EnvConfigHome = "TELNYX_MCP_CONFIG_HOME"

// Host is an MCP host whose configuration file init manages.
type Host struct {
	Name  string // the --host value
	Title string // for messages
	// Key is the member holding the servers: "mcpServers", or "servers"
	// for VS Code.
	Key string
	// Type is the entry's "type" member, for hosts that want one.
	Type string
	// Restart says how the host picks the change up.
	Restart string
	path    func(d dirs) string
}

// dirs are the directories host paths are built from.
type dirs struct {
	goos      string
	home      string // ~, %USERPROFILE%
	appData   string // %APPDATA% (Windows)
	xdgConfig string // $XDG_CONFIG_HOME or ~/.config
	claudeDir string // $CLAUDE_CONFIG_DIR, or ""
}

// appSupport is the per-user application data directory of desktop apps:
// ~/Library/Application Support, %APPDATA%, or the XDG config directory.
func (d dirs) appSupport() string {
	switch d.goos {
	case "darwin":
		return filepath.Join(d.home, "Library", "Application Support")
	case "windows":
		return d.appData
	}
	return d.xdgConfig
}

// Hosts lists the managed hosts. The paths are the documented user-level
// (global) configuration files:
//
//   - Claude Desktop: claude_desktop_config.json in ~/Library/Application
//     Support/Claude (macOS) or %APPDATA%\Claude (Windows). There is no
//     official Linux build; community builds read ~/.config/Claude.
//   - Claude Code: the user scope, top-level "mcpServers" of ~/.claude.json
//     (in $CLAUDE_CONFIG_DIR when that is set), the file `claude mcp add
//     --scope user` writes.
//   - Cursor: ~/.cursor/mcp.json (%USERPROFILE%\.cursor\mcp.json).
//   - VS Code: mcp.json in the default user profile, "servers" with
//     "type": "stdio": ~/Library/Application Support/Code/User (macOS),
//     %APPDATA%\Code\User (Windows), ~/.config/Code/User (Linux).
//   - Windsurf: ~/.codeium/windsurf/mcp_config.json on every system.
var Hosts = []Host{
	{
		Name: "claude-desktop", Title: "Claude Desktop", Key: "mcpServers",
		Restart: "Quit and reopen Claude Desktop to load it.",
		path: func(d dirs) string {
			return filepath.Join(d.appSupport(), "Claude", "claude_desktop_config.json")
		},
	},
	{
		Name: "claude-code", Title: "Claude Code", Key: "mcpServers", Type: "stdio",
		Restart: "Start a new Claude Code session to load it (a running one may overwrite ~/.claude.json: close it first, or use `claude mcp add-json --scope user`).",
		path: func(d dirs) string {
			if d.claudeDir != "" {
				return filepath.Join(d.claudeDir, ".claude.json")
			}
			return filepath.Join(d.home, ".claude.json")
		},
	},
	{
		Name: "cursor", Title: "Cursor", Key: "mcpServers",
		Restart: "Cursor picks it up under Settings → MCP (restart Cursor if it does not).",
		path:    func(d dirs) string { return filepath.Join(d.home, ".cursor", "mcp.json") },
	},
	{
		Name: "vscode", Title: "VS Code", Key: "servers", Type: "stdio",
		Restart: "VS Code reloads mcp.json by itself; start the server from the MCP: List Servers command if needed.",
		path: func(d dirs) string {
			return filepath.Join(d.appSupport(), "Code", "User", "mcp.json")
		},
	},
	{
		Name: "windsurf", Title: "Windsurf", Key: "mcpServers",
		Restart: "Press refresh in Windsurf's MCP settings (or restart it) to load it.",
		path:    func(d dirs) string { return filepath.Join(d.home, ".codeium", "windsurf", "mcp_config.json") },
	},
}

// HostNames lists the --host values.
func HostNames() []string {
	out := make([]string, len(Hosts))
	for i, h := range Hosts {
		out[i] = h.Name
	}
	return out
}

// Lookup finds a host by its --host name.
func Lookup(name string) (Host, error) {
	i := slices.IndexFunc(Hosts, func(h Host) bool { return h.Name == strings.ToLower(name) })
	if i < 0 {
		return Host{}, fmt.Errorf("unknown host %q: use one of %s", name, strings.Join(HostNames(), ", "))
	}
	return Hosts[i], nil
}

// Path returns the host's configuration file on goos, with the
// directories taken from getenv (and os.UserHomeDir when HOME-like
// variables are not set). TELNYX_MCP_CONFIG_HOME replaces them all.
func (h Host) Path(goos string, getenv func(string) string) (string, error) {
	d := dirs{goos: goos}
	if root := getenv(EnvConfigHome); root != "" {
		d.home = root
		d.appData = filepath.Join(root, "AppData", "Roaming")
		d.xdgConfig = filepath.Join(root, ".config")
		return h.path(d), nil
	}
	switch goos {
	case "windows":
		d.home = getenv("USERPROFILE")
	default:
		d.home = getenv("HOME")
	}
	if d.home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("finding the home directory (or set %s): %w", EnvConfigHome, err)
		}
		d.home = home
	}
	d.appData = getenv("APPDATA")
	if d.appData == "" {
		d.appData = filepath.Join(d.home, "AppData", "Roaming")
	}
	d.xdgConfig = getenv("XDG_CONFIG_HOME")
	if d.xdgConfig == "" || !filepath.IsAbs(d.xdgConfig) {
		d.xdgConfig = filepath.Join(d.home, ".config")
	}
	d.claudeDir = getenv("CLAUDE_CONFIG_DIR")
	p := h.path(d)
	if p == "" || !filepath.IsAbs(p) && goos == currentGOOS {
		return "", errors.New("could not work out " + h.Title + "'s configuration path: use --config-path")
	}
	return p, nil
}
