package tools

import (
	"context"
	"net/url"
	"strings"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// redactURL masks the values of secret parameters in a URL, in its query
// or its fragment, and a consent token in its path.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable URL]"
	}
	safetext.MaskURLParams(u, safetext.Mask)
	// The consent page carries its token in the path on some deployments.
	if i := strings.Index(u.Path, "/consent/"); i >= 0 {
		u.Path = u.Path[:i] + "/consent/" + safetext.Mask(u.Path[i+len("/consent/"):])
		u.RawPath = ""
	}
	return u.String()
}

// AuthorizeURLInput describes the authorization request to build.
type AuthorizeURLInput struct {
	ClientID            string `json:"client_id" jsonschema:"minLength=1,maxLength=256"`
	RedirectURI         string `json:"redirect_uri" jsonschema:"minLength=1,maxLength=2048,format=uri" jsonschema_description:"A registered redirect URI, exactly: https, or http on loopback."`
	Scope               string `json:"scope,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"Space-separated."`
	State               string `json:"state,omitempty" jsonschema:"maxLength=512" jsonschema_description:"Default: random."`
	CodeChallenge       string `json:"code_challenge,omitempty" jsonschema:"minLength=43,maxLength=128" jsonschema_description:"Your own; default: one is made and its verifier returned."`
	CodeChallengeMethod string `json:"code_challenge_method,omitempty" jsonschema:"enum=S256,enum=plain" jsonschema_description:"Default S256."`
	NoPKCE              bool   `json:"no_pkce,omitempty" jsonschema_description:"Not recommended."`
	Check               bool   `json:"check,omitempty" jsonschema_description:"Also send it once, unfollowed, to see if Telnyx accepts client_id and redirect_uri."`
}

// validate checks what the schema cannot: what redirect_uri may be. The
// schema says no_pkce and code_challenge exclude each other, and that
// code_challenge_method needs code_challenge (schema_gen_test.go).
func (in *AuthorizeURLInput) validate() error {
	if err := checkRedirectURI(in.RedirectURI); err != nil {
		return errorf("redirect_uri: %v", err)
	}
	return nil
}

// AuthorizeURLOutput is the URL to open and what the exchange will need.
type AuthorizeURLOutput struct {
	AuthorizationURL    string                    `json:"authorization_url"`
	State               string                    `json:"state,omitempty"`
	CodeVerifier        string                    `json:"code_verifier,omitempty" secret:"true" jsonschema_description:"Keep it: exchange_oauth_token needs it with the code."`
	CodeChallengeMethod string                    `json:"code_challenge_method,omitempty"`
	Check               *telnyxapi.AuthorizeCheck `json:"check,omitempty"`
}

// BuildOAuthAuthorizeURL builds the authorization URL, with PKCE by default.
func BuildOAuthAuthorizeURL(d Deps) Tool {
	return define(d, spec{
		name: "build_oauth_authorize_url", title: "Build OAuth authorize URL", toolset: ToolsetProtocol,
		hints:       hints{readOnly: true, openWorld: true},
		notFound:    "the client_id is unknown; use list_oauth_clients",
		description: "Build the URL a user opens to authorize a client (authorization code flow), with random state and a PKCE S256 challenge by default. Returns the code_verifier for exchange_oauth_token. Never follows redirects." + unlessInsecure(d, "code_challenge_method plain is refused."),
	}, func(ctx context.Context, tc *toolCall, in *AuthorizeURLInput) (*AuthorizeURLOutput, error) {
		if in.CodeChallengeMethod == "plain" && !d.AllowInsecureOAuth {
			return nil, errPlainChallenge
		}
		p := telnyxapi.AuthorizeParams{
			ClientID: in.ClientID, RedirectURI: in.RedirectURI, Scope: in.Scope, State: in.State,
			CodeChallenge: in.CodeChallenge, CodeChallengeMethod: in.CodeChallengeMethod,
		}
		if p.State == "" {
			p.State = safetext.Random(16)
		}
		out := &AuthorizeURLOutput{State: p.State}
		switch {
		case in.NoPKCE:
		case p.CodeChallenge == "":
			out.CodeVerifier = safetext.Random(32)
			p.CodeChallenge = safetext.S256(out.CodeVerifier)
			p.CodeChallengeMethod = "S256"
		case p.CodeChallengeMethod == "":
			p.CodeChallengeMethod = "S256"
		}
		out.CodeChallengeMethod = p.CodeChallengeMethod
		out.AuthorizationURL = tc.client.AuthorizeURL(p)
		if in.Check {
			check, err := tc.client.CheckAuthorize(ctx, p)
			if err != nil {
				return nil, err
			}
			if check.Location != "" {
				check.Location = redactURL(check.Location)
			}
			out.Check = check
		}
		return out, nil
	})
}

