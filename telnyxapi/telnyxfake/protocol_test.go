package telnyxfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func TestWellKnown(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	r := h.send("GET", "root:/.well-known/oauth-authorization-server", "")
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	base := h.srv.URL + "/v2"
	assert.Equal(t, map[string]any{
		"issuer":                                h.srv.URL,
		"authorization_endpoint":                base + "/oauth/authorize",
		"token_endpoint":                        base + "/oauth/token",
		"introspection_endpoint":                base + "/oauth/introspect",
		"jwks_uri":                              base + "/oauth/jwks",
		"registration_endpoint":                 base + "/oauth/register",
		"grant_types_supported":                 []any{"authorization_code", "client_credentials", "refresh_token"},
		"response_types_supported":              []any{"code"},
		"code_challenge_methods_supported":      []any{"plain", "S256"},
		"token_endpoint_auth_methods_supported": []any{"none", "client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []any{"admin", "numbers.read", "numbers.write", "messaging.read", "messaging.write", "voice.read", "voice.write"},
	}, r.JSON(t))
	assert.Equal(t, h.srv.URL, h.srv.Issuer())

	r = h.send("GET", "root:/.well-known/oauth-protected-resource", "", "Authorization", "Bearer whatever")
	require.Equal(t, 200, r.Status, "a stray bearer on a no-auth endpoint is ignored")
	assert.Equal(t, map[string]any{"resource": base, "authorization_servers": []any{h.srv.URL}}, r.JSON(t))
}

func TestClientCredentialsAndJWKS(t *testing.T) {
	t.Parallel()
	clock := newClock()
	h := start(t, Options{Seed: true, Now: clock.Now, TokenTTL: 30 * time.Minute})

	r := h.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"numbers.read voice.read"}},
		"Authorization", "Basic "+basic(DemoClientID, DemoClientSecret))
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	tok := r.JSON(t)
	assert.Equal(t, "Bearer", tok["token_type"])
	assert.Equal(t, 1800.0, tok["expires_in"])
	assert.Equal(t, "numbers.read voice.read", tok["scope"])
	assert.NotContains(t, tok, "refresh_token")
	access := tok["access_token"].(string)

	// The JWKS key verifies the token's ES256 signature.
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(h.send("GET", "/oauth/jwks", "").Body, &set))
	require.Len(t, set.Keys, 1)
	k := set.Keys[0]
	assert.Equal(t, "EC", k["kty"])
	assert.Equal(t, "P-256", k["crv"])
	assert.Equal(t, "ES256", k["alg"])
	assert.Equal(t, "sig", k["use"])
	x, err := base64.RawURLEncoding.DecodeString(k["x"])
	require.NoError(t, err)
	y, err := base64.RawURLEncoding.DecodeString(k["y"])
	require.NoError(t, err)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	require.NoError(t, err)

	parts := strings.Split(access, ".")
	require.Len(t, parts, 3)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	require.Len(t, sig, 64)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	assert.True(t, ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])))
	digest[0] ^= 1
	assert.False(t, ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])))

	var hdr, claims map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, json.Unmarshal(raw, &hdr))
	raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, json.Unmarshal(raw, &claims))
	assert.Equal(t, map[string]any{"alg": "ES256", "kid": k["kid"], "typ": "at+jwt"}, hdr)
	now := float64(clock.Now().Unix())
	assert.Equal(t, h.srv.URL, claims["iss"])
	assert.Equal(t, h.srv.BaseURL, claims["aud"])
	assert.Equal(t, DemoClientID, claims["sub"])
	assert.Equal(t, DemoClientID, claims["client_id"])
	assert.Equal(t, "numbers.read voice.read", claims["scope"])
	assert.Equal(t, now, claims["iat"])
	assert.Equal(t, now, claims["nbf"])
	assert.Equal(t, now+1800, claims["exp"])
	assert.NotEmpty(t, claims["jti"])

	// Introspection is truthful, and the token expires with the clock.
	intro := h.form("/oauth/introspect", url.Values{"token": {access}}, "Authorization", "Bearer "+DefaultAPIKey).JSON(t)
	assert.Equal(t, map[string]any{"active": true, "scope": "numbers.read voice.read", "client_id": DemoClientID,
		"exp": now + 1800, "iat": now, "iss": h.srv.URL, "aud": h.srv.BaseURL}, intro)
	clock.Advance(30 * time.Minute)
	intro = h.form("/oauth/introspect", url.Values{"token": {access}}, "Authorization", "Bearer "+DefaultAPIKey).JSON(t)
	assert.Equal(t, map[string]any{"active": false}, intro)

	// client_secret_post and JSON bodies work too; no scope means every allowed scope.
	r = h.send("POST", "/oauth/token", `{"grant_type":"client_credentials","client_id":"`+BillingClientID+`","client_secret":"`+mustClient(t, h, BillingClientID).ClientSecret+`"}`,
		"Content-Type", "application/json", "Authorization", "Bearer "+DefaultAPIKey)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Equal(t, "numbers.read messaging.read", r.JSON(t)["scope"])
}

