package main

import (
	"runtime/debug"
	"strings"
)

// resolveVersion is what --version, the User-Agent and the MCP server info
// report. A release build stamps the version with -ldflags "-X
// main.version=1.2.3"; otherwise it is the main module's version in the Go
// build info, without its "v". `go install module@version` records that
// version; `go build` in a Git checkout records the tag of the commit, or
// else a pseudo-version (0.0.0-20260101000000-0123456789ab, or 1.2.4-0.…
// after a tag v1.2.3), with "+dirty" when the tree has uncommitted
// changes. When Go recorded the commit but could not make a version of
// it, the version is dev-<revision>, with "-dirty" for uncommitted
// changes; when it recorded neither (go run, -buildvcs=false, no Git), it
// is plain "dev".
// https://pkg.go.dev/runtime/debug#BuildInfo
// https://go.dev/doc/go1.24#go-command
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
