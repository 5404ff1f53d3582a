// Package schemas holds one JSON file per tool with exactly what tools/list
// returns for it: name, title, description, input and output schemas and
// annotations. The files are the public interface in reviewable form; the
// test beside them fails when the server and the files disagree, and
// `go generate ./...` regenerates the schemas (tools/schemas_generated.go),
// then rewrites these files and the README tool table.
package schemas
