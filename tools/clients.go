package tools

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// OAuthClient is an OAuth client as the tools return it.
type OAuthClient = telnyxapi.OAuthClient

// Page holds the pagination arguments every list tool takes.
type Page struct {
	PageNumber int `json:"page_number,omitempty" jsonschema:"minimum=1"`
	PageSize   int `json:"page_size,omitempty" jsonschema:"minimum=1,maximum=100" jsonschema_description:"Default 20."`
}

func (p Page) params() telnyxapi.PageParams {
	return telnyxapi.PageParams{Number: p.PageNumber, Size: p.PageSize}
}

// ListClientsInput filters the account's OAuth clients.
type ListClientsInput struct {
	Page
	ClientType       string `json:"client_type,omitempty" jsonschema:"enum=confidential,enum=public"`
	Verified         *bool  `json:"verified,omitempty"`
	AllowedGrantType string `json:"allowed_grant_type,omitempty" jsonschema:"enum=client_credentials,enum=authorization_code,enum=refresh_token"`
	Name             string `json:"name,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Exact name."`
	NameContains     string `json:"name_contains,omitempty" jsonschema:"maxLength=256"`
	ClientID         string `json:"client_id,omitempty" jsonschema:"maxLength=256"`
}

// ListClientsOutput is one page of clients.
type ListClientsOutput struct {
	Clients []OAuthClient            `json:"clients"`
	Meta    telnyxapi.PaginationMeta `json:"meta"`
	HasMore bool                     `json:"has_more" jsonschema_description:"True when later pages exist: call again with page_number+1."`
}

// ListOAuthClients lists the account's OAuth clients.
func ListOAuthClients(d Deps) Tool {
	return define(d, spec{
		name: "list_oauth_clients", title: "List OAuth clients", toolset: ToolsetClients, hints: readHints,
		description: "List the account's OAuth clients, a page at a time; every other argument filters. Use it to find a client_id.",
	}, func(ctx context.Context, tc *toolCall, in *ListClientsInput) (*ListClientsOutput, error) {
		var verified *bool
		if in.Verified != nil {
			verified = in.Verified
		}
		list, err := tc.client.ListClients(ctx, telnyxapi.ListClientsParams{
			Page: in.params(), ClientType: in.ClientType, Verified: verified,
			AllowedGrantTypesContains: in.AllowedGrantType, Name: in.Name, NameContains: in.NameContains, ClientID: in.ClientID,
		})
		if err != nil {
			return nil, err
		}
		for i := range list.Data {
			list.Data[i].ClientSecret = nil
		}
		return &ListClientsOutput{Clients: nonNil(list.Data), Meta: list.Meta, HasMore: list.Meta.HasMore()}, nil
	})
}

// clientOptions are the settings a client may have or not, on create and
// on update alike.
type clientOptions struct {
	RedirectURIs []string `json:"redirect_uris,omitempty" jsonschema:"maxItems=20,uniqueItems=true" jsonschema_description:"https, or http on loopback; no fragment. Needed for authorization_code."`
	RequirePKCE  *bool    `json:"require_pkce,omitempty" jsonschema_description:"Recommended; default false."`
	LogoURI      string   `json:"logo_uri,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"https, like policy_uri and tos_uri."`
	PolicyURI    string   `json:"policy_uri,omitempty" jsonschema:"maxLength=2048"`
	TOSURI       string   `json:"tos_uri,omitempty" jsonschema:"maxLength=2048"`
}

// validate checks what the schema cannot: what a URL may be.
func (f clientOptions) validate() error {
	return firstErr(
		checkRedirectURIs("redirect_uris", f.RedirectURIs),
		checkWebURL("logo_uri", f.LogoURI),
		checkWebURL("policy_uri", f.PolicyURI),
		checkWebURL("tos_uri", f.TOSURI),
	)
}

// CreateClientInput is a new OAuth client. Telnyx requires its name, type,
// scopes and grant types, and so does the schema; schema_gen_test.go adds
// the rules between fields (redirect_uris with authorization_code, no
// client_credentials for a public client).
type CreateClientInput struct {
	Name              string   `json:"name" jsonschema:"minLength=1,maxLength=256" jsonschema_description:"Shown to users on consent."`
	ClientType        string   `json:"client_type" jsonschema:"enum=confidential,enum=public" jsonschema_description:"public for apps that cannot keep a secret (use PKCE)."`
	AllowedScopes     []string `json:"allowed_scopes" jsonschema:"minItems=1,maxItems=50,uniqueItems=true" jsonschema_description:"From scopes_supported of get_oauth_server_metadata."`
	AllowedGrantTypes []string `json:"allowed_grant_types" jsonschema:"minItems=1,maxItems=3,uniqueItems=true,enum=client_credentials,enum=authorization_code,enum=refresh_token"`
	clientOptions
}

