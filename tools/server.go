package tools

import (
	"github.com/mark3labs/mcp-go/server"
)

// ServerName is the name the server gives in initialize and server/discover.
const ServerName = "telnyx-oauth-mcp"

const instructions = "Manage Telnyx OAuth: clients, grants, tokens and discovery. " +
	"Find ids with the list tools before get, update, delete or revoke. " +
	"Deleting a client, revoking a grant and submitting consent need the user's confirmation."

// NewServer returns an MCP server exposing tools. opts add to the defaults,
// e.g. a tool-handler middleware for rate limits or audit lines.
func NewServer(version string, tools []Tool, opts ...server.ServerOption) *server.MCPServer {
	base := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithInstructions(instructions),
		server.WithRecovery(),
	}
	s := server.NewMCPServer(ServerName, version, append(base, opts...)...)
	st := make([]server.ServerTool, len(tools))
	for i, t := range tools {
		st[i] = server.ServerTool{Tool: t.Definition, Handler: t.Handler}
	}
	s.AddTools(st...)
	return s
}
