package tools_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestCanariesNeverLeak runs a spread of calls, successes and failures (401,
// 400, 422, 500, HTML pages, upstream errors that echo the request back),
// with canary values for the API key, a client secret, an access token, a
// refresh token, an authorization code, a PKCE verifier and a consent token,
// and checks that none reaches the log (debug level) or any isError text.
// TestMain checks the logs of every other test for the suite's API key
// canary.
func TestCanariesNeverLeak(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withAPIKey("KEYCANARY-"+randomHex(16)), withConfirmer(tools.NewConfirmer(false, nil)))
	// A second server whose key the fake refuses: genuine 401s.
	refused := newHarness(t, withAPIKey("KEYCANARY-"+randomHex(16)), withRefusedAPIKey())

	canaries := map[string]string{"API key": h.apiKey, "refused API key": refused.apiKey}
	var errorTexts []string
	run := func(h *harness, tool string, args map[string]any) {
		t.Helper()
		res := h.call(t, tool, args)
		if res.IsError {
			errorTexts = append(errorTexts, tool+": "+resultText(res))
		}
	}

	// A client secret from create, then an access token from exchange.
	created := decode[tools.CreateClientOutput](t, h.ok(t, "create_oauth_client", map[string]any{
		"name": "Canary app", "client_type": "confidential", "allowed_scopes": []string{"admin", "numbers.read"},
		"allowed_grant_types": []string{"client_credentials", "authorization_code", "refresh_token"}, "redirect_uris": []string{confRedirect}}))
	id, secret := created.Client.ClientID, created.ClientSecret
	canaries["client secret"] = secret
	canaries["client credentials (HTTP Basic)"] = strings.TrimPrefix(basicAuth(id, secret), "Basic ")
	tok := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
		"grant_type": "client_credentials", "client_id": id, "client_secret": secret}))
	canaries["access token"] = tok.AccessToken

	verifier := "VERIFIERCANARY-" + randomHex(16)
	canaries["code verifier"] = verifier
	code := h.authCode(t, id, confRedirect, "admin", verifier)
	canaries["authorization code"] = code
	consent := h.fake.NewConsentToken(id, confRedirect, "admin", "st", "", "")
	canaries["consent token"] = consent

	// Successes that carry the secrets as arguments.
	run(h, "introspect_oauth_token", map[string]any{"token": tok.AccessToken, "client_id": id, "client_secret": secret})
	run(h, "get_oauth_consent", map[string]any{"consent_token": consent})
	codeTok := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
		"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect, "code_verifier": verifier,
		"client_id": id, "client_secret": secret}))
	canaries["refresh token"] = codeTok.RefreshToken

	// Upstream failures that quote the request, secrets included.
	h.fake.Inject(telnyxfake.OpGetClient, faultinject.EchoRequest(401, false))
	run(h, "get_oauth_client", map[string]any{"client_id": id})
	h.fake.Inject(telnyxfake.OpListClients, faultinject.EchoRequest(500, false), faultinject.EchoRequest(500, false), faultinject.EchoRequest(500, false))
	run(h, "list_oauth_clients", map[string]any{"name": "x"})
	h.fake.Inject(telnyxfake.OpUpdateClient, faultinject.EchoRequest(422, false))
	run(h, "update_oauth_client", map[string]any{"client_id": id, "name": "renamed"})
	h.fake.Inject(telnyxfake.OpToken, faultinject.EchoRequest(400, true))
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": codeTok.RefreshToken, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpToken, faultinject.EchoRequest(500, true))
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect,
		"code_verifier": verifier, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpIntrospect, faultinject.EchoRequest(401, true))
	run(h, "introspect_oauth_token", map[string]any{"token": tok.AccessToken, "client_id": id, "client_secret": secret})
	h.fake.Inject(telnyxfake.OpGetConsentToken, faultinject.EchoRequest(422, true))
	run(h, "get_oauth_consent", map[string]any{"consent_token": consent})
	h.fake.Inject(telnyxfake.OpCreateGrant, faultinject.EchoRequest(500, true))
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})
	h.fake.Inject(telnyxfake.OpGetGrant, faultinject.HTML(502), faultinject.HTML(502), faultinject.HTML(502))
	run(h, "get_oauth_grant", map[string]any{"grant_id": "g-1"})
	h.fake.Inject(telnyxfake.OpRevokeGrant, faultinject.EchoRequest(404, false))
	run(h, "revoke_oauth_grant", map[string]any{"grant_id": "g-1"})
	h.fake.Inject(telnyxfake.OpDeleteClient, faultinject.EchoRequest(500, false), faultinject.EchoRequest(500, false), faultinject.EchoRequest(500, false))
	run(h, "delete_oauth_client", map[string]any{"client_id": id})

	// Genuine refusals by the fake: a wrong secret, a used code, a bad scope,
	// an unknown client at authorize, a consent token used up.
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": secret + "x"})
	run(h, "exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": code, "redirect_uri": confRedirect,
		"code_verifier": verifier, "client_id": id, "client_secret": secret})
	run(h, "create_oauth_client", map[string]any{"name": "Bad scope", "client_type": "confidential",
		"allowed_scopes": []string{"not-a-scope"}, "allowed_grant_types": []string{"client_credentials"}})
	run(h, "build_oauth_authorize_url", map[string]any{"client_id": "no-such-client", "redirect_uri": confRedirect, "check": true})
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})
	run(h, "submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})

	// The API key itself refused (401 from the fake), on every bearer tool.
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"list_oauth_clients", nil},
		{"get_oauth_client", map[string]any{"client_id": "cli-1"}},
		{"create_oauth_client", map[string]any{"name": "x", "client_type": "confidential", "allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}}},
		{"delete_oauth_client", map[string]any{"client_id": "cli-1", "confirm": "cli-1"}},
		{"list_oauth_grants", nil},
		{"get_oauth_consent", map[string]any{"consent_token": "tok-1"}},
	} {
		run(refused, call.tool, call.args)
	}
	require.Len(t, refused.fake.RequestsFor(telnyxfake.OpListClients), 1, "the refused key was sent")

	assert.GreaterOrEqual(t, len(errorTexts), 22, "the failures really failed")
	logs := h.logs.String() + refused.logs.String()
	assert.Contains(t, logs, "tool call", "the debug log was written")
	for what, value := range canaries {
		require.GreaterOrEqual(t, len(value), 16, what)
		assert.NotContains(t, logs, value, "the %s reached the log", what)
		assert.NotContains(t, logs, value[len(value)-12:], "a piece of the %s reached the log", what)
		for _, text := range errorTexts {
			assert.NotContains(t, text, value, "the %s reached an error result", what)
		}
	}
	// The echoing upstream did quote the key: the scrubbing was exercised.
	joined := strings.Join(errorTexts, "\n")
	assert.Contains(t, joined, "[redacted]")
	assert.Contains(t, joined, "TELNYX_API_KEY", "a 401 says which credential to check")
}

