package tools

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// Confirmer enforces human confirmation of destructive calls on the server
// side, since annotations are only hints a client may ignore.
//
// Where the client can elicit, the user is asked through it: the handler
// returns an input request naming the exact target (mcp-go sends it as an
// input_required result to 2026-07-28 clients and as elicitation/create to
// 2025-11-25 sessions). The request carries a signed requestState bound to
// the tool, the target, the caller and an expiry, so an answer cannot be
// replayed for another call. Where the client cannot elicit, the call must
// carry `confirm` equal to the target's id.
type Confirmer struct {
	enabled bool
	key     []byte
	ttl     time.Duration
	now     func() time.Time
}

// NewConfirmer returns a Confirmer. With enabled false every destructive
// call goes ahead (unattended automation); the annotations stay. A nil key
// is replaced by a random one: enough for one process, while replicas that
// share confirmations need a shared key.
func NewConfirmer(enabled bool, key []byte) *Confirmer {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &Confirmer{enabled: enabled, key: key, ttl: 10 * time.Minute, now: time.Now}
}

// WithClock makes the Confirmer read the time from now, which decides when
// a confirmation expires; tests of a whole server use it to expire one. It
// returns cf, and must be called before cf is in use.
func (cf *Confirmer) WithClock(now func() time.Time) *Confirmer {
	if now != nil {
		cf.now = now
	}
	return cf
}

type principalKey struct{}

// WithPrincipal records who is calling (a fingerprint of the caller's
// credential), so that a confirmation minted for one caller is refused for
// another.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

func principalFrom(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}

// target is what a destructive call acts on, as the user should see it.
type target struct {
	id      string   // what `confirm` must equal
	action  string   // "Delete OAuth client", for the question
	details []string // "name: Billing dashboard", …
	effect  string   // what cannot be undone
}

// confirmInput is the one-field form the user answers.
const confirmInput = "confirm"

var confirmSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		confirmInput: map[string]any{"type": "boolean", "title": "Confirm", "description": "Check to go ahead.", "default": false},
	},
	"required": []string{confirmInput},
}

// gated is a destructive action behind the user's confirmation, as a tool
// handler describes it to confirmed.
type gated[Out any] struct {
	confirm string // the call's `confirm` argument
	// subject binds an answer to this exact call: the target, and for an
	// update the new values.
	subject string
	// skip says this call needs no confirmation (an update that hands
	// nothing over).
	skip bool
	// fetch reads the target, only when the user has to be shown it.
	fetch func() (*target, error)
	// act does what the user approved.
	act func() (*Out, error)
	// declined is the output saying the user did not approve (why) and
	// nothing changed; when nil, a decline is an error result.
	declined func(why string) *Out
	// likelyDone is the output when act failed after an interrupted attempt
	// that most likely took effect (telnyxapi.LikelyDone); nil when the
	// action has no such case.
	likelyDone func() *Out
}

// confirmed owns the whole confirmation flow of a destructive call and
// returns its result. When confirmation is on, it verifies the user's
// answer to an earlier question, or else fetches the target and asks: by
// an input request where the client can elicit, otherwise by a preview
// that names the id the call must carry in `confirm`. Once approved (or
// with confirmation off) it acts, and reports the outcome, a likely
// outcome, or the decline.
func confirmed[Out any](ctx context.Context, tc *toolCall, g *gated[Out]) *mcp.CallToolResult {
	cf := tc.deps.Confirm
	if !g.skip && cf != nil && cf.enabled {
		if _, answered := server.InputResponse(tc.req.Params.InputResponses, confirmInput); answered {
			if err := cf.verify(tc.req.Params.RequestState, tc.spec.name, g.subject, principalFrom(ctx)); err != nil {
				return mcp.NewToolResultError("the confirmation could not be verified (" + err.Error() + "); nothing was changed. Call the tool again to ask anew.")
			}
			if why := refusal(server.ElicitationResponse(tc.req.Params.InputResponses, confirmInput)); why != "" {
				if g.declined == nil {
					return mcp.NewToolResultError(why)
				}
				return report(tc, g.declined(why), nil)
			}
		} else {
			t, err := g.fetch()
			if err != nil {
				return tc.deps.errorResult(tc.spec, err)
			}
			if ask := tc.question(ctx, g.confirm, g.subject, t); ask != nil {
				return ask
			}
		}
	}
	out, err := g.act()
	if err != nil && g.likelyDone != nil && telnyxapi.LikelyDone(err) {
		out, err = g.likelyDone(), nil
	}
	return report(tc, out, err)
}

