package tools_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// wire is the request the Telnyx API reference
// (https://developers.telnyx.com/api-reference/oauth-clients and the OAuth
// pages beside it) prescribes for an operation.
type wire struct {
	method  string
	rawPath string // exactly as on the wire: /v2/… or, for well-known, the root
	query   url.Values
	// auth is "bearer" (the API key), "none", or a basicAuth(...) value.
	auth        string
	accept      string // application/json when empty
	contentType string // none when empty
	json        string // the JSON body, compared as JSON
	form        url.Values
}

func (h *harness) assertWire(t *testing.T, r telnyxfake.Request, w wire) {
	t.Helper()
	assert.Equal(t, w.method, r.Method, "method")
	assert.Equal(t, w.rawPath, r.RawPath, "escaped path")
	if len(w.query) == 0 {
		assert.Empty(t, r.RawQuery, "query")
	} else {
		assert.Equal(t, w.query, r.Query, "query")
	}
	switch w.auth {
	case "bearer":
		assert.Equal(t, []string{"Bearer " + h.apiKey}, r.Header.Values("Authorization"), "auth")
	case "none":
		assert.Empty(t, r.Header.Values("Authorization"), "this operation takes no credential")
	default:
		assert.Equal(t, []string{w.auth}, r.Header.Values("Authorization"), "client authentication")
	}
	accept := w.accept
	if accept == "" {
		accept = "application/json"
	}
	assert.Equal(t, accept, r.Header.Get("Accept"), "Accept")
	assert.True(t, strings.HasPrefix(r.Header.Get("User-Agent"), "telnyx-oauth-mcp"), "User-Agent %q", r.Header.Get("User-Agent"))
	if w.contentType == "" {
		assert.Empty(t, r.Header.Values("Content-Type"), "no body, no Content-Type")
		assert.Empty(t, r.Body, "no body")
	} else {
		assert.Equal(t, w.contentType, r.Header.Get("Content-Type"), "Content-Type")
	}
	switch {
	case w.json != "":
		assert.JSONEq(t, w.json, string(r.Body), "JSON body")
	case w.form != nil:
		got, err := url.ParseQuery(string(r.Body))
		require.NoError(t, err)
		assert.Equal(t, w.form, got, "form body")
	}
}

const (
	jsonType = "application/json"
	formType = "application/x-www-form-urlencoded"
)

