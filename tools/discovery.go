package tools

import (
	"context"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// NoInput is the input of tools that take no arguments.
type NoInput struct{}

// GetOAuthServerMetadata fetches the authorization server metadata.
func GetOAuthServerMetadata(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_server_metadata", title: "Get OAuth server metadata", toolset: ToolsetDiscovery, hints: readHints,
		description: "Get Telnyx's OAuth authorization server metadata (RFC 8414): endpoints, supported grant types, PKCE methods and scopes. Read scopes_supported before creating a client.",
	}, func(ctx context.Context, tc *toolCall, _ *NoInput) (*telnyxapi.AuthorizationServerMetadata, error) {
		return tc.client.GetAuthorizationServerMetadata(ctx)
	})
}

// GetOAuthProtectedResourceMetadata fetches the protected resource metadata.
func GetOAuthProtectedResourceMetadata(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_protected_resource_metadata", title: "Get OAuth protected resource metadata", toolset: ToolsetDiscovery, hints: readHints,
		description: "Get the Telnyx API's protected resource metadata (RFC 9728): the resource identifier and which authorization servers issue tokens for it.",
	}, func(ctx context.Context, tc *toolCall, _ *NoInput) (*telnyxapi.ProtectedResourceMetadata, error) {
		return tc.client.GetProtectedResourceMetadata(ctx)
	})
}

// GetOAuthJWKS fetches the key set.
func GetOAuthJWKS(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_jwks", title: "Get OAuth JWKS", toolset: ToolsetDiscovery, hints: readHints,
		description: "Get the JSON Web Key Set whose public keys verify Telnyx-issued JWT access tokens.",
	}, func(ctx context.Context, tc *toolCall, _ *NoInput) (*telnyxapi.JWKS, error) {
		return tc.client.GetJWKS(ctx)
	})
}
