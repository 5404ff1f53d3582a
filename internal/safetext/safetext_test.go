package safetext

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"shorter than the bound", "ab", 3, "ab"},
		{"exactly the bound", "abc", 3, "abc"},
		{"one over: the mark counts", "abcd", 3, "ab…"},
		{"runes, not bytes", "éééé", 3, "éé…"},
		{"emoji are not split", "😀😀😀😀", 2, "😀…"},
		{"a bound of one leaves the mark", "abc", 1, "…"},
		{"a bound below one leaves nothing", "abc", 0, ""},
		{"empty", "", 5, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Clip(tc.in, tc.n)
			assert.Equal(t, tc.want, got)
			assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tc.n, 0))
		})
	}
	assert.LessOrEqual(t, utf8.RuneCountInString(Clip(strings.Repeat("x", 1000), 100)), 100)
}

func TestClipBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "short", 10, "short"},
		{"exactly the bound", "0123456789", 10, "0123456789"},
		{"ASCII cut", "0123456789ab", 10, "0123456789…(12 bytes, clipped)"},
		// é is two bytes: 11 bytes would split the sixth, so five are kept.
		{"cut on a rune boundary", strings.Repeat("é", 100), 11, "ééééé…(200 bytes, clipped)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ClipBytes(tc.in, tc.n)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"one line already", "could not read: no such file", "could not read: no such file"},
		{"line breaks and tabs", "first\nsecond\r\n\tthird", "first second third"},
		{"runs of spaces and ends trimmed", "  a   b  ", "a b"},
		{"invisible characters removed", "a\u202eb\x1b[31mc", "ab[31mc"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, OneLine(tc.in))
		})
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"ordinary text", "My OAuth app (v2) — café 日本語", "My OAuth app (v2) — café 日本語"},
		{"emoji", "ok 😀 ❤️ 👍🏽 🇫🇷", "ok 😀 ❤️ 👍🏽 🇫🇷"},
		{"zero width space", "a\u200bb", "ab"},
		{"zero width joiner and non-joiner", "a\u200cb\u200dc", "abc"},
		{"bidi override and isolates", "a\u202eb\u2066c\u2069d\u202ae", "abcde"},
		{"tag characters", "a\U000E0041\U000E0042\U000E007Fb", "ab"},
		{"byte order mark", "\ufeffname", "name"},
		{"soft hyphen", "na\u00adme", "name"},
		{"C0 controls", "a\x00b\x01c\x1bd\x7fe", "abcde"},
		{"C1 controls", "a\u0080b\u0085c\u009fd", "abcd"},
		{"whitespace controls become spaces", "a\nb\tc\rd", "a b c d"},
		{"invalid UTF-8", "a\xffb\xc3", "ab"},
		{"hangul filler", "a\u3164b", "ab"},
		{"interlinear annotation", "a\ufff9b", "ab"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, Sanitize(tc.in))
		})
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"empty stays empty", "", ""},
		{"short", "short", "****"},
		{"eight characters", "12345678", "****"},
		{"eleven characters: still hidden whole", "abcdefghijk", "****"},
		{"twelve characters: the last four show", "abcdefghijkl", "****ijkl"},
		{"a long token", "KEYCANARY-env-0123456789abcd", "****abcd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Mask(tc.in)
			assert.Equal(t, tc.want, got)
			if len(tc.in) > 4 {
				assert.NotContains(t, got, tc.in[:len(tc.in)-4], "no more than the last four characters show")
			}
		})
	}
}

func TestSecretParams(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"code", "consent_token", "access_token", "refresh_token", "code_verifier", "client_secret"} {
		assert.Contains(t, SecretParams, name)
	}
	for _, name := range []string{"state", "client_id", "redirect_uri", "scope"} {
		assert.NotContains(t, SecretParams, name, "shown as it is: not a secret")
	}
}

func TestRandom(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bytes, chars int
	}{{16, 22}, {24, 32}, {32, 43}}
	for _, tc := range tests {
		a, b := Random(tc.bytes), Random(tc.bytes)
		assert.Len(t, a, tc.chars)
		assert.NotEqual(t, a, b, "two draws differ")
		raw, err := base64.RawURLEncoding.DecodeString(a)
		require.NoError(t, err, "base64url without padding")
		assert.Len(t, raw, tc.bytes)
	}
}

func TestS256(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, verifier, challenge string }{
		// RFC 7636 Appendix B.
		{"RFC 7636 example", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
		// SHA-256 of the empty string, base64url.
		{"empty", "", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.challenge, S256(tc.verifier))
		})
	}
}

func TestMaskURLParams(t *testing.T) {
	t.Parallel()
	mask := func(v string) string { return "<" + strconv.Itoa(len(v)) + ">" }
	for in, want := range map[string]string{
		"https://app.example/cb?code=abc&state=xyz":            "https://app.example/cb?code=%3C3%3E&state=xyz",
		"https://app.example/cb#access_token=t0k&token_type=b": "https://app.example/cb#access_token=%3C3%3E&token_type=b",
		"https://app.example/cb?state=only":                    "https://app.example/cb?state=only",
		// Unparseable (a bad escape), naming a secret: masked whole.
		"https://app.example/cb?code=abc%zz&state=x": "https://app.example/cb?<19>",
		// Unparseable, naming none: left alone.
		"https://app.example/cb?note=a;b": "https://app.example/cb?note=a;b",
	} {
		u, err := url.Parse(in)
		require.NoError(t, err)
		MaskURLParams(u, mask)
		assert.Equal(t, want, u.String(), in)
	}
}
