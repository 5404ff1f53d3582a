package main

// The version the binary reports (version.go): from -ldflags, from the
// module version go install records, or from the VCS stamp of a local
// build.

import (
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocalBuildVersion builds the binary as a developer does, with no
// -ldflags and Go's default VCS stamping, and checks that --version says
// what the build info holds: the module version (in a Git checkout, its
// tag or a pseudo-version), else the revision, and "dev" only when there
// is neither.
func TestLocalBuildVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "telnyx-oauth-mcp")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=auto")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)

	info, err := buildinfo.ReadFile(bin)
	require.NoError(t, err)
	stdout, stderr, code := runAt(t, bin, baseEnv(t), "--version")
	require.Equal(t, 0, code, stderr)
	got := strings.TrimPrefix(strings.TrimSuffix(stdout, "\n"), "telnyx-oauth-mcp ")
	assert.Equal(t, resolveVersion("dev", info, true), got)
	if v := info.Main.Version; v != "" && v != "(devel)" {
		assert.Equal(t, strings.TrimPrefix(v, "v"), got)
	} else if rev := setting(info, "vcs.revision"); rev != "" {
		assert.Contains(t, got, rev[:12])
	} else {
		assert.Equal(t, "dev", got, "no version and no revision in the build info")
	}
}

func setting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func TestResolveVersion(t *testing.T) {
	t.Parallel()
	rev := "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "1.2.3"},
		{"go install", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "1.4.0"},
		{"pseudo-version", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260101000000-0123456789ab+dirty"}}, "0.0.0-20260101000000-0123456789ab+dirty"},
		{"revision", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")}, "dev-0123456789ab"},
		{"revision, dirty", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, "dev-0123456789ab-dirty"},
		{"nothing known", "dev", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"no build info", "dev", nil, "dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, resolveVersion(tc.stamped, tc.info, tc.info != nil))
		})
	}
}