// The canary sweep: a canary value for every kind of secret the server
// handles, every tool run with them, without faults and under every fault
// of the fault table plus upstreams that echo the request back; no canary
// may reach the log (debug level) or any result, except a secret that is
// the point of the call, in that call's own result. The
// inbound HTTP tokens are swept in httpserver's canary test.

// canaries are planted secrets, each a distinct random value whose kind
// is in its name. They use only characters that no encoding on the way
// (JSON, form, path) changes, so a leak is found verbatim.
type canaries map[string]string

func plantCanaries() canaries {
	return canaries{
		"API key":            "KEYCANARY-" + randomHex(16),
		"client secret":      "SECRETCANARY-" + randomHex(16),
		"authorization code": "CODECANARY-" + randomHex(16),
		"code verifier":      "VERIFIERCANARY-" + randomHex(24), // 43+ characters, as PKCE wants
		"refresh token":      "RTCANARY-" + randomHex(16),
		"consent token":      "CTCANARY-" + randomHex(16),
		"introspected token": "ITCANARY-" + randomHex(16),
		// A JWT-shaped access token whose signature is the canary.
		"access token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImNhbmFyeSJ9.eyJzdWIiOiJjYW5hcnkifQ.ATCANARY-" + randomHex(16),
		"bearer token": "BEARERCANARY-" + randomHex(16),
	}
}

