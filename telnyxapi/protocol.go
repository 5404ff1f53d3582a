package telnyxapi

import (
	"context"
	"net/http"
	"net/url"
)

// AuthorizeURL builds the URL a user opens to authorize a client: GET
// /oauth/authorize with response_type=code. It sends nothing.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/authorization-endpoint
func (c *Client) AuthorizeURL(p AuthorizeParams) string {
	u := c.endpoint(false, "oauth", "authorize")
	u.RawQuery = p.query().Encode()
	return u.String()
}

func (p AuthorizeParams) query() url.Values {
	q := url.Values{"response_type": {"code"}, "client_id": {p.ClientID}, "redirect_uri": {p.RedirectURI}}
	setIf(q, "scope", p.Scope)
	setIf(q, "state", p.State)
	setIf(q, "code_challenge", p.CodeChallenge)
	setIf(q, "code_challenge_method", p.CodeChallengeMethod)
	return q
}

// CheckAuthorize sends GET /oauth/authorize the way a browser would start
// it, without following the redirect, and reports the status and redirect
// target. A 302 means the API accepted the client and redirect URI; the HTML
// error pages (400, 404, 422) become an APIError with a short excerpt.
func (c *Client) CheckAuthorize(ctx context.Context, p AuthorizeParams) (*AuthorizeCheck, error) {
	status, header, err := c.do(ctx, &operation{
		op: "AuthorizeOAuth", method: "GET", path: []string{"oauth", "authorize"}, query: p.query(),
		accept: "text/html", redirectOK: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	out := &AuthorizeCheck{Status: status}
	if status >= 300 && status < 400 {
		out.Location = header.Get("Location")
	}
	return out, nil
}

// GetConsent describes the consent request behind a consent token: which
// client asks, for which scopes, and where the browser returns.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/get-oauth-consent-token
func (c *Client) GetConsent(ctx context.Context, consentToken string) (*Consent, error) {
	if err := CheckPathValue("consent_token", consentToken, MaxTokenLength); err != nil {
		return nil, err
	}
	var out Consent
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthConsentToken", method: "GET", path: []string{"oauth", "consent", consentToken},
		auth: authBearer, envelope: true, secrets: []string{consentToken},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SubmitConsent records the user's decision on a consent request: POST
// /oauth/grants. It is the user's consent button, never retried.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/create-oauth-grant
func (c *Client) SubmitConsent(ctx context.Context, consentToken string, allowed bool) (*ConsentDecision, error) {
	if consentToken == "" {
		return nil, &InvalidArgumentError{Field: "consent_token", Reason: "must not be empty"}
	}
	var out ConsentDecision
	_, _, err := c.do(ctx, &operation{
		op: "CreateOAuthGrant", method: http.MethodPost, path: []string{"oauth", "grants"},
		jsonBody: map[string]any{"allowed": allowed, "consent_token": consentToken},
		auth:     authBearer, secrets: []string{consentToken},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ExchangeToken calls the token endpoint with a form body (RFC 6749). It is
// never retried: authorization codes are single-use and refresh tokens
// rotate, so a replay would be a reuse. auth is the client authentication;
// its zero value uses the configured client credentials.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/token-endpoint
func (c *Client) ExchangeToken(ctx context.Context, r TokenRequest, auth ClientAuth) (*TokenResponse, error) {
	if r.GrantType == "" {
		return nil, &InvalidArgumentError{Field: "grant_type", Reason: "must not be empty"}
	}
	form := url.Values{"grant_type": {r.GrantType}}
	setIf(form, "scope", r.Scope)
	setIf(form, "code", r.Code)
	setIf(form, "redirect_uri", r.RedirectURI)
	setIf(form, "code_verifier", r.CodeVerifier)
	setIf(form, "refresh_token", r.RefreshToken)
	if auth.ClientID != "" && auth.ClientSecret == "" {
		form.Set("client_id", auth.ClientID)
	}
	var out TokenResponse
	_, _, err := c.do(ctx, &operation{
		op: "ExchangeOAuthToken", method: http.MethodPost, path: []string{"oauth", "token"}, formBody: form,
		auth: authClient, clientAuth: auth, secrets: []string{r.Code, r.CodeVerifier, r.RefreshToken}, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Introspect asks whether a token is active (RFC 7662). It changes nothing,
// so it is retried like a read. The client authenticates with auth, or the
// configured client credentials, or failing both the bearer.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/token-introspection
func (c *Client) Introspect(ctx context.Context, token string, auth ClientAuth) (*IntrospectResponse, error) {
	if token == "" {
		return nil, &InvalidArgumentError{Field: "token", Reason: "must not be empty"}
	}
	form := url.Values{"token": {token}}
	if auth.ClientID != "" && auth.ClientSecret == "" {
		form.Set("client_id", auth.ClientID)
	}
	var out IntrospectResponse
	_, _, err := c.do(ctx, &operation{
		op: "IntrospectOAuthToken", method: http.MethodPost, path: []string{"oauth", "introspect"}, formBody: form,
		auth: authClientOrBearer, clientAuth: auth, secrets: []string{token},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Register registers a client dynamically (RFC 7591). No authentication is
// needed; it is never retried, since a retry could register twice.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/dynamic-client-registration
func (c *Client) Register(ctx context.Context, r RegisterRequest) (*RegisterResponse, error) {
	var out RegisterResponse
	_, _, err := c.do(ctx, &operation{
		op: "RegisterOAuthClient", method: http.MethodPost, path: []string{"oauth", "register"}, jsonBody: r, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
