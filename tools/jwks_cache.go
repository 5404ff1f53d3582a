package tools

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// How long verification material is reused, and how often a token naming
// an unknown key may make the server fetch the key set again. The interval
// bounds the requests a stream of forged kids can cause: at most one per
// interval per authorization server.
const (
	jwksTTL            = 10 * time.Minute
	jwksRefetchMinimum = time.Minute
	maxJWKSCaches      = 16
)

// errUnknownKey reports that no key of the key set has the kid a token
// names, even after the set was fetched again (or could not be, yet).
var errUnknownKey = errors.New("unknown key")

// keyFetcher fetches the key set and, when withIssuer is set, the issuer
// named by the authorization server metadata.
type keyFetcher func(ctx context.Context, withIssuer bool) (keys []jose.JSONWebKey, issuer string, err error)

// jwksCache keeps one authorization server's signing keys and issuer. It is
// safe for concurrent use; at most one fetch runs at a time, and callers
// that wait for it give up when their context ends.
type jwksCache struct {
	ttl      time.Duration
	interval time.Duration
	now      func() time.Time

	lock chan struct{} // a mutex whose waiters honour their context

	// Guarded by lock.
	keys        []jose.JSONWebKey
	issuer      string
	fetchedAt   time.Time // last full fetch (keys and issuer)
	lastRefetch time.Time // last fetch forced by an unknown kid
	hasFetched  bool
}

func newJWKSCache(ttl, interval time.Duration, now func() time.Time) *jwksCache {
	if now == nil {
		now = time.Now
	}
	return &jwksCache{ttl: ttl, interval: interval, now: now, lock: make(chan struct{}, 1)}
}

// lookupFor returns the key a token's kid names and the issuer tokens must
// carry. A set older than the TTL is fetched again first. A kid that is not
// in the set causes one more fetch of the key set, unless the set was just
// fetched or the last such fetch is less than the interval ago; then it is
// errUnknownKey. An empty kid names the only key of a one-key set. Where
// keys of different types share the kid (RFC 7517 §4.5 allows it), the one
// that verifies alg is chosen; an empty alg takes the first.
func (c *jwksCache) lookupFor(ctx context.Context, kid string, alg jose.SignatureAlgorithm, fetch keyFetcher) (*jose.JSONWebKey, string, error) {
	select {
	case c.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
	defer func() { <-c.lock }()

	now := c.now()
	fresh := false
	if !c.hasFetched || now.Sub(c.fetchedAt) >= c.ttl {
		keys, issuer, err := fetch(ctx, true)
		if err != nil {
			return nil, "", err
		}
		c.keys, c.issuer, c.fetchedAt, c.hasFetched = keys, issuer, now, true
		fresh = true
	}
	if k := findKey(c.keys, kid, alg); k != nil {
		return k, c.issuer, nil
	}
	if kid == "" || fresh || (!c.lastRefetch.IsZero() && now.Sub(c.lastRefetch) < c.interval) {
		return nil, c.issuer, errUnknownKey
	}
	// Count the attempt before it runs, so that failures are limited too.
	c.lastRefetch = now
	keys, _, err := fetch(ctx, false)
	if err != nil {
		return nil, "", err
	}
	c.keys = keys
	if k := findKey(c.keys, kid, alg); k != nil {
		return k, c.issuer, nil
	}
	return nil, c.issuer, errUnknownKey
}

// findKey returns the key with that kid, or for an empty kid the only key.
// Of several keys with the kid, the first that verifies alg is preferred.
func findKey(keys []jose.JSONWebKey, kid string, alg jose.SignatureAlgorithm) *jose.JSONWebKey {
	if kid == "" {
		if len(keys) == 1 {
			return &keys[0]
		}
		return nil
	}
	var first *jose.JSONWebKey
	for i := range keys {
		if keys[i].KeyID != kid {
			continue
		}
		if alg == "" || slices.Contains(algsForKey(keys[i]), alg) {
			return &keys[i]
		}
		if first == nil {
			first = &keys[i]
		}
	}
	return first
}

// jwksCaches holds one cache per API base URL: the key set and issuer are
// public documents of the authorization server, the same for every caller
// of that server.
type jwksCaches struct {
	mu sync.Mutex
	m  map[string]*jwksCache
}

func (cs *jwksCaches) get(base string) *jwksCache {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.m[base]; ok {
		return c
	}
	if cs.m == nil || len(cs.m) >= maxJWKSCaches {
		// Only configuration makes new base URLs; a bound keeps a
		// misconfigured deployment from growing without limit.
		cs.m = map[string]*jwksCache{}
	}
	c := newJWKSCache(jwksTTL, jwksRefetchMinimum, nil)
	cs.m[base] = c
	return c
}
