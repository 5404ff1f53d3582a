package tools

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
)

// RFC 7517 §4.5 lets keys of different types share a kid. A token signed
// with the second of them must verify with it, not fail against the first.
func TestVerifySharedKidAcrossKeyTypes(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keys := &fakeKeys{}
	keys.set(
		jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"},
		jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"},
	)
	now := time.Now()
	sign := func(alg jose.SignatureAlgorithm, key any) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
		require.NoError(t, err)
		tok, err := jwt.Signed(s).Claims(jwt.Claims{Issuer: "https://issuer.example", Expiry: jwt.NewNumericDate(now.Add(time.Hour))}).Serialize()
		require.NoError(t, err)
		return tok
	}
	v := verifier{cache: newJWKSCache(time.Hour, time.Minute, nil), fetch: keys.fetch, now: time.Now}
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		key any
	}{{jose.ES256, ecKey}, {jose.RS256, rsaKey}} {
		out, err := v.verify(t.Context(), &VerifyTokenInput{Token: sign(tc.alg, tc.key)})
		require.NoError(t, err)
		require.True(t, out.Valid, "%s: %s", tc.alg, out.Reason)
	}
}

// Odd claim encodings must fail closed or verify as the RFCs say, and never
// panic: exp as a float verifies, exp as a string does not, aud as a string
// or an array both match, an issuer differing by a trailing slash does not.
func TestVerifyClaimEncodings(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keys := &fakeKeys{}
	keys.set(jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "k", Algorithm: "ES256", Use: "sig"})
	v := verifier{cache: newJWKSCache(time.Hour, time.Minute, nil), fetch: keys.fetch, now: time.Now}
	exp := float64(time.Now().Add(time.Hour).Unix()) + 0.5
	for _, tc := range []struct {
		name   string
		claims map[string]any
		aud    string
		valid  bool
	}{
		{"float exp", map[string]any{"iss": "https://issuer.example", "exp": exp}, "", true},
		{"string exp", map[string]any{"iss": "https://issuer.example", "exp": "9999999999"}, "", false},
		{"huge exp", map[string]any{"iss": "https://issuer.example", "exp": 1e300}, "", false},
		{"aud string", map[string]any{"iss": "https://issuer.example", "exp": exp, "aud": "api"}, "api", true},
		{"aud array", map[string]any{"iss": "https://issuer.example", "exp": exp, "aud": []string{"x", "api"}}, "api", true},
		{"iss slash", map[string]any{"iss": "https://issuer.example/", "exp": exp}, "", false},
		{"nbf string", map[string]any{"iss": "https://issuer.example", "exp": exp, "nbf": "0"}, "", false},
	} {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ecKey}, (&jose.SignerOptions{}).WithHeader("kid", "k"))
		require.NoError(t, err)
		tok, err := jwt.Signed(s).Claims(tc.claims).Serialize()
		require.NoError(t, err)
		out, err := v.verify(t.Context(), &VerifyTokenInput{Token: tok, Audience: tc.aud})
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.valid, out.Valid, "%s: %s", tc.name, out.Reason)
	}
}
