package tools

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The public interface: these names, in these toolsets.
var wantTools = map[string]string{
	"get_oauth_server_metadata":             ToolsetDiscovery,
	"get_oauth_protected_resource_metadata": ToolsetDiscovery,
	"get_oauth_jwks":                        ToolsetDiscovery,
	"build_oauth_authorize_url":             ToolsetProtocol,
	"exchange_oauth_token":                  ToolsetProtocol,
	"introspect_oauth_token":                ToolsetProtocol,
	"verify_oauth_access_token":             ToolsetProtocol,
	"register_oauth_client":                 ToolsetProtocol,
	"get_oauth_consent":                     ToolsetProtocol,
	"submit_oauth_consent":                  ToolsetConsent,
	"list_oauth_clients":                    ToolsetClients,
	"create_oauth_client":                   ToolsetClients,
	"get_oauth_client":                      ToolsetClients,
	"update_oauth_client":                   ToolsetClients,
	"delete_oauth_client":                   ToolsetClients,
	"list_oauth_grants":                     ToolsetGrants,
	"get_oauth_grant":                       ToolsetGrants,
	"revoke_oauth_grant":                    ToolsetGrants,
}

func TestRegistryInvariants(t *testing.T) {
	t.Parallel()
	all := All(Deps{})
	require.Len(t, all, len(wantTools))
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	seen := map[string]bool{}
	for _, tool := range all {
		def := tool.Definition
		t.Run(def.Name, func(t *testing.T) {
			assert.False(t, seen[def.Name], "duplicate name")
			seen[def.Name] = true
			assert.Regexp(t, snake, def.Name)
			assert.Equal(t, wantTools[def.Name], tool.Toolset)
			assert.NotEmpty(t, def.Title)
			assert.Empty(t, def.Annotations.Title, "the title is the tool's own (clients show Tool.title first); annotations.title would repeat it")
			assert.True(t, strings.HasSuffix(def.Description, "."), "description is sentences")
			assert.Less(t, len(def.Description), 300, "descriptions are paid for in every conversation")

			a := def.Annotations
			for name, hint := range map[string]*bool{"readOnly": a.ReadOnlyHint, "destructive": a.DestructiveHint, "idempotent": a.IdempotentHint, "openWorld": a.OpenWorldHint} {
				assert.NotNil(t, hint, "%s hint must be set explicitly", name)
			}
			if *a.ReadOnlyHint {
				assert.False(t, *a.DestructiveHint, "a read cannot be destructive")
			}
			if strings.HasPrefix(def.Name, "delete_") || strings.HasPrefix(def.Name, "revoke_") || strings.HasPrefix(def.Name, "update_") {
				assert.True(t, *a.DestructiveHint)
				assert.False(t, *a.ReadOnlyHint)
			}
			if strings.HasPrefix(def.Name, "get_") || strings.HasPrefix(def.Name, "list_") {
				assert.True(t, *a.ReadOnlyHint)
			}

			for which, raw := range map[string]json.RawMessage{"input": def.RawInputSchema, "output": def.RawOutputSchema} {
				var schema map[string]any
				require.NoError(t, json.Unmarshal(raw, &schema), which)
				assert.Equal(t, "object", schema["type"], "%s schema must be a plain object", which)
				assert.NotContains(t, string(raw), `"$ref"`, "%s schema must not use $ref", which)
				assert.NotContains(t, string(raw), `"$schema"`, "%s schema: every client assumes 2020-12", which)
			}
			// Inputs are what the model writes and the server enforces:
			// every object in them refuses unknown properties, and every
			// property has a type.
			var input map[string]any
			require.NoError(t, json.Unmarshal(def.RawInputSchema, &input))
			walkSchema(input, func(s map[string]any) {
				if s["type"] == "object" {
					assert.Equal(t, false, s["additionalProperties"], "input schema objects must refuse unknown properties: %v", s)
				}
				if props, ok := s["properties"].(map[string]any); ok {
					for name, p := range props {
						assert.NotEmpty(t, p.(map[string]any)["type"], "input property %s needs a type", name)
					}
				}
			})
			// Outputs carry types and shape only (see schema.go): what they
			// would repeat is paid for in every tools/list.
			var output map[string]any
			require.NoError(t, json.Unmarshal(def.RawOutputSchema, &output))
			walkSchema(output, func(s map[string]any) {
				assert.NotContains(t, s, "description", "output schemas carry no descriptions")
				assert.NotContains(t, s, "additionalProperties", "output schemas carry no additionalProperties")
			})
			// No tool takes a credential or a destination it could be steered with.
			var in struct {
				Properties map[string]any `json:"properties"`
			}
			require.NoError(t, json.Unmarshal(def.RawInputSchema, &in))
			for prop := range in.Properties {
				assert.NotContains(t, []string{"api_key", "base_url", "headers", "url", "host"}, prop)
			}
		})
	}
	confirming := []string{}
	for _, tool := range all {
		if tool.Confirms {
			confirming = append(confirming, tool.Name())
		}
	}
	slices.Sort(confirming)
	assert.Equal(t, []string{"delete_oauth_client", "revoke_oauth_grant", "submit_oauth_consent", "update_oauth_client"}, confirming)
}

