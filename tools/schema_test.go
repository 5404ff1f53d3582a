package tools_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	sjson "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestMinimalArgumentsAccepted: for every tool, the smallest argument
// object its input schema accepts (the required properties, each with the
// simplest value the schema allows, plus what the schema's anyOf and
// if/then rules then require) is accepted by the handler against the
// fake: whatever the result, it is not "invalid arguments". A rule the
// handler enforces must therefore be in the schema, where the model reads
// it. The objects are built from the schemas tools/list sends, so a new
// tool is covered without a line here.
func TestMinimalArgumentsAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	all := tools.All(tools.Deps{})
	require.NotEmpty(t, all)
	for _, tool := range all {
		t.Run(tool.Name(), func(t *testing.T) {
			schema := compileSchema(t, tool.Definition.RawInputSchema)
			var doc map[string]any
			require.NoError(t, json.Unmarshal(tool.Definition.RawInputSchema, &doc))
			args := minimalObject(t, doc)
			raw, err := json.Marshal(args)
			require.NoError(t, err)
			require.NoError(t, schema.Validate(mustJSON(t, raw)), "the schema accepts its own minimal object %s", raw)

			res := h.call(t, tool.Name(), args)
			if res.IsError {
				assert.NotContains(t, resultText(res), "invalid arguments", "the handler refused %s, which the schema accepts", raw)
			}
		})
	}
}

// TestCreateClientSchemaRequiresTelnyxFields: Telnyx requires a client's
// name, type, scopes and grant types, and the schema says so, so that a
// model gets all four right the first time.
func TestCreateClientSchemaRequiresTelnyxFields(t *testing.T) {
	t.Parallel()
	for _, tool := range tools.All(tools.Deps{}) {
		var doc struct {
			Required []string `json:"required"`
		}
		require.NoError(t, json.Unmarshal(tool.Definition.RawInputSchema, &doc))
		switch tool.Name() {
		case "create_oauth_client":
			assert.ElementsMatch(t, []string{"name", "client_type", "allowed_scopes", "allowed_grant_types"}, doc.Required)
		case "update_oauth_client":
			assert.Equal(t, []string{"client_id"}, doc.Required)
		}
	}
}

func compileSchema(t *testing.T, raw []byte) *sjson.Schema {
	t.Helper()
	c := sjson.NewCompiler()
	require.NoError(t, c.AddResource("tool.json", mustJSON(t, raw)))
	s, err := c.Compile("tool.json")
	require.NoError(t, err)
	return s
}

func mustJSON(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := sjson.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	return v
}

// minimalObject builds the smallest object schema s accepts: its required
// properties; then the first branch of an anyOf; then, until nothing
// changes, what each if/then whose "if" the object meets requires.
func minimalObject(t *testing.T, s map[string]any) map[string]any {
	t.Helper()
	props, _ := s["properties"].(map[string]any)
	obj := map[string]any{}
	need := func(sub map[string]any) bool {
		added := false
		for _, name := range stringList(sub["required"]) {
			if _, ok := obj[name]; !ok {
				p, _ := props[name].(map[string]any)
				obj[name] = minimalValue(t, p)
				added = true
			}
		}
		return added
	}
	need(s)
	if branches, ok := s["anyOf"].([]any); ok && len(branches) > 0 {
		need(branches[0].(map[string]any))
	}
	rules := []map[string]any{s}
	for _, r := range asSlice(s["allOf"]) {
		rules = append(rules, r.(map[string]any))
	}
	for changed := true; changed; {
		changed = false
		for _, r := range rules {
			cond, ok := r["if"]
			if !ok {
				continue
			}
			b, err := json.Marshal(cond)
			assert.NoError(t, err)
			raw, err := json.Marshal(obj)
			assert.NoError(t, err)
			if compileSchema(t, b).Validate(mustJSON(t, raw)) == nil {
				then, _ := r["then"].(map[string]any)
				changed = need(then) || changed
			}
		}
	}
	return obj
}

// minimalValue is the simplest value property p allows.
func minimalValue(t *testing.T, p map[string]any) any {
	t.Helper()
	if v, ok := p["const"]; ok {
		return v
	}
	if e := asSlice(p["enum"]); len(e) > 0 {
		return e[0]
	}
	switch p["type"] {
	case "string":
		if p["format"] == "uri" {
			return "https://app.example.com/callback"
		}
		n := 1
		if m, ok := p["minLength"].(float64); ok && int(m) > n {
			n = int(m)
		}
		return strings.Repeat("a", n)
	case "integer", "number":
		if m, ok := p["minimum"].(float64); ok {
			return m
		}
		return 0
	case "boolean":
		return false
	case "array":
		items, _ := p["items"].(map[string]any)
		n := 0
		if m, ok := p["minItems"].(float64); ok {
			n = int(m)
		}
		out := []any{}
		enum := asSlice(items["enum"])
		for i := range n {
			if i < len(enum) {
				out = append(out, enum[i]) // distinct, for uniqueItems
			} else {
				out = append(out, minimalValue(t, items))
			}
		}
		return out
	case "object":
		return minimalObject(t, p)
	}
	t.Fatalf("no minimal value for the property schema %v", p)
	return nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func stringList(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
