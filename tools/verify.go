package tools

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// clockLeeway is how far exp, nbf and iat may be off, for clock skew
// between Telnyx and this machine.
const clockLeeway = 60 * time.Second

// asymmetricAlgs are the signature algorithms a token may use. HMAC is not
// among them: its key is a shared secret, and a verifier that accepted it
// could be fooled into using a public key as that secret. "none" is not a
// signature at all.
var asymmetricAlgs = []jose.SignatureAlgorithm{
	jose.ES256, jose.ES384, jose.ES512,
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.EdDSA,
}

// VerifyTokenInput is a token to verify and what it must say.
type VerifyTokenInput struct {
	Token          string   `json:"token" jsonschema:"minLength=1,maxLength=8192"`
	Audience       string   `json:"audience,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"Must be in aud."`
	RequiredScopes []string `json:"required_scopes,omitempty" jsonschema:"maxItems=50,uniqueItems=true" jsonschema_description:"Must all be in scope."`
}

// VerifyTokenOutput is the verdict.
type VerifyTokenOutput struct {
	Valid             bool           `json:"valid"`
	Reason            string         `json:"reason,omitempty" jsonschema_description:"Why the token is not valid."`
	SignatureVerified bool           `json:"signature_verified" jsonschema_description:"The signature was checked with a key of the JWKS and holds."`
	Algorithm         string         `json:"alg,omitempty"`
	KeyID             string         `json:"kid,omitempty"`
	ExpectedIssuer    string         `json:"expected_issuer,omitempty" jsonschema_description:"The issuer of the authorization server metadata."`
	Scopes            []string       `json:"scopes,omitempty"`
	ExpiresAt         string         `json:"expires_at,omitempty"`
	Claims            map[string]any `json:"claims,omitempty" jsonschema_description:"The token's claims, only when the signature verified."`
}

// VerifyOAuthAccessToken verifies a JWT access token locally against the
// JWKS: signature, times, issuer, and optionally audience and scopes.
func VerifyOAuthAccessToken(d Deps) Tool {
	caches := &jwksCaches{}
	return define(d, spec{
		name: "verify_oauth_access_token", title: "Verify OAuth access token", toolset: ToolsetProtocol, hints: readHints,
		description: "Verify a JWT access token locally against the JWKS: signature, expiry, issuer, and optionally audience and scopes. Says why an invalid token fails. Changes nothing.",
	}, func(ctx context.Context, tc *toolCall, in *VerifyTokenInput) (*VerifyTokenOutput, error) {
		v := verifier{cache: caches.get(tc.client.BaseURL()), fetch: keysFrom(tc.client), now: time.Now}
		return v.verify(ctx, in)
	})
}

// keysFrom fetches the key set, and the issuer from the server metadata,
// through the configured client: the server never follows jwks_uri or any
// other URL a document names.
func keysFrom(api *telnyxapi.Client) keyFetcher {
	return func(ctx context.Context, withIssuer bool) ([]jose.JSONWebKey, string, error) {
		issuer := ""
		if withIssuer {
			md, err := api.GetAuthorizationServerMetadata(ctx)
			if err != nil {
				return nil, "", err
			}
			issuer = md.Issuer
		}
		set, err := api.GetJWKS(ctx)
		if err != nil {
			return nil, "", err
		}
		return publicKeys(set), issuer, nil
	}
}

// publicKeys keeps the usable signing keys of a key set: asymmetric public
// keys meant for signatures. Keys that do not parse, symmetric keys and
// encryption keys are left out rather than failing the whole set.
func publicKeys(set *telnyxapi.JWKS) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, raw := range set.Keys {
		b, err := json.Marshal(raw)
		if err != nil {
			continue
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(b); err != nil || !k.Valid() {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pub := k.Public()
		if !pub.Valid() || len(algsForKey(pub)) == 0 {
			continue
		}
		out = append(out, pub)
	}
	return out
}

// algsForKey lists the algorithms a key can verify: its own alg when it
// names one, otherwise those its type and curve allow.
func algsForKey(k jose.JSONWebKey) []jose.SignatureAlgorithm {
	var family []jose.SignatureAlgorithm
	switch key := k.Key.(type) {
	case *ecdsa.PublicKey:
		switch key.Curve.Params().Name {
		case "P-256":
			family = []jose.SignatureAlgorithm{jose.ES256}
		case "P-384":
			family = []jose.SignatureAlgorithm{jose.ES384}
		case "P-521":
			family = []jose.SignatureAlgorithm{jose.ES512}
		}
	case *rsa.PublicKey:
		family = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}
	case ed25519.PublicKey:
		family = []jose.SignatureAlgorithm{jose.EdDSA}
	}
	if k.Algorithm != "" {
		if slices.Contains(family, jose.SignatureAlgorithm(k.Algorithm)) {
			return []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.Algorithm)}
		}
		return nil
	}
	return family
}

// verifier checks tokens against one authorization server's keys.
type verifier struct {
	cache *jwksCache
	fetch keyFetcher
	now   func() time.Time
}

