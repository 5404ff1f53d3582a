package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/jsonrpc"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Resource URIs and templates. Each is a read-only view of what a tool
// returns, for hosts that let the user attach context.
const (
	ResourceServerMetadata            = "telnyx-oauth://server-metadata"
	ResourceProtectedResourceMetadata = "telnyx-oauth://protected-resource-metadata"
	ResourceJWKS                      = "telnyx-oauth://jwks"
	TemplateClient                    = "telnyx-oauth://clients/{client_id}"
	TemplateGrant                     = "telnyx-oauth://grants/{id}"
)

// maxCompletions caps the values one completion/complete answer offers
// (the spec allows 100; a picker needs far fewer).
const maxCompletions = 50

// Extras returns the server options that add resources, resource
// templates, prompts and completions to a server made by NewServer, for the
// tools that were selected: each resource and prompt stands on a tool
// (telnyx-oauth://clients/{client_id} on get_oauth_client, and so on), so
// --toolsets, --tools and --read-only govern them too.
//
//	srv := tools.NewServer(version, selected, tools.Extras(deps, selected)...)
//
// Each completion runs through completionMW, first one outermost.
func Extras(d Deps, selected []Tool, completionMW ...CompletionMiddleware) []server.ServerOption {
	on := map[string]bool{}
	for _, t := range selected {
		on[t.Name()] = true
	}
	var opts []server.ServerOption
	res := resourceSet{d: d, on: on}
	if res.any() {
		opts = append(opts, server.WithResourceCapabilities(false, false), res.register())
	}
	pr := promptSet{d: d, on: on, caches: &jwksCaches{}}
	if pr.any() {
		opts = append(opts, server.WithPromptCapabilities(false), pr.register())
	}
	if res.completes() || pr.any() {
		c := completions{res: res, pr: pr, mw: completionMW}
		opts = append(opts,
			server.WithCompletions(),
			server.WithResourceCompletionProvider(c),
			server.WithPromptCompletionProvider(c),
		)
	}
	return opts
}

// CompletionMiddleware wraps every completion/complete answer, as
// server.ResourceHandlerMiddleware wraps resource reads: complete computes
// the answer (completing an id lists the account at Telnyx). mcp-go
// v1.2.1 has handler middleware for tools, resources and prompts only;
// completions come from providers (server.WithResourceCompletionProvider),
// which Extras wraps.
type CompletionMiddleware func(ctx context.Context, complete func() (*mcp.Completion, error)) (*mcp.Completion, error)

// completions answers completion/complete for resource templates and
// prompts, through the middleware.
type completions struct {
	res resourceSet
	pr  promptSet
	mw  []CompletionMiddleware
}

func (c completions) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	return c.run(ctx, func() (*mcp.Completion, error) { return c.res.CompleteResourceArgument(ctx, uri, arg, cc) })
}

func (c completions) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, cc mcp.CompleteContext) (*mcp.Completion, error) {
	return c.run(ctx, func() (*mcp.Completion, error) { return c.pr.CompletePromptArgument(ctx, prompt, arg, cc) })
}

func (c completions) run(ctx context.Context, complete func() (*mcp.Completion, error)) (*mcp.Completion, error) {
	for i := len(c.mw) - 1; i >= 0; i-- {
		mw, next := c.mw[i], complete
		complete = func() (*mcp.Completion, error) { return mw(ctx, next) }
	}
	return complete()
}

// resourceSet is the resources the selected tools allow.
type resourceSet struct {
	d  Deps
	on map[string]bool
}

// staticResource is a fixed document, served while the tool that fetches
// it is selected.
type staticResource struct {
	tool, uri, name, title, description string
	get                                 fetchFunc
}

var staticResources = []staticResource{
	{"get_oauth_server_metadata", ResourceServerMetadata, "server-metadata",
		"Telnyx OAuth authorization server metadata",
		"RFC 8414 metadata: endpoints, grant types, PKCE methods, scopes_supported, issuer.",
		func(ctx context.Context, api *telnyxapi.Client) (any, error) {
			return api.GetAuthorizationServerMetadata(ctx)
		}},
	{"get_oauth_protected_resource_metadata", ResourceProtectedResourceMetadata, "protected-resource-metadata",
		"Telnyx API protected resource metadata",
		"RFC 9728 metadata: the resource identifier and the authorization servers that issue tokens for it.",
		func(ctx context.Context, api *telnyxapi.Client) (any, error) {
			return api.GetProtectedResourceMetadata(ctx)
		}},
	{"get_oauth_jwks", ResourceJWKS, "jwks",
		"Telnyx OAuth JWKS",
		"The JSON Web Key Set whose public keys verify Telnyx-issued access tokens.",
		func(ctx context.Context, api *telnyxapi.Client) (any, error) { return api.GetJWKS(ctx) }},
}

