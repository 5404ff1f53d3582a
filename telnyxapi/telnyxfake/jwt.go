package telnyxfake

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// Lifetimes of the protocol state. Expired entries are swept as new ones are added, so a
// long-running sandbox does not grow without bound.
const (
	consentTTL = 15 * time.Minute
	codeTTL    = 10 * time.Minute // RFC 6749 §4.1.2 recommends at most 10 minutes
	refreshTTL = 30 * 24 * time.Hour
	sweepEvery = 256
)

// jwk is the public signing key as a JSON Web Key (RFC 7517/7518, EC P-256).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

var b64 = base64.RawURLEncoding

// initKey generates the P-256 signing key and derives its kid from the RFC 7638 thumbprint.
func (f *Fake) initKey() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y, 32 bytes each
	if err != nil {
		return err
	}
	x, y := b64.EncodeToString(pub[1:33]), b64.EncodeToString(pub[33:65])
	thumb := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	f.key = key
	f.kid = b64.EncodeToString(thumb[:])
	f.jwk = jwk{Kty: "EC", Crv: "P-256", X: x, Y: y, Kid: f.kid, Alg: "ES256", Use: "sig"}
	return nil
}

// jwtHeader and accessClaims are an access token in the RFC 9068 "at+jwt" profile.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

type accessClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope"`
	Iat      int64  `json:"iat"`
	Nbf      int64  `json:"nbf"`
	Exp      int64  `json:"exp"`
	Jti      string `json:"jti"`
}

// tokenState is what the fake remembers of an access token it issued, so that deleting the
// client or revoking the grant deactivates the token.
type tokenState struct {
	clientID string
	grantID  string // "" for client_credentials and IssueAccessToken tokens
	exp      time.Time
}

// IssueAccessToken mints an access token exactly as the token endpoint would, for a client
// that should exist: the fake accepts it as a bearer and introspects it as active until it
// expires, the client is deleted or (never, for these) its grant is revoked. ttl 0 means
// Options.TokenTTL; a negative ttl gives an already expired token. iss is Issuer() and aud is
// Issuer() plus the prefix; sub is the client id, as for client_credentials.
func (f *Fake) IssueAccessToken(clientID, scope string, ttl time.Duration) string {
	if ttl == 0 {
		ttl = f.ttl
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mintLocked(f.issuer, clientID, clientID, "", scope, ttl)
}

// mintLocked issues and remembers an access token.
func (f *Fake) mintLocked(issuer, clientID, sub, grantID, scope string, ttl time.Duration) string {
	now := f.now()
	exp := now.Add(ttl)
	cl := accessClaims{Iss: issuer, Sub: sub, Aud: issuer + f.prefix, ClientID: clientID, Scope: scope,
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(), Jti: newUUID()}
	f.tokens[cl.Jti] = &tokenState{clientID: clientID, grantID: grantID, exp: exp}
	f.noteIssuedLocked()
	return f.sign(cl)
}

// sign serialises a compact JWS with ES256: the signature is r||s, 32 bytes each (RFC 7518 §3.4).
func (f *Fake) sign(cl accessClaims) string {
	hdr, _ := json.Marshal(jwtHeader{Alg: "ES256", Kid: f.kid, Typ: "at+jwt"})
	body, _ := json.Marshal(cl)
	input := b64.EncodeToString(hdr) + "." + b64.EncodeToString(body)
	digest := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, f.key, digest[:])
	if err != nil {
		panic("telnyxfake: signing: " + err.Error())
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64.EncodeToString(sig)
}

// verify checks the token's header and signature and returns its claims; it does not look at
// time or state.
func (f *Fake) verify(tok string) (accessClaims, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return accessClaims{}, false
	}
	var hdr jwtHeader
	if raw, err := b64.DecodeString(parts[0]); err != nil || json.Unmarshal(raw, &hdr) != nil ||
		hdr.Alg != "ES256" || hdr.Kid != f.kid {
		return accessClaims{}, false
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return accessClaims{}, false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&f.key.PublicKey, digest[:], r, s) {
		return accessClaims{}, false
	}
	var cl accessClaims
	raw, err := b64.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &cl) != nil {
		return accessClaims{}, false
	}
	return cl, true
}

// activeTokenLocked reports whether tok is a live access token: signed by the fake, within
// nbf..exp, of a client that still exists and, for tokens issued under a grant, of a grant that
// is not revoked.
func (f *Fake) activeTokenLocked(tok string) (accessClaims, bool) {
	cl, ok := f.verify(tok)
	if !ok {
		return accessClaims{}, false
	}
	now := f.now().Unix()
	st := f.tokens[cl.Jti]
	switch {
	case now >= cl.Exp || now < cl.Nbf, st == nil:
		return accessClaims{}, false
	case f.clients[st.clientID] == nil:
		return accessClaims{}, false
	case st.grantID != "" && f.liveGrantLocked(st.grantID) == nil:
		return accessClaims{}, false
	}
	return cl, true
}

// noteIssuedLocked counts new protocol state and, every sweepEvery insertions, drops what has
// expired. Used codes and refresh tokens are kept until they expire, for reuse detection.
func (f *Fake) noteIssuedLocked() {
	f.issued++
	if f.issued < sweepEvery {
		return
	}
	f.issued = 0
	now := f.now()
	for k, v := range f.tokens {
		if !now.Before(v.exp) {
			delete(f.tokens, k)
		}
	}
	for k, v := range f.consents {
		if !now.Before(v.expires) {
			delete(f.consents, k)
		}
	}
	for k, v := range f.codes {
		if !now.Before(v.expires) {
			delete(f.codes, k)
		}
	}
	for k, v := range f.refreshes {
		if !now.Before(v.expires) {
			delete(f.refreshes, k)
		}
	}
}
