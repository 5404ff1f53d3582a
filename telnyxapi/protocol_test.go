package telnyxapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuthorizeURL(t *testing.T) {
	t.Parallel()
	c := newClient(t, "https://api.telnyx.com/v2", nil)
	tests := []struct {
		name string
		p    AuthorizeParams
		want url.Values
	}{
		{
			name: "all parameters",
			p: AuthorizeParams{
				ClientID: "cid", RedirectURI: "https://app.example/cb?x=1&y=2", Scope: "numbers.read messaging.write",
				State: "st&=#", CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: "S256",
			},
			want: url.Values{
				"response_type": {"code"}, "client_id": {"cid"}, "redirect_uri": {"https://app.example/cb?x=1&y=2"},
				"scope": {"numbers.read messaging.write"}, "state": {"st&=#"},
				"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
			},
		},
		{
			name: "optional parameters left out",
			p:    AuthorizeParams{ClientID: "cid", RedirectURI: "http://127.0.0.1:9/cb"},
			want: url.Values{"response_type": {"code"}, "client_id": {"cid"}, "redirect_uri": {"http://127.0.0.1:9/cb"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(c.AuthorizeURL(tc.p))
			require.NoError(t, err)
			assert.Equal(t, "https", u.Scheme)
			assert.Equal(t, "api.telnyx.com", u.Host)
			assert.Equal(t, "/v2/oauth/authorize", u.EscapedPath())
			assert.Empty(t, u.Fragment)
			assert.Equal(t, tc.want, u.Query())
		})
	}
}

func TestCheckAuthorize(t *testing.T) {
	t.Parallel()
	params := AuthorizeParams{ClientID: "cid", RedirectURI: "https://app.example/cb", State: "s1"}
	wantQuery := params.query().Encode()

	t.Run("302 is kept as data and never followed", func(t *testing.T) {
		t.Parallel()
		canary := newFake(t, map[string]http.HandlerFunc{})
		target := canary.srv.URL + "/latest/meta-data?code=abc"
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/authorize": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target, http.StatusFound)
			},
		})
		c := newClient(t, f.base(), nil)
		got, err := c.CheckAuthorize(t.Context(), params)
		require.NoError(t, err)
		assert.Equal(t, &AuthorizeCheck{Status: http.StatusFound, Location: target}, got)
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth/authorize", query: wantQuery, accept: "text/html"})
		assert.Equal(t, 0, canary.count(), "the redirect must not be followed")
	})
	t.Run("200 consent page", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/authorize": respondType(200, "text/html", "<html><body>Consent</body></html>"),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.CheckAuthorize(t.Context(), params)
		require.NoError(t, err)
		assert.Equal(t, &AuthorizeCheck{Status: 200}, got)
	})
	t.Run("HTML error page", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/authorize": respondType(400, "text/html; charset=utf-8",
				`<!DOCTYPE html><html><head><title>Invalid client</title><script>steal()</script></head><body><p>The redirect_uri does not match.</p></body></html>`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.CheckAuthorize(t.Context(), params)
		apiErr := requireAPIError(t, err, 400)
		assert.Contains(t, apiErr.Excerpt, "Invalid client")
		assert.Contains(t, apiErr.Excerpt, "The redirect_uri does not match.")
		assert.NotContains(t, apiErr.Excerpt, "<")
		assert.NotContains(t, apiErr.Excerpt, "steal")
	})
}

