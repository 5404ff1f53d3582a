package tools_test

import (
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// confirmTarget is one destructive tool and the target it acts on.
type confirmTarget struct {
	tool string
	// mutation is the operation that changes something; fetch the read that
	// loads the target for the question.
	mutation, fetch string
	// doneField is the boolean of the result that says whether it happened.
	doneField string
	setup     func(t *testing.T, h *harness) (args map[string]any, confirmID string, shown []string)
}

var confirmTargets = []confirmTarget{
	{
		tool: "delete_oauth_client", mutation: telnyxfake.OpDeleteClient, fetch: telnyxfake.OpGetClient, doneField: "deleted",
		setup: func(t *testing.T, h *harness) (map[string]any, string, []string) {
			c := h.confidentialClient(t)
			return map[string]any{"client_id": c.ClientID}, c.ClientID,
				[]string{`"Billing dashboard"`, "client_id: " + c.ClientID, "type: confidential", "scopes: admin numbers.read"}
		},
	},
	{
		tool: "revoke_oauth_grant", mutation: telnyxfake.OpRevokeGrant, fetch: telnyxfake.OpGetGrant, doneField: "revoked",
		setup: func(t *testing.T, h *harness) (map[string]any, string, []string) {
			c := h.confidentialClient(t)
			g := h.fake.AddGrant(telnyxfake.Grant{ClientID: c.ClientID, Scopes: []string{"admin", "numbers.read"}})
			return map[string]any{"grant_id": g.ID}, g.ID,
				[]string{"grant id: " + g.ID, "client_id: " + c.ClientID, "scopes: admin numbers.read"}
		},
	},
	{
		tool: "submit_oauth_consent", mutation: telnyxfake.OpCreateGrant, fetch: telnyxfake.OpGetConsentToken, doneField: "submitted",
		setup: func(t *testing.T, h *harness) (map[string]any, string, []string) {
			c := h.confidentialClient(t)
			token := h.fake.NewConsentToken(c.ClientID, confRedirect, "admin numbers.read", "st", "", "")
			return map[string]any{"consent_token": token, "allowed": true}, c.ClientID,
				[]string{`"Billing dashboard"`, "client_id: " + c.ClientID, "scopes: admin numbers.read", "redirect_uri: " + confRedirect}
		},
	},
}

// TestDestructiveCallsNeedConfirmation runs the confirmation matrix for
// delete_oauth_client, revoke_oauth_grant and submit_oauth_consent: the
// `confirm` fallback (missing, right, wrong), elicitation in both protocol
// eras (accepted, declined, cancelled, accepted without the box ticked), and
// --confirm-destructive=false. Without confirmation no mutation is sent;
// with elicitation accepted, or the right confirm, exactly one; with a
// declined elicitation or the wrong confirm, none.
func TestDestructiveCallsNeedConfirmation(t *testing.T) {
	t.Parallel()
	accept := func() *elicitor { return answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true}) }
	cases := []struct {
		name    string
		elicit  func() *elicitor // nil: the client cannot elicit
		legacy  bool
		gateOff bool
		// confirm is the `confirm` argument: "" none, "right" the target's
		// id, anything else sent as it is.
		confirm string
		// want: "done" (exactly one mutation), "refused" (isError, none),
		// "declined" (plain result, none).
		want string
	}{
		{name: "no elicitation, no confirm", want: "refused"},
		{name: "no elicitation, right confirm", confirm: "right", want: "done"},
		{name: "no elicitation, wrong confirm", confirm: "someone-else", want: "refused"},
		{name: "no elicitation, legacy, no confirm", legacy: true, want: "refused"},
		{name: "no elicitation, legacy, right confirm", legacy: true, confirm: "right", want: "done"},
		{name: "elicitation accepted, 2026-07-28", elicit: accept, want: "done"},
		{name: "elicitation accepted, 2025-11-25", elicit: accept, legacy: true, want: "done"},
		{name: "elicitation declined, 2026-07-28", elicit: func() *elicitor { return answer(mcp.ElicitationResponseActionDecline, nil) }, want: "declined"},
		{name: "elicitation declined, 2025-11-25", elicit: func() *elicitor { return answer(mcp.ElicitationResponseActionDecline, nil) }, legacy: true, want: "declined"},
		{name: "elicitation cancelled, 2026-07-28", elicit: func() *elicitor { return answer(mcp.ElicitationResponseActionCancel, nil) }, want: "declined"},
		{name: "elicitation cancelled, 2025-11-25", elicit: func() *elicitor { return answer(mcp.ElicitationResponseActionCancel, nil) }, legacy: true, want: "declined"},
		{name: "elicitation accepted unticked, 2026-07-28", elicit: func() *elicitor {
			return answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": false})
		}, want: "declined"},
		{name: "elicitation accepted unticked, 2025-11-25", elicit: func() *elicitor {
			return answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": false})
		}, legacy: true, want: "declined"},
		{name: "elicitation ignores a confirm argument when declined", confirm: "right",
			elicit: func() *elicitor { return answer(mcp.ElicitationResponseActionDecline, nil) }, want: "declined"},
		{name: "confirm-destructive=false", gateOff: true, elicit: accept, want: "done"},
	}
	for _, target := range confirmTargets {
		for _, tc := range cases {
			t.Run(target.tool+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				var opts []option
				var el *elicitor
				if tc.elicit != nil {
					el = tc.elicit()
					opts = append(opts, withElicitation(el))
				}
				if tc.legacy {
					opts = append(opts, legacyEra())
				}
				if tc.gateOff {
					opts = append(opts, withConfirmer(tools.NewConfirmer(false, nil)))
				}
				h := newHarness(t, opts...)
				args, id, shown := target.setup(t, h)
				switch tc.confirm {
				case "":
				case "right":
					args["confirm"] = id
				default:
					args["confirm"] = tc.confirm
				}

				res := h.call(t, target.tool, args)
				text := resultText(res)
				mutations := len(h.fake.RequestsFor(target.mutation))

				switch tc.want {
				case "done":
					require.False(t, res.IsError, text)
					assert.Equal(t, 1, mutations, "exactly one mutating request (recorded: %v)", h.operations())
					assert.Equal(t, true, decode[map[string]any](t, structuredJSON(t, res))[target.doneField])
				case "refused":
					require.True(t, res.IsError, "without a confirmation the call must fail: %s", text)
					assert.Zero(t, mutations, "no mutating request (recorded: %v)", h.operations())
					for _, s := range shown {
						assert.Contains(t, text, s, "the preview names the target")
					}
					assert.Contains(t, text, `"confirm": "`+id+`"`, "the preview says what to send")
					assert.Contains(t, text, "nothing was changed")
				case "declined":
					require.False(t, res.IsError, "a decline is an answer, not a failure: %s", text)
					assert.Zero(t, mutations, "no mutating request (recorded: %v)", h.operations())
					out := decode[map[string]any](t, structuredJSON(t, res))
					assert.Equal(t, false, out[target.doneField])
					assert.Contains(t, out["message"], "nothing was changed")
				}

				switch {
				case tc.gateOff:
					assert.Empty(t, el.asked(), "with the gate off nobody is asked")
					assert.Equal(t, []string{target.mutation}, h.operations(), "and the target is not even read")
				case el != nil:
					asked := el.asked()
					require.Len(t, asked, 1, "the user is asked once")
					for _, s := range shown {
						assert.Contains(t, asked[0], s, "the question names the exact target")
					}
				}
				if tc.want != "done" {
					assert.Contains(t, []int{0, 1}, len(h.fake.RequestsFor(target.fetch)), "at most the read of the target")
				}
			})
		}
	}
}

