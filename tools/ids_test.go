package tools_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// lookAlikes are ids that pass a deny-list of "/", "?", "#", "%", "\" and
// whitespace, yet reach Telnyx as something else than one plain segment:
// path parameters (";"), and characters that some normalising proxy turns
// into "/" or ".".
var lookAlikes = []string{"..;", ".;", "a\u2215b", "a\uff0fb", "\u2024\u2024", "\uff0e\uff0e"}

// TestIDAllowListInTemplatesAndCompletions: the resource templates refuse
// the look-alikes before any request, completion never offers an id the
// rule refuses, and a real UUID and a JWT-shaped consent token pass.
func TestIDAllowListInTemplatesAndCompletions(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	for _, id := range lookAlikes {
		e.fake.AddClient(telnyxfake.Client{ClientID: "5eed" + id, Name: "odd", ClientType: telnyxfake.ClientTypePublic})
	}
	e.fake.ResetRequests()
	for _, id := range lookAlikes {
		for _, tmpl := range []string{"telnyx-oauth://clients/", "telnyx-oauth://grants/"} {
			msg := e.readResourceError(t, tmpl+url.PathEscape(id))
			assert.Contains(t, msg, "letters, digits", "the error says what an id may hold")
		}
	}
	assert.Empty(t, e.fake.Requests(), "no look-alike id reached the API")

	for _, id := range lookAlikes {
		got := e.complete(t, templateRef(tools.TemplateClient), "client_id", id)
		assert.Empty(t, got.Values, "%q", id)
		got = e.complete(t, templateRef(tools.TemplateGrant), "id", id)
		assert.Empty(t, got.Values, "%q", id)
	}
	assert.Empty(t, e.fake.Requests(), "completing a look-alike asks Telnyx nothing")

	got := e.complete(t, templateRef(tools.TemplateClient), "client_id", "5eed")
	assert.ElementsMatch(t, []string{telnyxfake.BillingClientID, telnyxfake.MobileClientID, telnyxfake.DemoClientID}, got.Values,
		"ids the rule refuses are never offered")

	v, _ := e.readResource(t, "telnyx-oauth://clients/"+telnyxfake.DemoClientID)
	assert.Equal(t, telnyxfake.DemoClientID, v["client_id"], "a real UUID passes")
}

// TestJWTConsentTokenPasses: a consent token shaped like a JWT (three
// base64url parts joined by dots) is one valid path segment.
func TestJWTConsentTokenPasses(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRfaWQiOiJhYmMiLCJzY29wZSI6ImFkbWluIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	text := h.fail(t, "get_oauth_consent", map[string]any{"consent_token": jwt})
	assert.NotContains(t, text, "invalid arguments", "the token was not refused by the rule")
	r := h.only(t, telnyxfake.OpGetConsentToken)
	assert.Equal(t, "/v2/oauth/consent/"+jwt, r.RawPath)
}

// TestIDSchemasStateTheAllowList: every id argument advertises the pattern
// CheckPathValue enforces.
func TestIDSchemasStateTheAllowList(t *testing.T) {
	t.Parallel()
	n := 0
	for _, tool := range tools.All(tools.Deps{}) {
		for _, m := range regexp.MustCompile(`"pattern":"((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(tool.Definition.RawInputSchema), -1) {
			n++
			assert.Equal(t, strings.ReplaceAll(telnyxapi.PathValuePattern, `\`, `\\`), m[1], tool.Name())
		}
	}
	require.Equal(t, 7, n, "client_id of get, update and delete; grant_id of get and revoke; consent_token of get and submit")
}

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
		{"dot-dot-semicolon", "..;"},
		{"dot-semicolon", ".;"},
		{"division slash U+2215", "a\u2215b"},
		{"fullwidth solidus U+FF0F", "a\uff0fb"},
		{"one-dot leaders U+2024", "\u2024\u2024"},
		{"fullwidth full stops U+FF0E", "\uff0e\uff0e"},
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