func mustClient(t *testing.T, h *harness, id string) Client {
	t.Helper()
	c, ok := h.srv.Client(id)
	require.True(t, ok)
	return c
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	demo := []string{"Authorization", "Basic " + basic(DemoClientID, DemoClientSecret)}
	tests := []struct {
		name    string
		form    url.Values
		raw     string
		ctype   string
		headers []string
		status  int
		err     string
	}{
		{name: "missing grant_type", form: url.Values{}, headers: demo, status: 400, err: "invalid_request"},
		{name: "unsupported grant_type", form: url.Values{"grant_type": {"password"}}, headers: demo, status: 400, err: "unsupported_grant_type"},
		{name: "no client auth", form: url.Values{"grant_type": {"client_credentials"}}, status: 401, err: "invalid_client"},
		{name: "bearer is not client auth", form: url.Values{"grant_type": {"client_credentials"}}, headers: []string{"Authorization", "Bearer " + DefaultAPIKey}, status: 401, err: "invalid_client"},
		{name: "wrong secret", form: url.Values{"grant_type": {"client_credentials"}}, headers: []string{"Authorization", "Basic " + basic(DemoClientID, "nope")}, status: 401, err: "invalid_client"},
		{name: "unknown client", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {"ghost"}}, status: 401, err: "invalid_client"},
		{name: "confidential without secret", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {DemoClientID}}, status: 401, err: "invalid_client"},
		{name: "body id differs from basic", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {BillingClientID}}, headers: demo, status: 401, err: "invalid_client"},
		{name: "public client basic", form: url.Values{"grant_type": {"client_credentials"}}, headers: []string{"Authorization", "Basic " + basic(MobileClientID, "")}, status: 401, err: "invalid_client"},
		{name: "grant not allowed", form: url.Values{"grant_type": {"client_credentials"}, "client_id": {MobileClientID}}, status: 400, err: "unauthorized_client"},
		{name: "bad scope", form: url.Values{"grant_type": {"client_credentials"}, "scope": {"numbers.read root"}}, headers: demo, status: 400, err: "invalid_scope"},
		{name: "unknown code", form: url.Values{"grant_type": {"authorization_code"}, "code": {"nope"}, "redirect_uri": {DemoRedirectURI}}, headers: demo, status: 400, err: "invalid_grant"},
		{name: "missing code", form: url.Values{"grant_type": {"authorization_code"}}, headers: demo, status: 400, err: "invalid_request"},
		{name: "unknown refresh token", form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, headers: demo, status: 400, err: "invalid_grant"},
		{name: "repeated parameter", raw: "grant_type=client_credentials&grant_type=client_credentials", headers: demo, status: 400, err: "invalid_request"},
		{name: "json non-string", raw: `{"grant_type":1}`, ctype: "application/json", headers: demo, status: 400, err: "invalid_request"},
		{name: "wrong content type", raw: "grant_type=client_credentials", ctype: "text/plain", headers: demo, status: 415, err: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			body, ctype := tc.form.Encode(), "application/x-www-form-urlencoded"
			if tc.raw != "" {
				body = tc.raw
			}
			if tc.ctype != "" {
				ctype = tc.ctype
			}
			r := hh.send("POST", "/oauth/token", body, append([]string{"Content-Type", ctype}, tc.headers...)...)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			m := r.JSON(t)
			assert.Equal(t, tc.err, m["error"])
			assert.NotEmpty(t, m["error_description"])
			if tc.status == 401 {
				assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// authorize runs GET /oauth/authorize and returns the consent token from the redirect.
func authorize(t *testing.T, h *harness, q url.Values) string {
	t.Helper()
	r := h.send("GET", "/oauth/authorize?"+q.Encode(), "", "Accept", "text/html")
	require.Equal(t, http.StatusFound, r.Status, "body: %s", r.Body)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, h.srv.URL+"/oauth/consent", loc.Scheme+"://"+loc.Host+loc.Path)
	tok := loc.Query().Get("consent_token")
	require.NotEmpty(t, tok)
	return tok
}

// approve posts the consent decision and returns the parsed redirect.
func approve(t *testing.T, h *harness, consent string, allowed bool) *url.URL {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"allowed": allowed, "consent_token": consent})
	r := h.api("POST", "/oauth/grants", string(body))
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	u, err := url.Parse(r.JSON(t)["redirect_uri"].(string))
	require.NoError(t, err)
	return u
}

