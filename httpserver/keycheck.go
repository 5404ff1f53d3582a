package httpserver

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// In key mode a caller's bearer is its Telnyx key, and only Telnyx knows
// whether a key is real. Before a key may open a session or run a tool it
// is checked with one cheap read at Telnyx (the first page, of one entry,
// of the account's OAuth clients), and the verdict is remembered for a
// while by the key's hash, so that a real caller pays for one check, not
// one per request. Checks of keys not yet known are limited per remote
// address: a flood of made-up keys becomes a bounded trickle of requests
// to Telnyx, and never a session.

// Defaults of the key check, for Config fields left zero.
const (
	DefaultKeyAcceptedTTL = 5 * time.Minute
	// DefaultKeyRefusedTTL is shorter: a key just created at Telnyx should
	// not stay refused for long.
	DefaultKeyRefusedTTL = 30 * time.Second
	// DefaultKeyChecksPerSecond is per remote address, with a burst of as
	// many.
	DefaultKeyChecksPerSecond = 5
	DefaultKeyCacheSize       = 10000
	// keyCheckTimeout bounds one check, whatever the client's timeouts.
	keyCheckTimeout = 10 * time.Second
)

// keyVerdict is what the key check decided.
type keyVerdict int

const (
	keyAccepted keyVerdict = iota + 1
	keyRefused
)

// keyChecksLimitedError says the address has used its checks for now.
type keyChecksLimitedError struct{ wait time.Duration }

func (e *keyChecksLimitedError) Error() string {
	return fmt.Sprintf("too many unverified credentials from this address; retry after %d s", e.secs())
}

func (e *keyChecksLimitedError) secs() int { return max(1, int(math.Ceil(e.wait.Seconds()))) }

type cachedVerdict struct {
	verdict keyVerdict
	until   time.Time
}

// pendingCheck is a check in progress; requests with the same key wait for
// it rather than starting their own.
type pendingCheck struct {
	done    chan struct{}
	verdict keyVerdict
	err     error
}

// keyChecker asks Telnyx about keys and remembers the answers.
type keyChecker struct {
	// ask makes the upstream check: nil when Telnyx accepted the key.
	ask                  func(ctx context.Context, key string) error
	acceptedTTL, refused time.Duration
	perSecond, cacheSize int
	now                  func() time.Time
	base                 context.Context // ends at shutdown

	mu        sync.Mutex
	verdicts  map[[sha256.Size]byte]cachedVerdict
	pending   map[[sha256.Size]byte]*pendingCheck
	addrs     map[string]*bucket // checks left per remote address
	lastPrune time.Time
}

func newKeyChecker(cfg Config, base context.Context) *keyChecker {
	return &keyChecker{
		ask:         cfg.Client.CheckAPIKey,
		acceptedTTL: cfg.KeyAcceptedTTL, refused: cfg.KeyRefusedTTL,
		perSecond: cfg.KeyChecksPerSecond, cacheSize: cfg.KeyCacheSize,
		now: cfg.Now, base: base,
		verdicts: map[[sha256.Size]byte]cachedVerdict{},
		pending:  map[[sha256.Size]byte]*pendingCheck{},
		addrs:    map[string]*bucket{},
	}
}

// verify returns the verdict on key, asking Telnyx when none is
// remembered; addr is the remote address that pays for a check. The error
// is a *keyChecksLimitedError, the context's, or why Telnyx gave no
// verdict (a telnyxapi error, which names no credential).
func (k *keyChecker) verify(ctx context.Context, key, addr string) (keyVerdict, error) {
	sum := sha256.Sum256([]byte(key))
	k.mu.Lock()
	now := k.now()
	if v, ok := k.verdicts[sum]; ok && now.Before(v.until) {
		k.mu.Unlock()
		return v.verdict, nil
	}
	p, ok := k.pending[sum]
	if !ok {
		if wait := k.takeCheck(addr, now); wait > 0 {
			k.mu.Unlock()
			return 0, &keyChecksLimitedError{wait: wait}
		}
		p = &pendingCheck{done: make(chan struct{})}
		k.pending[sum] = p
		go k.run(sum, key, p)
	}
	k.mu.Unlock()
	select {
	case <-p.done:
		return p.verdict, p.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run makes one check, detached from the request that started it (others
// may be waiting for it), and records its verdict.
func (k *keyChecker) run(sum [sha256.Size]byte, key string, p *pendingCheck) {
	ctx, cancel := context.WithTimeout(k.base, keyCheckTimeout)
	defer cancel()
	err := k.ask(ctx, key)
	var apiErr *telnyxapi.APIError
	switch {
	case err == nil:
		p.verdict = keyAccepted
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized:
		p.verdict = keyRefused
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden:
		// Telnyx knows the key; it may only not list OAuth clients. Each
		// tool call is still decided by Telnyx with that key.
		p.verdict = keyAccepted
	default:
		// No verdict: Telnyx failed, timed out or limited the check.
		// Nothing is remembered; the error goes to the log (keyKnown).
		p.err = err
	}
	k.mu.Lock()
	delete(k.pending, sum)
	if p.err == nil {
		ttl := k.acceptedTTL
		if p.verdict == keyRefused {
			ttl = k.refused
		}
		k.remember(sum, cachedVerdict{verdict: p.verdict, until: k.now().Add(ttl)})
	}
	k.mu.Unlock()
	close(p.done)
}

// remember stores a verdict within the cache's bound: expired verdicts go
// first, then any others (a forgotten verdict costs one more check).
func (k *keyChecker) remember(sum [sha256.Size]byte, v cachedVerdict) {
	if _, ok := k.verdicts[sum]; !ok && len(k.verdicts) >= k.cacheSize {
		now := k.now()
		for s, old := range k.verdicts {
			if !now.Before(old.until) {
				delete(k.verdicts, s)
			}
		}
		for s := range k.verdicts {
			if len(k.verdicts) < k.cacheSize {
				break
			}
			delete(k.verdicts, s)
		}
	}
	k.verdicts[sum] = v
}

// takeCheck spends one of addr's checks, or says how long until one is
// there. Addresses back at a full allowance are forgotten, so the map
// holds only those that checked within about a second.
func (k *keyChecker) takeCheck(addr string, now time.Time) time.Duration {
	if k.perSecond < 0 {
		return 0
	}
	b, ok := k.addrs[addr]
	if !ok {
		if len(k.addrs) >= pruneAbove && now.Sub(k.lastPrune) >= time.Second {
			k.lastPrune = now
			for a, old := range k.addrs {
				if old.refill(now); old.full() {
					delete(k.addrs, a)
				}
			}
		}
		n := float64(k.perSecond)
		b = &bucket{tokens: n, capacity: n, perSec: n, last: now}
		k.addrs[addr] = b
	}
	b.refill(now)
	if wait := b.wait(); wait > 0 {
		return wait
	}
	b.take()
	return 0
}

// remoteIP is the address a request comes from, without the port: the
// connection's peer or, behind a trusted proxy, the last X-Forwarded-For
// entry, the one that proxy added (earlier entries come from the client
// and can say anything).
func (s *Server) remoteIP(r *http.Request) string {
	if s.cfg.TrustProxyHeaders {
		if xf := r.Header.Values("X-Forwarded-For"); len(xf) > 0 {
			last := xf[len(xf)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if last = strings.TrimSpace(last); last != "" {
				return last
			}
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
