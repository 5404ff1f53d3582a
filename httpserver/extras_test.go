package httpserver

import (
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Resources and prompts are served over HTTP as over stdio, in both eras.
func TestResourcesAndPromptsOverHTTP(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, nil)
	for _, e := range eras {
		t.Run(e.name, func(t *testing.T) {
			c := connect(t, ts.URL, keyAlice, e)
			res, err := c.ListResources(t.Context(), mcp.ListResourcesRequest{})
			require.NoError(t, err)
			var uris []string
			for _, r := range res.Resources {
				uris = append(uris, r.URI)
			}
			assert.Contains(t, uris, "telnyx-oauth://server-metadata")

			read, err := c.ReadResource(t.Context(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "telnyx-oauth://jwks"}})
			require.NoError(t, err)
			require.NotEmpty(t, read.Contents)
			text, ok := read.Contents[0].(mcp.TextResourceContents)
			require.True(t, ok)
			assert.Contains(t, text.Text, `"keys"`)

			prompts, err := c.ListPrompts(t.Context(), mcp.ListPromptsRequest{})
			require.NoError(t, err)
			var names []string
			for _, p := range prompts.Prompts {
				names = append(names, p.Name)
			}
			assert.Contains(t, names, "set_up_oauth_client")
		})
	}
}
