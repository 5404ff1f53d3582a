package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// runReference is the -serve-reference mode: the CPU reference for the HTTP
// path. It is a bare mcp-go StreamableHTTPServer, stateless as ours is in
// the measurement, with one tool, list_oauth_clients, that makes the same
// upstream GET as ours (the first page of the account's OAuth clients,
// from the fake) and returns the answer as text. It has none of what our
// server adds: no authentication, Host or Origin checks, rate limits,
// validation, sanitizing, structured output, metrics or audit. It serves on
// 127.0.0.1, prints its URL and exits when stdin closes.
func runReference(upstream string, stdin io.Reader, stdout io.Writer) error {
	hc := &http.Client{Timeout: requestTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	mcpSrv := mcpserver.NewMCPServer("bare-mcp-go", "1", mcpserver.WithToolCapabilities(false))
	mcpSrv.AddTool(mcp.NewTool("list_oauth_clients", mcp.WithDescription("List the account's OAuth clients.")),
		func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, upstream+"/oauth_clients", nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+fakeAPIKey)
			req.Header.Set("Accept", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				return mcp.NewToolResultError(fmt.Sprintf("upstream: %d %v", resp.StatusCode, err)), nil
			}
			return mcp.NewToolResultText(string(body)), nil
		})
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