// walkSchema calls visit on s and every subschema under properties and
// items.
func walkSchema(s map[string]any, visit func(map[string]any)) {
	visit(s)
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			if sub, ok := p.(map[string]any); ok {
				walkSchema(sub, visit)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walkSchema(items, visit)
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	all := All(Deps{})
	names := func(ts []Tool) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name())
		}
		return out
	}
	tests := []struct {
		name    string
		sel     Selection
		want    func(Tool) bool
		wantErr string
	}{
		{name: "default leaves consent out", sel: Selection{}, want: func(t Tool) bool { return t.Toolset != ToolsetConsent }},
		{name: "all", sel: Selection{Toolsets: []string{"all"}}, want: func(Tool) bool { return true }},
		{name: "one toolset", sel: Selection{Toolsets: []string{ToolsetGrants}}, want: func(t Tool) bool { return t.Toolset == ToolsetGrants }},
		{name: "read-only wins over toolsets", sel: Selection{Toolsets: []string{"all"}, ReadOnly: true}, want: Tool.ReadOnly},
		{name: "tools allow-list", sel: Selection{Tools: []string{"get_oauth_client", "submit_oauth_consent"}},
			want: func(t Tool) bool { return t.Name() == "get_oauth_client" || t.Name() == "submit_oauth_consent" }},
		{name: "read-only wins over tools", sel: Selection{Tools: []string{"get_oauth_client", "delete_oauth_client"}, ReadOnly: true},
			want: func(t Tool) bool { return t.Name() == "get_oauth_client" }},
		{name: "unknown toolset", sel: Selection{Toolsets: []string{"clientz"}}, wantErr: `unknown toolset "clientz"`},
		{name: "unknown tool", sel: Selection{Tools: []string{"drop_everything"}}, wantErr: `unknown tool "drop_everything"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Select(all, tc.sel)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var want []string
			for _, tool := range all {
				if tc.want(tool) {
					want = append(want, tool.Name())
				}
			}
			assert.Equal(t, want, names(got))
			assert.NotEmpty(t, got)
		})
	}
}

// TestAllRefusesUngeneratedSchemas: a tool whose types schemas_generated.go
// does not know is built with a placeholder (so that the generator can
// reflect it), and All, which the server is built from, refuses it.
func TestAllRefusesUngeneratedSchemas(t *testing.T) {
	t.Parallel()
	type unknownInput struct {
		X string `json:"x"`
	}
	tool := define(Deps{}, spec{name: "not_generated"}, func(context.Context, *toolCall, *unknownInput) (*NoInput, error) { return nil, nil })
	assert.JSONEq(t, `{"type":"object"}`, string(tool.Definition.RawInputSchema))
	err := generated(append(registered(Deps{}), tool))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the input schema of not_generated")
	assert.Contains(t, err.Error(), "go generate ./...")
	assert.NoError(t, generated(registered(Deps{})), "every registered tool has its schemas")
	assert.NotPanics(t, func() { All(Deps{}) })
}
