// Package safetext holds the one rule for each small job on text the server
// shows and on the secrets it makes or hides: clipping, flattening to one
// line, removing invisible characters, masking (secret URL parameters
// included), random strings and the PKCE S256 challenge. Every package that needs one of these calls it here, so
// that two copies cannot drift apart.
package safetext

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clip cuts s to at most n runes, the mark of the cut ("…") included, so n
// is a true bound on what a reader sees. Text of n runes or fewer is
// returned as it is.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// ClipBytes cuts s to at most n bytes, on a rune boundary, and says how
// long it was, so that text echoed on the wire (a JSON-RPC error message)
// stays small and the reader knows it was cut.
func ClipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(" + strconv.Itoa(len(s)) + " bytes, clipped)"
}

// OneLine is s sanitized and with every run of white space, line breaks
// included, turned into one space: for an error shown on one line of a
// terminal or a log.
func OneLine(s string) string {
	return strings.Join(strings.Fields(Sanitize(s)), " ")
}

// Sanitize removes control characters (other than ordinary spaces),
// zero-width and bidirectional formatting characters, and Unicode tag
// characters: the invisible text used to hide instructions from people
// while a model still reads them. Tabs and line breaks become spaces.
// Invalid UTF-8 is dropped.
func Sanitize(s string) string {
	// Most API text is printable ASCII, which has nothing to remove: say so
	// without decoding runes.
	ascii := 0
	for ascii < len(s) && s[ascii] >= 0x20 && s[ascii] < 0x7f {
		ascii++
	}
	if ascii == len(s) {
		return s
	}
	clean := true
	for _, r := range s[ascii:] {
		if r == utf8.RuneError || unwanted(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == utf8.RuneError {
			continue
		}
		if unwanted(r) {
			if r == '\n' || r == '\t' || r == '\r' {
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unwanted(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r == 0x00ad, r == 0x034f, r == 0x061c, r == 0x115f, r == 0x1160, r == 0x17b4, r == 0x17b5, r == 0x180e:
		return true
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true
	case r == 0x3164, r == 0xfeff, r == 0xffa0, r >= 0xfff0 && r <= 0xfffb:
		return true
	case r >= 0xe0000 && r <= 0xe0fff: // tag characters and variation selectors supplement
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// maskMinLen is the shortest secret whose last four characters Mask shows.
// Four characters of a twelve-character secret leave eight unseen; a shorter
// secret is already weak, and showing a third or more of it would help
// guess the rest, so it is hidden whole.
const maskMinLen = 12

// Mask shows a secret as "****" and its last four characters, enough to
// tell two secrets apart and too few to use one. A secret shorter than
// twelve characters is shown as "****" alone. The empty string stays empty:
// there is nothing to hide, and "****" would claim a secret exists.
func Mask(secret string) string {
	switch {
	case secret == "":
		return ""
	case len(secret) < maskMinLen:
		return "****"
	}
	return "****" + secret[len(secret)-4:]
}

// SecretParams are the URL parameters whose values are secrets wherever a
// URL is shown or logged: authorization codes, consent and OAuth tokens,
// the PKCE verifier and a client secret (RFC 6749 §4.1.2, §4.2.2; RFC 7636
// §4.5).
var SecretParams = []string{"code", "consent_token", "token", "access_token", "refresh_token", "id_token", "code_verifier", "client_secret"}

// MaskURLParams replaces, in u's query and fragment, the value of every
// parameter SecretParams names with mask(value). A query or fragment that
// does not parse as parameters, and names one of them, is replaced whole by
// mask of it: which part is the secret cannot be told. One that names none
// is left as it is.
func MaskURLParams(u *url.URL, mask func(string) string) {
	masked := func(raw string) (string, bool) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			lower := strings.ToLower(raw)
			for _, name := range SecretParams {
				if strings.Contains(lower, name+"=") {
					return mask(raw), true
				}
			}
			return raw, false
		}
		changed := false
		for _, name := range SecretParams {
			for i, v := range q[name] {
				q[name][i] = mask(v)
				changed = true
			}
		}
		return q.Encode(), changed
	}
	if q, changed := masked(u.RawQuery); changed {
		u.RawQuery = q
	}
	if f, changed := masked(u.EscapedFragment()); changed {
		if frag, err := url.PathUnescape(f); err == nil {
			u.Fragment, u.RawFragment = frag, f
		} else {
			u.Fragment, u.RawFragment = f, ""
		}
	}
}

// Random returns n random bytes, base64url-encoded without padding: 32
// bytes give the 43 characters RFC 7636 §4.1 asks of a code verifier.
func Random(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error: it aborts the program if the
	// system's generator fails (https://pkg.go.dev/crypto/rand#Read).
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// S256 is the PKCE S256 code_challenge of a verifier,
// BASE64URL(SHA256(verifier)) (RFC 7636 §4.2).
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