func introspect(t *testing.T, h *harness, tok string) map[string]any {
	t.Helper()
	r := h.form("/oauth/introspect", url.Values{"token": {tok}}, "Authorization", "Bearer "+DefaultAPIKey)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	return r.JSON(t)
}

func TestAuthorizationCodeFlowWithPKCE(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	challenge := safetext.S256(testVerifier)
	assert.Equal(t, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", challenge, "RFC 7636 appendix B")

	// 1. authorize → 302 to the consent page
	consent := authorize(t, h, url.Values{"response_type": {"code"}, "client_id": {MobileClientID},
		"redirect_uri": {MobileRedirectURI}, "scope": {"numbers.read messaging.read"}, "state": {"st-123"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}})

	// The consent page a browser would land on.
	page := h.send("GET", "root:/oauth/consent?consent_token="+consent, "")
	assert.Equal(t, 200, page.Status)
	assert.Contains(t, page.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, string(page.Body), "Mobile app")

	// 2. consent details
	r := h.api("GET", "/oauth/consent/"+consent, "")
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Equal(t, map[string]any{
		"client_id": MobileClientID, "name": "Mobile app", "logo_uri": "https://app.example.com/icon.png",
		"policy_uri": "https://app.example.com/privacy", "tos_uri": "https://app.example.com/terms",
		"redirect_uri": MobileRedirectURI, "verified": true,
		"requested_scopes": []any{
			map[string]any{"id": "numbers.read", "name": "Read phone numbers", "description": "View phone numbers, number orders and their settings."},
			map[string]any{"id": "messaging.read", "name": "Read messaging", "description": "View messaging profiles and message records."},
		},
	}, r.JSON(t)["data"])

	// 3. allow → redirect with code and state; the consent token is used up
	back := approve(t, h, consent, true)
	assert.Equal(t, MobileRedirectURI, back.Scheme+"://"+back.Host+back.Path)
	assert.Equal(t, "st-123", back.Query().Get("state"))
	code := back.Query().Get("code")
	require.NotEmpty(t, code)
	r = h.api("POST", "/oauth/grants", `{"allowed":true,"consent_token":"`+consent+`"}`)
	assert.Equal(t, 422, r.Status)
	assert.Equal(t, "invalid_request", r.JSON(t)["error"])
	assert.Equal(t, 422, h.api("GET", "/oauth/consent/"+consent, "").Status)

	// A grant now exists, never used yet.
	grants := h.api("GET", "/oauth_grants?page[size]=100", "").JSON(t)["data"].([]any)
	require.Len(t, grants, 4)
	newest := grants[3].(map[string]any)
	grantID := newest["id"].(string)
	assert.Equal(t, MobileClientID, newest["client_id"])
	assert.Equal(t, []any{"numbers.read", "messaging.read"}, newest["scopes"])
	assert.Nil(t, newest["last_used_at"])

	// 4. wrong verifier, wrong redirect, missing verifier: refused, code not used up
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {MobileRedirectURI},
		"code_verifier": {testVerifier}, "client_id": {MobileClientID}}
	for field, value := range map[string]string{"code_verifier": strings.Repeat("a", 43), "redirect_uri": "https://app.example.com/other", "": ""} {
		bad := url.Values{}
		for k, v := range exchange {
			bad[k] = v
		}
		if field == "" {
			bad.Del("code_verifier")
		} else {
			bad.Set(field, value)
		}
		r = h.form("/oauth/token", bad)
		assert.Equal(t, 400, r.Status, "field %q", field)
		assert.Equal(t, "invalid_grant", r.JSON(t)["error"], "field %q", field)
	}

	// 5. exchange
	r = h.form("/oauth/token", exchange)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	tok := r.JSON(t)
	access, refresh := tok["access_token"].(string), tok["refresh_token"].(string)
	assert.NotEmpty(t, refresh)
	assert.Equal(t, "numbers.read messaging.read", tok["scope"])
	assert.Equal(t, 3600.0, tok["expires_in"])

	// 6. introspect: active, for this client
	intro := introspect(t, h, access)
	assert.Equal(t, true, intro["active"])
	assert.Equal(t, MobileClientID, intro["client_id"])
	assert.Equal(t, "numbers.read messaging.read", intro["scope"])
	g, _ := h.srv.Grant(grantID)
	assert.NotNil(t, g.LastUsedAt, "the exchange used the grant")

	// The access token works as a bearer.
	assert.Equal(t, 200, h.send("GET", "/oauth_grants/"+grantID, "", "Authorization", "Bearer "+access).Status)

	// 7. refresh rotates; the old refresh token then fails and, as a replay, revokes the grant
	r = h.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {MobileClientID}, "scope": {"numbers.read"}})
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	tok2 := r.JSON(t)
	access2, refresh2 := tok2["access_token"].(string), tok2["refresh_token"].(string)
	assert.NotEqual(t, refresh, refresh2)
	assert.Equal(t, "numbers.read", tok2["scope"], "a refresh may narrow the scope")
	assert.Equal(t, true, introspect(t, h, access2)["active"])

	r = h.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh2}, "client_id": {MobileClientID}})
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	assert.Equal(t, "numbers.read messaging.read", r.JSON(t)["scope"], "the rotated refresh token keeps the original scope")

	r = h.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {MobileClientID}})
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
	assert.Equal(t, false, introspect(t, h, access2)["active"], "refresh token reuse revoked the grant")
	assert.Equal(t, 404, h.api("GET", "/oauth_grants/"+grantID, "").Status)

	// 8. the code is single-use
	r = h.form("/oauth/token", exchange)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
}

