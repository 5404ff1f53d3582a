package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStepsNameTheWriters: go test -run passes when its pattern matches
// nothing, so a renamed test would make go generate silently write nothing.
// Each step must name tests that exist, the schemas must be generated
// before the snapshots that read them, and go generate must run this
// command.
func TestStepsNameTheWriters(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "..")
	var pkgs []string
	for _, s := range steps {
		pkgs = append(pkgs, s.pkg)
		src := testSources(t, filepath.Join(root, s.pkg))
		names := strings.Split(strings.Trim(s.tests, "^$()"), "|")
		for _, name := range names {
			assert.Regexp(t, regexp.MustCompile(`(?m)^func `+name+`\(t \*testing\.T\)`), src, "%s has no test %s", s.pkg, name)
		}
	}
	assert.Equal(t, []string{"./tools", "./schemas"}, pkgs, "the schemas are generated before the snapshots that read them")

	schema, err := os.ReadFile(filepath.Join(root, "tools", "schema.go"))
	require.NoError(t, err)
	assert.Contains(t, string(schema), "\n//go:generate go run ./internal/regenerate\n")
}

// testSources is the text of every _test.go file in dir.
func testSources(t *testing.T, dir string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	require.NotEmpty(t, files, dir)
	var b strings.Builder
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		b.Write(src)
	}
	return b.String()
}
