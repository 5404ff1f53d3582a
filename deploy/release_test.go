package deploy

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The release builds are what users download: static (CGO off) for Linux,
// macOS and Windows on amd64 and arm64, with the version stamped in where
// --version and the User-Agent read it.
func TestGoreleaserConfig(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../.goreleaser.yaml")
	require.NoError(t, err)
	var cfg struct {
		Version int `yaml:"version"`
		Builds  []struct {
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	assert.Equal(t, 2, cfg.Version, "goreleaser v2 configuration")
	require.Len(t, cfg.Builds, 1)
	b := cfg.Builds[0]
	assert.Equal(t, ".", b.Main)
	assert.Equal(t, "telnyx-oauth-mcp", b.Binary)
	assert.Contains(t, b.Env, "CGO_ENABLED=0")
	assert.ElementsMatch(t, []string{"linux", "darwin", "windows"}, b.Goos)
	assert.ElementsMatch(t, []string{"amd64", "arm64"}, b.Goarch)
	require.NotEmpty(t, b.Ldflags)
	assert.Contains(t, b.Ldflags[0], "-X main.version={{ .Version }}")

	main, err := os.ReadFile("../main.go")
	require.NoError(t, err)
	assert.Contains(t, string(main), "var version = \"dev\"", "the variable the ldflags set")
}
