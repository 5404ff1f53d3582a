package telnyxapi

import (
	"context"
	"net/http"
	"net/url"
)

// ListGrants lists the OAuth grants users have given, one page at a time.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-grants/list-oauth-grants
func (c *Client) ListGrants(ctx context.Context, p PageParams) (*GrantList, error) {
	q := url.Values{}
	p.encode(q)
	var out GrantList
	_, _, err := c.do(ctx, &operation{
		op: "ListOAuthGrants", method: "GET", path: []string{"oauth_grants"}, query: q,
		auth: authBearer,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetGrant fetches one OAuth grant by id.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-grants/get-oauth-grant
func (c *Client) GetGrant(ctx context.Context, id string) (*OAuthGrant, error) {
	if err := CheckPathValue("id", id, MaxIDLength); err != nil {
		return nil, err
	}
	var out OAuthGrant
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthGrant", method: "GET", path: []string{"oauth_grants", id},
		auth: authBearer, envelope: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeGrant revokes an OAuth grant and returns it as it was revoked. The
// client's tokens from that grant stop working; it cannot be undone.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-grants/revoke-oauth-grant
func (c *Client) RevokeGrant(ctx context.Context, id string) (*OAuthGrant, error) {
	if err := CheckPathValue("id", id, MaxIDLength); err != nil {
		return nil, err
	}
	var out OAuthGrant
	_, _, err := c.do(ctx, &operation{
		op: "RevokeOAuthGrant", method: http.MethodDelete, path: []string{"oauth_grants", id},
		auth: authBearer, envelope: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}