// errPlainChallenge refuses code_challenge_method=plain: the challenge is
// then the verifier itself, so whoever sees the authorize URL can redeem
// the code.
var errPlainChallenge = &telnyxapi.InvalidArgumentError{Field: "code_challenge_method", Reason: "plain is refused: " +
	"OAuth 2.1 requires S256 for public clients, since a plain challenge is the verifier itself; omit the method for S256 " + insecureOAuthOptOut}

// clientAuthInput is how a token or introspection call authenticates the
// OAuth client when not as the server's own client (if it has one). The
// schema says client_secret needs client_id (schema_gen_test.go).
type clientAuthInput struct {
	ClientID     string `json:"client_id,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Default: the server's own client, if any; alone for a public client."`
	ClientSecret string `json:"client_secret,omitempty" jsonschema:"maxLength=1024" jsonschema_description:"For a confidential client_id."`
}

func (a clientAuthInput) auth() telnyxapi.ClientAuth {
	return telnyxapi.ClientAuth{ClientID: a.ClientID, ClientSecret: a.ClientSecret}
}

// TokenInput is a token request. The schema says which grant needs which
// fields (schema_gen_test.go).
type TokenInput struct {
	GrantType    string `json:"grant_type" jsonschema:"enum=client_credentials,enum=authorization_code,enum=refresh_token"`
	Code         string `json:"code,omitempty" jsonschema:"maxLength=4096" jsonschema_description:"For authorization_code."`
	RedirectURI  string `json:"redirect_uri,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"For authorization_code: as in the authorize URL."`
	CodeVerifier string `json:"code_verifier,omitempty" jsonschema:"maxLength=128" jsonschema_description:"From build_oauth_authorize_url."`
	RefreshToken string `json:"refresh_token,omitempty" jsonschema:"maxLength=8192" jsonschema_description:"For refresh_token; it rotates."`
	Scope        string `json:"scope,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"Space-separated."`
	clientAuthInput
}

// TokenOutput is an issued token.
type TokenOutput struct {
	AccessToken  string `json:"access_token" secret:"true"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty" secret:"true"`
	Scope        string `json:"scope,omitempty"`
}

// ExchangeOAuthToken calls the token endpoint.
func ExchangeOAuthToken(d Deps) Tool {
	return define(d, spec{
		name: "exchange_oauth_token", title: "Exchange OAuth token", toolset: ToolsetProtocol, hints: additiveHints,
		verify:      "introspect_oauth_token on any token you hold; a used code cannot be exchanged again, so start a new authorization",
		description: "Get an access token from the token endpoint: client_credentials, authorization_code (with the PKCE verifier) or refresh_token. Never retried: codes are single-use and refresh tokens rotate.",
	}, func(ctx context.Context, tc *toolCall, in *TokenInput) (*TokenOutput, error) {
		tok, err := tc.client.ExchangeToken(ctx, telnyxapi.TokenRequest{
			GrantType: in.GrantType, Scope: in.Scope, Code: in.Code, RedirectURI: in.RedirectURI,
			CodeVerifier: in.CodeVerifier, RefreshToken: in.RefreshToken,
		}, in.auth())
		if err != nil {
			return nil, err
		}
		return &TokenOutput{AccessToken: tok.AccessToken, TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn, RefreshToken: tok.RefreshToken, Scope: tok.Scope}, nil
	})
}

// IntrospectInput names the token to check.
type IntrospectInput struct {
	Token string `json:"token" jsonschema:"minLength=1,maxLength=8192" jsonschema_description:"Access or refresh token."`
	clientAuthInput
}