// CreateClientOutput is the new client, with its secret when confidential.
type CreateClientOutput struct {
	Client       OAuthClient `json:"client"`
	ClientSecret string      `json:"client_secret,omitempty" secret:"true" jsonschema_description:"Shown only now: store it safely."`
	Warnings     []string    `json:"warnings,omitempty"`
}

// CreateOAuthClient creates an OAuth client.
func CreateOAuthClient(d Deps) Tool {
	return define(d, spec{
		name: "create_oauth_client", title: "Create OAuth client", toolset: ToolsetClients, hints: additiveHints,
		verify:      "list_oauth_clients (filter by name)",
		description: "Create an OAuth client. A confidential client's client_secret is returned only this once. Use get_oauth_server_metadata for valid scopes." + unlessInsecure(d, "Public clients always require PKCE."),
	}, func(ctx context.Context, tc *toolCall, in *CreateClientInput) (*CreateClientOutput, error) {
		requirePKCE := in.RequirePKCE
		if in.ClientType == "public" && !d.AllowInsecureOAuth {
			if requirePKCE != nil && !*requirePKCE {
				return nil, errPublicWithoutPKCE
			}
			// Telnyx's default is false: held on unless the operator
			// opted out.
			requirePKCE = mcp.ToBoolPtr(true)
		}
		created, err := tc.client.CreateClient(ctx, telnyxapi.CreateClientRequest{
			Name: in.Name, ClientType: in.ClientType, AllowedScopes: in.AllowedScopes, AllowedGrantTypes: in.AllowedGrantTypes,
			RedirectURIs: in.RedirectURIs, RequirePKCE: requirePKCE, LogoURI: in.LogoURI, PolicyURI: in.PolicyURI, TOSURI: in.TOSURI,
		})
		if err != nil {
			return nil, err
		}
		out := &CreateClientOutput{Client: *created}
		if created.ClientSecret != nil {
			out.ClientSecret = *created.ClientSecret
			out.Client.ClientSecret = nil
		}
		if in.ClientType == "public" && !created.RequirePKCE {
			out.Warnings = append(out.Warnings, "this public client does not require PKCE; set require_pkce with update_oauth_client unless it has a reason not to")
		}
		return out, nil
	})
}

// ClientIDInput names one client.
type ClientIDInput struct {
	ClientID string `json:"client_id" jsonschema:"minLength=1,maxLength=256,pattern=^[A-Za-z0-9_~-]+(\\.[A-Za-z0-9_~-]+)*$" jsonschema_description:"From list_oauth_clients."`
}

// GetOAuthClient fetches one client.
func GetOAuthClient(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_client", title: "Get OAuth client", toolset: ToolsetClients, hints: readHints,
		notFound:    "use list_oauth_clients to find the client_id",
		description: "Get one OAuth client by client_id: type, grant types, scopes, redirect URIs. The secret is never shown again.",
	}, func(ctx context.Context, tc *toolCall, in *ClientIDInput) (*OAuthClient, error) {
		return withoutSecret(tc.client.GetClient(ctx, in.ClientID))
	})
}

// UpdateClientInput changes some fields of a client: client_id and at
// least one other (schema_gen_test.go states that rule in the schema).
// Scopes and grant types are optional here, with create's constraints.
type UpdateClientInput struct {
	ClientIDInput
	Name              *string  `json:"name,omitempty" jsonschema:"minLength=1,maxLength=256"`
	AllowedScopes     []string `json:"allowed_scopes,omitempty" jsonschema:"minItems=1,maxItems=50,uniqueItems=true" jsonschema_description:"From scopes_supported of get_oauth_server_metadata."`
	AllowedGrantTypes []string `json:"allowed_grant_types,omitempty" jsonschema:"minItems=1,maxItems=3,uniqueItems=true,enum=client_credentials,enum=authorization_code,enum=refresh_token"`
	clientOptions
	Confirm string `json:"confirm,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only without elicitation, when redirect URIs, scopes or grant types change or PKCE is turned off: the client_id, once the user approved."`
}