// TestConfirmationIsBoundToTheTarget shows that the `confirm` value of one
// target does not unlock another: a confirmation for client A sent with the
// id of client B deletes nothing.
func TestConfirmationIsBoundToTheTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := h.confidentialClient(t), h.publicClient(t)
	text := h.fail(t, "delete_oauth_client", map[string]any{"client_id": b.ClientID, "confirm": a.ClientID})
	assert.Contains(t, text, "does not match")
	assert.Contains(t, text, b.ClientID)
	assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpDeleteClient))
	for _, id := range []string{a.ClientID, b.ClientID} {
		_, ok := h.fake.Client(id)
		assert.True(t, ok, "%s still exists", id)
	}
}

// Every field of the consent answer is optional
// (https://developers.telnyx.com/api-reference/oauth/get-oauth-consent-token). Without
// elicitation, `confirm` must equal the target's id; a target without an id
// must not let a call with no `confirm` at all through.
func TestConfirmFailsClosedWithoutTargetID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.confidentialClient(t)
	token := h.fake.NewConsentToken(cl.ClientID, confRedirect, "admin", "st", "", "")
	h.fake.Inject(telnyxfake.OpGetConsentToken, faultinject.Status(http.StatusOK, `{"data":{"name":"Billing dashboard","redirect_uri":"`+confRedirect+`"}}`))
	h.fail(t, "submit_oauth_consent", map[string]any{"consent_token": token, "allowed": true})
	assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpCreateGrant), "consent was submitted without confirmation")

	h.fake.Inject(telnyxfake.OpGetClient, faultinject.Status(http.StatusOK, `{"data":{"name":"Billing dashboard","client_type":"confidential","require_pkce":false}}`))
	h.fail(t, "delete_oauth_client", map[string]any{"client_id": cl.ClientID})
	assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpDeleteClient), "the client was deleted without confirmation")
}

// Strings from the API are stripped of control, zero-width and bidi
// characters before anyone sees them, and the confirmation
// preview is what the user reads before approving.
func TestConfirmPreviewSanitized(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	token := h.fake.NewConsentToken("cid", confRedirect, "admin", "st", "", "")
	h.fake.Inject(telnyxfake.OpGetConsentToken, faultinject.Status(http.StatusOK,
		`{"data":{"client_id":"cid","name":"App","redirect_uri":"https://evil.example/\u202ecom.good//:sptth","requested_scopes":[{"id":"ad\u200bmin\u0007"}]}}`))
	text := h.fail(t, "submit_oauth_consent", map[string]any{"consent_token": token, "allowed": true})
	for _, r := range []string{"\u202e", "\u200b", "\u0007"} {
		assert.NotContains(t, text, r)
	}
	assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpCreateGrant))
}

// The action line of a question holds API data too (update names the
// client_id Telnyx returned): it is cleaned like the details.
func TestConfirmActionSanitized(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.Inject(telnyxfake.OpGetClient, faultinject.Status(http.StatusOK,
		`{"data":{"client_id":"cid\u202e\u0007\nApproved by admin","name":"App","client_type":"confidential","redirect_uris":["`+confRedirect+`"]}}`))
	text := h.fail(t, "update_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID, "redirect_uris": []string{"https://new.example.com/cb"}})
	assert.Contains(t, text, "Confirmation required")
	for _, r := range []string{"\u202e", "\u0007", "\nApproved by admin"} {
		assert.NotContains(t, text, r)
	}
	assert.Empty(t, h.fake.RequestsFor(telnyxfake.OpUpdateClient))
}
