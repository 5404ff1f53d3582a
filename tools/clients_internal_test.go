package tools

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUpdateConfirmationIsBoundToTheChange: an approval of one set of new
// values cannot be replayed for another change of the same client.
func TestUpdateConfirmationIsBoundToTheChange(t *testing.T) {
	t.Parallel()
	cf := NewConfirmer(true, []byte("0123456789abcdef0123456789abcdef"))
	change := func(uris ...string) *UpdateClientInput {
		in := &UpdateClientInput{ClientIDInput: ClientIDInput{ClientID: "cli_1"}}
		in.RedirectURIs = uris
		return in
	}
	approved := change("https://app.example.com/cb")
	state := cf.mint("update_oauth_client", approved.changeSubject(), "alice")

	assert.NoError(t, cf.verify(state, "update_oauth_client", change("https://app.example.com/cb").changeSubject(), "alice"))
	assert.ErrorContains(t, cf.verify(state, "update_oauth_client", change("https://attacker.example/cb").changeSubject(), "alice"), "another call")
	wider := change("https://app.example.com/cb")
	wider.AllowedScopes = []string{"admin"}
	assert.ErrorContains(t, cf.verify(state, "update_oauth_client", wider.changeSubject(), "alice"), "another call")
}