// takeover reports whether an update changes who can obtain this client's
// tokens, or what they can do with them: new redirect URIs receive every
// future authorization code, wider scopes and grant types widen what a code
// or token buys, and dropping PKCE lets a stolen code be redeemed. Such an
// update is confirmed by the user like a delete; a name or logo change is
// not.
func (in *UpdateClientInput) takeover() bool {
	return in.RedirectURIs != nil || in.AllowedScopes != nil || in.AllowedGrantTypes != nil || in.dropsPKCE()
}

// dropsPKCE reports whether the update turns require_pkce off.
func (in *UpdateClientInput) dropsPKCE() bool { return in.RequirePKCE != nil && !*in.RequirePKCE }

// changeSubject binds a confirmation to the exact change: the client and
// the new values, so that an approval of one set of redirect URIs cannot be
// replayed for another (the confirmation signs a digest of it).
func (in *UpdateClientInput) changeSubject() string {
	b, _ := json.Marshal([]any{in.RedirectURIs, in.AllowedScopes, in.AllowedGrantTypes, in.RequirePKCE})
	return in.ClientID + "\x00" + string(b)
}

// changeLines shows each changed takeover field as current → new.
func (in *UpdateClientInput) changeLines(cur *OAuthClient) []string {
	var lines []string
	change := func(field string, from, to []string) {
		lines = append(lines, field+": "+listOrNone(from)+" → "+listOrNone(to))
	}
	if in.RedirectURIs != nil {
		change("redirect_uris", cur.RedirectURIs, in.RedirectURIs)
	}
	if in.AllowedScopes != nil {
		change("allowed_scopes", cur.AllowedScopes, in.AllowedScopes)
	}
	if in.AllowedGrantTypes != nil {
		change("allowed_grant_types", cur.AllowedGrantTypes, in.AllowedGrantTypes)
	}
	if in.dropsPKCE() {
		lines = append(lines, "require_pkce: "+strconv.FormatBool(cur.RequirePKCE)+" → false")
	}
	return lines
}

// changeEffect says what the user hands over by approving.
func (in *UpdateClientInput) changeEffect() string {
	var say []string
	if in.RedirectURIs != nil {
		say = append(say, "The new redirect URIs receive every future authorization code of this client.")
	}
	if in.AllowedScopes != nil || in.AllowedGrantTypes != nil {
		say = append(say, "Scopes and grant types decide what its tokens can do.")
	}
	if in.dropsPKCE() {
		say = append(say, "Without PKCE, a stolen authorization code can be redeemed.")
	}
	return strings.Join(say, " ")
}

func listOrNone(v []string) string {
	if len(v) == 0 {
		return "(none)"
	}
	return strings.Join(v, " ")
}

// UpdateOAuthClient changes a client's settings.
func UpdateOAuthClient(d Deps) Tool {
	return defineConfirmed(d, spec{
		name: "update_oauth_client", title: "Update OAuth client", toolset: ToolsetClients, hints: destructiveHints,
		notFound:    "use list_oauth_clients to find the client_id",
		description: "Change an OAuth client's name, scopes, grant types, redirect URIs or PKCE setting; given fields replace current values. The type cannot change. The user confirms changes to redirect URIs, scopes, grant types or PKCE off." + unlessInsecure(d, "Public clients always require PKCE."),
	}, func(ctx context.Context, tc *toolCall, in *UpdateClientInput) (*gated[OAuthClient], error) {
		// The current client is read at most once: for the PKCE rule (which
		// depends on its type) and for the question (current → new).
		current := sync.OnceValues(func() (*OAuthClient, error) { return tc.client.GetClient(ctx, in.ClientID) })
		if in.dropsPKCE() && !d.AllowInsecureOAuth {
			cur, err := current()
			if err != nil {
				return nil, err
			}
			if cur.ClientType == "public" {
				return nil, errPublicWithoutPKCE
			}
		}
		return &gated[OAuthClient]{
			confirm: in.Confirm, subject: in.changeSubject(), skip: !in.takeover(),
			fetch: func() (*target, error) {
				cur, err := current()
				if err != nil {
					return nil, err
				}
				return &target{
					id: cur.ClientID, action: "Update OAuth client " + quote(cur.Name) + " (client_id " + cur.ClientID + ")",
					details: in.changeLines(cur),
					effect:  in.changeEffect(),
				}, nil
			},
			act: func() (*OAuthClient, error) {
				return withoutSecret(tc.client.UpdateClient(ctx, in.ClientID, telnyxapi.UpdateClientRequest{
					Name: in.Name, AllowedScopes: in.AllowedScopes, AllowedGrantTypes: in.AllowedGrantTypes, RedirectURIs: in.RedirectURIs,
					RequirePKCE: in.RequirePKCE, LogoURI: optional(in.LogoURI), PolicyURI: optional(in.PolicyURI), TOSURI: optional(in.TOSURI),
				}))
			},
		}, nil
	})
}

