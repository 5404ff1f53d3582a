package telnyxapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientCreds configures OAuth client credentials and no API key.
func clientCreds(c *Config) {
	c.APIKey = ""
	c.ClientID, c.ClientSecret = testClientID, testSecret
}

// tokenEndpoint issues "ATCANARY-1", "ATCANARY-2", ... in turn.
func tokenEndpoint(expiresIn int) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"access_token":"ATCANARY-%d","token_type":"Bearer","expires_in":%d}`, i, expiresIn)
	}
}

// onlyToken answers 200 to the bearer token, 401 to anything else.
func onlyToken(token, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != bearer(token) {
			respond(401, `{"errors":[{"code":"10009","title":"Authentication failed"}]}`)(w, r)
			return
		}
		respond(200, body)(w, r)
	}
}

func TestClientCredentialsTokenIsFetchedOnce(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]http.HandlerFunc{
		"POST /v2/oauth/token":  tokenEndpoint(3600),
		"GET /v2/oauth_clients": respond(200, `{"data":[],"meta":{}}`),
	})
	c := newClient(t, f.base(), clientCreds)

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := c.ListClients(t.Context(), ListClientsParams{})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	assert.Equal(t, 1, f.countOf("POST", "/v2/oauth/token"), "one token for all concurrent calls")
	assert.Equal(t, n, f.countOf("GET", "/v2/oauth_clients"))
	for _, r := range f.requests() {
		if r.Path == "/v2/oauth/token" {
			assertRequest(t, r, want{
				method: "POST", path: "/v2/oauth/token", auth: basic(testClientID, testSecret),
				contentType: "application/x-www-form-urlencoded", formBody: url.Values{"grant_type": {"client_credentials"}},
			})
			continue
		}
		assert.Equal(t, bearer("ATCANARY-1"), r.Header.Get("Authorization"))
	}
}

func TestClientCredentialsTokenExpiry(t *testing.T) {
	t.Parallel()
	t.Run("expires_in sets the refresh time", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			expiresIn   int
			wantRefresh time.Duration
		}{
			{expiresIn: 3600, wantRefresh: 3600*time.Second - 30*time.Second},
			{expiresIn: 40, wantRefresh: 20 * time.Second},
			{expiresIn: 0, wantRefresh: time.Hour - 30*time.Second}, // absent: an hour
		}
		for _, tc := range tests {
			f := newFake(t, map[string]http.HandlerFunc{
				"POST /v2/oauth/token": tokenEndpoint(tc.expiresIn),
				"GET /v2/oauth_grants": respond(200, `{"data":[],"meta":{}}`),
			})
			c := newClient(t, f.base(), clientCreds)
			before := time.Now()
			_, err := c.ListGrants(t.Context(), PageParams{})
			require.NoError(t, err)
			after := time.Now()
			c.tokens.mu.Lock()
			refresh := c.tokens.refresh
			c.tokens.mu.Unlock()
			assert.False(t, refresh.Before(before.Add(tc.wantRefresh)), "expires_in %d", tc.expiresIn)
			assert.False(t, refresh.After(after.Add(tc.wantRefresh)), "expires_in %d", tc.expiresIn)
		}
	})
	t.Run("an expired token is fetched again", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int64
		ts := &tokenSource{sem: make(chan struct{}, 1), fetch: func(context.Context) (string, time.Duration, error) {
			n := fetches.Add(1)
			// A zero lifetime is stale as soon as it is stored.
			return fmt.Sprintf("t%d", n), 0, nil
		}}
		for i := 1; i <= 3; i++ {
			tok, err := ts.token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("t%d", i), tok)
		}
		assert.Equal(t, int64(3), fetches.Load())
	})
	t.Run("a fresh token is cached until invalidated", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int64
		ts := &tokenSource{sem: make(chan struct{}, 1), fetch: func(context.Context) (string, time.Duration, error) {
			return fmt.Sprintf("t%d", fetches.Add(1)), time.Hour, nil
		}}
		for range 3 {
			tok, err := ts.token(t.Context())
			require.NoError(t, err)
			assert.Equal(t, "t1", tok)
		}
		ts.invalidate()
		assert.Equal(t, "t1", ts.current(), "the old value is kept for scrubbing")
		tok, err := ts.token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "t2", tok)
	})
	t.Run("a failed fetch is not cached", func(t *testing.T) {
		t.Parallel()
		var fetches atomic.Int64
		ts := &tokenSource{sem: make(chan struct{}, 1), fetch: func(context.Context) (string, time.Duration, error) {
			if fetches.Add(1) == 1 {
				return "", 0, errors.New("boom")
			}
			return "t", time.Hour, nil
		}}
		_, err := ts.token(t.Context())
		require.Error(t, err)
		tok, err := ts.token(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "t", tok)
	})
	t.Run("a waiter gives up with its context", func(t *testing.T) {
		t.Parallel()
		ts := &tokenSource{sem: make(chan struct{}, 1)}
		ts.sem <- struct{}{} // another caller is fetching
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := ts.token(ctx)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestUnauthorizedWithClientCredentials(t *testing.T) {
	t.Parallel()
	t.Run("an idempotent call refreshes once and replays", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/token":      tokenEndpoint(3600),
			"GET /v2/oauth_clients/c-1": onlyToken("ATCANARY-2", `{"data":{"client_id":"c-1"}}`),
		})
		c := newClient(t, f.base(), clientCreds)
		got, err := c.GetClient(t.Context(), "c-1")
		require.NoError(t, err)
		assert.Equal(t, "c-1", got.ClientID)
		assert.Equal(t, 2, f.countOf("POST", "/v2/oauth/token"))
		assert.Equal(t, 2, f.countOf("GET", "/v2/oauth_clients/c-1"))

		// The new token is cached for the next call.
		_, err = c.GetClient(t.Context(), "c-1")
		require.NoError(t, err)
		assert.Equal(t, 2, f.countOf("POST", "/v2/oauth/token"))
	})
	t.Run("a second 401 is returned, not looped", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/token":      tokenEndpoint(3600),
			"GET /v2/oauth_clients/c-1": onlyToken("never", ``),
		})
		c := newClient(t, f.base(), clientCreds)
		_, err := c.GetClient(t.Context(), "c-1")
		requireAPIError(t, err, 401)
		assert.Equal(t, 2, f.countOf("POST", "/v2/oauth/token"))
		assert.Equal(t, 2, f.countOf("GET", "/v2/oauth_clients/c-1"))
	})
	t.Run("a create is not replayed", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/token":   tokenEndpoint(3600),
			"POST /v2/oauth_clients": onlyToken("ATCANARY-2", `{"data":{"client_id":"c-1"}}`),
		})
		c := newClient(t, f.base(), clientCreds)
		_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "x"})
		requireAPIError(t, err, 401)
		assert.Equal(t, 1, f.countOf("POST", "/v2/oauth/token"))
		assert.Equal(t, 1, f.countOf("POST", "/v2/oauth_clients"))
	})
	t.Run("introspection with client authentication does not refresh", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/introspect": respond(401, `{"error":"invalid_client"}`),
		})
		c := newClient(t, f.base(), clientCreds)
		_, err := c.Introspect(t.Context(), "tok-1", ClientAuth{})
		requireAPIError(t, err, 401)
		assert.Equal(t, 1, f.count(), "one introspection, no token request")
		assert.Equal(t, basic(testClientID, testSecret), f.only(t).Header.Get("Authorization"))
	})
	t.Run("a 401 with an API key is not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": onlyToken("never", ``)})
		c := newClient(t, f.base(), nil)
		_, err := c.GetClient(t.Context(), "c-1")
		requireAPIError(t, err, 401)
		assert.Equal(t, 1, f.count())
	})
}

func TestClientCredentialsFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		token http.HandlerFunc
	}{
		{name: "401 invalid_client echoing the secret", token: respond(401, `{"error":"invalid_client","error_description":"bad secret `+testSecret+`"}`)},
		{name: "no access_token", token: respond(200, `{"token_type":"Bearer","expires_in":3600}`)},
		{name: "not JSON", token: respondType(200, "text/html", "<html>login</html>")},
		{name: "500", token: respond(500, `{}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/token": tc.token})
			c := newClient(t, f.base(), clientCreds)
			_, err := c.ListClients(t.Context(), ListClientsParams{})
			require.Error(t, err)
			assert.True(t, IsCredentialError(err), "%v", err)
			assert.NotContains(t, err.Error(), testSecret)
			assert.Equal(t, 1, f.countOf("POST", "/v2/oauth/token"), "the token request is never replayed")
			assert.Equal(t, 0, f.countOf("GET", "/v2/oauth_clients"), "the call itself is not sent")
		})
	}
}

