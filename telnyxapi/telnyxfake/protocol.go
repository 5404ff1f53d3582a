package telnyxfake

import (
	"crypto/subtle"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// scopeInfo is a scope as the consent details describe it ({id, name, description}).
type scopeInfo struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// supportedScopes are the scopes the fake knows. The SPEC only declares "admin"; a third-party
// report says the live metadata lists granular scopes such as numbers.read, so the fake offers
// both kinds and advertises them in scopes_supported.
var supportedScopes = []scopeInfo{
	{"admin", "Administrator", "Full administrative access to Telnyx resources."},
	{"numbers.read", "Read phone numbers", "View phone numbers, number orders and their settings."},
	{"numbers.write", "Manage phone numbers", "Search, order, update and release phone numbers."},
	{"messaging.read", "Read messaging", "View messaging profiles and message records."},
	{"messaging.write", "Send messages", "Send messages and manage messaging profiles."},
	{"voice.read", "Read voice", "View voice applications and call records."},
	{"voice.write", "Manage voice", "Place calls and manage voice applications."},
}

// SupportedScopes returns the scopes the fake accepts, in the order scopes_supported lists them.
func SupportedScopes() []string {
	out := make([]string, 0, len(supportedScopes))
	for _, s := range supportedScopes {
		out = append(out, s.ID)
	}
	return out
}

func scopeByID(id string) *scopeInfo {
	for i := range supportedScopes {
		if supportedScopes[i].ID == id {
			return &supportedScopes[i]
		}
	}
	return nil
}

// consentState is what /oauth/authorize remembers behind a consent token.
type consentState struct {
	clientID, redirectURI, state, challenge, method string
	scopes                                          []string
	expires                                         time.Time
}

// codeState is an authorization code minted by POST /oauth/grants.
type codeState struct {
	singleUse
	redirectURI, challenge, method string
}

// refreshState is a refresh token; used marks one that was rotated away.
type refreshState struct {
	singleUse
}

// singleUse is what a code and a refresh token have in common: issued to a
// client under a grant, for some scopes, until a time, spendable once.
type singleUse struct {
	clientID, grantID string
	scopes            []string
	expires           time.Time
	used              bool
}

// spendableLocked checks a code or refresh token (su, nil when unknown) that
// cl presents: live, issued to cl, and not spent before. Presenting a spent
// one is a replay, so, as RFC 6749 §4.1.2 asks, its grant is revoked.
func (f *Fake) spendableLocked(su *singleUse, cl *Client, what, spent string) (result, bool) {
	switch {
	case su == nil || !f.now().Before(su.expires):
		return oauthFail(http.StatusBadRequest, "invalid_grant", "The "+what+" is invalid or expired."), false
	case su.clientID != cl.ClientID:
		return oauthFail(http.StatusBadRequest, "invalid_grant", "The "+what+" was issued to another client."), false
	case su.used:
		if g := f.grants[su.grantID]; g != nil {
			g.Revoked = true
		}
		return oauthFail(http.StatusBadRequest, "invalid_grant", "The "+what+" was already used"+spent+"; its grant has been revoked."), false
	}
	return result{}, true
}

// asMetadata is the RFC 8414 document.
type asMetadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RegistrationEndpoint              string   `json:"registration_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
}

var tokenAuthMethods = []string{"none", "client_secret_basic", "client_secret_post"}

func (f *Fake) handleASMetadata(w http.ResponseWriter, c route) {
	base := c.issuer + f.prefix
	writeJSON(w, http.StatusOK, asMetadata{
		Issuer:                            c.issuer,
		AuthorizationEndpoint:             base + "/oauth/authorize",
		TokenEndpoint:                     base + "/oauth/token",
		IntrospectionEndpoint:             base + "/oauth/introspect",
		JWKSURI:                           base + "/oauth/jwks",
		RegistrationEndpoint:              base + "/oauth/register",
		GrantTypesSupported:               []string{GrantAuthorizationCode, GrantClientCredentials, GrantRefreshToken},
		ResponseTypesSupported:            []string{"code"},
		CodeChallengeMethodsSupported:     []string{"plain", "S256"},
		TokenEndpointAuthMethodsSupported: tokenAuthMethods,
		ScopesSupported:                   SupportedScopes(),
	})
}

// handleResourceMetadata is the RFC 9728 document: the API base is the protected resource.
func (f *Fake) handleResourceMetadata(w http.ResponseWriter, c route) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resource":              c.issuer + f.prefix,
		"authorization_servers": []string{c.issuer},
	})
}

// handleJWKS publishes the one signing key, which really verifies the access tokens.
func (f *Fake) handleJWKS(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"keys": []jwk{f.jwk}})
}

// handleAuthorize is GET /oauth/authorize. Malformed requests get HTML error pages (400, 404
// unknown client, 422 unregistered redirect URI), as the live API does. Once client and redirect URI
// are known good, later errors go back to the client as ?error=...&state=... (RFC 6749
// §4.1.2.1). Success is a 302 to the consent page, <issuer>/oauth/consent?consent_token=...
func (f *Fake) handleAuthorize(w http.ResponseWriter, r *http.Request, c route) {
	q := r.URL.Query()
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"} {
		if len(q[k]) > 1 {
			writeHTML(w, http.StatusBadRequest, "Invalid request", "The parameter "+k+" was sent more than once.")
			return
		}
	}
	clientID, redirectURI := q.Get("client_id"), q.Get("redirect_uri")
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") == "":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "The response_type parameter is required.")
		return
	case q.Get("response_type") != "code":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "Only response_type=code is supported.")
		return
	case clientID == "":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "The client_id parameter is required.")
		return
	case redirectURI == "":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "The redirect_uri parameter is required.")
		return
	case method != "" && method != "plain" && method != "S256":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "code_challenge_method must be plain or S256.")
		return
	case method != "" && challenge == "":
		writeHTML(w, http.StatusBadRequest, "Invalid request", "code_challenge_method was sent without code_challenge.")
		return
	}
	cl, ok := f.Client(clientID)
	if !ok {
		writeHTML(w, http.StatusNotFound, "Client not found", "No OAuth client has this client_id.")
		return
	}
	if !slices.Contains(cl.RedirectURIs, redirectURI) {
		writeHTML(w, http.StatusUnprocessableEntity, "Invalid redirect URI",
			"The redirect_uri does not exactly match a redirect URI registered for this client.")
		return
	}
	state := q.Get("state")
	back := func(code, desc string) {
		p := url.Values{"error": {code}, "error_description": {desc}}
		if state != "" {
			p.Set("state", state)
		}
		redirectHTML(w, withParams(redirectURI, p))
	}
	if !cl.allowsGrant(GrantAuthorizationCode) {
		back("unauthorized_client", "The client may not use the authorization_code grant.")
		return
	}
	scopes, ok := grantedScopes(q.Get("scope"), cl.AllowedScopes)
	if !ok {
		back("invalid_scope", "A requested scope is not allowed for this client.")
		return
	}
	if challenge == "" && (cl.RequirePKCE || cl.ClientType == ClientTypePublic) {
		back("invalid_request", "This client must use PKCE: send code_challenge (S256 recommended).")
		return
	}
	token := f.NewConsentToken(clientID, redirectURI, strings.Join(scopes, " "), state, challenge, method)
	redirectHTML(w, c.issuer+"/oauth/consent?consent_token="+url.QueryEscape(token))
}

// NewConsentToken mints a consent token as /oauth/authorize does after its checks, without
// checking anything, so tests can reach the consent and grant endpoints directly. scope is
// space-separated; a challenge without a method means "plain" (RFC 7636 §4.3). The token is
// single-use and lives 15 minutes.
func (f *Fake) NewConsentToken(clientID, redirectURI, scope, state, codeChallenge, codeChallengeMethod string) string {
	if codeChallenge != "" && codeChallengeMethod == "" {
		codeChallengeMethod = "plain"
	}
	token := randomToken("", 32)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents[token] = &consentState{clientID: clientID, redirectURI: redirectURI, state: state,
		challenge: codeChallenge, method: codeChallengeMethod, scopes: strings.Fields(scope),
		expires: f.now().Add(consentTTL)}
	f.noteIssuedLocked()
	return token
}

func (f *Fake) liveConsentLocked(token string) *consentState {
	cs := f.consents[token]
	if cs == nil || !f.now().Before(cs.expires) {
		return nil
	}
	return cs
}

// consentView is the ConsentTokenResponse data.
type consentView struct {
	ClientID        string      `json:"client_id"`
	Name            string      `json:"name"`
	LogoURI         *string     `json:"logo_uri"`
	PolicyURI       *string     `json:"policy_uri"`
	TOSURI          *string     `json:"tos_uri"`
	RedirectURI     string      `json:"redirect_uri"`
	Verified        bool        `json:"verified"`
	RequestedScopes []scopeInfo `json:"requested_scopes"`
}

// consentViewLocked describes a live consent token of an existing client, or returns false.
func (f *Fake) consentViewLocked(token string) (consentView, bool) {
	cs := f.liveConsentLocked(token)
	if cs == nil {
		return consentView{}, false
	}
	cl := f.clients[cs.clientID]
	if cl == nil {
		return consentView{}, false
	}
	v := consentView{ClientID: cl.ClientID, Name: cl.Name, LogoURI: nullable(cl.LogoURI),
		PolicyURI: nullable(cl.PolicyURI), TOSURI: nullable(cl.TOSURI), RedirectURI: cs.redirectURI,
		Verified: cl.Verified, RequestedScopes: []scopeInfo{}}
	for _, s := range cs.scopes {
		if info := scopeByID(s); info != nil {
			v.RequestedScopes = append(v.RequestedScopes, *info)
		} else {
			v.RequestedScopes = append(v.RequestedScopes, scopeInfo{ID: s, Name: s})
		}
	}
	return v, true
}

const badConsent = "The consent token is invalid, expired or already used."

// handleGetConsent is GET /oauth/consent/{consent_token}: {data: details}, or 422 oauth_Error.
// Reading the details does not use the token up.
func (f *Fake) handleGetConsent(w http.ResponseWriter, c route) {
	f.mu.Lock()
	v, ok := f.consentViewLocked(c.param)
	f.mu.Unlock()
	if !ok {
		writeOAuthError(w, http.StatusUnprocessableEntity, "invalid_request", badConsent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": v})
}

// handleConsentPage stands in for the Telnyx portal page /oauth/authorize redirects a browser
// to: a small HTML page naming the client, the scopes and the redirect URI. Deciding happens
// through POST /oauth/grants.
func (f *Fake) handleConsentPage(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	v, ok := f.consentViewLocked(r.URL.Query().Get("consent_token"))
	f.mu.Unlock()
	if !ok {
		writeHTML(w, http.StatusNotFound, "Consent request not found", badConsent)
		return
	}
	var b strings.Builder
	b.WriteString("The application " + v.Name + " (" + v.ClientID + ") asks for access to your Telnyx account.\n")
	for _, s := range v.RequestedScopes {
		b.WriteString("Scope " + s.ID + ": " + s.Description + "\n")
	}
	b.WriteString("You will be sent back to " + v.RedirectURI + ".\n")
	b.WriteString("This sandbox records the decision through POST /oauth/grants {allowed, consent_token}.")
	writeHTML(w, http.StatusOK, "Authorize "+v.Name, b.String())
}

// handleCreateGrant is POST /oauth/grants, the user's consent decision. The consent token is
// used up either way. Allowed: a grant and a single-use authorization code are created and the
// answer is {redirect_uri: <redirect_uri>?code=...&state=...}; denied: ?error=access_denied.
// Any bad body or token is a 422 oauth_Error invalid_request.
func (f *Fake) handleCreateGrant(w http.ResponseWriter, r *http.Request) {
	obj, ok := readOAuthJSON(w, r, http.StatusUnprocessableEntity, "invalid_request")
	if !ok {
		return
	}
	var allowed bool
	var token string
	var problems []string
	for _, k := range sortedKeys(obj) {
		switch k {
		case "allowed":
			var msg string
			if allowed, msg = asBool(obj[k]); msg != "" {
				problems = append(problems, "allowed "+msg)
			}
		case "consent_token":
			var msg string
			if token, msg = asString(obj[k]); msg != "" {
				problems = append(problems, "consent_token "+msg)
			}
		default:
			problems = append(problems, k+" is not a recognised field")
		}
	}
	for _, req := range []string{"allowed", "consent_token"} {
		if _, ok := obj[req]; !ok {
			problems = append(problems, req+" is required")
		}
	}
	if len(problems) > 0 {
		writeOAuthError(w, http.StatusUnprocessableEntity, "invalid_request", strings.Join(problems, "; ")+".")
		return
	}

	f.mu.Lock()
	cs := f.liveConsentLocked(token)
	if cs == nil || f.clients[cs.clientID] == nil {
		f.mu.Unlock()
		writeOAuthError(w, http.StatusUnprocessableEntity, "invalid_request", badConsent)
		return
	}
	delete(f.consents, token)
	p := url.Values{}
	if allowed {
		g := f.addGrantLocked(Grant{ClientID: cs.clientID, Scopes: cs.scopes})
		code := randomToken("", 32)
		f.codes[code] = &codeState{
			singleUse:   singleUse{clientID: cs.clientID, grantID: g.ID, scopes: cloneStrings(cs.scopes), expires: f.now().Add(codeTTL)},
			redirectURI: cs.redirectURI, challenge: cs.challenge, method: cs.method}
		f.noteIssuedLocked()
		p.Set("code", code)
	} else {
		p.Set("error", "access_denied")
	}
	if cs.state != "" {
		p.Set("state", cs.state)
	}
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"redirect_uri": withParams(cs.redirectURI, p)})
}

// tokenResponse is the RFC 6749 §5.1 answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// result is a response computed under the lock and written after it is released, so a slow
// client never holds up the fake.
type result struct {
	status int
	body   any
}

func oauthFail(status int, code, desc string) result {
	return result{status, oauthError{Error: code, Description: desc}}
}

// handleToken is POST /oauth/token (form or JSON). Errors: 400 invalid_request,
// unsupported_grant_type, unauthorized_client (the client may not use that grant type; RFC
// 6749, not listed by the SPEC), invalid_grant, invalid_scope; 401 invalid_client.
//
// Codes and rotated refresh tokens are single-use. Presenting one a second time is treated as
// a replay (RFC 6749 §4.1.2, RFC 9700 §4.14): it fails with invalid_grant and revokes the
// grant, so every token issued under it stops working. A refresh token is only issued to
// clients allowed the refresh_token grant.
func (f *Fake) handleToken(w http.ResponseWriter, r *http.Request, c route) {
	params, status, desc := readOAuthParams(r)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if status != 0 {
		writeOAuthError(w, status, "invalid_request", desc)
		return
	}
	f.mu.Lock()
	res := f.exchangeLocked(r, params, c.issuer)
	f.mu.Unlock()
	if res.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="telnyx"`)
	}
	writeJSON(w, res.status, res.body)
}

