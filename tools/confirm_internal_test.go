package tools

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
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

// TestConfirmedOwnsTheFlow drives the confirmation flow itself, with a
// fetch and an action that count their calls: without an answer or a
// matching `confirm` nothing acts; an approval acts once and reports the
// output; a decline reports the decline output, or an error where the tool
// has none; an action that most likely took effect reports the likely
// output; a call that needs no confirmation acts without fetching.
func TestConfirmedOwnsTheFlow(t *testing.T) {
	t.Parallel()
	type out struct {
		Outcome string `json:"outcome"`
	}
	cf := NewConfirmer(true, []byte("0123456789abcdef0123456789abcdef"))
	tc := func(answer *mcp.ElicitationResult) *toolCall {
		c := &toolCall{deps: Deps{Confirm: cf}, spec: &spec{name: "delete_oauth_client"}}
		if answer != nil {
			c.req.Params.RequestState = cf.mint("delete_oauth_client", "cli_1", "")
			c.req.Params.InputResponses = mcp.InputResponses{confirmInput: {Elicitation: answer}}
		}
		return c
	}
	type counts struct{ fetched, acted int }
	gate := func(n *counts, confirm string, actErr error) *gated[out] {
		return &gated[out]{
			confirm: confirm, subject: "cli_1",
			fetch: func() (*target, error) {
				n.fetched++
				return &target{id: "cli_1", action: "Delete OAuth client", details: []string{"client_id: cli_1"}, effect: "gone"}, nil
			},
			act: func() (*out, error) {
				n.acted++
				if actErr != nil {
					return nil, actErr
				}
				return &out{Outcome: "deleted"}, nil
			},
			declined:   func(why string) *out { return &out{Outcome: "declined: " + why} },
			likelyDone: func() *out { return &out{Outcome: "likely_deleted"} },
		}
	}
	text := func(res *mcp.CallToolResult) string {
		require.Len(t, res.Content, 1)
		return res.Content[0].(mcp.TextContent).Text
	}
	ctx := context.Background()

	var n counts
	res := confirmed(ctx, tc(nil), gate(&n, "", nil))
	assert.True(t, res.IsError)
	assert.Contains(t, text(res), `"confirm": "cli_1"`, "the preview names the id to confirm with")
	assert.Equal(t, counts{fetched: 1}, n, "a preview fetches the target and acts not")

	n = counts{}
	res = confirmed(ctx, tc(nil), gate(&n, "cli_2", nil))
	assert.Contains(t, text(res), "does not match")
	assert.Zero(t, n.acted)

	n = counts{}
	res = confirmed(ctx, tc(nil), gate(&n, "cli_1", nil))
	assert.False(t, res.IsError)
	assert.JSONEq(t, `{"outcome":"deleted"}`, text(res))
	assert.Equal(t, counts{fetched: 1, acted: 1}, n)

	n = counts{}
	accept := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{confirmInput: true}}}
	res = confirmed(ctx, tc(accept), gate(&n, "", nil))
	assert.JSONEq(t, `{"outcome":"deleted"}`, text(res))
	assert.Equal(t, counts{acted: 1}, n, "an approved answer acts without fetching again")

	n = counts{}
	decline := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionDecline}}
	res = confirmed(ctx, tc(decline), gate(&n, "cli_1", nil))
	assert.False(t, res.IsError)
	assert.JSONEq(t, `{"outcome":"declined: the user chose decline; nothing was changed"}`, text(res))
	assert.Equal(t, counts{}, n, "a decline neither fetches nor acts, even with a matching confirm")

	n = counts{}
	g := gate(&n, "", nil)
	g.declined = nil
	res = confirmed(ctx, tc(decline), g)
	assert.True(t, res.IsError, "without a decline output, a decline is an error result")
	assert.Equal(t, "the user chose decline; nothing was changed", text(res))

	n = counts{}
	likely := &telnyxapi.APIError{Status: http.StatusNotFound, AfterAmbiguousAttempt: true}
	res = confirmed(ctx, tc(nil), gate(&n, "cli_1", likely))
	assert.False(t, res.IsError)
	assert.JSONEq(t, `{"outcome":"likely_deleted"}`, text(res))

	n = counts{}
	res = confirmed(ctx, tc(nil), gate(&n, "cli_1", &telnyxapi.APIError{Status: http.StatusNotFound}))
	assert.True(t, res.IsError, "a plain 404 is a failure, not a likely outcome")

	n = counts{}
	g = gate(&n, "", nil)
	g.skip = true
	res = confirmed(ctx, tc(nil), g)
	assert.JSONEq(t, `{"outcome":"deleted"}`, text(res))
	assert.Equal(t, counts{acted: 1}, n, "a call that needs no confirmation acts without fetching")

	n = counts{}
	off := tc(nil)
	off.deps.Confirm = NewConfirmer(false, nil)
	res = confirmed(ctx, off, gate(&n, "", nil))
	assert.JSONEq(t, `{"outcome":"deleted"}`, text(res))
	assert.Equal(t, counts{acted: 1}, n, "with confirmation off the action goes ahead")
}
