// Package faultinject puts scripted faults in front of the Telnyx fake, as a misbehaving
// gateway in front of the live API would: error statuses, HTML error pages, hangs, resets,
// trickling and oversized bodies, per operation. Tests use it; no command imports it, so the
// sandbox and the server binary run the plain fake.
package faultinject

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// Fault replaces the real behaviour for one request. It receives the response writer, the
// request (its body still readable) and the real handler, which it may call (Delay) or run for
// its side effects only (ResetAfterApply). Faults run after the fake has recorded the request
// and before authentication, as a gateway in front of the API would.
type Fault func(w http.ResponseWriter, r *http.Request, real http.Handler)

// Gateway is a telnyxfake.Gateway that replays queued faults per operation.
type Gateway struct {
	mu      sync.Mutex
	queues  map[string][]Fault
	running int // faults serving a request now
}

// Serve runs the next queued fault of op, or the real behaviour when none is queued.
func (g *Gateway) Serve(op string, w http.ResponseWriter, r *http.Request, api http.Handler) {
	fault := g.next(op)
	if fault == nil {
		api.ServeHTTP(w, r)
		return
	}
	defer func() {
		g.mu.Lock()
		g.running--
		g.mu.Unlock()
	}()
	fault(w, r, api)
}

// next pops the next fault of op and counts it as running; nil means run the real behaviour.
func (g *Gateway) next(op string) Fault {
	if op == "" {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.queues[op]
	if len(q) == 0 {
		return nil
	}
	g.queues[op] = q[1:]
	if q[0] != nil {
		g.running++
	}
	return q[0]
}

// Inject queues faults for an operation (see the telnyxfake Op constants). Each request for
// that operation consumes the next fault in order; once the queue is empty the real behaviour
// runs again. A nil Fault in the queue lets one request through untouched. Inject panics on an
// unknown operation name, so a typo fails the test instead of silently never firing.
func (g *Gateway) Inject(operation string, faults ...Fault) {
	if known := telnyxfake.Operations(); !slices.Contains(known, operation) {
		panic("faultinject: Inject: unknown operation " + strconv.Quote(operation) + "; known: " + strings.Join(known, ", "))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.queues[operation] = append(g.queues[operation], faults...)
}

// PendingFaults reports how many injected faults are still queued for an operation, so a test
// can check that every scripted fault was really hit.
func (g *Gateway) PendingFaults(operation string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queues[operation])
}

// Running reports how many faults are serving a request now, so a test can prove that a fault
// gave up once its client left.
func (g *Gateway) Running() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}

func newGateway() *Gateway {
	return &Gateway{queues: map[string][]Fault{}}
}

// Server is a telnyxfake.Server with a Gateway in front of its API.
type Server struct {
	*telnyxfake.Server
	*Gateway
}

// Listen starts a fake as telnyxfake.Listen does, with a Gateway in front of its API.
func Listen(opts telnyxfake.Options) (*Server, error) {
	g := newGateway()
	opts.Gateway = g
	srv, err := telnyxfake.Listen(opts)
	if err != nil {
		return nil, err
	}
	return &Server{Server: srv, Gateway: g}, nil
}

// Fake is a telnyxfake.Fake with a Gateway in front of its API, for a test that mounts the
// handler on a listener of its own.
type Fake struct {
	*telnyxfake.Fake
	*Gateway
}

// New builds a fake as telnyxfake.New does, with a Gateway in front of its API.
func New(opts telnyxfake.Options) *Fake {
	g := newGateway()
	opts.Gateway = g
	return &Fake{Fake: telnyxfake.New(opts), Gateway: g}
}