func TestGetConsent(t *testing.T) {
	t.Parallel()
	t.Run("success with a JWT-like token", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/consent/eyJ.abc.def": respond(200, `{"data":{
				"client_id":"cid","name":"My app","logo_uri":null,"redirect_uri":"https://app.example/cb","verified":true,
				"requested_scopes":[{"id":"s1","name":"numbers.read","description":"Read numbers"}]}}`),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.GetConsent(t.Context(), "eyJ.abc.def")
		require.NoError(t, err)
		assert.Equal(t, "cid", got.ClientID)
		assert.Equal(t, "My app", got.Name)
		assert.Nil(t, got.LogoURI)
		assert.True(t, got.Verified)
		assert.Equal(t, []RequestedScope{{ID: "s1", Name: "numbers.read", Description: "Read numbers"}}, got.RequestedScopes)
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth/consent/eyJ.abc.def", auth: bearer(testKey)})
	})
	t.Run("422 with the token echoed back", func(t *testing.T) {
		t.Parallel()
		const token = "CTCANARY.payload.sig"
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/consent/" + token: respond(422, `{"error":"invalid_request","error_description":"consent token CTCANARY.payload.sig expired"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.GetConsent(t.Context(), token)
		apiErr := requireAPIError(t, err, 422)
		assert.Equal(t, "invalid_request", apiErr.Code)
		assert.NotContains(t, err.Error(), "CTCANARY")
		assert.Equal(t, 1, f.count())
	})
}