// DeleteClientInput names the client to delete.
type DeleteClientInput struct {
	ClientIDInput
	Confirm string `json:"confirm,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only without elicitation: the client_id, once the user approved."`
}

// Outcomes of a delete or a revocation. A likely one is its own value: the
// first attempt was interrupted after it may have reached Telnyx, and the
// retry found nothing left; that is not proof.
const (
	OutcomeDeleted       = "deleted"
	OutcomeLikelyDeleted = "likely_deleted"
	OutcomeRevoked       = "revoked"
	OutcomeLikelyRevoked = "likely_revoked"
	OutcomeDeclined      = "declined" // the user said no; nothing was done
)

// DeleteClientOutput says what became of the client. Deleted is true only
// when Telnyx answered the delete itself.
type DeleteClientOutput struct {
	ClientID string `json:"client_id"`
	Outcome  string `json:"outcome" jsonschema:"enum=deleted,enum=likely_deleted,enum=declined"`
	Deleted  bool   `json:"deleted"`
	Message  string `json:"message"`
}

// DeleteOAuthClient deletes a client after confirmation.
func DeleteOAuthClient(d Deps) Tool {
	return defineConfirmed(d, spec{
		name: "delete_oauth_client", title: "Delete OAuth client", toolset: ToolsetClients, hints: destructiveHints,
		notFound: "use list_oauth_clients to find the client_id", verify: "get_oauth_client",
		description: "Permanently delete an OAuth client; its tokens stop working. Cannot be undone. The user must confirm.",
	}, func(ctx context.Context, tc *toolCall, in *DeleteClientInput) (*gated[DeleteClientOutput], error) {
		return &gated[DeleteClientOutput]{
			confirm: in.Confirm, subject: in.ClientID,
			fetch: func() (*target, error) {
				oc, err := tc.client.GetClient(ctx, in.ClientID)
				if err != nil {
					return nil, err
				}
				return &target{
					id: oc.ClientID, action: "Delete OAuth client",
					details: []string{
						"name: " + quote(oc.Name), "client_id: " + oc.ClientID, "type: " + oc.ClientType,
						"scopes: " + strings.Join(oc.AllowedScopes, " "),
					},
					effect: "This cannot be undone: every token issued to this client stops working.",
				}, nil
			},
			act: func() (*DeleteClientOutput, error) {
				if err := tc.client.DeleteClient(ctx, in.ClientID); err != nil {
					return nil, err
				}
				return &DeleteClientOutput{ClientID: in.ClientID, Outcome: OutcomeDeleted, Deleted: true, Message: "the client was deleted"}, nil
			},
			declined: func(why string) *DeleteClientOutput {
				return &DeleteClientOutput{ClientID: in.ClientID, Outcome: OutcomeDeclined, Message: why}
			},
			likelyDone: func() *DeleteClientOutput {
				return &DeleteClientOutput{ClientID: in.ClientID, Outcome: OutcomeLikelyDeleted,
					Message: "the client was most likely deleted, but that is not proven: the first attempt was interrupted after it may have reached Telnyx, and the retry found no such client; get_oauth_client confirms it"}
			},
		}, nil
	})
}

// errPublicWithoutPKCE refuses a public client without PKCE.
var errPublicWithoutPKCE = &telnyxapi.InvalidArgumentError{Field: "require_pkce", Reason: "a public client must require PKCE: " +
	"OAuth 2.1 requires PKCE with S256 for public clients, which have no secret to prove who redeems a code " + insecureOAuthOptOut}

// insecureOAuthOptOut ends every refusal of insecure OAuth: what the
// operator can do about it.
const insecureOAuthOptOut = "(to serve old clients anyway, the operator starts the server with --allow-insecure-oauth, or TELNYX_MCP_ALLOW_INSECURE_OAUTH=true)"

// unlessInsecure is rule, stated in a tool's description so that a model
// learns it before its first call, or "" under --allow-insecure-oauth.
func unlessInsecure(d Deps, rule string) string {
	if d.AllowInsecureOAuth {
		return ""
	}
	return " " + rule
}

// withoutSecret drops the client_secret the API includes "when available":
// only create_oauth_client shows a secret, once.
func withoutSecret(oc *OAuthClient, err error) (*OAuthClient, error) {
	if oc != nil {
		oc.ClientSecret = nil
	}
	return oc, err
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
