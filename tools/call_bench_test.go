package tools_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// BenchmarkToolCall is one whole tools/call as the production server runs
// it (tools.All, tools.Select, tools.NewServer), through mcp-go's
// in-process client, against the seeded telnyxfake on 127.0.0.1: JSON-RPC
// handling, argument checks, the HTTP round trip, result shaping and
// encoding.
func BenchmarkToolCall(b *testing.B) {
	fake, err := telnyxfake.Listen(telnyxfake.Options{Seed: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	defer transport.CloseIdleConnections()
	api, err := telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL, APIKey: telnyxfake.DefaultAPIKey, Transport: transport})
	if err != nil {
		b.Fatal(err)
	}
	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(true, nil),
	}
	selected, err := tools.Select(tools.All(deps), tools.Selection{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.NewInProcessClient(tools.NewServer("bench", selected))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	var init mcp.InitializeRequest
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		b.Fatal(err)
	}

	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"list_oauth_clients", map[string]any{}},
		{"get_oauth_client", map[string]any{"client_id": telnyxfake.DemoClientID}},
	} {
		b.Run(tc.tool, func(b *testing.B) {
			var req mcp.CallToolRequest
			req.Params.Name = tc.tool
			req.Params.Arguments = tc.args
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.CallTool(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if res.IsError {
					b.Fatalf("%s failed: %v", tc.tool, res.Content)
				}
			}
		})
	}
}
