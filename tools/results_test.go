package tools_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// A whole result is capped, not only each string in it: a full page of
// clients whose every field runs to the string cap would otherwise put
// megabytes into the model's context. The call says how to ask for less,
// and makes no further upstream request.
func TestResultSizeIsCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	long := strings.Repeat("x", 8000)
	for range 60 {
		h.fake.AddClient(telnyxfake.Client{
			Name: "big " + long, ClientType: telnyxfake.ClientTypeConfidential,
			AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"},
			LogoURI: "https://example.com/" + long,
		})
	}
	h.fake.ResetRequests()

	text := h.fail(t, "list_oauth_clients", map[string]any{"page_size": 100})
	assert.Contains(t, text, "page_size")
	assert.Less(t, len(text), 500, "the refusal itself is short")
	assert.Len(t, h.fake.Requests(), 1)

	// A page that fits still comes back.
	h.ok(t, "list_oauth_clients", map[string]any{"page_size": 10})
}