func (f *Fake) exchangeLocked(r *http.Request, params map[string]string, issuer string) result {
	gt := params["grant_type"]
	switch {
	case gt == "":
		return oauthFail(http.StatusBadRequest, "invalid_request", "grant_type is required.")
	case !slices.Contains(grantTypes, gt):
		return oauthFail(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be one of: "+strings.Join(grantTypes, ", ")+".")
	}
	cl, why := f.authenticateClientLocked(r, params)
	if cl == nil {
		return oauthFail(http.StatusUnauthorized, "invalid_client", why)
	}
	if !cl.allowsGrant(gt) {
		return oauthFail(http.StatusBadRequest, "unauthorized_client", "The client may not use the "+gt+" grant.")
	}
	switch gt {
	case GrantClientCredentials:
		if cl.ClientType != ClientTypeConfidential {
			return oauthFail(http.StatusBadRequest, "unauthorized_client", "Public clients cannot use client_credentials.")
		}
		scopes, ok := grantedScopes(params["scope"], cl.AllowedScopes)
		if !ok {
			return oauthFail(http.StatusBadRequest, "invalid_scope", "A requested scope is not allowed for this client.")
		}
		scope := strings.Join(scopes, " ")
		tok := f.mintLocked(issuer, cl.ClientID, cl.ClientID, "", scope, f.ttl)
		return result{http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer",
			ExpiresIn: int64(f.ttl.Seconds()), Scope: scope}}
	case GrantAuthorizationCode:
		return f.redeemCodeLocked(cl, params, issuer)
	default:
		return f.refreshLocked(cl, params, issuer)
	}
}

