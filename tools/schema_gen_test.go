package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/format"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const generatedPath = "schemas_generated.go"

// reflector is the one place schemas are made from Go structs (see the
// rules in schema.go).
var reflector = jsonschema.Reflector{ExpandedStruct: true, DoNotReference: true, Anonymous: true}

// TestGeneratedSchemas reflects every tool's input and output types and
// compares the result with schemas_generated.go; with UPDATE_SNAPSHOTS=1
// (as `go generate ./...` runs it, before the snapshots of ./schemas that
// read the file) it rewrites the file instead.
func TestGeneratedSchemas(t *testing.T) {
	t.Parallel()
	all := registered(Deps{})
	if os.Getenv("UPDATE_SNAPSHOTS") != "1" {
		require.NoError(t, generated(all))
	}

	schemas := map[string]string{}
	for _, tool := range all {
		for role, typ := range map[schemaRole]reflect.Type{inputRole: tool.inType, outputRole: tool.outType} {
			require.NotNil(t, typ, "%s: define records its types", tool.Name())
			schemas[schemaKey(role, typ)] = reflectSchema(t, role, typ)
		}
	}
	want := generatedSource(t, schemas)
	if os.Getenv("UPDATE_SNAPSHOTS") == "1" {
		require.NoError(t, os.WriteFile(generatedPath, want, 0o644))
		return
	}
	have, err := os.ReadFile(generatedPath)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(have), "%s is stale: run go generate ./...", generatedPath)
}

// inputRules are the rules between an input's fields that struct tags
// cannot state, added to its schema as JSON Schema 2020-12 keywords, so
// that the model is told them and the server enforces them before any
// handler runs. An "if" names its property as required: absent, the
// "properties" in it would hold vacuously.
var inputRules = map[reflect.Type]string{
	// Telnyx: an authorization_code client needs a redirect URI; a public
	// client has no secret, so no client_credentials.
	reflect.TypeFor[CreateClientInput](): `{"allOf":[
		{"if":{"required":["allowed_grant_types"],"properties":{"allowed_grant_types":{"contains":{"const":"authorization_code"}}}},
		 "then":{"required":["redirect_uris"],"properties":{"redirect_uris":{"minItems":1}}}},
		{"if":{"required":["client_type"],"properties":{"client_type":{"const":"public"}}},
		 "then":{"properties":{"allowed_grant_types":{"items":{"enum":["authorization_code","refresh_token"]}}}}}]}`,
	// An update changes something: an empty URI is no change (it is left
	// out of the request).
	reflect.TypeFor[UpdateClientInput](): `{"anyOf":[{"required":["name"]},{"required":["allowed_scopes"]},
		{"required":["allowed_grant_types"]},{"required":["redirect_uris"]},{"required":["require_pkce"]},
		{"required":["logo_uri"],"properties":{"logo_uri":{"minLength":1}}},
		{"required":["policy_uri"],"properties":{"policy_uri":{"minLength":1}}},
		{"required":["tos_uri"],"properties":{"tos_uri":{"minLength":1}}}]}`,
	// RFC 6749 §4.1.3 and §6: each grant's own fields, not empty. A client
	// secret needs a client_id that is not empty either (an empty one means
	// the server's own client).
	reflect.TypeFor[TokenInput](): `{"allOf":[
		{"if":{"required":["grant_type"],"properties":{"grant_type":{"const":"authorization_code"}}},
		 "then":{"required":["code","redirect_uri"],"properties":{"code":{"minLength":1},"redirect_uri":{"minLength":1}}}},
		{"if":{"required":["grant_type"],"properties":{"grant_type":{"const":"refresh_token"}}},
		 "then":{"required":["refresh_token"],"properties":{"refresh_token":{"minLength":1}}}}],
		"dependentRequired":{"client_secret":["client_id"]},
		"dependentSchemas":{"client_secret":{"properties":{"client_id":{"minLength":1}}}}}`,
	reflect.TypeFor[IntrospectInput](): `{"dependentRequired":{"client_secret":["client_id"]},
		"dependentSchemas":{"client_secret":{"properties":{"client_id":{"minLength":1}}}}}`,
	// RFC 7636: a method without a challenge means nothing, and no_pkce
	// with a challenge contradicts itself.
	reflect.TypeFor[AuthorizeURLInput](): `{"dependentRequired":{"code_challenge_method":["code_challenge"]},
		"if":{"required":["code_challenge"]},"then":{"properties":{"no_pkce":{"const":false}}}}`,
}

// reflectSchema is the schema of typ under the rules of role.
func reflectSchema(t *testing.T, role schemaRole, typ reflect.Type) string {
	t.Helper()
	s := reflector.ReflectFromType(typ)
	s.Version = ""
	if role == outputRole {
		trimOutput(s)
	}
	rules, withRules := inputRules[typ]
	if withRules && role == inputRole {
		var extra jsonschema.Schema
		require.NoError(t, json.Unmarshal([]byte(rules), &extra), "rules of %s", typ)
		s.AllOf, s.AnyOf, s.DependentRequired, s.DependentSchemas, s.If, s.Then =
			extra.AllOf, extra.AnyOf, extra.DependentRequired, extra.DependentSchemas, extra.If, extra.Then
	}
	b, err := json.Marshal(s)
	require.NoError(t, err, "schema of %s", typ)
	if withRules && role == inputRole {
		// A keyword of the rules that the copy above leaves out would be
		// dropped without a word: every one must reach the schema.
		var want, got map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(rules), &want))
		require.NoError(t, json.Unmarshal(b, &got))
		for k := range want {
			require.Contains(t, got, k, "the rules of %s name %s, which reflectSchema does not copy", typ, k)
		}
	}
	return string(b)
}

// trimOutput drops what an output schema does not need: descriptions and
// additionalProperties, at every depth.
func trimOutput(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	s.Description = ""
	s.AdditionalProperties = nil
	trimOutput(s.Items)
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			trimOutput(pair.Value)
		}
	}
	for _, sub := range slices.Concat(s.AnyOf, s.OneOf, s.AllOf, s.PrefixItems) {
		trimOutput(sub)
	}
}

// generatedSource is schemas_generated.go for schemas, sorted by key.
func generatedSource(t *testing.T, schemas map[string]string) []byte {
	t.Helper()
	keys := make([]string, 0, len(schemas))
	for k := range schemas {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteString("// Code generated by go generate ./... (schema_gen_test.go); DO NOT EDIT.\n\n")
	b.WriteString("package tools\n\n")
	b.WriteString("// generatedSchema returns the schema generated for key (see schemaKey), or \"\".\n")
	b.WriteString("func generatedSchema(key string) string {\n\tswitch key {\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "\tcase %s:\n\t\treturn %s\n", strconv.Quote(k), literal(schemas[k]))
	}
	b.WriteString("\t}\n\treturn \"\"\n}\n")
	src, err := format.Source(b.Bytes())
	require.NoError(t, err)
	return src
}

// literal is s as a Go raw string when it can be one, for readable diffs.
func literal(s string) string {
	if strings.ContainsAny(s, "`\r") {
		return strconv.Quote(s)
	}
	return "`" + s + "`"
}
