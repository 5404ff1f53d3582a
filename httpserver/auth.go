package httpserver

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Auth modes, as --http-auth takes them.
const (
	// AuthKey: every caller presents its own Telnyx API key as the bearer,
	// and that key, and nothing else, is used for its upstream calls.
	AuthKey = "key"
	// AuthToken: callers present a token listed (hashed) in the tokens
	// file; upstream calls use the server's own Telnyx credential.
	AuthToken = "token"
)

// Roles a token can have.
const (
	RoleRead  = "read"
	RoleWrite = "write"
)

// maxBearerBytes bounds a presented credential; Telnyx keys and the tokens
// operators generate are far shorter.
const maxBearerBytes = 1024

// caller is who sent a request, once authenticated.
type caller struct {
	// principal is a short fingerprint of the credential: what sessions,
	// confirmations, rate limits and audit lines are keyed by. It is not a
	// secret and cannot be turned back into the credential.
	principal string
	// role decides which tool set the caller sees: RoleWrite in key mode
	// (Telnyx decides what the key may do), the token's role in token mode.
	role string
	// apiKey is the caller's Telnyx key in key mode; empty in token mode,
	// where the inbound token must never travel further.
	apiKey string
}

type callerKey struct{}

func withCaller(ctx context.Context, c *caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	return c
}

// fingerprint names a credential in logs, metrics, sessions and
// confirmations: a kind prefix and the first 64 bits of its SHA-256.
func fingerprint(kind string, sum [sha256.Size]byte) string {
	return kind + ":" + hex.EncodeToString(sum[:8])
}

// tokenEntry is one line of the tokens file.
type tokenEntry struct {
	sum  [sha256.Size]byte
	role string
}

// readTokensFile parses the tokens file: one token per line as
// "sha256:<64 hex digits> read|write", blank lines and # comments ignored.
// The digits are the token's SHA-256, as `printf '%s' "$TOKEN" | sha256sum`
// prints them; operators store that, never the token.
func readTokensFile(path string) ([]tokenEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	return parseTokens(f, path)
}

func parseTokens(f io.Reader, name string) ([]tokenEntry, error) {
	var out []tokenEntry
	seen := map[[sha256.Size]byte]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"sha256:<hex> read|write\"", name, n)
		}
		hexSum, ok := strings.CutPrefix(fields[0], "sha256:")
		raw, err := hex.DecodeString(hexSum)
		if !ok || err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the token must be given as sha256:<64 hex digits>, the digits `printf '%%s' \"$TOKEN\" | sha256sum` prints; never in plain text", name, n)
		}
		role := fields[1]
		if role != RoleRead && role != RoleWrite {
			return nil, fmt.Errorf("%s:%d: role must be read or write, not %q", name, n, role)
		}
		var e tokenEntry
		copy(e.sum[:], raw)
		e.role = role
		if seen[e.sum] {
			return nil, fmt.Errorf("%s:%d: the same token is listed twice", name, n)
		}
		seen[e.sum] = true
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no tokens", name)
	}
	return out, nil
}

// authenticator turns a request's bearer credential into a caller.
type authenticator struct {
	mode   string
	tokens []tokenEntry // token mode
}

var (
	errNoCredential  = errors.New("no bearer credential")
	errBadCredential = errors.New("invalid bearer credential")
)

// authenticate checks the Authorization header. In key mode any
// well-formed bearer is accepted as the caller's Telnyx key: Telnyx itself
// decides what it may do. In token mode the token's hash must be listed;
// every entry is compared, in constant time, whatever matches.
func (a *authenticator) authenticate(r *http.Request) (*caller, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return nil, errNoCredential
	}
	if len(h) > 1 {
		return nil, errBadCredential
	}
	scheme, cred, ok := strings.Cut(h[0], " ")
	cred = strings.TrimSpace(cred)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !validBearer(cred) {
		return nil, errBadCredential
	}
	sum := sha256.Sum256([]byte(cred))
	if a.mode == AuthKey {
		return &caller{principal: fingerprint("key", sum), role: RoleWrite, apiKey: cred}, nil
	}
	role := ""
	for _, e := range a.tokens {
		if subtle.ConstantTimeCompare(e.sum[:], sum[:]) == 1 {
			role = e.role
		}
	}
	if role == "" {
		return nil, errBadCredential
	}
	return &caller{principal: fingerprint("token", sum), role: role}, nil
}

// validBearer accepts the RFC 6750 b64token alphabet, bounded in length.
func validBearer(s string) bool {
	if s == "" || len(s) > maxBearerBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~+/=", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// credentialInQuery reports whether the query string carries anything that
// looks like a credential. Tokens in URLs end up in proxy and access logs,
// so such requests are refused even when the header is right.
func credentialInQuery(r *http.Request) bool {
	for name := range r.URL.Query() {
		n := strings.ToLower(name)
		for _, bad := range []string{"token", "key", "auth", "secret", "password", "bearer"} {
			if strings.Contains(n, bad) {
				return true
			}
		}
	}
	return false
}
