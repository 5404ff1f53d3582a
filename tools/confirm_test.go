package tools

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRequestStateBinding(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	cf := NewConfirmer(true, []byte("0123456789abcdef0123456789abcdef"))
	cf.now = func() time.Time { return now }
	state := cf.mint("delete_oauth_client", "cli_1", "alice")

	assert.NoError(t, cf.verify(state, "delete_oauth_client", "cli_1", "alice"))

	tests := []struct {
		name, state, tool, subject, principal, want string
	}{
		{"another target", state, "delete_oauth_client", "cli_2", "alice", "another call"},
		{"another tool", state, "revoke_oauth_grant", "cli_1", "alice", "another call"},
		{"another caller", state, "delete_oauth_client", "cli_1", "bob", "another caller"},
		{"altered body", "x" + state, "delete_oauth_client", "cli_1", "alice", "altered"},
		{"altered signature", state[:len(state)-2] + "AA", "delete_oauth_client", "cli_1", "alice", "altered"},
		{"empty", "", "delete_oauth_client", "cli_1", "alice", "altered"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorContains(t, cf.verify(tc.state, tc.tool, tc.subject, tc.principal), tc.want)
		})
	}

	other := NewConfirmer(true, []byte("another key, another replica set"))
	assert.ErrorContains(t, other.verify(state, "delete_oauth_client", "cli_1", "alice"), "altered", "a state signed with another key is refused")

	now = now.Add(11 * time.Minute)
	assert.ErrorContains(t, cf.verify(state, "delete_oauth_client", "cli_1", "alice"), "expired")
}