// templateResource is one object by id, served while the tool that gets it
// is selected; its id completes from the account.
type templateResource struct {
	tool, uri, name, title, description, param, notFound string
	get                                                  func(ctx context.Context, api *telnyxapi.Client, id string) (any, error)
}

var templateResources = []templateResource{
	{"get_oauth_client", TemplateClient, "oauth-client", "Telnyx OAuth client",
		"One OAuth client of the account by client_id (its secret is never shown). client_id completes from the account.",
		"client_id", "use list_oauth_clients, or completion, to find the client_id",
		func(ctx context.Context, api *telnyxapi.Client, id string) (any, error) {
			return withoutSecret(api.GetClient(ctx, id))
		}},
	{"get_oauth_grant", TemplateGrant, "oauth-grant", "Telnyx OAuth grant",
		"One OAuth grant by id: client, scopes, last use. id completes from the account.",
		"id", "use list_oauth_grants, or completion, to find the grant id",
		func(ctx context.Context, api *telnyxapi.Client, id string) (any, error) { return api.GetGrant(ctx, id) }},
}

func (r resourceSet) any() bool {
	for _, sr := range staticResources {
		if r.on[sr.tool] {
			return true
		}
	}
	return r.completes()
}

func (r resourceSet) completes() bool {
	for _, tr := range templateResources {
		if r.on[tr.tool] {
			return true
		}
	}
	return false
}

// register is a server option that adds the resources. Options run inside
// NewMCPServer, so the server has them before it serves anything.
func (r resourceSet) register() server.ServerOption {
	return func(s *server.MCPServer) {
		for _, sr := range staticResources {
			if r.on[sr.tool] {
				s.AddResource(mcp.NewResource(sr.uri, sr.name, mcp.WithResourceTitle(sr.title),
					mcp.WithResourceDescription(sr.description), mcp.WithMIMEType("application/json")),
					r.static(sr.uri, sr.get))
			}
		}
		for _, tr := range templateResources {
			if r.on[tr.tool] {
				s.AddResourceTemplate(mcp.NewResourceTemplate(tr.uri, tr.name, mcp.WithTemplateTitle(tr.title),
					mcp.WithTemplateDescription(tr.description), mcp.WithTemplateMIMEType("application/json")),
					r.templated(tr.param, tr.notFound, tr.get))
			}
		}
	}
}

type fetchFunc func(ctx context.Context, api *telnyxapi.Client) (any, error)

func (r resourceSet) static(uri string, get fetchFunc) server.ResourceHandlerFunc {
	return guard(r.d, uri, func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		api, err := r.d.Client(ctx)
		if err != nil {
			return nil, r.d.readError(ctx, uri, "", err)
		}
		v, err := get(ctx, api)
		if err != nil {
			return nil, r.d.readError(ctx, uri, "", err)
		}
		return r.contents(req.Params.URI, v)
	})
}

// templated reads one resource of a template. The id comes from the URI,
// percent-decoded; the client validates it as a path segment before any
// URL is built, as it does for the tools.
func (r resourceSet) templated(param, notFound string, get func(ctx context.Context, api *telnyxapi.Client, id string) (any, error)) server.ResourceTemplateHandlerFunc {
	return guard(r.d, "resource template "+param, func(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		id := templateArg(req.Params.Arguments, param)
		if err := telnyxapi.CheckPathValue(param, id, telnyxapi.MaxIDLength); err != nil {
			return nil, r.d.readError(ctx, req.Params.URI, notFound, err)
		}
		api, err := r.d.Client(ctx)
		if err != nil {
			return nil, r.d.readError(ctx, req.Params.URI, notFound, err)
		}
		v, err := get(ctx, api, id)
		if err != nil {
			return nil, r.d.readError(ctx, req.Params.URI, notFound, err)
		}
		return r.contents(req.Params.URI, v)
	})
}

// contents sanitizes v like a tool result and returns it as JSON.
func (r resourceSet) contents(uri string, v any) ([]mcp.ResourceContents, error) {
	shape(reflect.ValueOf(v), r.d.Secrets == SecretsRedact, false)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, errors.New("internal error: encoding the resource")
	}
	if b.Len() > maxResultBytes {
		return nil, fmt.Errorf("the resource is %d KiB, more than the %d KiB a result may be", b.Len()>>10, maxResultBytes>>10)
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: b.String()}}, nil
}

