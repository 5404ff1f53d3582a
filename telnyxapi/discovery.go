package telnyxapi

import "context"

// GetAuthorizationServerMetadata fetches the RFC 8414 document from the host
// root.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/authorization-server-metadata
func (c *Client) GetAuthorizationServerMetadata(ctx context.Context) (*AuthorizationServerMetadata, error) {
	var out AuthorizationServerMetadata
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthAuthorizationServerMetadata", method: "GET", atRoot: true,
		path: []string{".well-known", "oauth-authorization-server"},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetProtectedResourceMetadata fetches the RFC 9728 document from the host
// root.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/protected-resource-metadata
func (c *Client) GetProtectedResourceMetadata(ctx context.Context) (*ProtectedResourceMetadata, error) {
	var out ProtectedResourceMetadata
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthProtectedResourceMetadata", method: "GET", atRoot: true,
		path: []string{".well-known", "oauth-protected-resource"},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetJWKS fetches the JSON Web Key Set that verifies the API's JWT access
// tokens.
//
// API reference: https://developers.telnyx.com/api-reference/oauth/jwks
func (c *Client) GetJWKS(ctx context.Context) (*JWKS, error) {
	var out JWKS
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthJWKS", method: "GET", path: []string{"oauth", "jwks"},
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
