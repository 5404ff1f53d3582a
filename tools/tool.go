// Package tools turns each Telnyx OAuth operation into one MCP tool: its
// definition (input and output schemas generated from Go structs, every
// annotation set), and a handler that validates the arguments, asks for
// confirmation where the call is destructive, calls the thin client, and
// returns a structured result or an error the model can act on.
package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Toolset names, as --toolsets takes them.
const (
	ToolsetDiscovery = "discovery"
	ToolsetProtocol  = "protocol"
	ToolsetClients   = "clients"
	ToolsetGrants    = "grants"
	ToolsetConsent   = "consent"
)

// ClientFunc returns the Telnyx client for the call in ctx. Over stdio it is
// always the same client; a shared HTTP server returns one per caller.
type ClientFunc func(ctx context.Context) (*telnyxapi.Client, error)

// SecretsPolicy says how secrets that are the point of a call (a new
// client's secret, issued tokens, a PKCE verifier) appear in results.
type SecretsPolicy string

// The policies --secrets takes.
const (
	SecretsShow   SecretsPolicy = "show"
	SecretsRedact SecretsPolicy = "redact"
)

// Deps is what every tool handler needs.
type Deps struct {
	Client  ClientFunc
	Confirm *Confirmer
	Secrets SecretsPolicy
	Logger  *slog.Logger
	// Credentials says where the credentials of Telnyx calls come from, so
	// that an error names what its reader can change.
	Credentials CredentialSource
	// AllowInsecureOAuth lets public clients go without PKCE and authorize
	// URLs use code_challenge_method=plain (--allow-insecure-oauth), for
	// accounts that must serve old clients. Off, OAuth 2.1's rule holds:
	// a public client proves itself only by PKCE with S256.
	AllowInsecureOAuth bool
}

// Tool is one MCP tool: the definition tools/list shows, its handler, and
// the toolset that switches it on.
type Tool struct {
	Definition mcp.Tool
	Handler    server.ToolHandlerFunc
	Toolset    string
	// Confirms says the tool asks the user before it acts (unless
	// --confirm-destructive=false).
	Confirms bool

	// inType and outType are the Go types the schemas are generated from.
	inType, outType reflect.Type
}

// Name is the tool's name.
func (t Tool) Name() string { return t.Definition.Name }

// ReadOnly reports whether the tool changes nothing.
func (t Tool) ReadOnly() bool {
	return t.Definition.Annotations.ReadOnlyHint != nil && *t.Definition.Annotations.ReadOnlyHint
}

// Kind says in a word what a tool does to the account: read-only,
// additive, or destructive, and "confirmed" when the user confirms it,
// which only holds while confirmation is on (off with
// --confirm-destructive=false).
func Kind(t Tool, confirming bool) string {
	a := t.Definition.Annotations
	switch {
	case t.ReadOnly():
		return "read-only"
	case a.DestructiveHint != nil && *a.DestructiveHint && t.Confirms && confirming:
		return "destructive, confirmed"
	case a.DestructiveHint != nil && *a.DestructiveHint:
		return "destructive"
	default:
		return "additive"
	}
}

// hints are the four behaviour annotations; every tool states all four,
// since mcp-go would otherwise advertise a read as destructive.
type hints struct {
	readOnly, destructive, idempotent, openWorld bool
}

var (
	readHints     = hints{readOnly: true, idempotent: true, openWorld: true}
	additiveHints = hints{openWorld: true}
	// destructiveHints is for calls that delete, revoke or overwrite;
	// repeating them has no further effect.
	destructiveHints = hints{destructive: true, idempotent: true, openWorld: true}
)

// spec is everything about a tool except its types and handler.
type spec struct {
	name        string
	title       string
	description string
	toolset     string
	hints       hints
	// notFound is the hint given with a 404, e.g. which list tool finds ids.
	notFound string
	// verify tells how to check whether a call with an unknown outcome took
	// effect, e.g. "list_oauth_clients".
	verify string
}

// toolCall is what a handler gets besides its arguments.
type toolCall struct {
	deps   Deps
	spec   *spec
	client *telnyxapi.Client
	req    mcp.CallToolRequest
}

// validator is implemented by inputs with rules a JSON schema cannot say.
type validator interface{ validate() error }

// define builds a Tool from its spec, input and output types, and the
// function that does the work.
func define[In, Out any](d Deps, s spec, run func(ctx context.Context, tc *toolCall, in *In) (*Out, error)) Tool {
	return build[In, Out](d, s, false, func(ctx context.Context, tc *toolCall, in *In) *mcp.CallToolResult {
		out, err := run(ctx, tc, in)
		return report(tc, out, err)
	})
}

