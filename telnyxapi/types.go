package telnyxapi

// The wire objects of the Telnyx OAuth API, field for field as the reference
// (https://developers.telnyx.com/api-reference/oauth-clients) lists them. Nullable fields are pointers
// so that an absent value and an empty string stay distinct.

// OAuthClient is an OAuth client registered in the account.
type OAuthClient struct {
	RecordType        string   `json:"record_type,omitempty"`
	ClientID          string   `json:"client_id"`
	Name              string   `json:"name"`
	OrgID             string   `json:"org_id,omitempty"`
	UserID            string   `json:"user_id,omitempty"`
	ClientType        string   `json:"client_type"`
	RequirePKCE       bool     `json:"require_pkce"`
	AllowedGrantTypes []string `json:"allowed_grant_types,omitempty"`
	AllowedScopes     []string `json:"allowed_scopes,omitempty"`
	RedirectURIs      []string `json:"redirect_uris,omitempty"`
	ClientSecret      *string  `json:"client_secret,omitempty"`
	LogoURI           *string  `json:"logo_uri,omitempty"`
	PolicyURI         *string  `json:"policy_uri,omitempty"`
	TOSURI            *string  `json:"tos_uri,omitempty"`
	CreatedAt         string   `json:"created_at,omitempty"`
	UpdatedAt         string   `json:"updated_at,omitempty"`
}

// OAuthGrant is a user's grant of scopes to a client.
type OAuthGrant struct {
	ID         string   `json:"id"`
	RecordType string   `json:"record_type,omitempty"`
	ClientID   string   `json:"client_id"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at,omitempty"`
	LastUsedAt *string  `json:"last_used_at,omitempty"`
}

// PaginationMeta describes where a list page sits in the whole result.
type PaginationMeta struct {
	PageNumber   int `json:"page_number"`
	PageSize     int `json:"page_size"`
	TotalPages   int `json:"total_pages"`
	TotalResults int `json:"total_results"`
}

// PageParams selects a page of a list: page[number] and page[size].
// Zero values are left out of the query, so the API's defaults apply.
type PageParams struct {
	Number int
	Size   int
}

// ListClientsParams are the query parameters of GET /oauth_clients.
// Empty strings and nil pointers are not sent.
type ListClientsParams struct {
	Page                      PageParams
	ClientType                string // filter[client_type]: confidential or public
	Verified                  *bool  // filter[verified]
	AllowedGrantTypesContains string // filter[allowed_grant_types][contains]
	Name                      string // filter[name], exact
	NameContains              string // filter[name][contains]
	ClientID                  string // filter[client_id]
}

// ClientList is one page of OAuth clients.
type ClientList struct {
	Data []OAuthClient  `json:"data"`
	Meta PaginationMeta `json:"meta"`
}

// GrantList is one page of OAuth grants.
type GrantList struct {
	Data []OAuthGrant   `json:"data"`
	Meta PaginationMeta `json:"meta"`
}

// CreateClientRequest is the body of POST /oauth_clients.
type CreateClientRequest struct {
	Name              string   `json:"name"`
	AllowedScopes     []string `json:"allowed_scopes"`
	ClientType        string   `json:"client_type"`
	AllowedGrantTypes []string `json:"allowed_grant_types"`
	RedirectURIs      []string `json:"redirect_uris,omitempty"`
	RequirePKCE       *bool    `json:"require_pkce,omitempty"`
	LogoURI           string   `json:"logo_uri,omitempty"`
	PolicyURI         string   `json:"policy_uri,omitempty"`
	TOSURI            string   `json:"tos_uri,omitempty"`
}

// UpdateClientRequest is the body of PUT /oauth_clients/{id}. Only the
// fields that are set are sent, and the API keeps the others. A nil list is
// not sent; an empty one is, to clear the list.
type UpdateClientRequest struct {
	Name              *string  `json:"name,omitempty"`
	AllowedScopes     []string `json:"allowed_scopes,omitzero"`
	AllowedGrantTypes []string `json:"allowed_grant_types,omitzero"`
	RedirectURIs      []string `json:"redirect_uris,omitzero"`
	RequirePKCE       *bool    `json:"require_pkce,omitempty"`
	LogoURI           *string  `json:"logo_uri,omitempty"`
	PolicyURI         *string  `json:"policy_uri,omitempty"`
	TOSURI            *string  `json:"tos_uri,omitempty"`
}

