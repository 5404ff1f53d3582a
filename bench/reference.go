package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// The two references a result can be built by.
const (
	// referenceText returns the upstream answer as text, as it came.
	referenceText = "text"
	// referenceStructured returns it the way mcp-go's own typed tools do
	// (mcp.NewStructuredToolHandler): decoded into the same API types as
	// ours, as structuredContent plus the same JSON as text, which is the
	// result the MCP specification asks of a tool with an output schema.
	referenceStructured = "structured"
)

// referencePage is the structured reference's result: the page of clients
// and its pagination, in the API types our server decodes into.
type referencePage struct {
	Clients []telnyxapi.OAuthClient  `json:"clients"`
	Meta    telnyxapi.PaginationMeta `json:"meta"`
}

// runReference is the -serve-reference mode: the CPU reference for the HTTP
// path. It is a bare mcp-go StreamableHTTPServer, stateless as ours is in
// the measurement, with one tool, list_oauth_clients, that makes the same
// upstream GET as ours (the first page of the account's OAuth clients,
// from the fake) and returns the answer as result says (referenceText or
// referenceStructured). It has none of what our server adds: no
// authentication, Host or Origin checks, rate limits, validation,
// sanitizing, metrics or audit. It serves on 127.0.0.1, prints its URL and
// exits when stdin closes.
func runReference(upstream, result string, stdin io.Reader, stdout io.Writer) error {
	hc := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	get := func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream+"/oauth_clients", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+fakeAPIKey)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("upstream: status %d", resp.StatusCode)
		}
		return body, err
	}
	mcpSrv := mcpserver.NewMCPServer("bare-mcp-go", "1", mcpserver.WithToolCapabilities(false))
	switch result {
	case referenceText:
		mcpSrv.AddTool(mcp.NewTool("list_oauth_clients", mcp.WithDescription("List the account's OAuth clients.")),
			func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				body, err := get(ctx)
				if err != nil {
					return mcp.NewToolResultError(err.Error()), nil
				}
				return mcp.NewToolResultText(string(body)), nil
			})
	case referenceStructured:
		mcpSrv.AddTool(mcp.NewTool("list_oauth_clients", mcp.WithDescription("List the account's OAuth clients."),
			mcp.WithOutputSchema[referencePage]()),
			mcp.NewStructuredToolHandler(func(ctx context.Context, _ mcp.CallToolRequest, _ struct{}) (referencePage, error) {
				body, err := get(ctx)
				if err != nil {
					return referencePage{}, err
				}
				var list telnyxapi.ClientList
				if err := json.Unmarshal(body, &list); err != nil {
					return referencePage{}, err
				}
				return referencePage{Clients: list.Data, Meta: list.Meta}, nil
			}))
	default:
		return fmt.Errorf("unknown reference result %q (want %s or %s)", result, referenceText, referenceStructured)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           mcpserver.NewStreamableHTTPServer(mcpSrv, mcpserver.WithStateLess(true), mcpserver.WithDisableStreaming(true)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = hs.Serve(ln) }()
	fmt.Fprintf(stdout, "http://%s/mcp\n", ln.Addr())
	_, _ = io.Copy(io.Discard, stdin)
	return hs.Close()
}
