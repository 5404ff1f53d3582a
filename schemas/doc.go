// Package schemas holds one JSON file per tool with exactly what tools/list
// returns for it: name, title, description, input and output schemas and
// annotations. The files are the public interface in reviewable form; the
// test beside them fails when the server and the files disagree, and
// `UPDATE_SNAPSHOTS=1 go test ./tools && UPDATE_SNAPSHOTS=1 go test ./schemas`
// regenerates the schemas, then rewrites them and the README tool table.
package schemas