// IntrospectOAuthToken asks whether a token is active.
func IntrospectOAuthToken(d Deps) Tool {
	return define(d, spec{
		name: "introspect_oauth_token", title: "Introspect OAuth token", toolset: ToolsetProtocol, hints: readHints,
		description: "Ask Telnyx whether a token is active (RFC 7662), and for its scope, client, issuer, audience and expiry. Changes nothing.",
	}, func(ctx context.Context, tc *toolCall, in *IntrospectInput) (*telnyxapi.IntrospectResponse, error) {
		return tc.client.Introspect(ctx, in.Token, in.auth())
	})
}

// RegisterInput is a dynamic client registration.
type RegisterInput struct {
	ClientName              string   `json:"client_name,omitempty" jsonschema:"maxLength=256"`
	RedirectURIs            []string `json:"redirect_uris,omitempty" jsonschema:"maxItems=20,uniqueItems=true" jsonschema_description:"https, or http on loopback; no fragment."`
	GrantTypes              []string `json:"grant_types,omitempty" jsonschema:"maxItems=3,uniqueItems=true,enum=authorization_code,enum=client_credentials,enum=refresh_token" jsonschema_description:"Default [authorization_code]."`
	ResponseTypes           []string `json:"response_types,omitempty" jsonschema:"maxItems=1,enum=code"`
	Scope                   string   `json:"scope,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"Space-separated."`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty" jsonschema:"enum=none,enum=client_secret_basic,enum=client_secret_post" jsonschema_description:"none for a public client (PKCE); default client_secret_basic."`
	LogoURI                 string   `json:"logo_uri,omitempty" jsonschema:"maxLength=2048" jsonschema_description:"https, like policy_uri and tos_uri."`
	PolicyURI               string   `json:"policy_uri,omitempty" jsonschema:"maxLength=2048"`
	TOSURI                  string   `json:"tos_uri,omitempty" jsonschema:"maxLength=2048"`
}

func (in *RegisterInput) validate() error {
	return firstErr(
		checkRedirectURIs("redirect_uris", in.RedirectURIs),
		checkWebURL("logo_uri", in.LogoURI),
		checkWebURL("policy_uri", in.PolicyURI),
		checkWebURL("tos_uri", in.TOSURI),
	)
}