func TestClientCredentialsTokenIsScrubbed(t *testing.T) {
	t.Parallel()
	echo := `{"errors":[{"title":"bad header","detail":"Authorization: Bearer ATCANARY-1 rejected"}]}`
	f := newFake(t, map[string]http.HandlerFunc{
		"POST /v2/oauth/token":   tokenEndpoint(3600),
		"GET /v2/oauth_grants":   respond(400, echo),
		"GET /v2/oauth_grants/g": respond(400, echo),
	})
	c := newClient(t, f.base(), clientCreds)
	// The first call fetches the token while it runs.
	_, err := c.ListGrants(t.Context(), PageParams{})
	requireAPIError(t, err, 400)
	assert.NotContains(t, err.Error(), "ATCANARY")
	// Later calls start with the token cached.
	_, err = c.GetGrant(t.Context(), "g")
	requireAPIError(t, err, 400)
	assert.NotContains(t, err.Error(), "ATCANARY")
}

func TestCredentialPrecedence(t *testing.T) {
	t.Parallel()
	t.Run("an API key wins over client credentials", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_grants": respond(200, `{"data":[],"meta":{}}`)})
		c := newClient(t, f.base(), func(c *Config) { c.ClientID, c.ClientSecret = testClientID, testSecret })
		assert.True(t, c.HasClientCredentials())
		_, err := c.ListGrants(t.Context(), PageParams{})
		require.NoError(t, err)
		assert.Equal(t, bearer(testKey), f.only(t).Header.Get("Authorization"))
	})
	t.Run("WithAPIKey drops the token source", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_grants": respond(200, `{"data":[],"meta":{}}`)})
		c := newClient(t, f.base(), clientCreds).WithAPIKey("KEYPERUSER-1")
		_, err := c.ListGrants(t.Context(), PageParams{})
		require.NoError(t, err)
		assert.Equal(t, bearer("KEYPERUSER-1"), f.only(t).Header.Get("Authorization"))
	})
	t.Run("a client id without a secret is no credential", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{})
		c := newClient(t, f.base(), func(c *Config) { c.APIKey, c.ClientID = "", testClientID })
		_, err := c.ListGrants(t.Context(), PageParams{})
		require.Error(t, err)
		assert.True(t, IsCredentialError(err))
		assert.ErrorIs(t, err, ErrNoCredential, "the program words where a credential comes from")
		assert.Equal(t, 0, f.count())
	})
}
