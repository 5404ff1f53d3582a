package main

// The sandbox (--sandbox) end to end, over stdio and over HTTP: the demo
// client and the authorization code flow against the built-in fake.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// These tests run the built binary (TestMain builds it) with --sandbox, the
// way a host launches it, and walk the README's sandbox walkthroughs through
// an MCP client, over stdio and over streamable HTTP in key mode: no
// credential is set, only the sandbox's key (HTTP) and demo client.

// TestSandboxDemoClient is the README's "demo client" walkthrough: in a fresh
// sandbox, with no set-up, a client_credentials token, its introspection and
// its local verification all work.
func TestSandboxDemoClient(t *testing.T) {
	t.Parallel()
	for _, tr := range sandboxTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			sandboxDemoClient(t, tr.start(t, "--sandbox"))
		})
	}
}

func sandboxDemoClient(t *testing.T, s *sandboxSession) {

	tok := sandboxOK[tools.TokenOutput](t, s, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "scope": "numbers.read"})
	require.NotEmpty(t, tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, "numbers.read", tok.Scope)

	intro := sandboxOK[telnyxapi.IntrospectResponse](t, s, "introspect_oauth_token", map[string]any{"token": tok.AccessToken})
	assert.True(t, intro.Active)
	assert.Equal(t, telnyxfake.DemoClientID, intro.ClientID, "the demo client is the configured client")

	v := sandboxOK[tools.VerifyTokenOutput](t, s, "verify_oauth_access_token", map[string]any{"token": tok.AccessToken, "required_scopes": []string{"numbers.read"}})
	assert.True(t, v.Valid, "reason: %s", v.Reason)
	assert.Equal(t, intro.Iss, v.ExpectedIssuer)

	// The demo client's id and secret, as published, work as arguments
	// too; a wrong secret is refused with a hint naming the arguments.
	tok = sandboxOK[tools.TokenOutput](t, s, "exchange_oauth_token", map[string]any{
		"grant_type": "client_credentials", "client_id": telnyxfake.DemoClientID, "client_secret": telnyxfake.DemoClientSecret})
	require.NotEmpty(t, tok.AccessToken)
	wrong := s.call(t, "exchange_oauth_token", map[string]any{
		"grant_type": "client_credentials", "client_id": telnyxfake.DemoClientID, "client_secret": "not-the-demo-secret"})
	require.True(t, wrong.IsError)
	assert.Contains(t, firstText(wrong), "client_secret")
	assert.NotContains(t, firstText(wrong), "TELNYX_API_KEY", "the hint names the OAuth client, not the API key")
	if s.overHTTP {
		assert.NotContains(t, firstText(wrong), "TELNYX_", "the hint names arguments, not the server's environment")
	}

	// verify_oauth_access_token is in the default protocol toolset, and the
	// resources and prompts are served.
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	list, err := s.c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	var names []string
	for _, tl := range list.Tools {
		names = append(names, tl.Name)
	}
	assert.Contains(t, names, "verify_oauth_access_token")
	assert.NotContains(t, names, "submit_oauth_consent")
	res, err := s.c.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	assert.Len(t, res.Resources, 3)
	prompts, err := s.c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	require.NoError(t, err)
	assert.Len(t, prompts.Prompts, 3)
	var rr mcp.ReadResourceRequest
	rr.Params.URI = "telnyx-oauth://clients/" + telnyxfake.DemoClientID
	read, err := s.c.ReadResource(ctx, rr)
	require.NoError(t, err)
	assert.Contains(t, read.Contents[0].(mcp.TextResourceContents).Text, "Sandbox demo client")
}

// TestSandboxAuthorizationCodeFlow is the README's authorization-code
// walkthrough on the sandbox: build the authorize URL, open it as the
// user's browser would, read and approve the consent, exchange the code with
// the PKCE verifier, then introspect and verify the token.
func TestSandboxAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	for _, tr := range sandboxTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			sandboxAuthorizationCodeFlow(t, tr.start(t, "--sandbox", "--toolsets", "all"))
		})
	}
}