// RegisterOutput is the registered client.
type RegisterOutput struct {
	ClientID                string   `json:"client_id"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecret            string   `json:"client_secret,omitempty" secret:"true" jsonschema_description:"Shown only now: store it safely."`
	ClientName              string   `json:"client_name,omitempty"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	RedirectURIs            []string `json:"redirect_uris,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
}

// RegisterOAuthClient registers a client dynamically.
func RegisterOAuthClient(d Deps) Tool {
	return define(d, spec{
		name: "register_oauth_client", title: "Register OAuth client (dynamic)", toolset: ToolsetProtocol, hints: additiveHints,
		verify:      "list_oauth_clients (filter by name)",
		description: "Register an OAuth client through dynamic client registration (RFC 7591), without an API key. For account-managed clients prefer create_oauth_client.",
	}, func(ctx context.Context, tc *toolCall, in *RegisterInput) (*RegisterOutput, error) {
		r, err := tc.client.Register(ctx, telnyxapi.RegisterRequest{
			ClientName: in.ClientName, RedirectURIs: in.RedirectURIs, GrantTypes: in.GrantTypes, ResponseTypes: in.ResponseTypes,
			Scope: in.Scope, TokenEndpointAuthMethod: in.TokenEndpointAuthMethod, LogoURI: in.LogoURI, PolicyURI: in.PolicyURI, TOSURI: in.TOSURI,
		})
		if err != nil {
			return nil, err
		}
		return &RegisterOutput{
			ClientID: r.ClientID, ClientIDIssuedAt: r.ClientIDIssuedAt, ClientSecret: r.ClientSecret, ClientName: r.ClientName,
			GrantTypes: r.GrantTypes, ResponseTypes: r.ResponseTypes, RedirectURIs: r.RedirectURIs, Scope: r.Scope,
			TokenEndpointAuthMethod: r.TokenEndpointAuthMethod,
		}, nil
	})
}

// ConsentTokenInput names a consent request. The token goes into a URL
// path even where the request carries it in a body, so its schema holds it
// to the path-value rule, capped at 900 characters: longer, it is a
// smuggling vector rather than a token (opaque tokens are a few dozen
// characters, and a signed JWT with the claims of one consent request fits
// well below it).
type ConsentTokenInput struct {
	ConsentToken string `json:"consent_token" jsonschema:"minLength=1,maxLength=900,pattern=^[A-Za-z0-9_~-]+(\\.[A-Za-z0-9_~-]+)*$" jsonschema_description:"From the consent page URL."`
}

// GetOAuthConsent describes a pending consent request.
func GetOAuthConsent(d Deps) Tool {
	return define(d, spec{
		name: "get_oauth_consent", title: "Get OAuth consent request", toolset: ToolsetProtocol, hints: readHints,
		description: "Describe a pending consent request: which client asks, whether it is verified, the scopes and the redirect_uri. Changes nothing.",
	}, func(ctx context.Context, tc *toolCall, in *ConsentTokenInput) (*telnyxapi.Consent, error) {
		return tc.client.GetConsent(ctx, in.ConsentToken)
	})
}

// SubmitConsentInput is the user's decision.
type SubmitConsentInput struct {
	ConsentTokenInput
	Allowed bool   `json:"allowed" jsonschema_description:"true allows, false denies."`
	Confirm string `json:"confirm,omitempty" jsonschema:"maxLength=256" jsonschema_description:"Only without elicitation: the client_id, once the user decided."`
}

// SubmitConsentOutput says what was recorded.
type SubmitConsentOutput struct {
	Submitted   bool   `json:"submitted"`
	Allowed     bool   `json:"allowed"`
	RedirectURI string `json:"redirect_uri,omitempty" jsonschema_description:"Where the user's browser goes next, with the code or the error."`
	Message     string `json:"message"`
}

// SubmitOAuthConsent records a consent decision after the user confirmed it.
func SubmitOAuthConsent(d Deps) Tool {
	return defineConfirmed(d, spec{
		name: "submit_oauth_consent", title: "Submit OAuth consent", toolset: ToolsetConsent, hints: hints{destructive: true, openWorld: true},
		verify:      "list_oauth_grants",
		description: "Record the user's consent decision (allow or deny) for a consent request: the consent button itself. The user must confirm, seeing the client, scopes and redirect_uri.",
	}, func(ctx context.Context, tc *toolCall, in *SubmitConsentInput) (*gated[SubmitConsentOutput], error) {
		verb := "Deny"
		if in.Allowed {
			verb = "Allow"
		}
		return &gated[SubmitConsentOutput]{
			confirm: in.Confirm, subject: in.ConsentToken + "\x00" + verb,
			fetch: func() (*target, error) {
				cs, err := tc.client.GetConsent(ctx, in.ConsentToken)
				if err != nil {
					return nil, err
				}
				scopes := make([]string, 0, len(cs.RequestedScopes))
				for _, s := range cs.RequestedScopes {
					scopes = append(scopes, s.ID)
				}
				verified := "no"
				if cs.Verified {
					verified = "yes"
				}
				return &target{
					id: cs.ClientID, action: verb + " OAuth consent",
					details: []string{
						"client: " + quote(cs.Name), "client_id: " + cs.ClientID, "verified: " + verified,
						"scopes: " + strings.Join(scopes, " "), "redirect_uri: " + cs.RedirectURI,
					},
					effect: "This records the user's decision; allowing gives the client access with these scopes.",
				}, nil
			},
			act: func() (*SubmitConsentOutput, error) {
				res, err := tc.client.SubmitConsent(ctx, in.ConsentToken, in.Allowed)
				if err != nil {
					return nil, err
				}
				redirect := res.RedirectURI
				if tc.deps.Secrets == SecretsRedact {
					redirect = redactURL(redirect)
				}
				return &SubmitConsentOutput{Submitted: true, Allowed: in.Allowed, RedirectURI: redirect, Message: "the decision was recorded; send the user's browser to redirect_uri"}, nil
			},
			declined: func(why string) *SubmitConsentOutput {
				return &SubmitConsentOutput{Allowed: in.Allowed, Message: why}
			},
		}, nil
	})
}
