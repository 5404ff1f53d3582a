package httpserver

import (
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestEndToEnd: with mcp-go's client over real HTTP, for both protocol
// versions, stateful and stateless: connect, tools/list, a read call, a
// create call and a confirmed delete all work. The delete is confirmed the
// way each combination allows: an elicitation the user accepts (MRTR
// input_required for 2026-07-28; elicitation/create on the POST's SSE
// stream for a 2025-11-25 session), or, for a 2025-11-25 client of a
// stateless server (which cannot know the client can elicit), the confirm
// argument after a preview.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	all := allToolNames()
	for _, stateless := range []bool{false, true} {
		mode := "stateful"
		if stateless {
			mode = "stateless"
		}
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, keyAlice)
			ts := startServer(t, up, func(c *Config) { c.Stateless = stateless })
			for _, e := range eras {
				t.Run(e.name, func(t *testing.T) {
					el := &elicitor{action: mcp.ElicitationResponseActionAccept}
					c := connect(t, ts.URL, keyAlice, e, client.WithElicitationHandler(el))
					if e.name == legacy.name && !stateless {
						assert.NotEmpty(t, c.GetSessionId(), "a stateful server gives 2025-11-25 clients a session")
					} else {
						assert.Empty(t, c.GetSessionId(), "no session: 2026-07-28 has none, a stateless server mints none")
					}

					assert.ElementsMatch(t, all, listToolNames(t, c))

					var list struct {
						Clients []struct {
							ClientID string `json:"client_id"`
						} `json:"clients"`
					}
					decode(t, callTool(t, c, "list_oauth_clients", map[string]any{}), &list)
					assert.NotEmpty(t, list.Clients)

					id := createClient(t, c, "e2e "+mode+" "+e.name)

					res := callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id})
					if e.name == legacy.name && stateless {
						require.True(t, res.IsError, "without elicitation the first call only previews")
						assert.Contains(t, textOf(res), `"confirm": "`+id+`"`)
						assert.Equal(t, 0, up.deletes(id))
						res = callTool(t, c, "delete_oauth_client", map[string]any{"client_id": id, "confirm": id})
						assert.Zero(t, el.asked.Load())
					} else {
						assert.Equal(t, int32(1), el.asked.Load(), "the user was asked")
					}
					var del deleteResult
					decode(t, res, &del)
					assert.True(t, del.Deleted, "%+v", del)
					assert.Equal(t, 1, up.deletes(id), "exactly one DELETE upstream")
				})
			}
		})
	}
}

func allToolNames() []string {
	var out []string
	for _, t := range tools.All(tools.Deps{}) {
		out = append(out, t.Name())
	}
	return out
}

// TestSandboxKeyMode: in key mode against the fake's own key, a caller
// presenting that key gets the demo data (what --sandbox in HTTP key mode
// tells callers to send).
func TestSandboxKeyMode(t *testing.T) {
	t.Parallel()
	up := newUpstream(t) // accepts only the fake's own key
	ts := startServer(t, up, nil)
	c := connect(t, ts.URL, telnyxfake.DefaultAPIKey, modern)
	res := callTool(t, c, "get_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID})
	assert.False(t, res.IsError, textOf(res))

	// Another key reaches Telnyx (here the fake) as it is, in the key
	// check; Telnyx refuses it, and so does the server.
	status, h, _ := rawPost(t, httpClient(t), ts.URL, bearer(keyBob), initializeBody)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, h.Get("WWW-Authenticate"), `error="invalid_token"`)
	checks := up.keyChecks()
	require.Len(t, checks, 2)
	assert.Equal(t, "Bearer "+keyBob, checks[1].Header.Get("Authorization"))
}