// joseHeader is the part of a JWS header read before any key is chosen.
type joseHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// verify returns the verdict on in.Token. A token that fails a check is a
// result with valid false and the reason; only a failure to get the keys
// is an error.
func (v verifier) verify(ctx context.Context, in *VerifyTokenInput) (*VerifyTokenOutput, error) {
	out := &VerifyTokenOutput{}
	invalid := func(format string, args ...any) (*VerifyTokenOutput, error) {
		out.Valid = false
		out.Reason = fmt.Sprintf(format, args...)
		return out, nil
	}

	parts := strings.Split(in.Token, ".")
	if len(parts) != 3 {
		return invalid("not a signed JWT: a JWS in compact form has three dot-separated parts, this has %d", len(parts))
	}
	rawHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	var hdr joseHeader
	if err != nil || json.Unmarshal(rawHeader, &hdr) != nil {
		return invalid("not a signed JWT: the header is not base64url-encoded JSON")
	}
	out.Algorithm, out.KeyID = hdr.Alg, hdr.Kid
	alg := jose.SignatureAlgorithm(hdr.Alg)
	switch {
	case strings.EqualFold(hdr.Alg, "none") || hdr.Alg == "":
		return invalid("alg %q is refused: the token is not signed", hdr.Alg)
	case strings.HasPrefix(strings.ToUpper(hdr.Alg), "HS"):
		return invalid("alg %s is refused: HMAC uses a shared secret, never a public key from the JWKS; Telnyx access tokens are signed with an asymmetric key", hdr.Alg)
	case !slices.Contains(asymmetricAlgs, alg):
		return invalid("alg %q is not supported (supported: ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA)", hdr.Alg)
	}

	key, issuer, err := v.cache.lookupFor(ctx, hdr.Kid, alg, v.fetch)
	out.ExpectedIssuer = issuer
	switch {
	case errors.Is(err, errUnknownKey) && hdr.Kid == "":
		return invalid("the token has no kid and the JWKS does not have exactly one key to try")
	case errors.Is(err, errUnknownKey):
		return invalid("no key in the JWKS has kid %q (the JWKS is fetched again at most once a minute for an unknown kid); the token was not signed by this authorization server, or its key was retired", hdr.Kid)
	case err != nil:
		return nil, err
	}
	if ok := algsForKey(*key); !slices.Contains(ok, alg) {
		return invalid("alg %s does not match key %q, which verifies %s only", hdr.Alg, key.KeyID, joinAlgs(ok))
	}

	tok, err := jwt.ParseSigned(in.Token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return invalid("the token could not be parsed: %v", err)
	}
	if err := tok.Claims(key.Key); err != nil {
		return invalid("the signature does not verify with key %q: the token was altered or forged", key.KeyID)
	}
	out.SignatureVerified = true
	var std jwt.Claims
	var all map[string]any
	if err := tok.Claims(key.Key, &std, &all); err != nil {
		return invalid("the claims are not a valid JWT claims set: %v", err)
	}
	out.Claims = all
	out.Scopes = tokenScopes(all)
	if std.Expiry != nil {
		out.ExpiresAt = std.Expiry.Time().UTC().Format(time.RFC3339)
	}

	now := v.now()
	switch {
	case std.Expiry == nil:
		return invalid("the token has no exp claim; access tokens must expire")
	case now.After(std.Expiry.Time().Add(clockLeeway)):
		return invalid("the token expired at %s", out.ExpiresAt)
	case std.NotBefore != nil && now.Add(clockLeeway).Before(std.NotBefore.Time()):
		return invalid("the token is not valid yet: nbf is %s", std.NotBefore.Time().UTC().Format(time.RFC3339))
	case std.IssuedAt != nil && now.Add(clockLeeway).Before(std.IssuedAt.Time()):
		return invalid("the token claims to be issued in the future: iat is %s", std.IssuedAt.Time().UTC().Format(time.RFC3339))
	case issuer == "":
		return invalid("the authorization server metadata names no issuer, so iss cannot be checked")
	case std.Issuer != issuer:
		return invalid("the issuer %q is not the authorization server's issuer %q", std.Issuer, issuer)
	case in.Audience != "" && !std.Audience.Contains(in.Audience):
		return invalid("the audience %v does not include %q", []string(std.Audience), in.Audience)
	}
	var missing []string
	for _, s := range in.RequiredScopes {
		if !slices.Contains(out.Scopes, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return invalid("the token lacks the required scopes %s", strings.Join(missing, " "))
	}
	out.Valid = true
	return out, nil
}

// tokenScopes reads the scopes of a token: "scope" is a space-separated
// string (RFC 9068), "scp" a list or string some servers use instead.
func tokenScopes(claims map[string]any) []string {
	var out []string
	add := func(v any) {
		switch s := v.(type) {
		case string:
			out = append(out, strings.Fields(s)...)
		case []any:
			for _, e := range s {
				if str, ok := e.(string); ok {
					out = append(out, str)
				}
			}
		}
	}
	add(claims["scope"])
	add(claims["scp"])
	slices.Sort(out)
	return slices.Compact(out)
}

func joinAlgs(algs []jose.SignatureAlgorithm) string {
	if len(algs) == 0 {
		return "nothing"
	}
	s := make([]string, len(algs))
	for i, a := range algs {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
