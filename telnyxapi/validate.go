package telnyxapi

import (
	"strconv"
	"strings"
	"unicode"
)

// Limits on values that go into a URL path.
const (
	MaxIDLength    = 256  // client and grant ids (UUIDs in practice)
	MaxTokenLength = 4096 // consent tokens, which may be JWTs
)

// CheckPathValue checks a value that will become one URL path segment. An
// id spliced into a path can reach other resources: "../phone_numbers/1"
// turns /oauth_clients/{id} into /phone_numbers/1, and even escaped, "." and
// ".." still address the collection or the API root. So the value is checked
// before any URL is built, and escaped after as a second layer.
func CheckPathValue(field, value string, maxLen int) error {
	switch {
	case value == "":
		return &InvalidArgumentError{Field: field, Reason: "must not be empty"}
	case value == "." || value == "..":
		return &InvalidArgumentError{Field: field, Reason: "must not be \".\" or \"..\""}
	case len(value) > maxLen:
		return &InvalidArgumentError{Field: field, Reason: "is too long (" + strconv.Itoa(len(value)) + " bytes, at most " + strconv.Itoa(maxLen) + ")"}
	}
	for _, r := range value {
		switch {
		case strings.ContainsRune(`/?#%\`, r):
			return &InvalidArgumentError{Field: field, Reason: "must not contain " + strconv.QuoteRune(r)}
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == 0xfffd || unwanted(r):
			return &InvalidArgumentError{Field: field, Reason: "must not contain whitespace, control or invisible characters"}
		}
	}
	return nil
}
