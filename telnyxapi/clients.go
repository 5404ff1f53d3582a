package telnyxapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ListClients lists the account's OAuth clients, one page at a time.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients/list-oauth-clients
func (c *Client) ListClients(ctx context.Context, p ListClientsParams) (*ClientList, error) {
	q := url.Values{}
	p.Page.encode(q)
	setIf(q, "filter[client_type]", p.ClientType)
	if p.Verified != nil {
		q.Set("filter[verified]", strconv.FormatBool(*p.Verified))
	}
	setIf(q, "filter[allowed_grant_types][contains]", p.AllowedGrantTypesContains)
	setIf(q, "filter[name]", p.Name)
	setIf(q, "filter[name][contains]", p.NameContains)
	setIf(q, "filter[client_id]", p.ClientID)
	var out ClientList
	_, _, err := c.do(ctx, &operation{
		op: "ListOAuthClients", method: "GET", path: []string{"oauth_clients"}, query: q,
		auth: authBearer, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CheckAPIKey asks Telnyx whether it knows key, with the smallest
// authenticated read there is: the first page, of one entry, of the
// account's OAuth clients. nil means Telnyx accepted the key; a refusal
// comes back as an *APIError (401 for a key it does not know, 403 for one
// that may not list OAuth clients).
func (c *Client) CheckAPIKey(ctx context.Context, key string) error {
	_, err := c.WithAPIKey(key).ListClients(ctx, ListClientsParams{Page: PageParams{Size: 1}})
	return err
}

// CreateClient creates an OAuth client. For a confidential client the answer
// carries the client_secret, which the API shows only this once. A create is
// never retried: a retry after an ambiguous failure could make a second
// client with a second secret.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients/create-oauth-client
func (c *Client) CreateClient(ctx context.Context, r CreateClientRequest) (*OAuthClient, error) {
	var out OAuthClient
	_, _, err := c.do(ctx, &operation{
		op: "CreateOAuthClient", method: "POST", path: []string{"oauth_clients"}, jsonBody: r,
		auth: authBearer, envelope: true, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetClient fetches one OAuth client by its client_id.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients/get-oauth-client
func (c *Client) GetClient(ctx context.Context, clientID string) (*OAuthClient, error) {
	if err := CheckPathValue("client_id", clientID, MaxIDLength); err != nil {
		return nil, err
	}
	var out OAuthClient
	_, _, err := c.do(ctx, &operation{
		op: "GetOAuthClient", method: "GET", path: []string{"oauth_clients", clientID},
		auth: authBearer, envelope: true, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateClient changes the fields of r that are set and keeps the others.
// The client type cannot be changed.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients/update-oauth-client
func (c *Client) UpdateClient(ctx context.Context, clientID string, r UpdateClientRequest) (*OAuthClient, error) {
	if err := CheckPathValue("client_id", clientID, MaxIDLength); err != nil {
		return nil, err
	}
	var out OAuthClient
	_, _, err := c.do(ctx, &operation{
		op: "UpdateOAuthClient", method: "PUT", path: []string{"oauth_clients", clientID}, jsonBody: r,
		auth: authBearer, envelope: true, secretAnswer: true,
	}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteClient deletes an OAuth client; the API answers 204. It cannot be
// undone: every token issued to the client stops working.
//
// API reference: https://developers.telnyx.com/api-reference/oauth-clients/delete-oauth-client
func (c *Client) DeleteClient(ctx context.Context, clientID string) error {
	if err := CheckPathValue("client_id", clientID, MaxIDLength); err != nil {
		return err
	}
	_, _, err := c.do(ctx, &operation{
		op: "DeleteOAuthClient", method: http.MethodDelete, path: []string{"oauth_clients", clientID},
		auth: authBearer, noContent: true, accept: "*/*",
	}, nil)
	return err
}

func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}
