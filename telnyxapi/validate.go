package telnyxapi

import (
	"strconv"
	"unicode/utf8"
)

// Limits on values that go into a URL path.
const (
	MaxIDLength    = 256  // client and grant ids (UUIDs in practice)
	MaxTokenLength = 4096 // consent tokens, which may be JWTs
)

// PathValuePattern is CheckPathValue's rule as a JSON Schema pattern, for
// the input schemas of the tools that take an id.
const PathValuePattern = `^[A-Za-z0-9_~-]+(\.[A-Za-z0-9_~-]+)*$`

// CheckPathValue checks a value that will become one URL path segment. An
// id spliced into a path can reach other resources: "../phone_numbers/1"
// turns /oauth_clients/{id} into /phone_numbers/1, and even escaped, "." and
// ".." still address the collection or the API root; look-alikes such as
// U+2215 (∕), U+FF0F (／) or U+2024 (․) become "/" or "." in some
// normalising proxy, and ";" starts path parameters in others. So the rule
// is an allow-list, not a list of dangers: client and grant ids are UUIDs at
// Telnyx and consent tokens are JWTs (three base64url parts joined by
// dots), so a value is letters, digits, '-', '_' and '~' (RFC 3986
// unreserved characters), with '.' only between two of them. It is checked
// before any URL is built, and escaped after as a second layer.
func CheckPathValue(field, value string, maxLen int) error {
	switch {
	case value == "":
		return &InvalidArgumentError{Field: field, Reason: "must not be empty"}
	case len(value) > maxLen:
		return &InvalidArgumentError{Field: field, Reason: "is too long (" + strconv.Itoa(len(value)) + " bytes, at most " + strconv.Itoa(maxLen) + ")"}
	}
	const allowed = "letters, digits, '-', '_', '~', and '.' between them"
	for i := 0; i < len(value); i++ {
		b := value[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '~':
		case b == '.':
			if i == 0 || i == len(value)-1 || value[i+1] == '.' {
				return &InvalidArgumentError{Field: field, Reason: "may hold '.' only between other characters, never at either end or twice in a row (" + allowed + ")"}
			}
		default:
			r, _ := utf8.DecodeRuneInString(value[i:])
			shown := strconv.QuoteRune(r)
			if r == utf8.RuneError || r < 0x20 || r == 0x7f {
				shown = "a control or invalid byte"
			}
			return &InvalidArgumentError{Field: field, Reason: "must not contain " + shown + " (" + allowed + ")"}
		}
	}
	return nil
}
