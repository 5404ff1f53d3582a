package httpserver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// Sessions exist only for 2025-11-25 clients of a stateful server: the
// 2026-07-28 protocol has none, and a stateless server never mints them.
// mcp-go's own stateful manager is neither bound to the caller nor bounded
// (its set of terminated ids only grows), so this store replaces it: every
// id is random, belongs to the principal that created it, expires when idle
// and counts against a cap.

var (
	errSessionUnknown = errors.New("unknown or expired session")
	errSessionForeign = errors.New("session belongs to another caller")
)

type session struct {
	principal string
	last      time.Time
}

type sessionStore struct {
	max, perCaller int
	ttl            time.Duration
	now            func() time.Time

	mu        sync.Mutex
	byID      map[string]*session
	owned     map[string]int // live sessions per principal
	lastSweep time.Time
}

func newSessionStore(max, perCaller int, ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{max: max, perCaller: perCaller, ttl: ttl, now: now, byID: map[string]*session{}, owned: map[string]int{}}
}

// newSessionID returns 192 random bits, URL-safe: visible ASCII as the spec
// asks, and unguessable, though an id is never taken as authentication.
func newSessionID() string {
	return safetext.Random(24)
}

// create starts a session for principal, unless the cap, or principal's
// share of it, is reached.
func (st *sessionStore) create(principal string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	full := func() bool { return len(st.byID) >= st.max || st.owned[principal] >= st.perCaller }
	if full() {
		st.sweepLocked(now)
		if full() {
			return "", false
		}
	}
	id := newSessionID()
	st.byID[id] = &session{principal: principal, last: now}
	st.owned[principal]++
	return id, true
}

// deleteLocked removes a session and its count.
func (st *sessionStore) deleteLocked(id string) {
	s, ok := st.byID[id]
	if !ok {
		return
	}
	delete(st.byID, id)
	if st.owned[s.principal]--; st.owned[s.principal] <= 0 {
		delete(st.owned, s.principal)
	}
}

// check finds a live session of principal and marks it used.
func (st *sessionStore) check(id, principal string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[id]
	now := st.now()
	switch {
	case !ok:
		return errSessionUnknown
	case now.Sub(s.last) > st.ttl:
		st.deleteLocked(id)
		return errSessionUnknown
	case s.principal != principal:
		return errSessionForeign
	}
	s.last = now
	return nil
}

func (st *sessionStore) owner(id string) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.byID[id]; ok {
		return s.principal
	}
	return ""
}

func (st *sessionStore) remove(id string) {
	st.mu.Lock()
	st.deleteLocked(id)
	st.mu.Unlock()
}

// live counts the sessions not yet idle past the TTL.
func (st *sessionStore) live() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if now.Sub(st.lastSweep) >= time.Second {
		st.sweepLocked(now)
	}
	return len(st.byID)
}

func (st *sessionStore) sweepLocked(now time.Time) {
	st.lastSweep = now
	for id, s := range st.byID {
		if now.Sub(s.last) > st.ttl {
			st.deleteLocked(id)
		}
	}
}

// reservedKey carries the id the guard reserved for an initialize request,
// so that the cap is checked and the id bound before mcp-go runs.
type reservedKey struct{}

func withReservedSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, reservedKey{}, id)
}

// checkedKey carries the id of the session the guard has just checked for
// this request's caller, so that mcp-go's own validation of the same id
// does not check it a second time.
type checkedKey struct{}

func withCheckedSession(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, checkedKey{}, id)
}

// sessionResolver gives mcp-go a session manager bound to the request's
// caller.
type sessionResolver struct{ store *sessionStore }

func (sr sessionResolver) ResolveSessionIdManager(r *http.Request) server.SessionIdManager {
	if r == nil { // mcp-go's idle sweeper and shutdown
		return &boundSessions{store: sr.store, any: true}
	}
	b := &boundSessions{store: sr.store}
	if c := callerFrom(r.Context()); c != nil {
		b.principal = c.principal
	}
	b.reserved, _ = r.Context().Value(reservedKey{}).(string)
	b.checked, _ = r.Context().Value(checkedKey{}).(string)
	return b
}

// boundSessions is the SessionIdManager of one request (or, with any set,
// of the server itself).
type boundSessions struct {
	store     *sessionStore
	principal string
	reserved  string
	checked   string
	any       bool
}

func (b *boundSessions) Generate() string {
	if b.reserved != "" {
		return b.reserved
	}
	// Not reached through the guard, which reserves every id; kept safe
	// anyway: the id is bound like any other.
	id, ok := b.store.create(b.principal)
	if !ok {
		return ""
	}
	return id
}

func (b *boundSessions) Validate(id string) (bool, error) {
	if id != "" && id == b.checked {
		return false, nil
	}
	return false, b.store.check(id, b.principal)
}

func (b *boundSessions) Terminate(id string) (bool, error) {
	if !b.any {
		if owner := b.store.owner(id); owner != "" && owner != b.principal {
			return true, nil
		}
	}
	b.store.remove(id)
	return false, nil
}
