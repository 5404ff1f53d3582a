package main

import (
	"runtime/debug"
	"strings"
)

// resolveVersion is what --version, the User-Agent and the MCP server info
// report. A release build stamps the version with -ldflags "-X
// main.version=1.2.3"; otherwise the Go build info says what was built:
// the module version for `go install module@version` (and, since Go 1.24,
// for a local build of a tagged or stamped checkout), else the VCS revision
// and whether the tree had uncommitted changes. Only a build with neither
// (-buildvcs=false, or no Git) is plain "dev".
// https://pkg.go.dev/runtime/debug#BuildInfo
func resolveVersion(stamped string, info *debug.BuildInfo, ok bool) string {
	if stamped != "dev" && stamped != "" {
		return stamped
	}
	if !ok || info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "dev-" + rev
	if modified {
		v += "-dirty"
	}
	return v
}