func TestConsentDeniedAndCodeReplay(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	q := url.Values{"response_type": {"code"}, "client_id": {DemoClientID}, "redirect_uri": {DemoRedirectURI}, "state": {"s"}}

	back := approve(t, h, authorize(t, h, q), false)
	assert.Equal(t, url.Values{"error": {"access_denied"}, "state": {"s"}}, back.Query())

	// A confidential client without PKCE, authenticated with Basic.
	back = approve(t, h, authorize(t, h, q), true)
	code := back.Query().Get("code")
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {DemoRedirectURI}}
	auth := []string{"Authorization", "Basic " + basic(DemoClientID, DemoClientSecret)}
	r := h.form("/oauth/token", exchange, auth...)
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	access := r.JSON(t)["access_token"].(string)
	assert.Equal(t, true, introspect(t, h, access)["active"])
	assert.Equal(t, "admin numbers.read numbers.write messaging.read messaging.write voice.read voice.write", r.JSON(t)["scope"],
		"no scope requested means every allowed scope")

	// Replaying the code fails and revokes what it produced.
	r = h.form("/oauth/token", exchange, auth...)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
	assert.Equal(t, false, introspect(t, h, access)["active"])

	// A code_verifier without a challenge is a PKCE downgrade.
	back = approve(t, h, authorize(t, h, q), true)
	exchange.Set("code", back.Query().Get("code"))
	exchange.Set("code_verifier", testVerifier)
	r = h.form("/oauth/token", exchange, auth...)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	good := url.Values{"response_type": {"code"}, "client_id": {MobileClientID}, "redirect_uri": {MobileRedirectURI},
		"state": {"xyz"}, "code_challenge": {safetext.S256(testVerifier)}, "code_challenge_method": {"S256"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range good {
			q[kk] = vv
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name   string
		q      url.Values
		status int
		err    string // for redirects back to the client
	}{
		{"missing response_type", with("response_type", ""), 400, ""},
		{"token response_type", with("response_type", "token"), 400, ""},
		{"missing client_id", with("client_id", ""), 400, ""},
		{"missing redirect_uri", with("redirect_uri", ""), 400, ""},
		{"bad method", with("code_challenge_method", "S512"), 400, ""},
		{"method without challenge", with("code_challenge", ""), 400, ""},
		{"unknown client", with("client_id", "00000000-0000-4000-8000-000000000000"), 404, ""},
		{"redirect mismatch", with("redirect_uri", MobileRedirectURI+"/"), 422, ""},
		{"redirect prefix trick", with("redirect_uri", MobileRedirectURI+"?x=1"), 422, ""},
		{"public client without PKCE", func() url.Values { q := with("code_challenge", ""); q.Del("code_challenge_method"); return q }(), 302, "invalid_request"},
		{"scope outside the client", with("scope", "voice.write"), 302, "invalid_scope"},
		{"client without redirect URIs", with("client_id", BillingClientID), 422, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.send("GET", "/oauth/authorize?"+tc.q.Encode(), "")
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			if tc.status != 302 {
				assert.Contains(t, r.Header.Get("Content-Type"), "text/html")
				assert.Contains(t, string(r.Body), "<html>")
				return
			}
			loc, err := url.Parse(r.Header.Get("Location"))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(loc.String(), MobileRedirectURI+"?"))
			assert.Equal(t, tc.err, loc.Query().Get("error"))
			assert.Equal(t, "xyz", loc.Query().Get("state"))
		})
	}
}

