package tools_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestAPanicBecomesAnErrorResult makes the ClientFunc panic on its first
// call: the tool call must come back as an isError "internal error" with a
// reference, the stack must go to the log, and the server must keep serving
// tools/list and further calls. Issue §3: "a panic in a handler becomes an
// error result, never a crash."
func TestAPanicBecomesAnErrorResult(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := newHarness(t, withClientFunc(func(next tools.ClientFunc) tools.ClientFunc {
		return func(ctx context.Context) (*telnyxapi.Client, error) {
			if calls.Add(1) == 1 {
				panic("boom: a bug in the client factory")
			}
			return next(ctx)
		}
	}))
	c := h.confidentialClient(t)

	text := h.fail(t, "get_oauth_client", map[string]any{"client_id": c.ClientID})
	assert.Contains(t, text, "internal error")
	assert.Contains(t, text, "get_oauth_client")
	assert.Contains(t, text, "reference")
	assert.NotContains(t, text, "boom", "the panic value stays in the log")
	assert.NotContains(t, text, "goroutine", "no stack in the result")
	assert.Empty(t, h.fake.Requests())

	logs := h.logs.String()
	assert.Contains(t, logs, "tool handler panicked")
	assert.Contains(t, logs, "boom")

	list, err := h.mcp.ListTools(t.Context(), mcp.ListToolsRequest{})
	require.NoError(t, err, "tools/list still works")
	assert.Len(t, list.Tools, len(tools.All(tools.Deps{})))

	got := decode[telnyxapi.OAuthClient](t, h.ok(t, "get_oauth_client", map[string]any{"client_id": c.ClientID}))
	assert.Equal(t, c.ClientID, got.ClientID, "and so do tool calls")
}
