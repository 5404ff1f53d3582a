package tools_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

var b64url = base64.RawURLEncoding

// tokenParts splits a compact JWS and decodes its header and claims.
func tokenParts(t *testing.T, tok string) (header, claims map[string]any, parts []string) {
	t.Helper()
	parts = strings.Split(tok, ".")
	require.Len(t, parts, 3)
	for i, dst := range []*map[string]any{&header, &claims} {
		raw, err := b64url.DecodeString(parts[i])
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, dst))
	}
	return header, claims, parts
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b64url.EncodeToString(b)
}

// signWith signs claims with a key of our own, as a forger would.
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	require.NoError(t, err)
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	require.NoError(t, err)
	return tok
}

func (h *harness) verify(t *testing.T, args map[string]any) tools.VerifyTokenOutput {
	t.Helper()
	return decode[tools.VerifyTokenOutput](t, h.ok(t, "verify_oauth_access_token", args))
}

// clientCredentialsToken gets a token from the fake's token endpoint through
// exchange_oauth_token, as the sandbox's demo client.
func (h *harness) clientCredentialsToken(t *testing.T, scope string) string {
	t.Helper()
	out := decode[tools.TokenOutput](t, h.ok(t, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials", "scope": scope}))
	require.NotEmpty(t, out.AccessToken)
	return out.AccessToken
}

func TestVerifyValidTokens(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	tok := e.clientCredentialsToken(t, "numbers.read messaging.read")

	got := e.verify(t, map[string]any{"token": tok})
	assert.True(t, got.Valid, "reason: %s", got.Reason)
	assert.Empty(t, got.Reason)
	assert.True(t, got.SignatureVerified)
	assert.Equal(t, "ES256", got.Algorithm)
	assert.NotEmpty(t, got.KeyID)
	assert.Equal(t, e.fake.URL, got.ExpectedIssuer)
	assert.Equal(t, []string{"messaging.read", "numbers.read"}, got.Scopes)
	assert.Equal(t, e.fake.URL, got.Claims["iss"])
	assert.Equal(t, telnyxfake.DemoClientID, got.Claims["client_id"])
	assert.NotEmpty(t, got.ExpiresAt)
	assert.Equal(t, 1, e.jwksRequests(), "the key set is fetched once")
	assert.Len(t, e.fake.RequestsFor(telnyxfake.OpGetAuthorizationServerMetadata), 1, "the issuer comes from the metadata")

	minted := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "voice.read", 0)
	assert.True(t, e.verify(t, map[string]any{"token": minted}).Valid, "a token minted by the fake")
	assert.Equal(t, 1, e.jwksRequests(), "the cached key set is reused")

	// Within the clock leeway an expired-by-seconds token still passes.
	justExpired := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "voice.read", -30*time.Second)
	assert.True(t, e.verify(t, map[string]any{"token": justExpired}).Valid, "30 s past exp is inside the 60 s leeway")

	t.Run("audience and scopes", func(t *testing.T) {
		ok := e.verify(t, map[string]any{"token": tok, "audience": e.fake.BaseURL, "required_scopes": []string{"numbers.read"}})
		assert.True(t, ok.Valid, "reason: %s", ok.Reason)

		wrongAud := e.verify(t, map[string]any{"token": tok, "audience": "https://other.example/v2"})
		assert.False(t, wrongAud.Valid)
		assert.True(t, wrongAud.SignatureVerified)
		assert.Contains(t, wrongAud.Reason, "audience")
		assert.NotEmpty(t, wrongAud.Claims, "claims come with a verified signature even when a check fails")

		noScope := e.verify(t, map[string]any{"token": tok, "required_scopes": []string{"numbers.read", "voice.write"}})
		assert.False(t, noScope.Valid)
		assert.Contains(t, noScope.Reason, "lacks the required scopes voice.write")
	})
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	good := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", 0)
	header, claims, parts := tokenParts(t, good)
	kid := header["kid"].(string)

	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	escalated := map[string]any{}
	for k, v := range claims {
		escalated[k] = v
	}
	escalated["scope"] = "admin"

	// The public key as published, which an HS256 forger would use as the
	// shared secret.
	jwks := decode[map[string]any](t, e.ok(t, "get_oauth_jwks", map[string]any{}))
	pub, err := json.Marshal(jwks["keys"].([]any)[0])
	require.NoError(t, err)
	hsInput := encodeSegment(t, map[string]any{"alg": "HS256", "kid": kid, "typ": "at+jwt"}) + "." + encodeSegment(t, escalated)
	mac := hmac.New(sha256.New, pub)
	mac.Write([]byte(hsInput))

	tests := []struct {
		name, token, reason string
		signatureVerified   bool
	}{
		{name: "altered claims", token: parts[0] + "." + encodeSegment(t, escalated) + "." + parts[2],
			reason: "signature does not verify"},
		{name: "signed by another key under the real kid", token: signWith(t, jose.ES256, forger, kid, escalated),
			reason: "signature does not verify"},
		{name: "alg none", token: encodeSegment(t, map[string]any{"alg": "none", "kid": kid}) + "." + encodeSegment(t, escalated) + ".",
			reason: `alg "none" is refused`},
		{name: "HMAC with the public key", token: hsInput + "." + b64url.EncodeToString(mac.Sum(nil)),
			reason: "alg HS256 is refused"},
		{name: "alg that does not match the key", token: encodeSegment(t, map[string]any{"alg": "ES384", "kid": kid}) + "." + parts[1] + "." + parts[2],
			reason: "alg ES384 does not match key"},
		{name: "RSA alg on the EC key", token: encodeSegment(t, map[string]any{"alg": "RS256", "kid": kid}) + "." + parts[1] + "." + parts[2],
			reason: "alg RS256 does not match key"},
		{name: "unsupported alg", token: encodeSegment(t, map[string]any{"alg": "XS999", "kid": kid}) + "." + parts[1] + "." + parts[2],
			reason: "not supported"},
		{name: "not a JWT", token: "opaque-token-value", reason: "not a signed JWT"},
		{name: "header not JSON", token: "bm90IGpzb24." + parts[1] + "." + parts[2], reason: "not a signed JWT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.verify(t, map[string]any{"token": tc.token})
			assert.False(t, got.Valid)
			assert.Contains(t, got.Reason, tc.reason)
			assert.Equal(t, tc.signatureVerified, got.SignatureVerified)
			assert.Empty(t, got.Claims, "unverified claims are never returned")
		})
	}

	t.Run("expired", func(t *testing.T) {
		expired := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", -2*time.Hour)
		got := e.verify(t, map[string]any{"token": expired})
		assert.False(t, got.Valid)
		assert.True(t, got.SignatureVerified)
		assert.Contains(t, got.Reason, "expired at")
	})
}