// refusal says why an answer to the question does not approve the call,
// or "" when it does.
func refusal(ans *mcp.ElicitationResult) string {
	switch {
	case ans == nil:
		return "no answer was given; nothing was changed"
	case ans.Action == mcp.ElicitationResponseActionAccept && accepted(ans.Content):
		return ""
	case ans.Action == mcp.ElicitationResponseActionAccept:
		return "the user did not confirm; nothing was changed"
	default:
		return "the user chose " + string(ans.Action) + "; nothing was changed"
	}
}

// question asks the user about t: an input request where the client can
// elicit, else a preview that asks for `confirm`. It returns nil when the
// call already carries the target's id in `confirm`.
func (tc *toolCall) question(ctx context.Context, confirmArg, subject string, t *target) *mcp.CallToolResult {
	// The action and the details hold what the API said (a name, an id):
	// the user must read them as they are, without control, zero-width or
	// bidi characters (or line breaks that would forge lines of the
	// question).
	t.action, t.effect = safetext.Sanitize(t.action), safetext.Sanitize(t.effect)
	for i, d := range t.details {
		t.details[i] = safetext.Sanitize(d)
	}
	if supportsFormElicitation(ctx) {
		msg := t.action + "?\n" + strings.Join(t.details, "\n") + "\n" + t.effect
		state := tc.deps.Confirm.mint(tc.spec.name, subject, principalFrom(ctx))
		return server.NewInputRequestBuilder(state).Elicit(confirmInput, mcp.ElicitationParams{
			Mode:            mcp.ElicitationModeForm,
			Message:         msg,
			RequestedSchema: confirmSchema,
		}).ToolResult()
	}
	if t.id == "" {
		// Telnyx named no id for the target (every field of a consent is
		// optional): there is nothing `confirm` could match, and an empty
		// confirm must not match an empty id.
		return mcp.NewToolResultError(joinLines(
			"Confirmation required, but Telnyx's answer names no id for the target, so `confirm` cannot be checked against it; nothing was changed.",
			t.action+":",
			"  "+strings.Join(t.details, "\n  "),
			"Next: use a client that can ask the user directly (elicitation), or do this in the Telnyx portal."))
	}
	if confirmArg == t.id {
		return nil
	}
	lead := "Confirmation required: this client cannot ask the user directly, so nothing was changed."
	if confirmArg != "" {
		lead = "The confirm value does not match the target's id; nothing was changed."
	}
	return mcp.NewToolResultError(joinLines(lead,
		t.action+":",
		"  "+strings.Join(t.details, "\n  "),
		t.effect,
		`Next: show this to the user and ask. Only if they approve, call `+tc.spec.name+` again with the same arguments and "confirm": "`+safetext.Sanitize(t.id)+`".`))
}

func accepted(content any) bool {
	m, ok := content.(map[string]any)
	if !ok {
		return false
	}
	v, _ := m[confirmInput].(bool)
	return v
}

// supportsFormElicitation reports whether the client said it can show a
// form: from this request's _meta for 2026-07-28 clients, from the session's
// initialize for older ones. {} means form, per the spec.
func supportsFormElicitation(ctx context.Context) bool {
	var caps *mcp.ClientCapabilities
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		caps = info.ClientCapabilities
	} else if sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithClientInfo); ok {
		cc := sess.GetClientCapabilities()
		caps = &cc
	}
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

// statePayload is what a requestState carries, signed.
type statePayload struct {
	Tool      string `json:"t"`
	Subject   string `json:"s"` // sha256 of the call's subject
	Principal string `json:"p"` // sha256 of the caller
	Expires   int64  `json:"e"`
	Nonce     string `json:"n"`
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func (cf *Confirmer) mint(tool, subject, principal string) string {
	p, _ := json.Marshal(statePayload{
		Tool: tool, Subject: digest(subject), Principal: digest(principal),
		Expires: cf.now().Add(cf.ttl).Unix(), Nonce: safetext.Random(9),
	})
	body := base64.RawURLEncoding.EncodeToString(p)
	return body + "." + cf.sign(body)
}

func (cf *Confirmer) sign(body string) string {
	m := hmac.New(sha256.New, cf.key)
	m.Write([]byte("telnyx-oauth-mcp/confirm/v1\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a requestState: signature, tool, subject, caller, expiry.
func (cf *Confirmer) verify(state, tool, subject, principal string) error {
	body, sig, ok := strings.Cut(state, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(cf.sign(body))) {
		return errors.New("missing or altered request state")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return errors.New("malformed request state")
	}
	var p statePayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return errors.New("malformed request state")
	}
	switch {
	case p.Tool != tool || p.Subject != digest(subject):
		return errors.New("the confirmation was given for another call")
	case p.Principal != digest(principal):
		return errors.New("the confirmation was given to another caller")
	case cf.now().Unix() > p.Expires:
		return errors.New("the confirmation expired")
	}
	return nil
}
