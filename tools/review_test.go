package tools_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

const reviewClientJSON = `{"record_type":"oauth_client","client_id":"c-review","name":"n","client_type":"confidential","require_pkce":false,"client_secret":"STORED-SECRET-0123456789"}`

// The API includes client_secret on a client object "when available". Only
// create_oauth_client may show it (SECURITY, issue 2 §6); get, list and
// update must not, whatever --secrets says.
func TestReviewClientSecretOnlyFromCreate(t *testing.T) {
	t.Parallel()
	for _, policy := range []tools.SecretsPolicy{tools.SecretsShow, tools.SecretsRedact} {
		h := newHarness(t, withSecrets(policy))
		h.fake.Inject(telnyxfake.OpGetClient, faultinject.Status(http.StatusOK, `{"data":`+reviewClientJSON+`}`))
		h.fake.Inject(telnyxfake.OpListClients, faultinject.Status(http.StatusOK,
			`{"data":[`+reviewClientJSON+`],"meta":{"page_number":1,"page_size":20,"total_pages":1,"total_results":1}}`))
		h.fake.Inject(telnyxfake.OpUpdateClient, faultinject.Status(http.StatusOK, `{"data":`+reviewClientJSON+`}`))

		for name, args := range map[string]map[string]any{
			"get_oauth_client":    {"client_id": "c-review"},
			"list_oauth_clients":  {},
			"update_oauth_client": {"client_id": "c-review", "name": "x"},
		} {
			raw := h.ok(t, name, args)
			assert.NotContains(t, string(raw), "STORED-SECRET", "%s (%s) shows a stored client_secret", name, policy)
		}
	}
}

