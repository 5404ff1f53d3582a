package tools

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
)

// fakeKeys is a key fetcher with a settable key set that counts its calls.
type fakeKeys struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	err     error
	full    atomic.Int32 // fetches with the issuer
	refetch atomic.Int32 // key-set-only fetches
	block   chan struct{}
}

// lookup is lookupFor for a token that names no algorithm.
func (c *jwksCache) lookup(ctx context.Context, kid string, fetch keyFetcher) (*jose.JSONWebKey, string, error) {
	return c.lookupFor(ctx, kid, "", fetch)
}

func (f *fakeKeys) fetch(ctx context.Context, withIssuer bool) ([]jose.JSONWebKey, string, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, "", ctx.Err()
		}
	}
	if withIssuer {
		f.full.Add(1)
	} else {
		f.refetch.Add(1)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, "", f.err
	}
	return append([]jose.JSONWebKey(nil), f.keys...), "https://issuer.example", nil
}

func (f *fakeKeys) set(keys ...jose.JSONWebKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

func (f *fakeKeys) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func testKey(t *testing.T, kid string) jose.JSONWebKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

func TestJWKSCacheTTLAndUnknownKidRefetch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Unix(1_800_000_000, 0))
	keys := &fakeKeys{}
	a := testKey(t, "a")
	keys.set(a)
	c := newJWKSCache(10*time.Minute, time.Minute, clk.Now)

	k, iss, err := c.lookup(ctx, "a", keys.fetch)
	require.NoError(t, err)
	assert.Equal(t, "a", k.KeyID)
	assert.Equal(t, "https://issuer.example", iss)
	_, _, err = c.lookup(ctx, "a", keys.fetch)
	require.NoError(t, err)
	assert.EqualValues(t, 1, keys.full.Load(), "a fresh set is reused")
	assert.EqualValues(t, 0, keys.refetch.Load())

	// An unknown kid fetches the set once more, then not again within the
	// interval, whatever kid is asked for.
	_, _, err = c.lookup(ctx, "b", keys.fetch)
	require.ErrorIs(t, err, errUnknownKey)
	assert.EqualValues(t, 1, keys.refetch.Load())
	for _, kid := range []string{"b", "c", "d"} {
		_, _, err = c.lookup(ctx, kid, keys.fetch)
		require.ErrorIs(t, err, errUnknownKey)
	}
	assert.EqualValues(t, 1, keys.refetch.Load(), "at most one refetch per interval")

	// The key is rotated in: after the interval the unknown kid is found.
	b := testKey(t, "b")
	keys.set(a, b)
	clk.Advance(30 * time.Second)
	_, _, err = c.lookup(ctx, "b", keys.fetch)
	require.ErrorIs(t, err, errUnknownKey, "still within the interval")
	clk.Advance(31 * time.Second)
	k, _, err = c.lookup(ctx, "b", keys.fetch)
	require.NoError(t, err)
	assert.Equal(t, "b", k.KeyID)
	assert.EqualValues(t, 2, keys.refetch.Load())
	assert.EqualValues(t, 1, keys.full.Load())

	// After the TTL the whole set and the issuer are fetched again.
	clk.Advance(10 * time.Minute)
	_, _, err = c.lookup(ctx, "a", keys.fetch)
	require.NoError(t, err)
	assert.EqualValues(t, 2, keys.full.Load())

	// A kid unknown right after a full fetch does not fetch again.
	clk.Advance(10 * time.Minute)
	_, _, err = c.lookup(ctx, "zzz", keys.fetch)
	require.ErrorIs(t, err, errUnknownKey)
	assert.EqualValues(t, 3, keys.full.Load())
	assert.EqualValues(t, 2, keys.refetch.Load())
}

func TestJWKSCacheEmptyKid(t *testing.T) {
	t.Parallel()
	keys := &fakeKeys{}
	keys.set(testKey(t, "only"))
	c := newJWKSCache(time.Hour, time.Minute, nil)
	k, _, err := c.lookup(t.Context(), "", keys.fetch)
	require.NoError(t, err)
	assert.Equal(t, "only", k.KeyID, "no kid names the only key")

	keys.set(testKey(t, "one"), testKey(t, "two"))
	c = newJWKSCache(time.Hour, time.Minute, nil)
	_, _, err = c.lookup(t.Context(), "", keys.fetch)
	require.ErrorIs(t, err, errUnknownKey, "no kid with two keys is ambiguous")
	assert.EqualValues(t, 0, keys.refetch.Load(), "an empty kid never forces a refetch")
}

func TestJWKSCacheErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clk := testkit.NewClock(time.Unix(1_800_000_000, 0))
	keys := &fakeKeys{}
	keys.set(testKey(t, "a"))
	boom := errors.New("upstream down")

	keys.fail(boom)
	c := newJWKSCache(time.Hour, time.Minute, clk.Now)
	_, _, err := c.lookup(ctx, "a", keys.fetch)
	require.ErrorIs(t, err, boom)
	keys.fail(nil)
	_, _, err = c.lookup(ctx, "a", keys.fetch)
	require.NoError(t, err, "a failure is not cached")
	assert.EqualValues(t, 2, keys.full.Load())

	// A failed forced refetch still counts against the interval.
	keys.fail(boom)
	_, _, err = c.lookup(ctx, "x", keys.fetch)
	require.ErrorIs(t, err, boom)
	_, _, err = c.lookup(ctx, "x", keys.fetch)
	require.ErrorIs(t, err, errUnknownKey)
	assert.EqualValues(t, 1, keys.refetch.Load())
}

// TestJWKSCacheConcurrent: many callers at once with an unknown kid cause
// one full fetch and one refetch, and a waiter whose context ends gives up.
func TestJWKSCacheConcurrent(t *testing.T) {
	t.Parallel()
	keys := &fakeKeys{}
	keys.set(testKey(t, "a"))
	c := newJWKSCache(time.Hour, time.Minute, nil)
	_, _, err := c.lookup(t.Context(), "a", keys.fetch)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, _, err := c.lookup(t.Context(), "forged", keys.fetch)
			assert.ErrorIs(t, err, errUnknownKey)
		})
	}
	for range 50 {
		wg.Go(func() {
			k, _, err := c.lookup(t.Context(), "a", keys.fetch)
			if assert.NoError(t, err) {
				assert.Equal(t, "a", k.KeyID)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, keys.full.Load())
	assert.EqualValues(t, 1, keys.refetch.Load())

	// A fetch that hangs holds the lock; a waiter gives up with its context.
	slow := &fakeKeys{block: make(chan struct{})}
	slow.set(testKey(t, "a"))
	c = newJWKSCache(time.Hour, time.Minute, nil)
	done := make(chan error, 1)
	go func() {
		_, _, err := c.lookup(context.Background(), "a", slow.fetch)
		done <- err
	}()
	require.Eventually(t, func() bool { return len(c.lock) == 1 }, 5*time.Second, time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, _, err = c.lookup(ctx, "a", slow.fetch)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(slow.block)
	require.NoError(t, <-done)
}

func TestJWKSCachesPerBaseURL(t *testing.T) {
	t.Parallel()
	var cs jwksCaches
	a := cs.get("https://api.telnyx.com/v2")
	assert.Same(t, a, cs.get("https://api.telnyx.com/v2"))
	assert.NotSame(t, a, cs.get("http://127.0.0.1:1/v2"))
	for i := range 2 * maxJWKSCaches {
		cs.get("http://127.0.0.1:" + string(rune('a'+i)))
	}
	assert.LessOrEqual(t, len(cs.m), maxJWKSCaches, "the map is bounded")
}

func TestAlgsForKey(t *testing.T) {
	t.Parallel()
	ec := testKey(t, "ec")
	assert.Equal(t, []jose.SignatureAlgorithm{jose.ES256}, algsForKey(ec))
	ec.Algorithm = ""
	assert.Equal(t, []jose.SignatureAlgorithm{jose.ES256}, algsForKey(ec), "inferred from the curve")
	ec.Algorithm = "RS256"
	assert.Empty(t, algsForKey(ec), "an alg that contradicts the key type allows nothing")
	ec.Algorithm = "HS256"
	assert.Empty(t, algsForKey(ec))
	assert.Empty(t, algsForKey(jose.JSONWebKey{Key: []byte("symmetric secret"), KeyID: "oct"}), "symmetric keys never verify")
}