func TestSubmitConsent(t *testing.T) {
	t.Parallel()
	t.Run("success sends allowed even when false", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/grants": respond(200, `{"redirect_uri":"https://app.example/cb?error=access_denied"}`),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.SubmitConsent(t.Context(), "eyJ.abc.def", false)
		require.NoError(t, err)
		assert.Equal(t, "https://app.example/cb?error=access_denied", got.RedirectURI)
		assertRequest(t, f.only(t), want{
			method: "POST", path: "/v2/oauth/grants", auth: bearer(testKey), contentType: "application/json",
			jsonBody: `{"allowed":false,"consent_token":"eyJ.abc.def"}`,
		})
	})
	t.Run("allowed true", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/grants": respond(200, `{"redirect_uri":"https://app.example/cb?code=c1"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.SubmitConsent(t.Context(), "tok", true)
		require.NoError(t, err)
		assert.JSONEq(t, `{"allowed":true,"consent_token":"tok"}`, string(f.only(t).Body))
	})
	t.Run("422", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/grants": respond(422, `{"error":"invalid_request","error_description":"invalid consent token"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.SubmitConsent(t.Context(), "tok", true)
		apiErr := requireAPIError(t, err, 422)
		assert.Equal(t, "invalid consent token", apiErr.Detail)
	})
	t.Run("500 is outcome unknown and not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/grants": respond(500, `{"error":"server_error"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.SubmitConsent(t.Context(), "tok", true)
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, 1, f.count())
	})
	t.Run("empty token sends nothing", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{})
		c := newClient(t, f.base(), nil)
		_, err := c.SubmitConsent(t.Context(), "", true)
		var invalid *InvalidArgumentError
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, 0, f.count())
	})
}

func TestExchangeToken(t *testing.T) {
	t.Parallel()
	const tokenJSON = `{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1","scope":"numbers.read"}`
	codeReq := TokenRequest{GrantType: "authorization_code", Code: "code-1", RedirectURI: "https://app.example/cb", CodeVerifier: "verifier-1"}
	codeForm := url.Values{
		"grant_type": {"authorization_code"}, "code": {"code-1"},
		"redirect_uri": {"https://app.example/cb"}, "code_verifier": {"verifier-1"},
	}
	withClientID := func(v url.Values, id string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		out.Set("client_id", id)
		return out
	}

	tests := []struct {
		name     string
		mod      func(*Config)
		req      TokenRequest
		auth     ClientAuth
		wantAuth string
		wantForm url.Values
	}{
		{
			name: "explicit secret uses Basic", req: codeReq,
			auth: ClientAuth{ClientID: "cid", ClientSecret: "csecret"}, wantAuth: basic("cid", "csecret"), wantForm: codeForm,
		},
		{
			name: "public client names itself in the body", req: codeReq,
			auth: ClientAuth{ClientID: "public-cid"}, wantForm: withClientID(codeForm, "public-cid"),
		},
		{
			name:     "configured credentials use Basic",
			mod:      func(c *Config) { c.ClientID, c.ClientSecret = testClientID, testSecret },
			req:      TokenRequest{GrantType: "refresh_token", RefreshToken: "rt-0", Scope: "numbers.read"},
			wantAuth: basic(testClientID, testSecret),
			wantForm: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt-0"}, "scope": {"numbers.read"}},
		},
		{
			name: "explicit auth wins over configured credentials",
			mod:  func(c *Config) { c.ClientID, c.ClientSecret = testClientID, testSecret },
			req:  TokenRequest{GrantType: "client_credentials"},
			auth: ClientAuth{ClientID: "public-cid"}, wantForm: url.Values{"grant_type": {"client_credentials"}, "client_id": {"public-cid"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/token": respond(200, tokenJSON)})
			c := newClient(t, f.base(), tc.mod)
			got, err := c.ExchangeToken(t.Context(), tc.req, tc.auth)
			require.NoError(t, err)
			assert.Equal(t, &TokenResponse{AccessToken: "at-1", TokenType: "Bearer", ExpiresIn: 3600, RefreshToken: "rt-1", Scope: "numbers.read"}, got)
			assertRequest(t, f.only(t), want{
				method: "POST", path: "/v2/oauth/token", auth: tc.wantAuth,
				contentType: "application/x-www-form-urlencoded", formBody: tc.wantForm,
			})
		})
	}

	t.Run("no client authentication sends nothing", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{})
		c := newClient(t, f.base(), nil) // an API key is not client authentication
		_, err := c.ExchangeToken(t.Context(), codeReq, ClientAuth{})
		require.Error(t, err)
		assert.True(t, IsCredentialError(err))
		assert.ErrorIs(t, err, ErrNoClientAuth)
		assert.NotContains(t, err.Error(), "TELNYX_", "where a client comes from is for the program to say")
		assert.Equal(t, 0, f.count())
	})
	t.Run("empty grant type sends nothing", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{})
		c := newClient(t, f.base(), nil)
		_, err := c.ExchangeToken(t.Context(), TokenRequest{}, ClientAuth{ClientID: "a", ClientSecret: "b"})
		var invalid *InvalidArgumentError
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, 0, f.count())
	})
	t.Run("400 invalid_grant scrubs the echoed code", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/token": respond(400, `{"error":"invalid_grant","error_description":"code code-1 was already used; verifier verifier-1; secret csecret"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.ExchangeToken(t.Context(), codeReq, ClientAuth{ClientID: "cid", ClientSecret: "csecret"})
		apiErr := requireAPIError(t, err, 400)
		assert.Equal(t, "invalid_grant", apiErr.Code)
		for _, secret := range []string{"code-1", "verifier-1", "csecret"} {
			assert.NotContains(t, err.Error(), secret)
		}
		assert.Equal(t, 1, f.count())
	})
	t.Run("500 is outcome unknown and not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/token": respond(503, `{"error":"temporarily_unavailable"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.ExchangeToken(t.Context(), codeReq, ClientAuth{ClientID: "cid", ClientSecret: "csecret"})
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		requireAPIError(t, err, 503)
		assert.Equal(t, 1, f.count())
	})
}

func TestIntrospect(t *testing.T) {
	t.Parallel()
	const body = `{"active":true,"scope":"numbers.read","client_id":"cid","exp":1900000000,"iat":1800000000,"iss":"https://api.telnyx.com","aud":"aud"}`
	tests := []struct {
		name     string
		mod      func(*Config)
		auth     ClientAuth
		wantAuth string
		wantForm url.Values
	}{
		{
			name:     "configured client credentials use Basic",
			mod:      func(c *Config) { c.ClientID, c.ClientSecret = testClientID, testSecret },
			wantAuth: basic(testClientID, testSecret), wantForm: url.Values{"token": {"tok-1"}},
		},
		{
			name: "explicit client credentials use Basic",
			auth: ClientAuth{ClientID: "cid", ClientSecret: "csecret"}, wantAuth: basic("cid", "csecret"),
			wantForm: url.Values{"token": {"tok-1"}},
		},
		{
			name: "public client names itself", auth: ClientAuth{ClientID: "pub"},
			wantForm: url.Values{"token": {"tok-1"}, "client_id": {"pub"}},
		},
		{
			name: "falls back to the API key bearer", wantAuth: bearer(testKey),
			wantForm: url.Values{"token": {"tok-1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/introspect": respond(200, body)})
			c := newClient(t, f.base(), tc.mod)
			got, err := c.Introspect(t.Context(), "tok-1", tc.auth)
			require.NoError(t, err)
			assert.Equal(t, &IntrospectResponse{Active: true, Scope: "numbers.read", ClientID: "cid", Exp: 1900000000, Iat: 1800000000, Iss: "https://api.telnyx.com", Aud: "aud"}, got)
			assertRequest(t, f.only(t), want{
				method: "POST", path: "/v2/oauth/introspect", auth: tc.wantAuth,
				contentType: "application/x-www-form-urlencoded", formBody: tc.wantForm,
			})
		})
	}
	t.Run("401 invalid_client", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/introspect": respond(401, `{"error":"invalid_client"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.Introspect(t.Context(), "INTROSPECTCANARY", ClientAuth{ClientID: "cid", ClientSecret: "csecret"})
		apiErr := requireAPIError(t, err, 401)
		assert.Equal(t, "invalid_client", apiErr.Code)
		assert.True(t, apiErr.ClientAuth, "the client's credentials were refused")
		assert.Equal(t, 1, f.count())
	})
	t.Run("401 without a client refuses the API key", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/introspect": respond(401, `{"errors":[{"code":"10009","title":"Authentication failed"}]}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.Introspect(t.Context(), "INTROSPECTCANARY", ClientAuth{})
		apiErr := requireAPIError(t, err, 401)
		assert.False(t, apiErr.ClientAuth, "sent with the API key, not as a client")
	})
	t.Run("read-only, so retried after a 503", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/introspect": sequence(respond(503, `{}`), respond(200, `{"active":false}`)),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.Introspect(t.Context(), "tok-1", ClientAuth{})
		require.NoError(t, err)
		assert.False(t, got.Active)
		reqs := f.requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, reqs[0].Body, reqs[1].Body, "the replay carries the same form body")
	})
	t.Run("empty token sends nothing", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{})
		c := newClient(t, f.base(), nil)
		_, err := c.Introspect(t.Context(), "", ClientAuth{})
		var invalid *InvalidArgumentError
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, 0, f.count())
	})
}