// leaks returns the kinds of canary found in text, whole or by their last
// twelve characters (a masked secret keeps only four).
func (c canaries) leaks(text string) []string {
	var out []string
	for kind, v := range c {
		if strings.Contains(text, v) || strings.Contains(text, v[len(v)-12:]) {
			out = append(out, kind)
		}
	}
	return out
}

// sweepCall is one tool call of the sweep.
type sweepCall struct {
	label string
	tool  string
	// bearer marks calls authenticated with the account bearer.
	bearer bool
	args   func(c canaries, clientID, grantID string) map[string]any
}

var sweepCalls = []sweepCall{
	{label: "get_oauth_server_metadata", tool: "get_oauth_server_metadata", args: func(canaries, string, string) map[string]any { return map[string]any{} }},
	{label: "get_oauth_protected_resource_metadata", tool: "get_oauth_protected_resource_metadata", args: func(canaries, string, string) map[string]any { return nil }},
	{label: "get_oauth_jwks", tool: "get_oauth_jwks", args: func(canaries, string, string) map[string]any { return nil }},
	{label: "build_oauth_authorize_url", tool: "build_oauth_authorize_url", args: func(_ canaries, id, _ string) map[string]any {
		return map[string]any{"client_id": id, "redirect_uri": confRedirect, "scope": "admin", "check": true}
	}},
	{label: "exchange_oauth_token authorization_code", tool: "exchange_oauth_token", args: func(c canaries, id, _ string) map[string]any {
		return map[string]any{"grant_type": "authorization_code", "code": c["authorization code"], "redirect_uri": confRedirect,
			"code_verifier": c["code verifier"], "client_id": id, "client_secret": c["client secret"]}
	}},
	{label: "exchange_oauth_token refresh_token", tool: "exchange_oauth_token", args: func(c canaries, id, _ string) map[string]any {
		return map[string]any{"grant_type": "refresh_token", "refresh_token": c["refresh token"], "client_id": id, "client_secret": c["client secret"]}
	}},
	{label: "exchange_oauth_token client_credentials", tool: "exchange_oauth_token", args: func(c canaries, id, _ string) map[string]any {
		return map[string]any{"grant_type": "client_credentials", "client_id": id, "client_secret": c["client secret"]}
	}},
	{label: "introspect_oauth_token", tool: "introspect_oauth_token", args: func(c canaries, id, _ string) map[string]any {
		return map[string]any{"token": c["introspected token"], "client_id": id, "client_secret": c["client secret"]}
	}},
	{label: "verify_oauth_access_token", tool: "verify_oauth_access_token", args: func(c canaries, _, _ string) map[string]any {
		return map[string]any{"token": c["access token"]}
	}},
	{label: "register_oauth_client", tool: "register_oauth_client", args: func(canaries, string, string) map[string]any {
		return map[string]any{"client_name": "Registered", "redirect_uris": []string{confRedirect}}
	}},
	{label: "get_oauth_consent", tool: "get_oauth_consent", bearer: true, args: func(c canaries, _, _ string) map[string]any {
		return map[string]any{"consent_token": c["consent token"]}
	}},
	{label: "submit_oauth_consent", tool: "submit_oauth_consent", bearer: true, args: func(c canaries, _, _ string) map[string]any {
		return map[string]any{"consent_token": c["consent token"], "allowed": true}
	}},
	{label: "list_oauth_clients", tool: "list_oauth_clients", bearer: true, args: func(canaries, string, string) map[string]any { return map[string]any{} }},
	{label: "create_oauth_client", tool: "create_oauth_client", bearer: true, args: func(canaries, string, string) map[string]any {
		return map[string]any{"name": "Created", "client_type": "confidential", "allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}}
	}},
	{label: "get_oauth_client", tool: "get_oauth_client", bearer: true, args: func(_ canaries, id, _ string) map[string]any {
		return map[string]any{"client_id": id}
	}},
	{label: "update_oauth_client", tool: "update_oauth_client", bearer: true, args: func(_ canaries, id, _ string) map[string]any {
		return map[string]any{"client_id": id, "name": "Renamed"}
	}},
	{label: "delete_oauth_client", tool: "delete_oauth_client", bearer: true, args: func(_ canaries, id, _ string) map[string]any {
		return map[string]any{"client_id": id}
	}},
	{label: "list_oauth_grants", tool: "list_oauth_grants", bearer: true, args: func(canaries, string, string) map[string]any { return nil }},
	{label: "get_oauth_grant", tool: "get_oauth_grant", bearer: true, args: func(_ canaries, _, g string) map[string]any {
		return map[string]any{"grant_id": g}
	}},
	{label: "revoke_oauth_grant", tool: "revoke_oauth_grant", bearer: true, args: func(_ canaries, _, g string) map[string]any {
		return map[string]any{"grant_id": g}
	}},
}

// sweepFault is a fault of the sweep; echoing ones quote the request
// (credentials, path and body) back in an error body.
type sweepFault struct {
	name  string
	fault func(canaryURL string) faultinject.Fault
	echo  bool
}

var sweepFaults = []sweepFault{
	{name: "reset before body", fault: func(string) faultinject.Fault { return faultinject.ResetBeforeBody() }},
	{name: "reset after apply", fault: func(string) faultinject.Fault { return faultinject.ResetAfterApply() }},
	{name: "hang", fault: func(string) faultinject.Fault { return faultinject.Hang() }},
	{name: "trickle", fault: func(string) faultinject.Fault { return faultinject.Trickle(http.StatusOK, 1, 0) }},
	{name: "50 MiB body", fault: func(string) faultinject.Fault { return faultinject.LargeBody(http.StatusOK, 50<<20) }},
	{name: "HTML 502", fault: func(string) faultinject.Fault { return faultinject.HTML(http.StatusBadGateway) }},
	{name: "HTML 403", fault: func(string) faultinject.Fault { return faultinject.HTML(http.StatusForbidden) }},
	{name: "200 text/html", fault: func(string) faultinject.Fault {
		return faultinject.Body(http.StatusOK, "text/html", portalPage)
	}},
	{name: "truncated JSON", fault: func(string) faultinject.Fault {
		return faultinject.Body(http.StatusOK, "application/json", `{"data":[{"client_id":"x"`)
	}},
	{name: "wrong JSON types", fault: func(string) faultinject.Fault {
		return faultinject.Body(http.StatusOK, "application/json", `{"data":"x","keys":"x","access_token":7,"active":"yes","issuer":[],"resource":{}}`)
	}},
	{name: "empty 200", fault: func(string) faultinject.Fault { return faultinject.Body(http.StatusOK, "application/json", "") }},
	{name: "204", fault: func(string) faultinject.Fault { return faultinject.Body(http.StatusNoContent, "", "") }},
	{name: "corrupt gzip", fault: func(string) faultinject.Fault { return faultinject.CorruptGzip(http.StatusOK) }},
	{name: "302 to a canary", fault: func(canary string) faultinject.Fault {
		return faultinject.Redirect(http.StatusFound, canary+"/steal")
	}},
	{name: "garbage Retry-After", fault: func(string) faultinject.Fault { return faultinject.RetryAfter(http.StatusServiceUnavailable, "soon") }},
	{name: "echo 500", echo: true, fault: func(string) faultinject.Fault { return faultinject.EchoRequest(http.StatusInternalServerError, false) }},
	{name: "echo 401", echo: true, fault: func(string) faultinject.Fault { return faultinject.EchoRequest(http.StatusUnauthorized, false) }},
	{name: "echo 422", echo: true, fault: func(string) faultinject.Fault { return faultinject.EchoRequest(http.StatusUnprocessableEntity, false) }},
	{name: "echo 400 OAuth shape", echo: true, fault: func(string) faultinject.Fault { return faultinject.EchoRequest(http.StatusBadRequest, true) }},
	{name: "echo 500 OAuth shape", echo: true, fault: func(string) faultinject.Fault { return faultinject.EchoRequest(http.StatusInternalServerError, true) }},
}

// switchable is a fault that runs whatever fault is current, or the real
// behaviour when none is. Queued in bulk for every operation, it lets one
// harness go through every fault without leftover queue entries.
type switchable struct {
	cur atomic.Pointer[faultinject.Fault]
}

func (s *switchable) fault() faultinject.Fault {
	return func(w http.ResponseWriter, r *http.Request, real http.Handler) {
		if f := s.cur.Load(); f != nil {
			(*f)(w, r, real)
			return
		}
		real.ServeHTTP(w, r)
	}
}

func (s *switchable) set(f faultinject.Fault) {
	if f == nil {
		s.cur.Store(nil)
		return
	}
	s.cur.Store(&f)
}

// plantedBearer is a stored login's bearer (Config.Bearer) whose token is
// a canary; Current lets the client scrub it from error texts.
type plantedBearer struct{ token string }

func (b plantedBearer) Token(context.Context) (string, error) { return b.token, nil }
func (b plantedBearer) Current() string                       { return b.token }

// TestCanarySweep: every tool (and every grant type of exchange), under
// every fault of the table and upstreams that echo the request, with the
// account bearer being the API key, a stored login's token or a
// client-credentials token: no canary in any result or log line.
func TestCanarySweep(t *testing.T) {
	t.Parallel()
	var canaryHits atomic.Int32
	canary := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { canaryHits.Add(1) }))
	t.Cleanup(canary.Close)

	type variant struct {
		name string
		// opts builds the harness options from the canaries.
		opts func(c canaries) []option
		// bearerOnly runs only the calls that use the account bearer, with
		// the faults that could carry it back.
		bearerOnly bool
	}
	// Hangs and trickles end after one short attempt: retries add nothing to
	// what can leak, only time.
	short := func(cfg *telnyxapi.Config) {
		cfg.AttemptTimeout = 100 * time.Millisecond
		cfg.MaxRetries = -1
	}
	variants := []variant{
		{name: "API key", opts: func(c canaries) []option {
			return []option{withoutConfirmation(), withAPIKey(c["API key"]), withAPIConfig(short)}
		}},
		{name: "stored login bearer", bearerOnly: true, opts: func(c canaries) []option {
			return []option{withoutConfirmation(), withAPIKey(""), withRefusedAPIKey(), withAPIConfig(func(cfg *telnyxapi.Config) {
				short(cfg)
				cfg.Bearer = plantedBearer{token: c["bearer token"]}
			})}
		}},
		{name: "client-credentials bearer", bearerOnly: true, opts: func(c canaries) []option {
			return []option{withoutConfirmation(), withAPIKey(""), withRefusedAPIKey(), withAPIConfig(func(cfg *telnyxapi.Config) {
				short(cfg)
				cfg.ClientID = "5eed0999-0000-4000-8000-00000000c999"
				cfg.ClientSecret = c["client secret"]
			})}
		}},
	}
	var mu sync.Mutex
	errorsSeen, callsSeen := 0, 0
	for _, v := range variants {
		for _, call := range sweepCalls {
			if v.bearerOnly && !call.bearer {
				continue
			}
			t.Run(v.name+"/"+call.label, func(t *testing.T) {
				t.Parallel()
				c := plantCanaries()
				h := newHarness(t, v.opts(c)...)
				conf := h.fake.AddClient(telnyxfake.Client{ClientID: "5eed0999-0000-4000-8000-00000000c999", Name: "Canary app",
					ClientType: telnyxfake.ClientTypeConfidential, ClientSecret: c["client secret"],
					AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials, telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken},
					AllowedScopes:     []string{"admin"}, RedirectURIs: []string{confRedirect}})
				grant := h.fake.AddGrant(telnyxfake.Grant{ClientID: conf.ClientID, Scopes: []string{"admin"}})
				sw := &switchable{}
				for _, op := range toolOps[call.tool] {
					for range 2 * (len(sweepFaults) + 1) {
						h.fake.Inject(op, sw.fault())
					}
				}
				var texts []string
				check := func(what, text string) {
					t.Helper()
					texts = append(texts, text)
					if kinds := c.leaks(text); len(kinds) > 0 {
						t.Errorf("%s: %v leaked into the result: %s", what, kinds, text)
					}
				}
				// Without a fault first: the real fake refuses most canaries.
				check("no fault", allText(h.callArgs(t, call.tool, call.args(c, conf.ClientID, grant.ID))))
				for _, f := range sweepFaults {
					if v.bearerOnly && !f.echo && f.name != "reset after apply" && f.name != "HTML 403" {
						continue
					}
					sw.set(f.fault(canary.URL))
					res := h.callArgs(t, call.tool, call.args(c, conf.ClientID, grant.ID))
					sw.set(nil)
					check(f.name, allText(res))
					mu.Lock()
					callsSeen++
					if res.IsError {
						errorsSeen++
					}
					mu.Unlock()
				}
				// The client-credentials token the client fetched is a secret too.
				for _, r := range h.fake.Requests() {
					if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && r.Operation != telnyxfake.OpToken {
						c["fetched bearer"] = tok
					}
				}
				if kinds := c.leaks(h.logs.String() + strings.Join(texts, "\n")); len(kinds) > 0 {
					t.Errorf("%v leaked into the log or a result", kinds)
				}
			})
		}
	}
	t.Cleanup(func() {
		assert.Zero(t, canaryHits.Load(), "a redirect was followed")
		assert.Greater(t, errorsSeen, callsSeen*3/4, "the faults really failed the calls (%d of %d)", errorsSeen, callsSeen)
	})
}

