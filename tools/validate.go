package tools

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/loopback"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// checkRedirectURIs enforces what a redirect URI may be: https, or plain
// http on a loopback host (RFC 8252 native apps), with no fragment. A
// javascript:, data: or file: URI, or http to a public host, would hand
// authorization codes to whoever can read that channel.
func checkRedirectURIs(field string, uris []string) error {
	for i, raw := range uris {
		if err := checkRedirectURI(raw); err != nil {
			return fmt.Errorf("%s[%d]: %v", field, i, err)
		}
	}
	return nil
}

func checkRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("must not contain a fragment (#)")
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && u.Host != "" && loopback.IsHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https")
	default:
		return fmt.Errorf("scheme %q is not allowed; use https", u.Scheme)
	}
}

// checkWebURL checks a logo, policy or terms-of-service URL: https only.
// The server never fetches it; it is shown to users on consent screens.
func checkWebURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%s: must be an https URL", field)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// quote shows a name from the API inside a confirmation, so that text in it
// reads as data, not as part of the question.
func quote(s string) string { return fmt.Sprintf("%q", safetext.Sanitize(s)) }
