package tools

import (
	"context"
	"strings"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Grant is an OAuth grant as the tools return it.
type Grant = telnyxapi.OAuthGrant

// ListGrantsInput pages through grants.
type ListGrantsInput struct {
	Page
}

// ListGrantsOutput is one page of grants.
type ListGrantsOutput struct {
	Grants  []Grant                  `json:"grants"`
	Meta    telnyxapi.PaginationMeta `json:"meta"`
	HasMore bool                     `json:"has_more" jsonschema_description:"True when later pages exist: call again with page_number+1."`
}

// ListOAuthGrants lists grants.
func ListOAuthGrants(d Deps) Tool {
	return define(d, spec{
		name: "list_oauth_grants", title: "List OAuth grants", toolset: ToolsetGrants, hints: readHints,
		description: "List the OAuth grants users gave to clients (client, scopes, last use), a page at a time. Use it to find a grant id.",
	}, func(ctx context.Context, tc *toolCall, in *ListGrantsInput) (*ListGrantsOutput, error) {
		list, err := tc.client.ListGrants(ctx, in.params())
		if err != nil {
			return nil, err
		}
		return &ListGrantsOutput{Grants: nonNil(list.Data), Meta: list.Meta, HasMore: list.Meta.HasMore()}, nil
	})
}

// GrantIDInput names one grant.
type GrantIDInput struct {
	GrantID string `json:"grant_id" jsonschema:"minLength=1,maxLength=256,pattern=^[A-Za-z0-9_~-]+(\\.[A-Za-z0-9_~-]+)*$" jsonschema_description:"From list_oauth_grants."`
}

// GetOAuthGrant fetches one grant.
func GetOAuthGrant(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_grant", title: "Get OAuth grant", toolset: ToolsetGrants, hints: readHints,
		notFound:    "use list_oauth_grants to find the grant id",
		description: "Get one OAuth grant by id: its client, scopes and last use.",
	}, func(ctx context.Context, tc *toolCall, in *GrantIDInput) (*Grant, error) {
		return tc.client.GetGrant(ctx, in.GrantID)
	})
}

// RevokeGrantInput names the grant to revoke.
type RevokeGrantInput struct {
	GrantIDInput
	Confirm string `json:"confirm,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only without elicitation: the grant_id, once the user approved."`
}

// RevokeGrantOutput says what became of the grant. Revoked is true only
// when Telnyx answered the revocation itself.
type RevokeGrantOutput struct {
	GrantID string `json:"grant_id"`
	Outcome string `json:"outcome" jsonschema:"enum=revoked,enum=likely_revoked,enum=declined"`
	Revoked bool   `json:"revoked"`
	Grant   *Grant `json:"grant,omitempty"`
	Message string `json:"message"`
}

// RevokeOAuthGrant revokes a grant after confirmation.
func RevokeOAuthGrant(d Deps) Tool {
	return defineConfirmed(d, spec{
		name: "revoke_oauth_grant", title: "Revoke OAuth grant", toolset: ToolsetGrants, hints: destructiveHints,
		notFound: "use list_oauth_grants to find the grant id", verify: "get_oauth_grant",
		description: "Revoke an OAuth grant; the client's tokens from it stop working. Cannot be undone. The user must confirm.",
	}, func(ctx context.Context, tc *toolCall, in *RevokeGrantInput) (*gated[RevokeGrantOutput], error) {
		return &gated[RevokeGrantOutput]{
			confirm: in.Confirm, subject: in.GrantID,
			fetch: func() (*target, error) {
				g, err := tc.client.GetGrant(ctx, in.GrantID)
				if err != nil {
					return nil, err
				}
				return &target{
					id: g.ID, action: "Revoke OAuth grant",
					details: []string{"grant id: " + g.ID, "client_id: " + g.ClientID, "scopes: " + strings.Join(g.Scopes, " ")},
					effect:  "This cannot be undone: the client's tokens from this grant stop working.",
				}, nil
			},
			act: func() (*RevokeGrantOutput, error) {
				g, err := tc.client.RevokeGrant(ctx, in.GrantID)
				if err != nil {
					return nil, err
				}
				return &RevokeGrantOutput{GrantID: in.GrantID, Outcome: OutcomeRevoked, Revoked: true, Grant: g, Message: "the grant was revoked"}, nil
			},
			declined: func(why string) *RevokeGrantOutput {
				return &RevokeGrantOutput{GrantID: in.GrantID, Outcome: OutcomeDeclined, Message: why}
			},
			likelyDone: func() *RevokeGrantOutput {
				return &RevokeGrantOutput{GrantID: in.GrantID, Outcome: OutcomeLikelyRevoked,
					Message: "the grant was most likely revoked, but that is not proven: the first attempt was interrupted after it may have reached Telnyx, and the retry found no such grant; get_oauth_grant confirms it"}
			},
		}, nil
	})
}