// A 2xx whose body cannot be decoded must not put the secrets it carries
// (access and refresh tokens, a new client's secret) into error text, and
// for a call that is never retried it must say the outcome is unknown
// rather than invite a blind retry.
func TestReviewUndecodableSuccessKeepsSecretsOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.confidentialClient(t)

	h.fake.Inject(telnyxfake.OpToken, faultinject.Status(http.StatusOK,
		`{"access_token":"AT-LEAK-0123456789abcdef","refresh_token":"RT-LEAK-0123456789abcdef","token_type":"Bearer","expires_in":"3600"}`))
	text := h.fail(t, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_id": cl.ClientID, "client_secret": cl.ClientSecret})
	assert.NotContains(t, text, "AT-LEAK")
	assert.NotContains(t, text, "RT-LEAK")
	assert.Contains(t, text, "outcome is unknown")

	h.fake.Inject(telnyxfake.OpCreateClient, faultinject.Status(http.StatusCreated,
		`{"data":{"client_id":"new","name":7,"client_type":"confidential","client_secret":"NEW-SECRET-LEAK-0123456789"}}`))
	text = h.fail(t, "create_oauth_client", map[string]any{"name": "a", "client_type": "confidential",
		"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}})
	assert.NotContains(t, text, "NEW-SECRET-LEAK")
	assert.Contains(t, text, "outcome is unknown")
	assert.Contains(t, text, "list_oauth_clients")

	h.fake.Inject(telnyxfake.OpRegister, faultinject.Status(http.StatusCreated,
		`{"client_id":"dcr","client_id_issued_at":"now","client_secret":"DCR-SECRET-LEAK-0123456789"}`))
	text = h.fail(t, "register_oauth_client", map[string]any{"client_name": "a", "redirect_uris": []string{confRedirect}})
	assert.NotContains(t, text, "DCR-SECRET-LEAK")
	assert.Contains(t, text, "outcome is unknown")
}

// update_oauth_client with redirect_uris: [] asks to clear the list. The
// schema accepts it and validation tells it from an omitted field, so the
// request must carry the empty list rather than silently change nothing.
func TestReviewUpdateClearsRedirectURIs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.fake.AddClient(telnyxfake.Client{
		Name: "svc", ClientType: telnyxfake.ClientTypeConfidential, ClientSecret: "s-" + randomHex(8),
		AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"},
		RedirectURIs: []string{confRedirect},
	})
	out := decode[tools.OAuthClient](t, h.ok(t, "update_oauth_client", map[string]any{"client_id": cl.ClientID, "redirect_uris": []string{}, "confirm": cl.ClientID}))
	assert.Empty(t, out.RedirectURIs)
	got, ok := h.fake.Client(cl.ClientID)
	require.True(t, ok)
	assert.Empty(t, got.RedirectURIs, "the redirect URIs were not cleared")
}

// Every field of the consent answer is optional (reference §4.4). Without
// elicitation, `confirm` must equal the target's id; a target without an id
// must not let a call with no `confirm` at all through.
func TestReviewConfirmFailsClosedWithoutTargetID(t *testing.T) {
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

// Authorization codes never appear in error text (issue 2 §6): a consent
// decision answered with a redirect carrying the code must not show it.
func TestReviewRedirectErrorHidesCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.confidentialClient(t)
	token := h.fake.NewConsentToken(cl.ClientID, confRedirect, "admin", "st", "", "")
	h.fake.Inject(telnyxfake.OpCreateGrant, faultinject.Redirect(http.StatusFound, confRedirect+"?code=CODE-LEAK-0123456789&state=st"))
	text := h.fail(t, "submit_oauth_consent", map[string]any{"consent_token": token, "allowed": true, "confirm": cl.ClientID})
	assert.NotContains(t, text, "CODE-LEAK")
	assert.Contains(t, text, "redirect")
}

// Strings from the API are stripped of control, zero-width and bidi
// characters before anyone sees them (issue 2 §3), and the confirmation
// preview is what the user reads before approving.
func TestReviewConfirmPreviewSanitized(t *testing.T) {
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

// A DELETE whose first attempt may have taken effect, retried into a 404,
// is a likely delete: not a hard error, and not a bare "deleted": true
// either. The structured result says "likely" in a field of its own.
func TestDeleteRetriedInto404IsOnlyLikely(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.confidentialClient(t)
	h.fake.Inject(telnyxfake.OpDeleteClient, faultinject.ResetAfterApply())
	res := h.ok(t, "delete_oauth_client", map[string]any{"client_id": cl.ClientID, "confirm": cl.ClientID})
	out := decode[tools.DeleteClientOutput](t, res)
	assert.Equal(t, tools.OutcomeLikelyDeleted, out.Outcome, out.Message)
	assert.False(t, out.Deleted, "not proven")
	assert.Contains(t, string(res), `"outcome":"likely_deleted"`, "the structured content")
	assert.NotContains(t, string(res), `"deleted":true`)
	assert.Len(t, h.fake.RequestsFor(telnyxfake.OpDeleteClient), 2)

	g := h.fake.AddGrant(telnyxfake.Grant{ClientID: cl.ClientID, Scopes: []string{"admin"}})
	h.fake.Inject(telnyxfake.OpRevokeGrant, faultinject.ResetAfterApply())
	res = h.ok(t, "revoke_oauth_grant", map[string]any{"grant_id": g.ID, "confirm": g.ID})
	rev := decode[tools.RevokeGrantOutput](t, res)
	assert.Equal(t, tools.OutcomeLikelyRevoked, rev.Outcome, rev.Message)
	assert.False(t, rev.Revoked, "not proven")
	assert.Contains(t, string(res), `"outcome":"likely_revoked"`)
	assert.NotContains(t, string(res), `"revoked":true`)

	// An answered delete and revocation are proven.
	other := h.confidentialClient(t)
	done := decode[tools.DeleteClientOutput](t, h.ok(t, "delete_oauth_client", map[string]any{"client_id": other.ClientID, "confirm": other.ClientID}))
	assert.Equal(t, tools.OutcomeDeleted, done.Outcome)
	assert.True(t, done.Deleted)
	g = h.fake.AddGrant(telnyxfake.Grant{ClientID: other.ClientID, Scopes: []string{"admin"}})
	revoked := decode[tools.RevokeGrantOutput](t, h.ok(t, "revoke_oauth_grant", map[string]any{"grant_id": g.ID, "confirm": g.ID}))
	assert.Equal(t, tools.OutcomeRevoked, revoked.Outcome)
	assert.True(t, revoked.Revoked)

	// A plain 404 on the first attempt is still an error.
	h.fail(t, "delete_oauth_client", map[string]any{"client_id": "no-such-client", "confirm": "no-such-client"})
}