// templateArg reads a URI template variable as mcp-go hands it over: the
// matched values as a list.
func templateArg(args map[string]any, name string) string {
	switch v := args[name].(type) {
	case string:
		return v
	case []string:
		if len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

// resourceError maps a failure to the message a client sees, with the same
// wording (and the same care about what leaks) as tool errors.
func (d Deps) resourceError(uri, notFound string, err error) error {
	res := d.errorResult(&spec{name: "reading " + safetext.Sanitize(uri), notFound: notFound}, err)
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return errors.New(strings.Join(parts, " "))
}

// readError is resourceError for resources/read, with the protocol code
// the failure deserves: a malformed id in the URI is -32602 (nothing was
// asked of Telnyx), a resource Telnyx does not have is "resource not
// found" in the request's protocol version; anything else stays -32603.
func (d Deps) readError(ctx context.Context, uri, notFound string, err error) error {
	text := d.resourceError(uri, notFound, err).Error()
	var invalid *telnyxapi.InvalidArgumentError
	var apiErr *telnyxapi.APIError
	switch {
	case errors.As(err, &invalid):
		return jsonrpc.InvalidParams(text)
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound:
		return jsonrpc.ResourceNotFound(server.IsModernRequest(ctx), text)
	}
	return errors.New(text)
}

// CompleteResourceArgument offers ids for the templates' variables: the
// account's client_ids and grant ids that start with what was typed, from
// the first page (100) of the list, at most maxCompletions of them.
func (r resourceSet) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (c *mcp.Completion, err error) {
	defer recoverInto(r.d, "completion", &err)
	if arg.Value != "" && telnyxapi.CheckPathValue("id", arg.Value+"x", telnyxapi.MaxIDLength) != nil {
		// No valid id starts like this: nothing to ask Telnyx.
		return &mcp.Completion{Values: []string{}}, nil
	}
	var ids []string
	var more bool
	switch {
	case uri == TemplateClient && arg.Name == "client_id" && r.on["get_oauth_client"]:
		api, err := r.d.Client(ctx)
		if err != nil {
			return nil, r.d.resourceError(uri, "", err)
		}
		list, err := api.ListClients(ctx, telnyxapi.ListClientsParams{Page: telnyxapi.PageParams{Number: 1, Size: telnyxapi.MaxPageSize}})
		if err != nil {
			return nil, r.d.resourceError(uri, "", err)
		}
		for _, c := range list.Data {
			ids = append(ids, c.ClientID)
		}
		more = list.Meta.HasMore()
	case uri == TemplateGrant && arg.Name == "id" && r.on["get_oauth_grant"]:
		api, err := r.d.Client(ctx)
		if err != nil {
			return nil, r.d.resourceError(uri, "", err)
		}
		list, err := api.ListGrants(ctx, telnyxapi.PageParams{Number: 1, Size: telnyxapi.MaxPageSize})
		if err != nil {
			return nil, r.d.resourceError(uri, "", err)
		}
		for _, g := range list.Data {
			ids = append(ids, g.ID)
		}
		more = list.Meta.HasMore()
	default:
		return &mcp.Completion{Values: []string{}}, nil
	}
	return completion(ids, arg.Value, more), nil
}

// completion keeps the candidates that start with prefix (ignoring case)
// and could be read back (valid path values), capped at maxCompletions.
func completion(candidates []string, prefix string, more bool) *mcp.Completion {
	values := []string{}
	for _, c := range candidates {
		if telnyxapi.CheckPathValue("id", c, telnyxapi.MaxIDLength) != nil {
			continue
		}
		if strings.HasPrefix(strings.ToLower(c), strings.ToLower(prefix)) {
			values = append(values, c)
		}
	}
	slices.Sort(values)
	values = slices.Compact(values)
	total := len(values)
	if len(values) > maxCompletions {
		values = values[:maxCompletions]
	}
	return &mcp.Completion{Values: values, Total: total, HasMore: more || total > len(values)}
}

// guard turns a panic in a resource or prompt handler into an error with a
// reference to the log line, as define does for tools: the server keeps
// running whatever the transport.
func guard[Req, Res any](d Deps, name string, h func(context.Context, Req) (Res, error)) func(context.Context, Req) (Res, error) {
	return func(ctx context.Context, req Req) (res Res, err error) {
		defer recoverInto(d, name, &err)
		return h(ctx, req)
	}
}

func recoverInto(d Deps, name string, err *error) {
	if p := recover(); p != nil {
		ref := newRef()
		d.logger().Error("handler panicked", "handler", name, "ref", ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		*err = fmt.Errorf("internal error in %s (reference %s); the server keeps running", safetext.Sanitize(name), ref)
	}
}
