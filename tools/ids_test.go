package tools_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestHostileIDsNeverReachTheAPI gives every id-taking tool ids that would
// address another resource if spliced into a path, and checks that each call
// fails before any request is sent, with the confirmation gate on and off.
// Done when: "Each id-taking tool given ../x, ., a/b, a?b=c, %2e%2e, an empty
// string and a 1,000-character id returns isError and telnyxfake records zero
// requests."
func TestHostileIDsNeverReachTheAPI(t *testing.T) {
	t.Parallel()
	idTools := []struct {
		tool        string
		field       string
		extra       map[string]any
		confirmSelf bool
	}{
		{tool: "get_oauth_client", field: "client_id"},
		{tool: "update_oauth_client", field: "client_id", extra: map[string]any{"name": "renamed"}},
		{tool: "delete_oauth_client", field: "client_id", confirmSelf: true},
		{tool: "get_oauth_grant", field: "grant_id"},
		{tool: "revoke_oauth_grant", field: "grant_id", confirmSelf: true},
		{tool: "get_oauth_consent", field: "consent_token"},
		{tool: "submit_oauth_consent", field: "consent_token", extra: map[string]any{"allowed": true}, confirmSelf: true},
	}
	hostile := []struct{ name, id string }{
		{"dot-dot-slash", "../x"},
		{"dot", "."},
		{"dot-dot", ".."},
		{"slash", "a/b"},
		{"query", "a?b=c"},
		{"fragment", "a#b"},
		{"encoded dot-dot", "%2e%2e"},
		{"encoded slash", "a%2Fb"},
		{"backslash", `a\b`},
		{"empty", ""},
		{"NUL", "a\x00b"},
		{"newline", "a\nb"},
		{"space", "a b"},
		{"bidi override", "a\u202eb"},
		{"1,000 characters", strings.Repeat("a", 1000)},
	}
	for _, gate := range []bool{true, false} {
		name := "confirmation on"
		if !gate {
			name = "confirmation off"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, withConfirmer(tools.NewConfirmer(gate, nil)))
			for _, tt := range idTools {
				for _, bad := range hostile {
					t.Run(tt.tool+"/"+bad.name, func(t *testing.T) {
						h.fake.ResetRequests()
						args := map[string]any{tt.field: bad.id}
						for k, v := range tt.extra {
							args[k] = v
						}
						if tt.confirmSelf {
							// Even a "confirmed" call must not get through.
							args["confirm"] = bad.id
						}
						text := h.fail(t, tt.tool, args)
						assert.Contains(t, text, tt.field, "the error names the argument")
						assert.Contains(t, text, "Nothing was sent")
						assert.Empty(t, h.sent(), "the fake must record no request")
					})
				}
			}
		})
	}
}
