package main

// How users get the binary: `go install module@version` builds it from the
// module zip the Go module proxy serves, so every file must be allowed in
// a module zip (no names Windows reserves, such as nul or con), and the
// binary it builds must report that version without any -ldflags.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// installVersion is the version the tests publish the working tree as.
const installVersion = "v0.0.0-installtest"

func modulePath(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	return modfile.ModulePath(data)
}

// moduleZip builds the module zip of the working tree the way the module
// proxy does, and fails on any file the zip rules refuse.
func moduleZip(t *testing.T, dir string) string {
	t.Helper()
	checked, err := modzip.CheckDir(".")
	require.NoError(t, err)
	for _, f := range checked.Invalid {
		t.Errorf("a module zip refuses %s: %v", f.Path, f.Err)
	}
	require.NoError(t, checked.SizeError)
	require.NotEmpty(t, checked.Valid)
	assert.Contains(t, checked.Valid, "LICENSE", "the license ships in the module")

	path := filepath.Join(dir, "module.zip")
	f, err := os.Create(path)
	require.NoError(t, err)
	err = modzip.CreateFromDir(f, module.Version{Path: modulePath(t), Version: installVersion}, ".")
	require.NoError(t, f.Close())
	require.NoError(t, err, "the module proxy could not serve this tree")
	_, err = modzip.CheckZip(module.Version{Path: modulePath(t), Version: installVersion}, path)
	require.NoError(t, err)
	return path
}

// TestModuleZip: every file of the tree may go into a module zip, so the
// Go module proxy can serve it and `go install` can fetch it. Names such
// as nul, con or aux are refused: Windows reserves them.
func TestModuleZip(t *testing.T) {
	t.Parallel()
	moduleZip(t, t.TempDir())
}

// TestGoInstallFromModuleZip runs `go install module@version` against a
// module proxy that serves this tree's zip from a directory (GOPROXY may
// be a file:// URL, https://go.dev/ref/mod#goproxy-protocol): the same
// steps as from proxy.golang.org, only served from disk. Dependencies come
// from the module cache, used as a second proxy, so nothing is fetched
// from the network. The installed binary, built with no -ldflags,
// reports the module version.
func TestGoInstallFromModuleZip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary with go install")
	}
	t.Parallel()
	tmp := t.TempDir()
	zipPath := moduleZip(t, tmp)
	mod := modulePath(t)

	proxy := filepath.Join(tmp, "proxy")
	escaped, err := module.EscapePath(mod)
	require.NoError(t, err)
	at := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
	require.NoError(t, os.MkdirAll(at, 0o755))
	goMod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	zipData, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	for name, data := range map[string][]byte{
		"list":                   []byte(installVersion + "\n"),
		installVersion + ".info": fmt.Appendf(nil, `{"Version":%q,"Time":"2026-01-01T00:00:00Z"}`, installVersion),
		installVersion + ".mod":  goMod,
		installVersion + ".zip":  zipData,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(at, name), data, 0o644))
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cache := goEnv(ctx, t, "GOMODCACHE")
	gobin := filepath.Join(tmp, "bin")
	cmd := exec.CommandContext(ctx, "go", "install", "-trimpath", mod+"@"+installVersion)
	cmd.Dir = tmp // outside this module, as a user runs it
	cmd.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.ToSlash(proxy)+",file://"+filepath.ToSlash(filepath.Join(cache, "cache", "download")),
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOFLAGS=-modcacherw", // so that the temporary cache can be removed
		// The test version is in no checksum database, and the
		// dependencies come from this machine's module cache, which
		// `go mod download` filled and checked against go.sum.
		"GOSUMDB=off",
		"GOTOOLCHAIN=local",
		"GOBIN="+gobin,
	)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go install:\n%s", out)

	bin := filepath.Join(gobin, "telnyx-oauth-mcp")
	stdout, stderr, code := runAt(t, bin, baseEnv(t), "--version")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, "telnyx-oauth-mcp "+strings.TrimPrefix(installVersion, "v")+"\n", stdout)
}

func goEnv(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "go", "env", name).Output()
	require.NoError(t, err)
	return string(bytes.TrimSpace(out))
}

// TestMaintainedDependencies: the browser opener and the file lock come
// from maintained modules (github.com/pkg/browser's last release was in
// 2024), at exact versions, and the host-file editor keeps comments.
func TestMaintainedDependencies(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	f, err := modfile.Parse("go.mod", data, nil)
	require.NoError(t, err)
	required := map[string]string{}
	for _, r := range f.Require {
		required[r.Mod.Path] = r.Mod.Version
	}
	for _, path := range []string{"github.com/cli/browser", "github.com/gofrs/flock", "github.com/tailscale/hujson", "golang.org/x/mod"} {
		assert.NotEmpty(t, required[path], "go.mod requires %s", path)
	}
	assert.NotContains(t, required, "github.com/pkg/browser")
}
