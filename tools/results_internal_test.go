package tools

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// TestCredentialHints: an error about a missing or refused credential names
// what its reader can change: the environment for a stdio user, the bearer
// and the arguments for an HTTP caller in key mode, the arguments (and the
// operator) in token mode. A shared server's caller is never told about
// variables it cannot see.
func TestCredentialHints(t *testing.T) {
	t.Parallel()
	keyRefused := &telnyxapi.APIError{Operation: "ListOAuthClients", Status: http.StatusUnauthorized}
	clientRefused := &telnyxapi.APIError{Operation: "ExchangeOAuthToken", Status: http.StatusUnauthorized, ClientAuth: true}
	// Introspection without a client is sent with the API key: a 401 refuses the key.
	introspectKeyRefused := &telnyxapi.APIError{Operation: "IntrospectOAuthToken", Status: http.StatusUnauthorized}
	noClient := fmt.Errorf("wrapped: %w", telnyxapi.ErrNoClientAuth)
	tests := []struct {
		source   CredentialSource
		err      error
		want     []string
		wantNone []string
	}{
		{CredentialsFromEnvironment, keyRefused, []string{"TELNYX_API_KEY"}, nil},
		{CredentialsFromEnvironment, noClient, []string{"client_id", "TELNYX_CLIENT_ID"}, nil},
		{CredentialsFromEnvironment, clientRefused, []string{"client_id", "TELNYX_CLIENT_ID"}, []string{"TELNYX_API_KEY"}},
		{CredentialsFromEnvironment, introspectKeyRefused, []string{"TELNYX_API_KEY"}, []string{"OAuth client's credentials"}},
		{CredentialsFromCaller, keyRefused, []string{"bearer"}, []string{"TELNYX_"}},
		{CredentialsFromCaller, noClient, []string{"client_id", "client_secret"}, []string{"TELNYX_"}},
		{CredentialsFromCaller, clientRefused, []string{"client_id", "client_secret"}, []string{"TELNYX_"}},
		{CredentialsFromOperator, keyRefused, []string{"operator"}, []string{"TELNYX_"}},
		{CredentialsFromOperator, noClient, []string{"client_id"}, []string{"TELNYX_"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d %v", tc.source, tc.err), func(t *testing.T) {
			t.Parallel()
			res := Deps{Credentials: tc.source}.errorResult(&spec{name: "some_tool"}, tc.err)
			assert.True(t, res.IsError)
			text := testkit.Text(res)
			for _, w := range tc.want {
				assert.Contains(t, text, w)
			}
			for _, w := range tc.wantNone {
				assert.NotContains(t, text, w)
			}
		})
	}
}