func TestRegister(t *testing.T) {
	t.Parallel()
	req := RegisterRequest{
		ClientName: "My app", RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, ResponseTypes: []string{"code"},
		Scope: "numbers.read", TokenEndpointAuthMethod: "none",
	}
	t.Run("201 without authentication", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/register": respond(201, `{"client_id":"abc123def456","client_id_issued_at":1800000000,"client_name":"My app","token_endpoint_auth_method":"none"}`),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.Register(t.Context(), req)
		require.NoError(t, err)
		assert.Equal(t, "abc123def456", got.ClientID)
		assert.Equal(t, int64(1800000000), got.ClientIDIssuedAt)
		assert.Empty(t, got.ClientSecret)
		assertRequest(t, f.only(t), want{
			method: "POST", path: "/v2/oauth/register", contentType: "application/json",
			jsonBody: `{"client_name":"My app","redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"scope":"numbers.read","token_endpoint_auth_method":"none"}`,
		})
	})
	t.Run("400 invalid_client_metadata", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/register": respond(400, `{"error":"invalid_client_metadata","error_description":"bad metadata","invalid_fields":{"redirect_uris":["must be https"]}}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.Register(t.Context(), req)
		apiErr := requireAPIError(t, err, 400)
		assert.Equal(t, "invalid_client_metadata", apiErr.Code)
		assert.Equal(t, map[string][]string{"redirect_uris": {"must be https"}}, apiErr.InvalidFields)
		assert.Contains(t, err.Error(), "redirect_uris must be https")
	})
	t.Run("502 is outcome unknown and not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/register": respond(502, ``)})
		c := newClient(t, f.base(), nil)
		_, err := c.Register(t.Context(), req)
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, 1, f.count())
		assert.True(t, strings.Contains(err.Error(), "not retried"))
	})
}