// TestCanarySweepSuccesses runs every tool successfully, in the order of a
// real flow, with canaries planted where the caller supplies secrets:
// planted canaries never appear in a result, a secret a call mints (a new
// client secret, issued tokens, a PKCE verifier, the code in the consent
// redirect) appears only in that call's own result, and no canary reaches
// the log.
func TestCanarySweepSuccesses(t *testing.T) {
	t.Parallel()
	c := plantCanaries()
	h := newHarness(t, withoutConfirmation(), withAPIKey(c["API key"]))
	conf := h.fake.AddClient(telnyxfake.Client{Name: "Canary app", ClientType: telnyxfake.ClientTypeConfidential, ClientSecret: c["client secret"],
		AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials, telnyxfake.GrantAuthorizationCode, telnyxfake.GrantRefreshToken},
		AllowedScopes:     []string{"admin"}, RedirectURIs: []string{confRedirect}})
	// Canaries the fake mints: the consent token now, the rest as calls return them.
	consent := h.fake.NewConsentToken(conf.ClientID, confRedirect, "admin", "st", safetext.S256(c["code verifier"]), "S256")
	c["consent token"] = consent

	ran := map[string]bool{}
	run := func(tool string, args map[string]any) map[string]any {
		t.Helper()
		res := h.callArgs(t, tool, args)
		require.False(t, res.IsError, "%s: %s", tool, resultText(res))
		ran[tool] = true
		if kinds := c.leaks(allText(res)); len(kinds) > 0 {
			t.Errorf("%s: %v leaked into its result", tool, kinds)
		}
		return decode[map[string]any](t, structuredJSON(t, res))
	}
	mint := func(kind string, v any) {
		t.Helper()
		s, _ := v.(string)
		require.GreaterOrEqual(t, len(s), 16, "%s: %v", kind, v)
		c[kind] = s
	}

	run("get_oauth_server_metadata", nil)
	run("get_oauth_protected_resource_metadata", nil)
	run("get_oauth_jwks", nil)
	authz := run("build_oauth_authorize_url", map[string]any{"client_id": conf.ClientID, "redirect_uri": confRedirect, "scope": "admin", "check": true})
	mint("minted verifier", authz["code_verifier"])
	run("get_oauth_consent", map[string]any{"consent_token": consent})
	decision := run("submit_oauth_consent", map[string]any{"consent_token": consent, "allowed": true})
	u, err := url.Parse(decision["redirect_uri"].(string))
	require.NoError(t, err)
	mint("minted code", u.Query().Get("code"))
	tok := run("exchange_oauth_token", map[string]any{"grant_type": "authorization_code", "code": c["minted code"], "redirect_uri": confRedirect,
		"code_verifier": c["code verifier"], "client_id": conf.ClientID, "client_secret": c["client secret"]})
	mint("minted access token", tok["access_token"])
	mint("minted refresh token", tok["refresh_token"])
	rotated := run("exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": c["minted refresh token"],
		"client_id": conf.ClientID, "client_secret": c["client secret"]})
	mint("rotated access token", rotated["access_token"])
	mint("rotated refresh token", rotated["refresh_token"])
	cc := run("exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "client_id": conf.ClientID, "client_secret": c["client secret"]})
	mint("client-credentials token", cc["access_token"])
	run("introspect_oauth_token", map[string]any{"token": c["rotated access token"], "client_id": conf.ClientID, "client_secret": c["client secret"]})
	run("verify_oauth_access_token", map[string]any{"token": c["client-credentials token"]})
	reg := run("register_oauth_client", map[string]any{"client_name": "Registered", "redirect_uris": []string{confRedirect}})
	mint("registered secret", reg["client_secret"])
	run("list_oauth_clients", map[string]any{})
	created := run("create_oauth_client", map[string]any{"name": "Created", "client_type": "confidential",
		"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}})
	mint("created secret", created["client_secret"])
	id := created["client"].(map[string]any)["client_id"].(string)
	run("get_oauth_client", map[string]any{"client_id": id})
	run("update_oauth_client", map[string]any{"client_id": id, "name": "Renamed"})
	grants := run("list_oauth_grants", nil)
	list, _ := grants["grants"].([]any)
	require.NotEmpty(t, list, "the consent made a grant")
	gid := list[0].(map[string]any)["id"].(string)
	run("get_oauth_grant", map[string]any{"grant_id": gid})
	run("revoke_oauth_grant", map[string]any{"grant_id": gid})
	run("delete_oauth_client", map[string]any{"client_id": id})

	for _, tl := range tools.All(tools.Deps{}) {
		assert.True(t, ran[tl.Name()], "%s was not run by the sweep", tl.Name())
	}
	// The Basic credential in its wire form is a secret as well.
	c["basic credential"] = base64.StdEncoding.EncodeToString([]byte(conf.ClientID + ":" + c["client secret"]))
	logs := h.logs.String()
	assert.Contains(t, logs, "tool call", "the debug log was written")
	if kinds := c.leaks(logs); len(kinds) > 0 {
		t.Errorf("%v leaked into the log", kinds)
	}
}

// A 2xx whose body cannot be decoded must not put the secrets it carries
// (access and refresh tokens, a new client's secret) into error text, and
// for a call that is never retried it must say the outcome is unknown
// rather than invite a blind retry.
func TestUndecodableSuccessKeepsSecretsOut(t *testing.T) {
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

// Authorization codes never appear in error text: a consent
// decision answered with a redirect carrying the code must not show it.
func TestRedirectErrorHidesCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cl := h.confidentialClient(t)
	token := h.fake.NewConsentToken(cl.ClientID, confRedirect, "admin", "st", "", "")
	h.fake.Inject(telnyxfake.OpCreateGrant, faultinject.Redirect(http.StatusFound, confRedirect+"?code=CODE-LEAK-0123456789&state=st"))
	text := h.fail(t, "submit_oauth_consent", map[string]any{"consent_token": token, "allowed": true, "confirm": cl.ClientID})
	assert.NotContains(t, text, "CODE-LEAK")
	assert.Contains(t, text, "redirect")
}
