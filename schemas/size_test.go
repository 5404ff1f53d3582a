package schemas

import (
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// toolsListBudget caps what tools/list costs for the default toolsets, in
// bytes of JSON as mcp-go's client re-encodes the tools (within about 100
// bytes of the wire): every host pays it in every conversation's context.
// docs/benchmarks.md explains where the bytes go; raise the budget only
// with a reason (a new tool, a rule or a result field the server
// enforces or reports), never for wordier text. Raised from 22,000 for the
// outcome of deletes and revocations (likely is not done) and the rules
// between fields the handlers used to keep to themselves (create's four
// required fields, redirect_uris with authorization_code, each grant's
// fields, at least one change in an update).
const toolsListBudget = 22_400

func TestToolsListBudget(t *testing.T) {
	sel, err := tools.Select(tools.All(tools.Deps{}), tools.Selection{})
	require.NoError(t, err)
	c, err := client.NewInProcessClient(tools.NewServer("test", sel))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Start(t.Context()))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	_, err = c.Initialize(t.Context(), init)
	require.NoError(t, err)
	res, err := c.ListTools(t.Context(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	b, err := json.Marshal(res.Tools)
	require.NoError(t, err)
	require.LessOrEqual(t, len(b), toolsListBudget, "tools/list for the default toolsets grew to %d bytes", len(b))
	t.Logf("tools/list, default toolsets: %d tools, %d bytes", len(res.Tools), len(b))
}