func TestGrantsPostValidation(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	consent := h.srv.NewConsentToken(DemoClientID, DemoRedirectURI, "voice.read", "", "", "")
	for _, body := range []string{
		`{"allowed":true}`,
		`{"consent_token":"` + consent + `"}`,
		`{"allowed":"yes","consent_token":"` + consent + `"}`,
		`{"allowed":true,"consent_token":"` + consent + `","extra":1}`,
		`{"allowed":true,"consent_token":"unknown"}`,
		`not json`,
	} {
		r := h.api("POST", "/oauth/grants", body)
		assert.Equal(t, 422, r.Status, "body %s → %s", body, r.Body)
		assert.Equal(t, "invalid_request", r.JSON(t)["error"])
	}
	r := h.send("POST", "/oauth/grants", `{"allowed":true,"consent_token":"`+consent+`"}`, "Authorization", "Bearer "+DefaultAPIKey, "Content-Type", "text/plain")
	assert.Equal(t, 415, r.Status)
	// The token survived every failure.
	back := approve(t, h, consent, true)
	assert.NotEmpty(t, back.Query().Get("code"))
	assert.Empty(t, back.Query().Get("state"), "no state was sent, none comes back")
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	live := h.srv.IssueAccessToken(DemoClientID, "voice.read", 0)
	forged := live[:len(live)-4] + "AAAA"
	tests := []struct {
		name    string
		body    string
		ctype   string
		headers []string
		status  int
		active  bool
	}{
		{"garbage token", "token=garbage", "", []string{"Authorization", "Bearer " + DefaultAPIKey}, 200, false},
		{"forged signature", "token=" + forged, "", []string{"Authorization", "Bearer " + DefaultAPIKey}, 200, false},
		{"live, api key", "token=" + live, "", []string{"Authorization", "Bearer " + DefaultAPIKey}, 200, true},
		{"live, basic client auth", "token=" + live, "", []string{"Authorization", "Basic " + basic(DemoClientID, DemoClientSecret)}, 200, true},
		{"live, body client auth", "token=" + live + "&client_id=" + MobileClientID, "", nil, 200, true},
		{"live, access token bearer", "token=" + live, "", []string{"Authorization", "Bearer " + live}, 200, true},
		{"live, json", `{"token":"` + live + `"}`, "application/json", []string{"Authorization", "Bearer " + DefaultAPIKey}, 200, true},
		{"no auth", "token=" + live, "", nil, 401, false},
		{"wrong key", "token=" + live, "", []string{"Authorization", "Bearer KEYbad"}, 401, false},
		{"wrong secret", "token=" + live, "", []string{"Authorization", "Basic " + basic(DemoClientID, "x")}, 401, false},
		{"missing token", "", "", []string{"Authorization", "Bearer " + DefaultAPIKey}, 400, false},
		{"wrong content type", "token=x", "text/plain", []string{"Authorization", "Bearer " + DefaultAPIKey}, 415, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			ctype := "application/x-www-form-urlencoded"
			if tc.ctype != "" {
				ctype = tc.ctype
			}
			r := hh.send("POST", "/oauth/introspect", tc.body, append([]string{"Content-Type", ctype}, tc.headers...)...)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			m := r.JSON(t)
			switch tc.status {
			case 200:
				assert.Equal(t, tc.active, m["active"])
				if !tc.active {
					assert.Len(t, m, 1, "an inactive token reveals nothing else")
				}
			case 401:
				assert.Equal(t, "invalid_client", m["error"])
			default:
				assert.Equal(t, "invalid_request", m["error"])
			}
		})
	}
}

