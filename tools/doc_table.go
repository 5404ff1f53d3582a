package tools

import (
	"fmt"
	"strings"
)

// MarkdownTable renders the README's tool table from the registry, so the
// docs cannot drift from the code. It describes the default server, which
// confirms destructive calls.
func MarkdownTable(all []Tool) string {
	var b strings.Builder
	b.WriteString("| tool | toolset | kind | what it does |\n| --- | --- | --- | --- |\n")
	for _, t := range all {
		desc := strings.ReplaceAll(t.Definition.Description, "|", "\\|")
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", t.Name(), t.Toolset, Kind(t, true), desc)
	}
	return b.String()
}