// TestVerifyUnknownKidRefetchesOnce: a token naming a kid the JWKS does not
// have is invalid, and makes the server fetch the key set again at most once
// per interval, however many such tokens arrive.
func TestVerifyUnknownKidRefetchesOnce(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	good := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", 0)
	_, claims, _ := tokenParts(t, good)
	require.True(t, e.verify(t, map[string]any{"token": good}).Valid)
	require.Equal(t, 1, e.jwksRequests())

	rotated, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for i, kid := range []string{"rotated-key-1", "rotated-key-2", "rotated-key-1", "another"} {
		got := e.verify(t, map[string]any{"token": signWith(t, jose.ES256, rotated, kid, claims)})
		assert.False(t, got.Valid)
		assert.Contains(t, got.Reason, `no key in the JWKS has kid "`+kid+`"`)
		assert.Equal(t, 2, e.jwksRequests(), "after token %d: one refetch for the first unknown kid, then none within the interval", i)
	}
	assert.True(t, e.verify(t, map[string]any{"token": good}).Valid, "known keys keep working")
	assert.Equal(t, 2, e.jwksRequests())
	assert.Len(t, e.fake.RequestsFor(telnyxfake.OpGetAuthorizationServerMetadata), 1, "a refetch does not fetch the metadata")

	// alg none, HMAC and malformed tokens are refused before any key is
	// looked up: they cause no fetch at all.
	fresh := newHarness(t, sandbox())
	hs := signWith(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), "k", claims)
	for _, tok := range []string{hs, encodeSegment(t, map[string]any{"alg": "none"}) + "." + encodeSegment(t, claims) + "."} {
		assert.False(t, fresh.verify(t, map[string]any{"token": tok}).Valid)
	}
	assert.Equal(t, 0, fresh.jwksRequests())
}

func TestVerifyNotYetValid(t *testing.T) {
	t.Parallel()
	// A fake whose clock runs two hours ahead signs tokens whose nbf and iat
	// lie in this machine's future.
	e := newHarness(t, sandbox(), fakeClock(func() time.Time { return time.Now().Add(2 * time.Hour) }))
	tok := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", 0)
	got := e.verify(t, map[string]any{"token": tok})
	assert.False(t, got.Valid)
	assert.True(t, got.SignatureVerified)
	assert.Contains(t, got.Reason, "not valid yet")
}

func TestVerifyWrongIssuer(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	tok := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", 0)
	// The authorization server now names another issuer: a token signed with
	// the right key but carrying the old iss must fail.
	e.fake.Inject(telnyxfake.OpGetAuthorizationServerMetadata, faultinject.Status(200, `{"issuer":"https://issuer.example"}`))
	got := e.verify(t, map[string]any{"token": tok})
	assert.False(t, got.Valid)
	assert.True(t, got.SignatureVerified)
	assert.Equal(t, "https://issuer.example", got.ExpectedIssuer)
	assert.Contains(t, got.Reason, `the issuer "`+e.fake.URL+`" is not the authorization server's issuer "https://issuer.example"`)
}

func TestVerifyUpstreamFailureIsAnError(t *testing.T) {
	t.Parallel()
	e := newHarness(t, sandbox())
	tok := e.fake.IssueAccessToken(telnyxfake.DemoClientID, "numbers.read", 0)
	e.fake.Inject(telnyxfake.OpGetJWKS, faultinject.Status(404, `{"errors":[{"code":"10005","title":"Resource not found"}]}`))
	res := e.call(t, "verify_oauth_access_token", map[string]any{"token": tok})
	require.True(t, res.IsError, "without keys nothing can be verified: %s", resultText(res))
	assert.Contains(t, resultText(res), "404")
	assert.NotContains(t, resultText(res), tok, "the token never appears in an error")

	// The failure is not cached.
	assert.True(t, e.verify(t, map[string]any{"token": tok}).Valid)
}