// TestEveryToolSendsTheReferenceRequest calls each of the 17 tools through
// the MCP client against the fake and checks the exact request (method,
// escaped path, query, auth, content type, body) and the structured result.
func TestEveryToolSendsTheReferenceRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tool string
		name string
		run  func(t *testing.T, h *harness)
	}{
		{tool: "get_oauth_server_metadata", run: func(t *testing.T, h *harness) {
			got := decode[telnyxapi.AuthorizationServerMetadata](t, h.ok(t, "get_oauth_server_metadata", map[string]any{}))
			h.assertWire(t, h.only(t, telnyxfake.OpGetAuthorizationServerMetadata), wire{
				method: "GET", rawPath: "/.well-known/oauth-authorization-server", auth: "none"})
			assert.Equal(t, h.fake.URL, got.Issuer)
			assert.Equal(t, h.fake.BaseURL+"/oauth/token", got.TokenEndpoint)
			assert.Contains(t, got.CodeChallengeMethodsSupported, "S256")
			assert.Contains(t, got.ScopesSupported, "numbers.read")
		}},
		{tool: "get_oauth_protected_resource_metadata", run: func(t *testing.T, h *harness) {
			got := decode[telnyxapi.ProtectedResourceMetadata](t, h.ok(t, "get_oauth_protected_resource_metadata", nil))
			h.assertWire(t, h.only(t, telnyxfake.OpGetProtectedResourceMetadata), wire{
				method: "GET", rawPath: "/.well-known/oauth-protected-resource", auth: "none"})
			assert.Equal(t, h.fake.BaseURL, got.Resource)
			assert.Equal(t, []string{h.fake.URL}, got.AuthorizationServers)
		}},
		{tool: "get_oauth_jwks", run: func(t *testing.T, h *harness) {
			got := decode[telnyxapi.JWKS](t, h.ok(t, "get_oauth_jwks", map[string]any{}))
			h.assertWire(t, h.only(t, telnyxfake.OpGetJWKS), wire{method: "GET", rawPath: "/v2/oauth/jwks", auth: "none"})
			require.Len(t, got.Keys, 1)
			assert.Equal(t, "EC", got.Keys[0]["kty"], "unknown members pass through")
			assert.NotEmpty(t, got.Keys[0]["kid"])
			assert.NotEmpty(t, got.Keys[0]["x"])
		}},
		{tool: "build_oauth_authorize_url", name: "builds without sending", run: func(t *testing.T, h *harness) {
			pub := h.publicClient(t)
			args := map[string]any{"client_id": pub.ClientID, "redirect_uri": pubRedirect, "scope": "numbers.read"}
			got := decode[tools.AuthorizeURLOutput](t, h.ok(t, "build_oauth_authorize_url", args))
			assert.Empty(t, h.fake.Requests(), "without check nothing is sent")
			assertAuthorizeURL(t, h, got, pub.ClientID, pubRedirect, "numbers.read")
			assert.GreaterOrEqual(t, len(got.State), 16, "a random state is generated when omitted")

			again := decode[tools.AuthorizeURLOutput](t, h.ok(t, "build_oauth_authorize_url", args))
			assert.NotEqual(t, got.State, again.State, "state is random")
			assert.NotEqual(t, got.CodeVerifier, again.CodeVerifier, "the verifier is random")
			assert.Nil(t, got.Check)
		}},
		{tool: "build_oauth_authorize_url", name: "check sends one GET and does not follow the 302", run: func(t *testing.T, h *harness) {
			pub := h.publicClient(t)
			got := decode[tools.AuthorizeURLOutput](t, h.ok(t, "build_oauth_authorize_url", map[string]any{
				"client_id": pub.ClientID, "redirect_uri": pubRedirect, "scope": "numbers.read", "state": "xyz-123", "check": true}))
			u := assertAuthorizeURL(t, h, got, pub.ClientID, pubRedirect, "numbers.read")
			assert.Equal(t, "xyz-123", got.State)
			h.assertWire(t, h.only(t, telnyxfake.OpAuthorize), wire{
				method: "GET", rawPath: "/v2/oauth/authorize", query: u.Query(), auth: "none", accept: "text/html"})
			assert.Equal(t, []string{telnyxfake.OpAuthorize}, h.operations(), "the redirect is never followed")
			require.NotNil(t, got.Check)
			assert.Equal(t, http.StatusFound, got.Check.Status)
			assert.True(t, strings.HasPrefix(got.Check.Location, h.fake.URL+"/oauth/consent?"), "location %q", got.Check.Location)
			loc, err := url.Parse(got.Check.Location)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(loc.Query().Get("consent_token"), "****"), "the consent token in the location is masked")
		}},
		{tool: "exchange_oauth_token", name: "client_credentials with HTTP Basic", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			got := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
				"grant_type": "client_credentials", "scope": "numbers.read", "client_id": conf.ClientID, "client_secret": conf.ClientSecret}))
			h.assertWire(t, h.only(t, telnyxfake.OpToken), wire{
				method: "POST", rawPath: "/v2/oauth/token", auth: basicAuth(conf.ClientID, conf.ClientSecret), contentType: formType,
				form: url.Values{"grant_type": {"client_credentials"}, "scope": {"numbers.read"}}})
			assert.NotEmpty(t, got.AccessToken)
			assert.Equal(t, "Bearer", got.TokenType)
			assert.Equal(t, "numbers.read", got.Scope)
			assert.Positive(t, got.ExpiresIn)
		}},
		{tool: "exchange_oauth_token", name: "authorization_code for a public client names it in the body", run: func(t *testing.T, h *harness) {
			pub := h.publicClient(t)
			verifier := "pkce-" + randomHex(24)
			code := h.authCode(t, pub.ClientID, pubRedirect, "numbers.read", verifier)
			got := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
				"grant_type": "authorization_code", "code": code, "redirect_uri": pubRedirect, "code_verifier": verifier, "client_id": pub.ClientID}))
			h.assertWire(t, h.only(t, telnyxfake.OpToken), wire{
				method: "POST", rawPath: "/v2/oauth/token", auth: "none", contentType: formType,
				form: url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {pubRedirect},
					"code_verifier": {verifier}, "client_id": {pub.ClientID}}})
			assert.NotEmpty(t, got.AccessToken)
			assert.NotEmpty(t, got.RefreshToken)
			assert.Equal(t, "numbers.read", got.Scope)
		}},
		{tool: "exchange_oauth_token", name: "refresh_token with HTTP Basic", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			rt := h.refreshToken(t, conf)
			got := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{
				"grant_type": "refresh_token", "refresh_token": rt, "client_id": conf.ClientID, "client_secret": conf.ClientSecret}))
			h.assertWire(t, h.only(t, telnyxfake.OpToken), wire{
				method: "POST", rawPath: "/v2/oauth/token", auth: basicAuth(conf.ClientID, conf.ClientSecret), contentType: formType,
				form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}})
			assert.NotEmpty(t, got.AccessToken)
			assert.NotEqual(t, rt, got.RefreshToken, "refresh tokens rotate")
		}},
		{tool: "introspect_oauth_token", name: "confidential client with HTTP Basic", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			token := h.fake.IssueAccessToken(conf.ClientID, "admin", time.Hour)
			got := decode[telnyxapi.IntrospectResponse](t, h.ok(t, "introspect_oauth_token", map[string]any{
				"token": token, "client_id": conf.ClientID, "client_secret": conf.ClientSecret}))
			h.assertWire(t, h.only(t, telnyxfake.OpIntrospect), wire{
				method: "POST", rawPath: "/v2/oauth/introspect", auth: basicAuth(conf.ClientID, conf.ClientSecret), contentType: formType,
				form: url.Values{"token": {token}}})
			assert.True(t, got.Active)
			assert.Equal(t, conf.ClientID, got.ClientID)
			assert.Equal(t, "admin", got.Scope)
			assert.Equal(t, h.fake.URL, got.Iss)
		}},
		{tool: "introspect_oauth_token", name: "public client names itself in the body", run: func(t *testing.T, h *harness) {
			pub := h.publicClient(t)
			got := decode[telnyxapi.IntrospectResponse](t, h.ok(t, "introspect_oauth_token", map[string]any{
				"token": "not-a-token-we-issued", "client_id": pub.ClientID}))
			h.assertWire(t, h.only(t, telnyxfake.OpIntrospect), wire{
				method: "POST", rawPath: "/v2/oauth/introspect", auth: "none", contentType: formType,
				form: url.Values{"token": {"not-a-token-we-issued"}, "client_id": {pub.ClientID}}})
			assert.False(t, got.Active)
		}},
		{tool: "verify_oauth_access_token", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			token := h.fake.IssueAccessToken(conf.ClientID, "admin numbers.read", time.Hour)
			got := decode[tools.VerifyTokenOutput](t, h.ok(t, "verify_oauth_access_token", map[string]any{
				"token": token, "required_scopes": []string{"numbers.read"}}))
			assert.Equal(t, []string{telnyxfake.OpGetAuthorizationServerMetadata, telnyxfake.OpGetJWKS}, h.operations(),
				"the issuer and the keys come from the configured host, nowhere else")
			h.assertWire(t, h.only(t, telnyxfake.OpGetAuthorizationServerMetadata), wire{
				method: "GET", rawPath: "/.well-known/oauth-authorization-server", auth: "none"})
			h.assertWire(t, h.only(t, telnyxfake.OpGetJWKS), wire{method: "GET", rawPath: "/v2/oauth/jwks", auth: "none"})
			assert.True(t, got.Valid, got.Reason)
			assert.True(t, got.SignatureVerified)
			assert.Equal(t, "ES256", got.Algorithm)
			assert.Equal(t, h.fake.URL, got.ExpectedIssuer)
			assert.ElementsMatch(t, []string{"admin", "numbers.read"}, got.Scopes)

			h.fake.ResetRequests()
			forged := token[:len(token)-4] + "AAAA"
			bad := decode[tools.VerifyTokenOutput](t, h.ok(t, "verify_oauth_access_token", map[string]any{"token": forged}))
			assert.False(t, bad.Valid)
			assert.NotEmpty(t, bad.Reason)
			assert.Empty(t, h.fake.Requests(), "the keys are cached")
		}},
		{tool: "register_oauth_client", name: "public", run: func(t *testing.T, h *harness) {
			got := decode[tools.RegisterOutput](t, h.ok(t, "register_oauth_client", map[string]any{
				"client_name": "CLI tool", "redirect_uris": []string{pubRedirect}, "grant_types": []string{"authorization_code", "refresh_token"},
				"response_types": []string{"code"}, "scope": "numbers.read", "token_endpoint_auth_method": "none"}))
			h.assertWire(t, h.only(t, telnyxfake.OpRegister), wire{
				method: "POST", rawPath: "/v2/oauth/register", auth: "none", contentType: jsonType,
				json: `{"client_name":"CLI tool","redirect_uris":["` + pubRedirect + `"],"grant_types":["authorization_code","refresh_token"],
					"response_types":["code"],"scope":"numbers.read","token_endpoint_auth_method":"none"}`})
			assert.NotEmpty(t, got.ClientID)
			assert.Positive(t, got.ClientIDIssuedAt)
			assert.Empty(t, got.ClientSecret, "a public client has no secret")
			assert.Equal(t, "none", got.TokenEndpointAuthMethod)
			stored, ok := h.fake.Client(got.ClientID)
			require.True(t, ok)
			assert.Equal(t, "CLI tool", stored.Name)
		}},
		{tool: "register_oauth_client", name: "confidential returns the secret once", run: func(t *testing.T, h *harness) {
			got := decode[tools.RegisterOutput](t, h.ok(t, "register_oauth_client", map[string]any{
				"client_name": "Server app", "redirect_uris": []string{confRedirect}}))
			h.assertWire(t, h.only(t, telnyxfake.OpRegister), wire{
				method: "POST", rawPath: "/v2/oauth/register", auth: "none", contentType: jsonType,
				json: `{"client_name":"Server app","redirect_uris":["` + confRedirect + `"]}`})
			stored, ok := h.fake.Client(got.ClientID)
			require.True(t, ok)
			assert.Equal(t, stored.ClientSecret, got.ClientSecret)
			assert.NotEmpty(t, got.ClientSecret)
		}},
		{tool: "get_oauth_consent", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			token := h.fake.NewConsentToken(conf.ClientID, confRedirect, "admin numbers.read", "st", "", "")
			got := decode[telnyxapi.Consent](t, h.ok(t, "get_oauth_consent", map[string]any{"consent_token": token}))
			h.assertWire(t, h.only(t, telnyxfake.OpGetConsentToken), wire{
				method: "GET", rawPath: "/v2/oauth/consent/" + token, auth: "bearer"})
			assert.Equal(t, conf.ClientID, got.ClientID)
			assert.Equal(t, "Billing dashboard", got.Name)
			assert.Equal(t, confRedirect, got.RedirectURI)
			assert.True(t, got.Verified)
			require.Len(t, got.RequestedScopes, 2)
			assert.Equal(t, "admin", got.RequestedScopes[0].ID)
			assert.Equal(t, "numbers.read", got.RequestedScopes[1].ID)
		}},
		{tool: "submit_oauth_consent", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			token := h.fake.NewConsentToken(conf.ClientID, confRedirect, "admin", "st-9", "", "")
			got := decode[tools.SubmitConsentOutput](t, h.ok(t, "submit_oauth_consent", map[string]any{
				"consent_token": token, "allowed": true, "confirm": conf.ClientID}))
			assert.Equal(t, []string{telnyxfake.OpGetConsentToken, telnyxfake.OpCreateGrant}, h.operations(), "the target is read, then the decision sent")
			h.assertWire(t, h.only(t, telnyxfake.OpCreateGrant), wire{
				method: "POST", rawPath: "/v2/oauth/grants", auth: "bearer", contentType: jsonType,
				json: `{"allowed":true,"consent_token":"` + token + `"}`})
			assert.True(t, got.Submitted)
			assert.True(t, got.Allowed)
			u, err := url.Parse(got.RedirectURI)
			require.NoError(t, err)
			assert.Equal(t, "app.example.com", u.Host)
			assert.NotEmpty(t, u.Query().Get("code"))
			assert.Equal(t, "st-9", u.Query().Get("state"))
		}},
		{tool: "list_oauth_clients", name: "no arguments: no query, meta returned", run: func(t *testing.T, h *harness) {
			a, b := h.confidentialClient(t), h.publicClient(t)
			got := decode[tools.ListClientsOutput](t, h.ok(t, "list_oauth_clients", map[string]any{}))
			h.assertWire(t, h.only(t, telnyxfake.OpListClients), wire{method: "GET", rawPath: "/v2/oauth_clients", auth: "bearer"})
			ids := []string{}
			for _, c := range got.Clients {
				ids = append(ids, c.ClientID)
				assert.Nil(t, c.ClientSecret, "a list never carries secrets")
			}
			assert.ElementsMatch(t, []string{a.ClientID, b.ClientID}, ids)
			assert.Equal(t, telnyxapi.PaginationMeta{PageNumber: 1, PageSize: 20, TotalPages: 1, TotalResults: 2}, got.Meta)
			assert.False(t, got.HasMore)
		}},
		{tool: "list_oauth_clients", name: "pagination says there is more", run: func(t *testing.T, h *harness) {
			h.confidentialClient(t)
			h.publicClient(t)
			h.publicClient(t)
			got := decode[tools.ListClientsOutput](t, h.ok(t, "list_oauth_clients", map[string]any{"page_number": 1, "page_size": 2}))
			r := h.only(t, telnyxfake.OpListClients)
			h.assertWire(t, r, wire{method: "GET", rawPath: "/v2/oauth_clients", auth: "bearer",
				query: url.Values{"page[number]": {"1"}, "page[size]": {"2"}}})
			assert.Contains(t, r.RawQuery, "page%5Bsize%5D=2", "bracketed names are percent-encoded on the wire")
			assert.Len(t, got.Clients, 2)
			assert.Equal(t, telnyxapi.PaginationMeta{PageNumber: 1, PageSize: 2, TotalPages: 2, TotalResults: 3}, got.Meta)
			assert.True(t, got.HasMore)
		}},
		{tool: "list_oauth_clients", name: "every filter under its bracketed name", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			h.publicClient(t)
			got := decode[tools.ListClientsOutput](t, h.ok(t, "list_oauth_clients", map[string]any{
				"page_number": 1, "page_size": 5, "client_type": "confidential", "verified": true,
				"allowed_grant_type": "client_credentials", "name": "Billing dashboard", "name_contains": "Billing", "client_id": conf.ClientID}))
			r := h.only(t, telnyxfake.OpListClients)
			h.assertWire(t, r, wire{method: "GET", rawPath: "/v2/oauth_clients", auth: "bearer", query: url.Values{
				"page[number]":                          {"1"},
				"page[size]":                            {"5"},
				"filter[client_type]":                   {"confidential"},
				"filter[verified]":                      {"true"},
				"filter[allowed_grant_types][contains]": {"client_credentials"},
				"filter[name]":                          {"Billing dashboard"},
				"filter[name][contains]":                {"Billing"},
				"filter[client_id]":                     {conf.ClientID},
			}})
			assert.Contains(t, r.RawQuery, "filter%5Bclient_type%5D=confidential")
			require.Len(t, got.Clients, 1)
			assert.Equal(t, conf.ClientID, got.Clients[0].ClientID)
		}},
		{tool: "create_oauth_client", run: func(t *testing.T, h *harness) {
			got := decode[tools.CreateClientOutput](t, h.ok(t, "create_oauth_client", map[string]any{
				"name": "Reporting", "client_type": "confidential", "allowed_scopes": []string{"numbers.read"},
				"allowed_grant_types": []string{"client_credentials", "authorization_code"}, "redirect_uris": []string{confRedirect},
				"require_pkce": true, "logo_uri": "https://app.example.com/logo.png"}))
			h.assertWire(t, h.only(t, telnyxfake.OpCreateClient), wire{
				method: "POST", rawPath: "/v2/oauth_clients", auth: "bearer", contentType: jsonType,
				json: `{"name":"Reporting","client_type":"confidential","allowed_scopes":["numbers.read"],
					"allowed_grant_types":["client_credentials","authorization_code"],"redirect_uris":["` + confRedirect + `"],
					"require_pkce":true,"logo_uri":"https://app.example.com/logo.png"}`})
			stored, ok := h.fake.Client(got.Client.ClientID)
			require.True(t, ok, "the client exists upstream")
			assert.Equal(t, stored.ClientSecret, got.ClientSecret, "the secret is returned once, at the top")
			assert.Nil(t, got.Client.ClientSecret, "and not twice")
			assert.Equal(t, "Reporting", got.Client.Name)
			assert.Equal(t, "confidential", got.Client.ClientType)
			assert.True(t, got.Client.RequirePKCE)
			assert.Equal(t, []string{confRedirect}, got.Client.RedirectURIs)
			assert.Empty(t, got.Warnings)
		}},
		{tool: "get_oauth_client", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			got := decode[telnyxapi.OAuthClient](t, h.ok(t, "get_oauth_client", map[string]any{"client_id": conf.ClientID}))
			h.assertWire(t, h.only(t, telnyxfake.OpGetClient), wire{method: "GET", rawPath: "/v2/oauth_clients/" + conf.ClientID, auth: "bearer"})
			assert.Equal(t, conf.ClientID, got.ClientID)
			assert.Equal(t, "Billing dashboard", got.Name)
			assert.Equal(t, []string{"admin", "numbers.read"}, got.AllowedScopes)
			assert.Nil(t, got.ClientSecret)
		}},
		{tool: "get_oauth_client", name: "the id is one segment, as given", run: func(t *testing.T, h *harness) {
			odd := h.fake.AddClient(telnyxfake.Client{ClientID: "cli~1_x.v2", Name: "Odd id", ClientType: telnyxfake.ClientTypePublic})
			got := decode[telnyxapi.OAuthClient](t, h.ok(t, "get_oauth_client", map[string]any{"client_id": odd.ClientID}))
			r := h.only(t, telnyxfake.OpGetClient)
			assert.Equal(t, "/v2/oauth_clients/cli~1_x.v2", r.RawPath)
			assert.Equal(t, odd.ClientID, got.ClientID)
		}},
		{tool: "update_oauth_client", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			got := decode[telnyxapi.OAuthClient](t, h.ok(t, "update_oauth_client", map[string]any{
				"client_id": conf.ClientID, "name": "Billing v2", "allowed_scopes": []string{"admin"}, "confirm": conf.ClientID}))
			assert.Equal(t, []string{telnyxfake.OpGetClient, telnyxfake.OpUpdateClient}, h.operations())
			h.assertWire(t, h.only(t, telnyxfake.OpUpdateClient), wire{
				method: "PUT", rawPath: "/v2/oauth_clients/" + conf.ClientID, auth: "bearer", contentType: jsonType,
				json: `{"name":"Billing v2","allowed_scopes":["admin"]}`})
			assert.Equal(t, "Billing v2", got.Name)
			assert.Equal(t, []string{"admin"}, got.AllowedScopes)
			assert.Equal(t, []string{confRedirect}, got.RedirectURIs, "fields not given are kept")
		}},
		{tool: "delete_oauth_client", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			got := decode[tools.DeleteClientOutput](t, h.ok(t, "delete_oauth_client", map[string]any{"client_id": conf.ClientID, "confirm": conf.ClientID}))
			assert.Equal(t, []string{telnyxfake.OpGetClient, telnyxfake.OpDeleteClient}, h.operations())
			h.assertWire(t, h.only(t, telnyxfake.OpDeleteClient), wire{
				method: "DELETE", rawPath: "/v2/oauth_clients/" + conf.ClientID, auth: "bearer", accept: "*/*"})
			assert.Equal(t, tools.DeleteClientOutput{ClientID: conf.ClientID, Outcome: tools.OutcomeDeleted, Deleted: true, Message: "the client was deleted"}, got)
			_, exists := h.fake.Client(conf.ClientID)
			assert.False(t, exists)
		}},
		{tool: "list_oauth_grants", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			g1 := h.fake.AddGrant(telnyxfake.Grant{ClientID: conf.ClientID, Scopes: []string{"admin"}, CreatedAt: time.Now().Add(-time.Hour)})
			h.fake.AddGrant(telnyxfake.Grant{ClientID: conf.ClientID, Scopes: []string{"numbers.read"}})
			got := decode[tools.ListGrantsOutput](t, h.ok(t, "list_oauth_grants", map[string]any{"page_number": 1, "page_size": 1}))
			h.assertWire(t, h.only(t, telnyxfake.OpListGrants), wire{method: "GET", rawPath: "/v2/oauth_grants", auth: "bearer",
				query: url.Values{"page[number]": {"1"}, "page[size]": {"1"}}})
			require.Len(t, got.Grants, 1)
			assert.Equal(t, g1.ID, got.Grants[0].ID)
			assert.Equal(t, conf.ClientID, got.Grants[0].ClientID)
			assert.Equal(t, []string{"admin"}, got.Grants[0].Scopes)
			assert.Equal(t, telnyxapi.PaginationMeta{PageNumber: 1, PageSize: 1, TotalPages: 2, TotalResults: 2}, got.Meta)
			assert.True(t, got.HasMore)
		}},
		{tool: "get_oauth_grant", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			g := h.fake.AddGrant(telnyxfake.Grant{ClientID: conf.ClientID, Scopes: []string{"admin", "numbers.read"}})
			got := decode[telnyxapi.OAuthGrant](t, h.ok(t, "get_oauth_grant", map[string]any{"grant_id": g.ID}))
			h.assertWire(t, h.only(t, telnyxfake.OpGetGrant), wire{method: "GET", rawPath: "/v2/oauth_grants/" + g.ID, auth: "bearer"})
			assert.Equal(t, g.ID, got.ID)
			assert.Equal(t, conf.ClientID, got.ClientID)
			assert.Equal(t, []string{"admin", "numbers.read"}, got.Scopes)
		}},
		{tool: "revoke_oauth_grant", run: func(t *testing.T, h *harness) {
			conf := h.confidentialClient(t)
			g := h.fake.AddGrant(telnyxfake.Grant{ClientID: conf.ClientID, Scopes: []string{"admin"}})
			got := decode[tools.RevokeGrantOutput](t, h.ok(t, "revoke_oauth_grant", map[string]any{"grant_id": g.ID, "confirm": g.ID}))
			assert.Equal(t, []string{telnyxfake.OpGetGrant, telnyxfake.OpRevokeGrant}, h.operations())
			h.assertWire(t, h.only(t, telnyxfake.OpRevokeGrant), wire{method: "DELETE", rawPath: "/v2/oauth_grants/" + g.ID, auth: "bearer"})
			assert.True(t, got.Revoked)
			assert.Equal(t, g.ID, got.GrantID)
			require.NotNil(t, got.Grant, "revoke returns the revoked grant")
			assert.Equal(t, g.ID, got.Grant.ID)
			stored, _ := h.fake.Grant(g.ID)
			assert.True(t, stored.Revoked)
		}},
	}

	covered := map[string]bool{}
	for _, tc := range tests {
		covered[tc.tool] = true
		name := tc.tool
		if tc.name != "" {
			name += "/" + tc.name
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newHarness(t))
		})
	}
	all := tools.All(tools.Deps{})
	for _, tool := range all {
		assert.True(t, covered[tool.Name()], "no request test for %s", tool.Name())
	}
	assert.Len(t, covered, len(all), "a test for a tool that does not exist")
	assert.GreaterOrEqual(t, len(all), 17, "the 17 Telnyx OAuth operations")
}

// assertAuthorizeURL checks the URL build_oauth_authorize_url returned: the
// authorize endpoint under the API base, response_type=code, the client, the
// redirect URI, the scope, the state, and a PKCE S256 challenge derived from
// the returned verifier.
func assertAuthorizeURL(t *testing.T, h *harness, got tools.AuthorizeURLOutput, clientID, redirectURI, scope string) *url.URL {
	t.Helper()
	u, err := url.Parse(got.AuthorizationURL)
	require.NoError(t, err)
	assert.Equal(t, h.fake.BaseURL+"/oauth/authorize", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	require.Len(t, got.CodeVerifier, 43, "an RFC 7636 verifier of 32 random bytes")
	sum := sha256.Sum256([]byte(got.CodeVerifier))
	assert.Equal(t, url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirectURI},
		"scope":                 {scope},
		"state":                 {got.State},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}, q)
	assert.NotEmpty(t, got.State)
	assert.Equal(t, "S256", got.CodeChallengeMethod)
	return u
}
