// Command regenerate rewrites every file made from the tools' Go structs,
// in the order they depend on each other: tools/schemas_generated.go (the
// schemas, reflected from the structs), then schemas/*.json (what tools/list
// sends, which reads that file) and the README's tool table. Run it as
// `go generate ./...`; each step is the test that fails when its file is
// stale, run with UPDATE_SNAPSHOTS=1 so that it writes the file instead.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// steps are the packages and tests that write the generated files, in
// order: each reads what the one before it wrote.
var steps = []struct{ pkg, tests string }{
	{"./tools", "^TestGeneratedSchemas$"},
	{"./schemas", "^(TestSnapshotsMatchToolsList|TestReadmeToolTable)$"},
}

func main() {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "regenerate:", err)
		os.Exit(1)
	}
	for _, s := range steps {
		cmd := exec.Command("go", "test", "-count=1", "-run", s.tests, s.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "UPDATE_SNAPSHOTS=1")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "regenerate: %s: %v\n", s.pkg, err)
			os.Exit(1)
		}
	}
}

// moduleRoot is the directory of the module's go.mod, wherever go generate
// runs this from.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a module")
	}
	return filepath.Dir(gomod), nil
}
