package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// bucket is a token bucket: capacity calls at once, refilled at perSec.
// A zero perSec means no limit.
type bucket struct {
	tokens, capacity, perSec float64
	last                     time.Time
}

func newBucket(perMinute int, now time.Time) bucket {
	if perMinute <= 0 {
		return bucket{}
	}
	return bucket{tokens: float64(perMinute), capacity: float64(perMinute), perSec: float64(perMinute) / 60, last: now}
}

func (b *bucket) refill(now time.Time) {
	if b.perSec == 0 {
		return
	}
	b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSec)
	b.last = now
}

// wait is how long until one token is there; 0 when one is.
func (b *bucket) wait() time.Duration {
	if b.perSec == 0 || b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.perSec * float64(time.Second))
}

func (b *bucket) take() {
	if b.perSec != 0 {
		b.tokens--
	}
}

func (b *bucket) full() bool { return b.perSec == 0 || b.tokens >= b.capacity }

// callerState is one caller's rate limits and concurrency slots.
type callerState struct {
	mu       sync.Mutex
	all, mut bucket
	slots    chan struct{}
}

// allow takes a token from the caller's buckets (both, for a mutating
// call), or says how long to wait and which limit was hit.
func (cs *callerState) allow(mutating bool, now time.Time) (time.Duration, string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.all.refill(now)
	cs.mut.refill(now)
	wait, which := cs.all.wait(), "tool calls"
	if w := cs.mut.wait(); mutating && w > wait {
		wait, which = w, "calls of tools that change something"
	}
	if wait > 0 {
		return wait, which
	}
	cs.all.take()
	if mutating {
		cs.mut.take()
	}
	return 0, ""
}

func (cs *callerState) idle(now time.Time) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.all.refill(now)
	cs.mut.refill(now)
	return cs.all.full() && cs.mut.full() && len(cs.slots) == 0
}

// limits holds every caller's state. Callers that have been quiet long
// enough to be back at full allowance are forgotten, so the map stays
// bounded by the callers active within about a minute.
type limits struct {
	perMinute, mutatingPerMinute, concurrency int
	now                                       func() time.Time

	mu        sync.Mutex
	callers   map[string]*callerState
	lastPrune time.Time
}

const pruneAbove = 1024

func (l *limits) get(principal string) *callerState {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if cs, ok := l.callers[principal]; ok {
		return cs
	}
	if len(l.callers) >= pruneAbove && now.Sub(l.lastPrune) >= time.Second {
		l.lastPrune = now
		for p, cs := range l.callers {
			if cs.idle(now) {
				delete(l.callers, p)
			}
		}
	}
	cs := &callerState{
		all:   newBucket(l.perMinute, now),
		mut:   newBucket(l.mutatingPerMinute, now),
		slots: make(chan struct{}, l.concurrency),
	}
	l.callers[principal] = cs
	return cs
}

// readMiddleware puts resources/read, prompts/get and completion/complete,
// which reach Telnyx as read tools do, under the caller's rate limit and
// concurrency cap (counted as read-only calls).
func (s *Server) readMiddleware() (server.ResourceHandlerMiddleware, server.PromptHandlerMiddleware, tools.CompletionMiddleware) {
	return func(next server.ResourceHandlerFunc) server.ResourceHandlerFunc {
			return func(ctx context.Context, req mcp.ReadResourceRequest) (out []mcp.ResourceContents, err error) {
				if lerr := s.limit(ctx, false, func() { out, err = next(ctx, req) }); lerr != nil {
					return nil, lerr
				}
				return out, err
			}
		}, func(next server.PromptHandlerFunc) server.PromptHandlerFunc {
			return func(ctx context.Context, req mcp.GetPromptRequest) (out *mcp.GetPromptResult, err error) {
				if lerr := s.limit(ctx, false, func() { out, err = next(ctx, req) }); lerr != nil {
					return nil, lerr
				}
				return out, err
			}
		}, func(ctx context.Context, complete func() (*mcp.Completion, error)) (out *mcp.Completion, err error) {
			if lerr := s.limit(ctx, false, func() { out, err = complete() }); lerr != nil {
				return nil, lerr
			}
			return out, err
		}
}

// rateLimitedError says a request is over one of the caller's rate limits;
// which names it.
type rateLimitedError struct {
	secs  int
	which string
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("rate limited: too many requests from this caller; retry after %d s", e.secs)
}