func TestDeletingClientAndRevokingGrantDeactivateTokens(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	q := url.Values{"response_type": {"code"}, "client_id": {DemoClientID}, "redirect_uri": {DemoRedirectURI}}
	auth := []string{"Authorization", "Basic " + basic(DemoClientID, DemoClientSecret)}
	issue := func() (string, string) {
		code := approve(t, h, authorize(t, h, q), true).Query().Get("code")
		r := h.form("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {DemoRedirectURI}}, auth...)
		require.Equal(t, 200, r.Status, "body: %s", r.Body)
		m := r.JSON(t)
		return m["access_token"].(string), m["refresh_token"].(string)
	}

	// Revoking the grant: 200 with the grant, then 404; its tokens die.
	access, refresh := issue()
	var grantID string
	for _, c := range h.api("GET", "/oauth_grants", "").JSON(t)["data"].([]any) {
		if m := c.(map[string]any); m["client_id"] == DemoClientID && m["id"] != DemoStaleGrantID {
			grantID = m["id"].(string)
		}
	}
	require.NotEmpty(t, grantID)
	r := h.api("DELETE", "/oauth_grants/"+grantID, "")
	require.Equal(t, 200, r.Status)
	d := r.JSON(t)["data"].(map[string]any)
	assert.Equal(t, grantID, d["id"])
	assert.Equal(t, "oauth_grant", d["record_type"])
	assert.NotNil(t, d["last_used_at"])
	assert.Equal(t, 404, h.api("GET", "/oauth_grants/"+grantID, "").Status)
	assert.Equal(t, 404, h.api("DELETE", "/oauth_grants/"+grantID, "").Status)
	assert.Equal(t, false, introspect(t, h, access)["active"])
	r = h.form("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}, auth...)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
	g, ok := h.srv.Grant(grantID)
	require.True(t, ok)
	assert.True(t, g.Revoked)

	// Deleting the client revokes its grants and kills all its tokens.
	access, _ = issue()
	cc := h.srv.IssueAccessToken(DemoClientID, "admin", 0)
	assert.Equal(t, 204, h.api("DELETE", "/oauth_clients/"+DemoClientID, "").Status)
	assert.Equal(t, false, introspect(t, h, access)["active"])
	assert.Equal(t, false, introspect(t, h, cc)["active"])
	stale, _ := h.srv.Grant(DemoStaleGrantID)
	assert.True(t, stale.Revoked)
	for _, c := range h.api("GET", "/oauth_grants", "").JSON(t)["data"].([]any) {
		assert.NotEqual(t, DemoClientID, c.(map[string]any)["client_id"])
	}
}

func TestDynamicRegistration(t *testing.T) {
	t.Parallel()
	clock := newClock()
	h := start(t, Options{Now: clock.Now})

	// A public PKCE client, as an MCP host registers itself.
	r := h.send("POST", "/oauth/register", `{"client_name":"Claude","redirect_uris":["http://127.0.0.1:33418/callback"],"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"scope":"numbers.read","token_endpoint_auth_method":"none"}`,
		"Content-Type", "application/json")
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	reg := r.JSON(t)
	assert.NotContains(t, reg, "client_secret")
	assert.Equal(t, float64(clock.Now().Unix()), reg["client_id_issued_at"])
	assert.Equal(t, "Claude", reg["client_name"])
	assert.Equal(t, "none", reg["token_endpoint_auth_method"])
	assert.Equal(t, "numbers.read", reg["scope"])
	pub := mustClient(t, h, reg["client_id"].(string))
	assert.Equal(t, ClientTypePublic, pub.ClientType)
	assert.True(t, pub.RequirePKCE)
	authorize(t, h, url.Values{"response_type": {"code"}, "client_id": {pub.ClientID}, "redirect_uri": {"http://127.0.0.1:33418/callback"},
		"code_challenge": {safetext.S256(testVerifier)}, "code_challenge_method": {"S256"}})

	// Defaults: authorization_code, code, client_secret_basic, every scope; a secret that never expires.
	r = h.send("POST", "/oauth/register", `{"redirect_uris":["https://x.example/cb"]}`, "Content-Type", "application/json")
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	reg = r.JSON(t)
	assert.Equal(t, []any{"authorization_code"}, reg["grant_types"])
	assert.Equal(t, []any{"code"}, reg["response_types"])
	assert.Equal(t, "client_secret_basic", reg["token_endpoint_auth_method"])
	assert.Equal(t, strings.Join(SupportedScopes(), " "), reg["scope"])
	assert.NotEmpty(t, reg["client_secret"])
	assert.Equal(t, 0.0, reg["client_secret_expires_at"])

	// A registered confidential client works at the token endpoint.
	r = h.send("POST", "/oauth/register", `{"client_name":"svc","grant_types":["client_credentials"],"token_endpoint_auth_method":"client_secret_post","scope":"voice.read"}`, "Content-Type", "application/json")
	require.Equal(t, 201, r.Status, "body: %s", r.Body)
	reg = r.JSON(t)
	tok := h.form("/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {reg["client_id"].(string)}, "client_secret": {reg["client_secret"].(string)}})
	require.Equal(t, 200, tok.Status, "body: %s", tok.Body)
	assert.Equal(t, "voice.read", tok.JSON(t)["scope"])

	// The registered clients are listed like any other.
	assert.Equal(t, 3.0, h.api("GET", "/oauth_clients", "").JSON(t)["meta"].(map[string]any)["total_results"])

	tests := []struct {
		name   string
		body   string
		fields []string
	}{
		{"unknown field", `{"client_name":"a","jwks_uri":"https://x.example/jwks","grant_types":["client_credentials"]}`, []string{"jwks_uri"}},
		{"bad grant type", `{"grant_types":["password"]}`, []string{"grant_types"}},
		{"bad auth method", `{"token_endpoint_auth_method":"private_key_jwt","grant_types":["client_credentials"]}`, []string{"token_endpoint_auth_method"}},
		{"code flow without redirect", `{"client_name":"a"}`, []string{"redirect_uris"}},
		{"bad redirect", `{"redirect_uris":["javascript-no-host"]}`, []string{"redirect_uris"}},
		{"wrong types", `{"client_name":5,"redirect_uris":"https://x.example/cb"}`, []string{"client_name", "redirect_uris"}},
		{"unsupported scope", `{"scope":"admin root","grant_types":["client_credentials"]}`, []string{"scope"}},
		{"public client credentials", `{"token_endpoint_auth_method":"none","grant_types":["client_credentials"]}`, []string{"token_endpoint_auth_method"}},
		{"unsupported response type", `{"response_types":["token"],"redirect_uris":["https://x.example/cb"]}`, []string{"response_types"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.send("POST", "/oauth/register", tc.body, "Content-Type", "application/json")
			require.Equal(t, 400, r.Status, "body: %s", r.Body)
			var m struct {
				Error       string              `json:"error"`
				Description string              `json:"error_description"`
				Fields      map[string][]string `json:"invalid_fields"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &m))
			assert.Equal(t, "invalid_client_metadata", m.Error)
			assert.NotEmpty(t, m.Description)
			var got []string
			for k, msgs := range m.Fields {
				got = append(got, k)
				assert.NotEmpty(t, msgs)
			}
			assert.ElementsMatch(t, tc.fields, got)
		})
	}
	assert.Equal(t, 400, h.send("POST", "/oauth/register", `{`, "Content-Type", "application/json").Status)
	assert.Equal(t, 415, h.send("POST", "/oauth/register", `{}`, "Content-Type", "text/plain").Status)
	assert.Len(t, h.srv.Clients(), 3, "failed registrations create nothing")
}
