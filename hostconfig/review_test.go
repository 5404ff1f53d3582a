package hostconfig

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReviewEnvKeyTightensMode: --with-env-key writes an API key in plain
// text; a host file that was world- or group-readable (0644 is what most
// editors and hosts create) must not keep those bits once it holds the key.
func TestReviewEnvKeyTightensMode(t *testing.T) {
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

// TestReviewDanglingSymlinkKept: a dotfile manager's symlink whose target
// does not exist yet stays a symlink; the file is created where it points.
func TestReviewDanglingSymlinkKept(t *testing.T) {
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

// TestReviewFailureSnippetHidesKey: when the host's file cannot be edited,
// init prints the entry to add by hand on stderr; with --with-env-key that
// snippet must not carry the API key into the terminal or a CI log.
func TestReviewFailureSnippetHidesKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	path := w.path("vscode")
	writeSeed(t, path, "{\n  \"servers\": {\n}\n") // unclosed: not even JSON with comments
	require.Equal(t, 1, w.run("--host", "vscode", "--with-env-key"))
	assert.Contains(t, w.stderr.String(), "Add this entry by hand")
	assert.Contains(t, w.stderr.String(), "TELNYX_API_KEY")
	// checkNoSecrets (newWorld's cleanup) asserts envKeyCanary is absent.
}