// limit is the one place the per-caller limits are enforced, for tool
// calls, resource reads, prompts and completions alike: it takes a token
// from the caller's buckets (both, for a call that changes something),
// then runs fn holding one of the caller's concurrency slots. Otherwise it
// returns a *rateLimitedError, counted here as a rejection, or the
// context's error if the caller gave up while waiting for a slot; fn has
// not run.
func (s *Server) limit(ctx context.Context, mutating bool, fn func()) error {
	c := callerFrom(ctx)
	if c == nil { // never: the guard authenticates every request
		return errors.New("unauthenticated")
	}
	cs := s.limits.get(c.principal)
	if wait, which := cs.allow(mutating, s.now()); wait > 0 {
		s.metrics.reject("rate_limited")
		return &rateLimitedError{secs: int(math.Ceil(wait.Seconds())), which: which}
	}
	select {
	case cs.slots <- struct{}{}:
		defer func() { <-cs.slots }() // even if fn panics
		fn()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// toolMiddleware enforces the caller's rate limits and concurrency cap on
// every tool call, counts calls by outcome, and writes an audit line for
// every call of a tool that changes something.
func (s *Server) toolMiddleware(byName map[string]tools.Tool) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			start := s.now()
			name := req.Params.Name
			t := byName[name]
			mutating := !t.ReadOnly()
			c := callerFrom(ctx)
			if c == nil { // never: the guard authenticates every request
				return mcp.NewToolResultError("unauthenticated"), nil
			}

			var (
				res     *mcp.CallToolResult
				err     error
				outcome string
				limited *rateLimitedError
			)
			switch lerr := s.limit(ctx, mutating, func() { res, err = next(ctx, req) }); {
			case errors.As(lerr, &limited):
				res = mcp.NewToolResultError(fmt.Sprintf("rate limited: too many %s from this caller; retry after %d s. Nothing was done.", limited.which, limited.secs))
				outcome = "rate_limited"
			case lerr != nil:
				res, outcome = mcp.NewToolResultError("cancelled while waiting for one of this caller's other calls to finish; nothing was done"), "canceled"
			default:
				outcome = outcomeOf(res, err)
			}
			s.metrics.toolCall(name, outcome)
			if mutating {
				s.audit.write(auditRecord{
					Time:       start.UTC().Format(time.RFC3339Nano),
					Caller:     c.principal,
					Role:       c.role,
					Tool:       name,
					Kind:       tools.Kind(t, !s.cfg.DisableConfirmation),
					Target:     auditTarget(req, res),
					Outcome:    outcome,
					DurationMS: s.now().Sub(start).Milliseconds(),
				})
			}
			return res, err
		}
	}
}

func outcomeOf(res *mcp.CallToolResult, err error) string {
	switch {
	case err != nil:
		return "error"
	case res == nil:
		return "none"
	case res.IsError:
		return "error"
	case res.ResultType == mcp.ResultTypeInputRequired:
		return "input_required"
	}
	return "ok"
}

// auditRecord is one audit line. It names who did what to which object,
// and never carries arguments beyond that id, results, or credentials.
type auditRecord struct {
	Time       string `json:"time"`
	Caller     string `json:"caller"`
	Role       string `json:"role"`
	Tool       string `json:"tool"`
	Kind       string `json:"kind"`
	Target     string `json:"target,omitempty"`
	Outcome    string `json:"outcome"`
	DurationMS int64  `json:"duration_ms"`
}

type auditLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (a *auditLog) write(rec auditRecord) {
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, _ = a.w.Write(append(b, '\n'))
}

// auditTarget is the object a call acts on: the client or grant id from the
// arguments, or the id of the client a create or register made. Only these
// id fields are read: others (consent tokens, codes) are secrets.
func auditTarget(req mcp.CallToolRequest, res *mcp.CallToolResult) string {
	args := req.GetArguments()
	for _, k := range []string{"client_id", "grant_id"} {
		if v, ok := args[k].(string); ok && v != "" {
			return safetext.Clip(v, 128)
		}
	}
	if res == nil || res.IsError {
		return ""
	}
	// Tools give the JSON of their structuredContent as the first text
	// content (tools.Deps.structured): read the id from it, without
	// encoding the result again.
	if len(res.Content) == 0 {
		return ""
	}
	text, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		return ""
	}
	var out struct {
		ClientID string `json:"client_id"`
		Client   struct {
			ClientID string `json:"client_id"`
		} `json:"client"`
	}
	if json.Unmarshal([]byte(text.Text), &out) != nil {
		return ""
	}
	if out.Client.ClientID != "" {
		return safetext.Clip(out.Client.ClientID, 128)
	}
	return safetext.Clip(out.ClientID, 128)
}