// AuthorizationServerMetadata is the RFC 8414 document.
type AuthorizationServerMetadata struct {
	Issuer                            string   `json:"issuer,omitempty"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                     string   `json:"token_endpoint,omitempty"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint,omitempty"`
	JWKSURI                           string   `json:"jwks_uri,omitempty"`
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`
	GrantTypesSupported               []string `json:"grant_types_supported,omitempty"`
	ResponseTypesSupported            []string `json:"response_types_supported,omitempty"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
}

// ProtectedResourceMetadata is the RFC 9728 document.
type ProtectedResourceMetadata struct {
	Resource             string   `json:"resource,omitempty"`
	AuthorizationServers []string `json:"authorization_servers,omitempty"`
}

// JWKS is the key set at /oauth/jwks. Keys are kept as decoded JSON
// objects because real keys carry members (n, e, crv, x, y) the spec omits.
type JWKS struct {
	Keys []map[string]any `json:"keys"`
}

// AuthorizeParams are the query parameters of GET /oauth/authorize.
type AuthorizeParams struct {
	ClientID            string
	RedirectURI         string
	Scope               string
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// AuthorizeCheck is what GET /oauth/authorize answered. The endpoint is meant
// for a browser: its answer is a redirect or an HTML page, so only the status
// and the redirect target are kept.
type AuthorizeCheck struct {
	Status   int    `json:"status"`
	Location string `json:"location,omitempty"`
}

// Consent describes a pending consent request.
type Consent struct {
	ClientID        string           `json:"client_id,omitempty"`
	Name            string           `json:"name,omitempty"`
	LogoURI         *string          `json:"logo_uri,omitempty"`
	PolicyURI       *string          `json:"policy_uri,omitempty"`
	TOSURI          *string          `json:"tos_uri,omitempty"`
	RedirectURI     string           `json:"redirect_uri,omitempty"`
	Verified        bool             `json:"verified"`
	RequestedScopes []RequestedScope `json:"requested_scopes,omitempty"`
}

// RequestedScope is one scope a consent request asks for.
type RequestedScope struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// ConsentDecision is the answer to POST /oauth/grants: where the
// browser goes next, carrying the code or the error.
type ConsentDecision struct {
	RedirectURI string `json:"redirect_uri"`
}

// TokenRequest is the body of POST /oauth/token, without the client
// authentication, which travels in ClientAuth.
type TokenRequest struct {
	GrantType    string
	Scope        string
	Code         string
	RedirectURI  string
	CodeVerifier string
	RefreshToken string
}

// TokenResponse is a successful token answer.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// IntrospectResponse is the RFC 7662 answer.
type IntrospectResponse struct {
	Active   bool   `json:"active"`
	Scope    string `json:"scope,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Exp      int64  `json:"exp,omitempty"`
	Iat      int64  `json:"iat,omitempty"`
	Iss      string `json:"iss,omitempty"`
	Aud      string `json:"aud,omitempty"`
}

// RegisterRequest is the RFC 7591 registration body.
type RegisterRequest struct {
	ClientName              string   `json:"client_name,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
}

// RegisterResponse is the RFC 7591 answer.
type RegisterResponse struct {
	ClientID                string   `json:"client_id"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	PolicyURI               string   `json:"policy_uri,omitempty"`
	TOSURI                  string   `json:"tos_uri,omitempty"`
}

// ClientAuth is how a call to the token or introspection endpoint
// authenticates the OAuth client. With a secret it is HTTP Basic
// (client_secret_basic); with only an id, a public client names itself in the
// body. The zero value means: use the client credentials the Client was
// configured with.
type ClientAuth struct {
	ClientID     string
	ClientSecret string
}
