package deploy

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// goreleaserConfig is the part of .goreleaser.yaml the release depends on.
type goreleaserConfig struct {
	Version int    `yaml:"version"`
	Dist    string `yaml:"dist"`
	Before  struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		BuildsInfo struct {
			Mtime string `yaml:"mtime"`
		} `yaml:"builds_info"`
		Files []struct {
			Src  string `yaml:"src"`
			Info struct {
				Mtime string `yaml:"mtime"`
			} `yaml:"info"`
		} `yaml:"files"`
	} `yaml:"archives"`
	Release struct {
		ExtraFiles []struct {
			Glob string `yaml:"glob"`
		} `yaml:"extra_files"`
	} `yaml:"release"`
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	raw, err := os.ReadFile("../.goreleaser.yaml")
	require.NoError(t, err)
	var cfg goreleaserConfig
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	require.NoError(t, dec.Decode(&cfg))
	return cfg
}

// The release builds are what users download: static (CGO off) for Linux,
// macOS and Windows on amd64 and arm64, with the version stamped in where
// --version and the User-Agent read it, reproducible (trimmed paths, file
// times from the commit).
func TestGoreleaserConfig(t *testing.T) {
	t.Parallel()
	cfg := readGoreleaser(t)
	assert.Equal(t, 2, cfg.Version, "goreleaser v2 configuration")
	require.Len(t, cfg.Builds, 1)
	b := cfg.Builds[0]
	assert.Equal(t, ".", b.Main)
	assert.Equal(t, "telnyx-oauth-mcp", b.Binary)
	assert.Contains(t, b.Env, "CGO_ENABLED=0")
	assert.ElementsMatch(t, []string{"linux", "darwin", "windows"}, b.Goos)
	assert.ElementsMatch(t, []string{"amd64", "arm64"}, b.Goarch)
	assert.Contains(t, b.Flags, "-trimpath")
	assert.Equal(t, "{{ .CommitTimestamp }}", b.ModTimestamp, "binary times from the commit")
	require.NotEmpty(t, b.Ldflags)
	assert.Contains(t, b.Ldflags[0], "-X main.version={{ .Version }}")

	main, err := os.ReadFile("../main.go")
	require.NoError(t, err)
	assert.Contains(t, string(main), "var version = \"dev\"", "the variable the ldflags set")
}

// TestGoreleaserArchivesCarryLicense: every archive holds LICENSE and
// README.md, which exist, with their times from the commit.
func TestGoreleaserArchivesCarryLicense(t *testing.T) {
	t.Parallel()
	cfg := readGoreleaser(t)
	require.NotEmpty(t, cfg.Archives)
	for _, a := range cfg.Archives {
		var srcs []string
		for _, f := range a.Files {
			srcs = append(srcs, f.Src)
			assert.Equal(t, "{{ .CommitDate }}", f.Info.Mtime, f.Src)
			_, err := os.Stat(filepath.Join("..", f.Src))
			assert.NoError(t, err, "the archive's %s exists", f.Src)
		}
		assert.ElementsMatch(t, []string{"LICENSE", "README.md"}, srcs)
		assert.Equal(t, "{{ .CommitDate }}", a.BuildsInfo.Mtime)
	}
	license, err := os.ReadFile("../LICENSE")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(license), "MIT License\n"))
}

// TestGoreleaserBuildsBundles: a hook runs the bundle builder at the
// release's version, into a directory goreleaser's --clean leaves alone,
// and the release attaches the bundles and the server.json that lists them.
func TestGoreleaserBuildsBundles(t *testing.T) {
	t.Parallel()
	cfg := readGoreleaser(t)
	var out string
	for _, h := range cfg.Before.Hooks {
		f := strings.Fields(h)
		if len(f) < 3 || f[0] != "go" || f[1] != "run" || f[2] != "./packaging/mcpb" {
			continue
		}
		args := strings.Join(f[3:], " ")
		assert.Contains(t, args, "-version {{ .Version }}")
		for i := range f {
			if f[i] == "-out" && i+1 < len(f) {
				out = f[i+1]
			}
		}
	}
	require.NotEmpty(t, out, "a before hook runs go run ./packaging/mcpb -out DIR")
	dist := cfg.Dist
	if dist == "" {
		dist = "dist"
	}
	rel, err := filepath.Rel(dist, out)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(rel, ".."), "the bundles (%s) are outside goreleaser's dist (%s), which --clean empties", out, dist)

	var globs []string
	for _, f := range cfg.Release.ExtraFiles {
		globs = append(globs, f.Glob)
	}
	for _, name := range []string{"telnyx-oauth-mcp-1.2.3-darwin-arm64.mcpb", "server.json"} {
		matched := false
		for _, g := range globs {
			if ok, _ := path.Match(g, out+"/"+name); ok {
				matched = true
			}
		}
		assert.True(t, matched, "the release attaches %s/%s", out, name)
	}
}