// defineConfirmed builds a Tool whose action the user confirms first.
// gate checks the arguments and describes the action; confirmed runs the
// whole flow.
func defineConfirmed[In, Out any](d Deps, s spec, gate func(ctx context.Context, tc *toolCall, in *In) (*gated[Out], error)) Tool {
	return build[In, Out](d, s, true, func(ctx context.Context, tc *toolCall, in *In) *mcp.CallToolResult {
		g, err := gate(ctx, tc, in)
		if err != nil {
			return tc.deps.errorResult(tc.spec, err)
		}
		return confirmed(ctx, tc, g)
	})
}

// report is the result of a call that returned out or failed with err.
func report[Out any](tc *toolCall, out *Out, err error) *mcp.CallToolResult {
	if err != nil {
		return tc.deps.errorResult(tc.spec, err)
	}
	return tc.deps.structured(out)
}

// build makes the Tool. The handler it makes validates arguments against
// the advertised schema and the input's own rules before any upstream
// call, recovers panics into error results, and shapes the output: strings
// from the API are sanitized, and secrets are masked when the policy says
// so.
func build[In, Out any](d Deps, s spec, confirms bool, run func(ctx context.Context, tc *toolCall, in *In) *mcp.CallToolResult) Tool {
	inType, outType := reflect.TypeFor[In](), reflect.TypeFor[Out]()
	input, output := schemaOf(inputRole, inType), schemaOf(outputRole, outType)
	if input == nil {
		input = placeholderSchema // All refuses the tool (generated)
	}
	if output == nil {
		output = placeholderSchema
	}
	def := mcp.NewToolWithRawSchema(s.name, s.description, input)
	def.Title = s.title
	def.RawOutputSchema = output
	// The title is the tool's own (Tool.title, which clients show first);
	// annotations.title would only repeat it.
	def.Annotations = mcp.ToolAnnotation{
		ReadOnlyHint:    mcp.ToBoolPtr(s.hints.readOnly),
		DestructiveHint: mcp.ToBoolPtr(s.hints.destructive),
		IdempotentHint:  mcp.ToBoolPtr(s.hints.idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(s.hints.openWorld),
	}
	args := newArgValidator(input)
	sp := &s

	handler := func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				ref := newRef()
				d.logger().Error("tool handler panicked", "tool", s.name, "ref", ref, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				res, err = mcp.NewToolResultError(fmt.Sprintf("internal error in %s (reference %s); nothing more is known, the server keeps running", s.name, ref)), nil
			}
			d.logCall(ctx, s.name, res, time.Since(start))
		}()

		in, err := decodeArguments[In](args, rawArguments(req))
		if err != nil {
			return invalidArgs(err), nil
		}
		client, err := d.Client(ctx)
		if err != nil {
			return d.errorResult(sp, err), nil
		}
		return run(ctx, &toolCall{deps: d, spec: sp, client: client, req: req}, in), nil
	}
	return Tool{Definition: def, Handler: handler, Toolset: s.toolset, Confirms: confirms,
		inType: inType, outType: outType}
}

// decodeArguments checks a call's arguments against the advertised schema,
// decodes them strictly into In, and applies In's own rules.
func decodeArguments[In any](v *argValidator, raw []byte) (*In, error) {
	if err := v.validate(raw); err != nil {
		return nil, err
	}
	in := new(In)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return nil, err
	}
	if rules, ok := any(in).(validator); ok {
		if err := rules.validate(); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// rawArguments returns the call's arguments as JSON, {} when absent.
func rawArguments(req mcp.CallToolRequest) []byte {
	if len(req.Params.RawArguments) > 0 && !bytes.Equal(bytes.TrimSpace(req.Params.RawArguments), []byte("null")) {
		return req.Params.RawArguments
	}
	if req.Params.Arguments == nil {
		return []byte("{}")
	}
	b, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return []byte("null")
	}
	return b
}

func (d Deps) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// logCall records the outcome of a call: the tool, whether it failed, and
// how long it took. Never the arguments or the result: they may hold
// secrets.
func (d Deps) logCall(ctx context.Context, tool string, res *mcp.CallToolResult, took time.Duration) {
	l := d.logger()
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	outcome := "ok"
	switch {
	case res == nil:
		outcome = "none"
	case res.IsError:
		outcome = "error"
	case res.ResultType == mcp.ResultTypeInputRequired:
		outcome = "input_required"
	}
	l.LogAttrs(ctx, slog.LevelDebug, "tool call", slog.String("tool", tool), slog.String("outcome", outcome), slog.Duration("took", took))
}