func (f *Fake) redeemCodeLocked(cl *Client, params map[string]string, issuer string) result {
	code := params["code"]
	if code == "" {
		return oauthFail(http.StatusBadRequest, "invalid_request", "code is required.")
	}
	cs := f.codes[code]
	var su *singleUse
	if cs != nil {
		su = &cs.singleUse
	}
	if fail, ok := f.spendableLocked(su, cl, "authorization code", ""); !ok {
		return fail
	}
	switch ru := params["redirect_uri"]; {
	case ru == "":
		return oauthFail(http.StatusBadRequest, "invalid_request", "redirect_uri is required.")
	case ru != cs.redirectURI:
		return oauthFail(http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request.")
	}
	verifier := params["code_verifier"]
	switch {
	case cs.challenge != "" && verifier == "":
		return oauthFail(http.StatusBadRequest, "invalid_grant", "code_verifier is required: the authorization request carried a code_challenge.")
	case cs.challenge != "" && !validVerifier(verifier):
		return oauthFail(http.StatusBadRequest, "invalid_request", "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.")
	case cs.challenge != "" && !pkceMatches(cs.method, cs.challenge, verifier):
		return oauthFail(http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge.")
	case cs.challenge == "" && verifier != "":
		return oauthFail(http.StatusBadRequest, "invalid_grant", "code_verifier was sent but the authorization request had no code_challenge.")
	case cs.challenge == "" && (cl.RequirePKCE || cl.ClientType == ClientTypePublic):
		return oauthFail(http.StatusBadRequest, "invalid_grant", "This client must use PKCE.")
	}
	g := f.liveGrantLocked(cs.grantID)
	if g == nil {
		return oauthFail(http.StatusBadRequest, "invalid_grant", "The grant behind this code was revoked.")
	}
	cs.used = true
	return f.issueUserTokensLocked(cl, g, cs.scopes, cs.scopes, issuer)
}

func (f *Fake) refreshLocked(cl *Client, params map[string]string, issuer string) result {
	rt := params["refresh_token"]
	if rt == "" {
		return oauthFail(http.StatusBadRequest, "invalid_request", "refresh_token is required.")
	}
	rs := f.refreshes[rt]
	var su *singleUse
	if rs != nil {
		su = &rs.singleUse
	}
	if fail, ok := f.spendableLocked(su, cl, "refresh token", " (rotated)"); !ok {
		return fail
	}
	g := f.liveGrantLocked(rs.grantID)
	if g == nil {
		return oauthFail(http.StatusBadRequest, "invalid_grant", "The grant behind this refresh token was revoked.")
	}
	scopes, ok := grantedScopes(params["scope"], rs.scopes)
	if !ok {
		return oauthFail(http.StatusBadRequest, "invalid_scope", "A refresh may only narrow the original scope.")
	}
	rs.used = true
	// A narrowed refresh gives the access token the narrower scope; the new refresh token keeps
	// the original one (RFC 6749 §6).
	return f.issueUserTokensLocked(cl, g, scopes, rs.scopes, issuer)
}

// issueUserTokensLocked answers a code or refresh exchange: an access token for the user under
// grant g and, if the client may refresh, a new refresh token.
func (f *Fake) issueUserTokensLocked(cl *Client, g *Grant, accessScopes, refreshScopes []string, issuer string) result {
	now := f.now()
	g.LastUsedAt = &now
	scope := strings.Join(accessScopes, " ")
	tr := tokenResponse{
		AccessToken: f.mintLocked(issuer, cl.ClientID, FakeUserID, g.ID, scope, f.ttl),
		TokenType:   "Bearer",
		ExpiresIn:   int64(f.ttl.Seconds()),
		Scope:       scope,
	}
	if cl.allowsGrant(GrantRefreshToken) {
		tr.RefreshToken = randomToken("", 32)
		f.refreshes[tr.RefreshToken] = &refreshState{singleUse{clientID: cl.ClientID, grantID: g.ID,
			scopes: cloneStrings(refreshScopes), expires: now.Add(refreshTTL)}}
		f.noteIssuedLocked()
	}
	return result{http.StatusOK, tr}
}

// authenticateClientLocked authenticates the client at the token and introspection endpoints:
// HTTP Basic client_id:client_secret (client_secret_basic), or client_id and client_secret in
// the body (client_secret_post), or client_id alone for a public client (none). Other
// Authorization schemes (the SDKs send their Bearer API key everywhere) are ignored. On failure
// it returns nil and the reason.
func (f *Fake) authenticateClientLocked(r *http.Request, params map[string]string) (*Client, string) {
	if id, secret, ok := basicCredentials(r); ok {
		if bid := params["client_id"]; bid != "" && bid != id {
			return nil, "client_id in the body does not match the HTTP Basic credentials."
		}
		cl := f.clients[id]
		switch {
		case cl == nil:
			return nil, "Unknown client."
		case cl.ClientType != ClientTypeConfidential:
			return nil, "Public clients have no secret: send client_id in the body instead of HTTP Basic."
		case !secretsEqual(cl.ClientSecret, secret):
			return nil, "Invalid client credentials."
		}
		return cl, ""
	}
	id := params["client_id"]
	if id == "" {
		return nil, "Client authentication is required: use HTTP Basic, or send client_id (and client_secret) in the body."
	}
	cl := f.clients[id]
	switch {
	case cl == nil:
		return nil, "Unknown client."
	case cl.ClientType == ClientTypeConfidential && params["client_secret"] == "":
		return nil, "client_secret is required for a confidential client."
	case cl.ClientType == ClientTypeConfidential && !secretsEqual(cl.ClientSecret, params["client_secret"]):
		return nil, "Invalid client credentials."
	}
	return cl, ""
}

// basicCredentials reads HTTP Basic credentials, form-decoding both halves as RFC 6749 §2.3.1
// asks (values that do not decode are taken as they are).
func basicCredentials(r *http.Request) (string, string, bool) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return "", "", false
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	return id, secret, true
}

func secretsEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// handleIntrospect is POST /oauth/introspect (form or JSON, field token). Because the live
// API's authentication here is not documented precisely, it accepts client
// authentication as the token endpoint does, or a Bearer API key or live access token. The
// answer is truthful: active only for a live access token issued by this fake.
func (f *Fake) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	params, status, desc := readOAuthParams(r)
	w.Header().Set("Cache-Control", "no-store")
	if status != 0 {
		writeOAuthError(w, status, "invalid_request", desc)
		return
	}
	f.mu.Lock()
	why := f.introspectAuthLocked(r, params)
	var cl accessClaims
	var active bool
	if why == "" {
		cl, active = f.activeTokenLocked(params["token"])
	}
	f.mu.Unlock()
	switch {
	case why != "":
		w.Header().Set("WWW-Authenticate", `Basic realm="telnyx"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", why)
	case params["token"] == "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "token is required.")
	case !active:
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"active": true, "scope": cl.Scope, "client_id": cl.ClientID,
			"exp": cl.Exp, "iat": cl.Iat, "iss": cl.Iss, "aud": cl.Aud})
	}
}

func (f *Fake) introspectAuthLocked(r *http.Request, params map[string]string) string {
	if _, _, ok := r.BasicAuth(); ok {
		_, why := f.authenticateClientLocked(r, params)
		return why
	}
	if tok, ok := bearerToken(r); ok {
		if secretsEqual(f.apiKey, tok) {
			return ""
		}
		if _, active := f.activeTokenLocked(tok); active {
			return ""
		}
		if params["client_id"] == "" {
			return "The bearer token is invalid or expired."
		}
	}
	_, why := f.authenticateClientLocked(r, params)
	return why
}

// readOAuthParams reads a token or introspection body, form-encoded or JSON (the SPEC allows
// both). It returns the parameters, or a status (415, 413, 400) and a description. A repeated
// form parameter is an error (RFC 6749 §3.2); JSON values must be strings.
func readOAuthParams(r *http.Request) (map[string]string, int, string) {
	mt := mediaType(r)
	if mt != "application/x-www-form-urlencoded" && !isJSON(r) {
		return nil, http.StatusUnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json."
	}
	b, status := readBody(r)
	if status != 0 {
		return nil, status, http.StatusText(status) + "."
	}
	out := map[string]string{}
	if mt == "application/x-www-form-urlencoded" {
		vals, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, http.StatusBadRequest, "The form body is malformed."
		}
		for k, vs := range vals {
			if len(vs) > 1 {
				return nil, http.StatusBadRequest, "The parameter " + k + " was sent more than once."
			}
			out[k] = vs[0]
		}
		return out, 0, ""
	}
	obj, err := decodeObject(b)
	if err != nil {
		return nil, http.StatusBadRequest, err.Error()
	}
	for k, raw := range obj {
		s, msg := asString(raw)
		if msg != "" {
			return nil, http.StatusBadRequest, k + " " + msg + "."
		}
		out[k] = s
	}
	return out, 0, ""
}

// grantedScopes resolves a requested space-separated scope against what is allowed: empty means
// everything allowed; anything outside it fails. Duplicates are dropped, order kept.
func grantedScopes(requested string, allowed []string) ([]string, bool) {
	fields := strings.Fields(requested)
	if len(fields) == 0 {
		return cloneStrings(allowed), true
	}
	out := []string{}
	for _, s := range fields {
		if !slices.Contains(allowed, s) {
			return nil, false
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, true
}

// validVerifier checks the RFC 7636 §4.1 syntax of a code_verifier.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

// pkceMatches checks a verifier against the challenge (RFC 7636 §4.6).
func pkceMatches(method, challenge, verifier string) bool {
	want := verifier
	if method == "S256" {
		want = safetext.S256(verifier)
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// withParams adds params to the query of a redirect URI, keeping the query it already has.
func withParams(redirectURI string, params url.Values) string {
	u, err := url.Parse(redirectURI)
	if err != nil {
		return redirectURI
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// registration is the RFC 7591 answer (OAuthDynamicRegistrationResponse).
type registration struct {
	ClientID                string   `json:"client_id"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	RedirectURIs            []string `json:"redirect_uris"`
	Scope                   string   `json:"scope,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
}

// handleRegister is POST /oauth/register (RFC 7591, no authentication). Defaults follow the
// SPEC: grant_types [authorization_code], response_types [code], token_endpoint_auth_method
// client_secret_basic; scope defaults to every supported scope. "none" makes a public client
// that must use PKCE; the others a confidential client with a secret (which never expires:
// client_secret_expires_at 0). The client is a real one: listed, and usable at the token
// endpoint. Invalid metadata is a 400 invalid_client_metadata naming each field.
func (f *Fake) handleRegister(w http.ResponseWriter, r *http.Request) {
	obj, ok := readOAuthJSON(w, r, http.StatusBadRequest, "invalid_client_metadata")
	if !ok {
		return
	}
	invalid := map[string][]string{}
	bad := func(field, msg string) { invalid[field] = append(invalid[field], msg) }
	reg := registration{GrantTypes: []string{GrantAuthorizationCode}, ResponseTypes: []string{"code"},
		RedirectURIs: []string{}, TokenEndpointAuthMethod: "client_secret_basic"}
	scopes := SupportedScopes()
	str := func(key string, dst *string, check func(string) string) {
		v, msg := asString(obj[key])
		if msg == "" && check != nil {
			msg = check(v)
		}
		if msg != "" {
			bad(key, msg)
			return
		}
		*dst = v
	}
	list := func(key string, dst *[]string, check func(string) string) {
		v, msg := asStrings(obj[key])
		if msg != "" {
			bad(key, msg)
			return
		}
		for _, item := range v {
			if m := check(item); m != "" {
				bad(key, strconv.Quote(item)+" "+m)
			}
		}
		*dst = v
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "client_name":
			str(k, &reg.ClientName, nil)
		case "redirect_uris":
			list(k, &reg.RedirectURIs, checkURI)
		case "grant_types":
			list(k, &reg.GrantTypes, enumCheck([]string{GrantAuthorizationCode, GrantClientCredentials, GrantRefreshToken}))
		case "response_types":
			list(k, &reg.ResponseTypes, enumCheck([]string{"code"}))
		case "scope":
			var s string
			str(k, &s, func(s string) string {
				for _, sc := range strings.Fields(s) {
					if m := checkScope(sc); m != "" {
						return m
					}
				}
				return ""
			})
			if fields := strings.Fields(s); len(fields) > 0 {
				scopes = fields
			}
		case "token_endpoint_auth_method":
			str(k, &reg.TokenEndpointAuthMethod, enumCheck(tokenAuthMethods))
		case "logo_uri":
			str(k, &reg.LogoURI, checkURI)
		case "policy_uri":
			str(k, &reg.PolicyURI, checkURI)
		case "tos_uri":
			str(k, &reg.TOSURI, checkURI)
		default:
			bad(k, "is not a recognised client metadata field")
		}
	}
	if len(invalid) == 0 {
		if slices.Contains(reg.GrantTypes, GrantAuthorizationCode) && len(reg.RedirectURIs) == 0 {
			bad("redirect_uris", "at least one redirect URI is required for the authorization_code grant")
		}
		if reg.TokenEndpointAuthMethod == "none" && slices.Contains(reg.GrantTypes, GrantClientCredentials) {
			bad("token_endpoint_auth_method", "none cannot be used with the client_credentials grant")
		}
	}
	if len(invalid) > 0 {
		fields := make([]string, 0, len(invalid))
		for k := range invalid {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"error":             "invalid_client_metadata",
			"error_description": "The client metadata was invalid: " + strings.Join(fields, ", ") + ".",
			"invalid_fields":    invalid,
		})
		return
	}

	public := reg.TokenEndpointAuthMethod == "none"
	c := Client{Name: reg.ClientName, ClientType: ClientTypeConfidential, RequirePKCE: public,
		AllowedGrantTypes: reg.GrantTypes, AllowedScopes: scopes, RedirectURIs: reg.RedirectURIs,
		LogoURI: reg.LogoURI, PolicyURI: reg.PolicyURI, TOSURI: reg.TOSURI}
	if public {
		c.ClientType = ClientTypePublic
	}
	if c.Name == "" {
		c.Name = "Dynamically registered client"
	}
	f.mu.Lock()
	stored := f.addClientLocked(c).clone()
	f.mu.Unlock()
	reg.ClientID = stored.ClientID
	reg.ClientIDIssuedAt = stored.CreatedAt.Unix()
	reg.Scope = strings.Join(stored.AllowedScopes, " ")
	if !public {
		var never int64
		reg.ClientSecret, reg.ClientSecretExpiresAt = stored.ClientSecret, &never
	}
	writeJSON(w, http.StatusCreated, reg)
}

// writeHTML answers with a small, complete HTML page; authorize errors are HTML, not JSON.
func writeHTML(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		" - Telnyx</title></head>\n<body><h1>" + html.EscapeString(title) + "</h1>\n<p>" +
		strings.ReplaceAll(html.EscapeString(message), "\n", "<br>\n") + "</p></body></html>\n"))
}

// redirectHTML answers 302 Found to location with a short HTML body, as browsers expect.
func redirectHTML(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	writeHTML(w, http.StatusFound, "Found", "Redirecting to "+location)
}

// readOAuthJSON reads a JSON object body for an OAuth-style operation: 415 for another content
// type and 413 over 1 MiB (invalid_request both), and badStatus with the error code badCode for
// a body that is not one JSON object.
func readOAuthJSON(w http.ResponseWriter, r *http.Request, badStatus int, badCode string) (jsonObject, bool) {
	if !isJSON(r) {
		writeOAuthError(w, http.StatusUnsupportedMediaType, "invalid_request", "The request body must be application/json.")
		return nil, false
	}
	b, status := readBody(r)
	if status != 0 {
		writeOAuthError(w, status, "invalid_request", http.StatusText(status)+".")
		return nil, false
	}
	obj, err := decodeObject(b)
	if err != nil {
		writeOAuthError(w, badStatus, badCode, err.Error())
		return nil, false
	}
	return obj, true
}