func sandboxAuthorizationCodeFlow(t *testing.T, s *sandboxSession) {

	// 1. The authorize URL, checked against the sandbox: a 302 to its
	// consent page (the consent token in that Location is masked).
	authz := sandboxOK[tools.AuthorizeURLOutput](t, s, "build_oauth_authorize_url", map[string]any{
		"client_id": telnyxfake.DemoClientID, "redirect_uri": telnyxfake.DemoRedirectURI,
		"scope": "numbers.read messaging.read", "check": true,
	})
	require.NotNil(t, authz.Check)
	assert.Equal(t, http.StatusFound, authz.Check.Status)
	loc, err := url.Parse(authz.Check.Location)
	require.NoError(t, err)
	assert.Equal(t, "/oauth/consent", loc.Path)
	assert.NotEmpty(t, loc.Query().Get("consent_token"))
	require.NotEmpty(t, authz.CodeVerifier)
	assert.Equal(t, "S256", authz.CodeChallengeMethod)

	// 2. The user opens the URL: the browser lands on the consent page,
	// whose address carries the consent token.
	browser := &http.Client{Timeout: callTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(browser.CloseIdleConnections)
	resp, err := browser.Get(authz.AuthorizationURL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	consentPage, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	consentToken := consentPage.Query().Get("consent_token")
	require.NotEmpty(t, consentToken)
	page, err := browser.Get(consentPage.String())
	require.NoError(t, err)
	_ = page.Body.Close()
	assert.Equal(t, http.StatusOK, page.StatusCode, "the sandbox serves the consent page")

	// 3. What is being asked, then the user's decision.
	consent := sandboxOK[telnyxapi.Consent](t, s, "get_oauth_consent", map[string]any{"consent_token": consentToken})
	assert.Equal(t, telnyxfake.DemoClientID, consent.ClientID)
	assert.Equal(t, "Sandbox demo client", consent.Name)
	assert.Equal(t, telnyxfake.DemoRedirectURI, consent.RedirectURI)
	assert.Len(t, consent.RequestedScopes, 2)

	unconfirmed := s.call(t, "submit_oauth_consent", map[string]any{"consent_token": consentToken, "allowed": true})
	require.True(t, unconfirmed.IsError, "consent needs the user's confirmation")
	assert.Contains(t, firstText(unconfirmed), `"confirm": "`+telnyxfake.DemoClientID+`"`)

	decision := sandboxOK[tools.SubmitConsentOutput](t, s, "submit_oauth_consent", map[string]any{
		"consent_token": consentToken, "allowed": true, "confirm": telnyxfake.DemoClientID})
	require.True(t, decision.Submitted)
	back, err := url.Parse(decision.RedirectURI)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8976", back.Host, "the browser returns to the demo client's loopback callback")
	code := back.Query().Get("code")
	require.NotEmpty(t, code)
	assert.Equal(t, authz.State, back.Query().Get("state"))

	// 4. The code and the PKCE verifier for tokens.
	tok := sandboxOK[tools.TokenOutput](t, s, "exchange_oauth_token", map[string]any{
		"grant_type": "authorization_code", "code": code, "redirect_uri": telnyxfake.DemoRedirectURI, "code_verifier": authz.CodeVerifier})
	require.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.RefreshToken)
	assert.ElementsMatch(t, []string{"numbers.read", "messaging.read"}, strings.Fields(tok.Scope))

	// 5. Both checks say the token is good.
	intro := sandboxOK[telnyxapi.IntrospectResponse](t, s, "introspect_oauth_token", map[string]any{"token": tok.AccessToken})
	assert.True(t, intro.Active)
	assert.Equal(t, telnyxfake.DemoClientID, intro.ClientID)
	v := sandboxOK[tools.VerifyTokenOutput](t, s, "verify_oauth_access_token", map[string]any{
		"token": tok.AccessToken, "required_scopes": []string{"numbers.read", "messaging.read"}})
	assert.True(t, v.Valid, "reason: %s", v.Reason)
	assert.Equal(t, telnyxfake.DemoClientID, v.Claims["client_id"])
	assert.Equal(t, intro.Iss, v.ExpectedIssuer)

	// The grant the user gave is in the account now.
	grants := sandboxOK[tools.ListGrantsOutput](t, s, "list_oauth_grants", map[string]any{})
	found := false
	for _, g := range grants.Grants {
		found = found || (g.ClientID == telnyxfake.DemoClientID && strings.Join(g.Scopes, " ") != "voice.read")
	}
	assert.True(t, found, "the new grant is listed: %+v", grants.Grants)

	// 6. A code is single-use: replaying it fails and, as RFC 6749 §4.1.2
	// asks, revokes what it issued. Introspection sees that; the local
	// verification cannot, which is why debug_oauth_token runs both.
	replay := s.call(t, "exchange_oauth_token", map[string]any{
		"grant_type": "authorization_code", "code": code, "redirect_uri": telnyxfake.DemoRedirectURI, "code_verifier": authz.CodeVerifier})
	assert.True(t, replay.IsError, "a code is single-use")
	intro = sandboxOK[telnyxapi.IntrospectResponse](t, s, "introspect_oauth_token", map[string]any{"token": tok.AccessToken})
	assert.False(t, intro.Active, "the replay revoked the grant, and with it the token")
	assert.True(t, sandboxOK[tools.VerifyTokenOutput](t, s, "verify_oauth_access_token", map[string]any{"token": tok.AccessToken}).Valid)
}
