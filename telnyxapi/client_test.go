package telnyxapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want string // "" means refused
	}{
		{raw: "http://127.0.0.1:1234/v2", want: "http://127.0.0.1:1234/v2"},
		{raw: "http://localhost/v2", want: "http://localhost/v2"},
		{raw: "http://[::1]:4010", want: "http://[::1]:4010"},
		{raw: "https://api.telnyx.com/v2/", want: "https://api.telnyx.com/v2"},
		{raw: "https://api.telnyx.com", want: "https://api.telnyx.com"},
		{raw: "http://169.254.169.254"},
		{raw: "http://169.254.169.254/latest/meta-data"},
		{raw: "http://api.telnyx.com/v2"},
		{raw: "http://127.0.0.1.nip.io/v2"},
		{raw: "ftp://x"},
		{raw: "file:///etc/passwd"},
		{raw: "https://u:p@api.telnyx.com/v2"},
		{raw: "https://u@api.telnyx.com/v2"},
		{raw: "https://api.telnyx.com/v2?x=1"},
		{raw: "https://api.telnyx.com/v2#frag"},
		{raw: "api.telnyx.com/v2"},
		{raw: "/v2"},
		{raw: "https:opaque"},
		{raw: "https://"},
		{raw: "https://api.telnyx.com/v2\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			t.Parallel()
			u, err := ParseBaseURL(tc.raw)
			if tc.want == "" {
				require.Error(t, err)
				_, newErr := New(Config{BaseURL: tc.raw})
				assert.Error(t, newErr, "New refuses it as well")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.String())
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(Config{})
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL, c.BaseURL())
	assert.Equal(t, "https://api.telnyx.com", c.root.String())
	assert.Equal(t, DefaultMaxRetries, c.cfg.MaxRetries)
	assert.Equal(t, DefaultBackoff, c.cfg.Backoff)
	assert.Equal(t, int64(DefaultMaxBodyBytes), c.cfg.MaxBodyBytes)
	assert.False(t, c.HasClientCredentials())

	none, err := New(Config{MaxRetries: -1})
	require.NoError(t, err)
	assert.Equal(t, 0, none.cfg.MaxRetries)
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, configured, want string }{
		{name: "configured", configured: "telnyx-oauth-mcp/1.2.3", want: "telnyx-oauth-mcp/1.2.3"},
		{name: "default", configured: "", want: "telnyx-oauth-mcp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth/jwks": respond(200, `{"keys":[]}`)})
			c := newClient(t, f.base(), func(c *Config) { c.UserAgent = tc.configured })
			_, err := c.GetJWKS(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.only(t).Header.Get("User-Agent"))
		})
	}
}

func TestWithAPIKey(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_grants": respond(200, `{"data":[],"meta":{}}`)})
	c := newClient(t, f.base(), nil)
	other := c.WithAPIKey("KEYOTHER-0001")
	_, err := other.ListGrants(t.Context(), PageParams{})
	require.NoError(t, err)
	_, err = c.ListGrants(t.Context(), PageParams{})
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, bearer("KEYOTHER-0001"), reqs[0].Header.Get("Authorization"))
	assert.Equal(t, bearer(testKey), reqs[1].Header.Get("Authorization"), "the original keeps its key")
}

func TestRedirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		route  string
		status int
		call   func(ctx context.Context, c *Client) error
	}{
		{name: "302 on a GET", route: "GET /v2/oauth_clients/c-1", status: http.StatusFound,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetClient(ctx, "c-1"); return err }},
		{name: "307 on a POST", route: "POST /v2/oauth_clients", status: http.StatusTemporaryRedirect,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateClient(ctx, CreateClientRequest{Name: "x"})
				return err
			}},
		{name: "301 on a discovery document", route: "GET /.well-known/oauth-authorization-server", status: http.StatusMovedPermanently,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetAuthorizationServerMetadata(ctx)
				return err
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			canary := newFake(t, map[string]http.HandlerFunc{})
			location := canary.srv.URL + "/latest/meta-data"
			f := newFake(t, map[string]http.HandlerFunc{
				tc.route: func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Location", location)
					w.WriteHeader(tc.status)
				},
			})
			c := newClient(t, f.base(), nil)
			err := tc.call(t.Context(), c)
			var redirErr *RedirectError
			require.ErrorAs(t, err, &redirErr)
			assert.Equal(t, tc.status, redirErr.Status)
			assert.Equal(t, location, redirErr.Location)
			assert.Equal(t, 1, f.count())
			assert.Equal(t, 0, canary.count(), "the canary must never be hit")
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	okClient := respond(200, `{"data":{"client_id":"c-1"}}`)
	withHeader := func(status int, name, value string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set(name, value)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"slow_down"}`))
		}
	}
	tests := []struct {
		name         string
		mod          func(*Config)
		handler      http.HandlerFunc
		wantRequests int
		wantStatus   int           // 0: success
		wantRetry    time.Duration // APIError.RetryAfter
	}{
		{name: "503 503 200", handler: sequence(respond(503, `{}`), respond(503, `{}`), okClient), wantRequests: 3},
		{name: "gives up after MaxRetries", handler: respond(503, `{}`), wantRequests: 3, wantStatus: 503},
		{name: "more retries configured", mod: func(c *Config) { c.MaxRetries = 4 }, handler: respond(500, `{}`), wantRequests: 5, wantStatus: 500},
		{name: "retries disabled", mod: func(c *Config) { c.MaxRetries = -1 }, handler: respond(503, `{}`), wantRequests: 1, wantStatus: 503},
		{name: "408 retried", handler: sequence(respond(408, `{}`), okClient), wantRequests: 2},
		{name: "429 retried", handler: sequence(respond(429, `{}`), okClient), wantRequests: 2},
		{name: "502 and 504 retried", handler: sequence(respond(502, ``), respond(504, ``), okClient), wantRequests: 3},
		{name: "400 not retried", handler: respond(400, `{}`), wantRequests: 1, wantStatus: 400},
		{name: "403 not retried", handler: respond(403, `{}`), wantRequests: 1, wantStatus: 403},
		{name: "404 not retried", handler: respond(404, `{}`), wantRequests: 1, wantStatus: 404},
		{name: "409 on a GET not retried", handler: respond(409, `{}`), wantRequests: 1, wantStatus: 409},
		{name: "501 not retried", handler: respond(501, `{}`), wantRequests: 1, wantStatus: 501},
		{
			name: "Retry-After 86400 fails at once", handler: withHeader(429, "Retry-After", "86400"),
			wantRequests: 1, wantStatus: 429, wantRetry: 24 * time.Hour,
		},
		{
			name: "Retry-After-Ms too long fails at once", handler: withHeader(503, "Retry-After-Ms", "86400000"),
			wantRequests: 1, wantStatus: 503, wantRetry: 24 * time.Hour,
		},
		{
			name: "Retry-After past the call deadline fails at once", mod: func(c *Config) { c.CallTimeout = 2 * time.Second },
			handler: withHeader(429, "Retry-After", "10"), wantRequests: 1, wantStatus: 429, wantRetry: 10 * time.Second,
		},
		{
			name: "Retry-After over MaxRetryWait fails at once", mod: func(c *Config) { c.MaxRetryWait = 500 * time.Millisecond },
			handler: withHeader(503, "Retry-After", "1"), wantRequests: 1, wantStatus: 503, wantRetry: time.Second,
		},
		{name: "Retry-After-Ms honoured", handler: sequence(withHeader(429, "Retry-After-Ms", "2"), okClient), wantRequests: 2},
		{
			name: "Retry-After-Ms wins over Retry-After",
			handler: sequence(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After-Ms", "1")
				w.Header().Set("Retry-After", "86400")
				w.WriteHeader(429)
			}, okClient),
			wantRequests: 2,
		},
		{name: "Retry-After 0", handler: sequence(withHeader(503, "Retry-After", "0"), okClient), wantRequests: 2},
		{name: "Retry-After soon is ignored", handler: sequence(withHeader(503, "Retry-After", "soon"), okClient), wantRequests: 2},
		{name: "Retry-After -5 is ignored", handler: sequence(withHeader(503, "Retry-After", "-5"), okClient), wantRequests: 2},
		{
			name:         "Retry-After date in the past",
			handler:      sequence(withHeader(503, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"), okClient),
			wantRequests: 2,
		},
		{
			name: "Retry-After on the last attempt is reported", mod: func(c *Config) { c.MaxRetries = -1 },
			handler: withHeader(429, "Retry-After", "3"), wantRequests: 1, wantStatus: 429, wantRetry: 3 * time.Second,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": tc.handler})
			c := newClient(t, f.base(), tc.mod)
			got, err := c.GetClient(t.Context(), "c-1")
			assert.Equal(t, tc.wantRequests, f.count(), "requests")
			if tc.wantStatus == 0 {
				require.NoError(t, err)
				assert.Equal(t, "c-1", got.ClientID)
				return
			}
			apiErr := requireAPIError(t, err, tc.wantStatus)
			assert.Equal(t, tc.wantRetry, apiErr.RetryAfter)
			if tc.wantRetry > 0 {
				assert.Contains(t, err.Error(), "retry after")
			}
			var unknown *OutcomeUnknownError
			assert.NotErrorAs(t, err, &unknown, "a GET is never outcome unknown")
		})
	}
}

func TestNonIdempotentStatusHandling(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		wantUnknown bool
	}{
		{name: "500", handler: respond(500, `{}`), wantUnknown: true},
		{name: "503 with Retry-After 0", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
		}, wantUnknown: true},
		{name: "408", handler: respond(408, `{}`), wantUnknown: true},
		{name: "429", handler: respond(429, `{}`)},
		{name: "409", handler: respond(409, `{}`)},
		{name: "422", handler: respond(422, `{}`)},
		{name: "x-should-retry is ignored", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Should-Retry", "true")
			w.WriteHeader(500)
		}, wantUnknown: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth_clients": tc.handler})
			c := newClient(t, f.base(), nil)
			_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "x"})
			require.Error(t, err)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			var unknown *OutcomeUnknownError
			assert.Equal(t, tc.wantUnknown, errors.As(err, &unknown))
			assert.Equal(t, 1, f.count(), "a create is sent once")
		})
	}
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		header    map[string]string
		want      time.Duration
		wantAsked bool
	}{
		{name: "absent"},
		{name: "seconds", header: map[string]string{"Retry-After": "120"}, want: 2 * time.Minute, wantAsked: true},
		{name: "fractional seconds", header: map[string]string{"Retry-After": "1.5"}, want: 1500 * time.Millisecond, wantAsked: true},
		{name: "milliseconds", header: map[string]string{"Retry-After-Ms": "250"}, want: 250 * time.Millisecond, wantAsked: true},
		{name: "milliseconds first", header: map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, want: 250 * time.Millisecond, wantAsked: true},
		{name: "bad milliseconds fall back", header: map[string]string{"Retry-After-Ms": "x", "Retry-After": "9"}, want: 9 * time.Second, wantAsked: true},
		{name: "negative milliseconds fall back", header: map[string]string{"Retry-After-Ms": "-1"}},
		{name: "future date", header: map[string]string{"Retry-After": "Thu, 01 Jan 2026 12:00:30 GMT"}, want: 30 * time.Second, wantAsked: true},
		{name: "past date", header: map[string]string{"Retry-After": "Thu, 01 Jan 2026 11:00:00 GMT"}, want: 0, wantAsked: true},
		{name: "garbage", header: map[string]string{"Retry-After": "soon"}},
		{name: "negative", header: map[string]string{"Retry-After": "-5"}},
		{name: "absurd", header: map[string]string{"Retry-After": "1e300"}},
		{name: "NaN", header: map[string]string{"Retry-After": "NaN"}},
		{name: "infinite milliseconds", header: map[string]string{"Retry-After-Ms": "Inf"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
			got, asked := retryAfter(h, now)
			assert.Equal(t, tc.wantAsked, asked)
			assert.Equal(t, tc.want, got)
			assert.GreaterOrEqual(t, got, time.Duration(0))
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Backoff: 500 * time.Millisecond})
	require.NoError(t, err)
	for retry, base := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		for range 50 {
			d := c.backoff(retry)
			assert.LessOrEqual(t, d, base, "retry %d", retry)
			assert.GreaterOrEqual(t, d, base*3/4, "retry %d", retry)
		}
	}
	assert.LessOrEqual(t, c.backoff(80), 8*time.Second, "an overflowing shift is capped")
	assert.Positive(t, c.backoff(80))
}

// resetAfterRead reads the request and then drops the connection with a
// TCP reset, so the client cannot know whether the request took effect.
func resetAfterRead(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !assert.True(t, ok, "hijacker") {
			return
		}
		conn, _, err := hj.Hijack()
		if !assert.NoError(t, err) {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = conn.Close()
	}
}

func TestConnectionReset(t *testing.T) {
	t.Parallel()
	t.Run("token exchange is outcome unknown after one request", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/token": resetAfterRead(t)})
		c := newClient(t, f.base(), nil)
		_, err := c.ExchangeToken(t.Context(), TokenRequest{GrantType: "authorization_code", Code: "CODECANARY-1"}, ClientAuth{ClientID: "cid", ClientSecret: "csecret"})
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, 1, f.count(), "a single-use code is never replayed")
		assert.NotContains(t, err.Error(), "CODECANARY")
	})
	t.Run("a GET is retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_clients/c-1": sequence(resetAfterRead(t), respond(200, `{"data":{"client_id":"c-1"}}`)),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.GetClient(t.Context(), "c-1")
		require.NoError(t, err)
		assert.Equal(t, "c-1", got.ClientID)
		assert.Equal(t, 2, f.count())
	})
	t.Run("a GET that keeps failing is a transport error", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": resetAfterRead(t)})
		c := newClient(t, f.base(), nil)
		_, err := c.GetClient(t.Context(), "c-1")
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.Equal(t, 3, transportErr.Attempts)
		assert.Equal(t, 3, f.count())
	})
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestDialRefused is not parallel: no other test of the package opens a
// listener while it runs, so the closed port cannot be taken in between.
func TestDialRefused(t *testing.T) {
	base := "http://" + closedPort(t) + "/v2"
	t.Run("POST never sent is retried and not outcome unknown", func(t *testing.T) {
		c := newClient(t, base, nil)
		_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "x"})
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.Equal(t, 3, transportErr.Attempts)
		var unknown *OutcomeUnknownError
		assert.NotErrorAs(t, err, &unknown)
		assert.NotContains(t, err.Error(), testKey)
	})
	t.Run("GET", func(t *testing.T) {
		c := newClient(t, base, func(c *Config) { c.MaxRetries = 1 })
		_, err := c.GetJWKS(t.Context())
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.Equal(t, 2, transportErr.Attempts)
	})
}

func TestHangingUpstream(t *testing.T) {
	t.Parallel()
	fast := func(c *Config) {
		c.AttemptTimeout = 100 * time.Millisecond
		c.CallTimeout = time.Second
	}
	t.Run("GET times out per attempt and is retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": hang})
		c := newClient(t, f.base(), fast)
		start := time.Now()
		_, err := c.GetClient(t.Context(), "c-1")
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.Equal(t, 3, transportErr.Attempts)
		assert.Equal(t, 3, f.count())
		assert.Less(t, time.Since(start), 5*time.Second, "bounded by the call timeout, generously")
	})
	t.Run("call timeout bounds the retries", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": hang})
		c := newClient(t, f.base(), func(c *Config) {
			c.AttemptTimeout = 10 * time.Second
			c.CallTimeout = 200 * time.Millisecond
		})
		_, err := c.GetClient(t.Context(), "c-1")
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1, f.count())
	})
	t.Run("POST that times out is outcome unknown", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth_clients": hang})
		c := newClient(t, f.base(), fast)
		_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "x"})
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, 1, f.count())
	})
	t.Run("cancel aborts a hanging request", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_clients/c-1": func(w http.ResponseWriter, r *http.Request) {
				close(started)
				hang(w, r)
			},
		})
		c := newClient(t, f.base(), func(c *Config) {
			c.AttemptTimeout = time.Minute
			c.CallTimeout = time.Minute
		})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.GetClient(ctx, "c-1")
			done <- err
		}()
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			require.FailNow(t, "the request never arrived")
		}
		cancel()
		select {
		case err := <-done:
			require.Error(t, err)
			assert.ErrorIs(t, err, context.Canceled)
			var transportErr *TransportError
			assert.ErrorAs(t, err, &transportErr)
		case <-time.After(5 * time.Second):
			require.FailNow(t, "cancel did not abort the request")
		}
		assert.Equal(t, 1, f.count())
	})
	t.Run("cancel on a POST is outcome unknown", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth/register": func(w http.ResponseWriter, r *http.Request) {
				close(started)
				hang(w, r)
			},
		})
		c := newClient(t, f.base(), nil)
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			<-started
			cancel()
		}()
		_, err := c.Register(ctx, RegisterRequest{ClientName: "x"})
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("slow body is cut by the attempt timeout", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/jwks": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"keys":[`))
				w.(http.Flusher).Flush()
				hang(w, r)
			},
		})
		c := newClient(t, f.base(), fast)
		_, err := c.GetJWKS(t.Context())
		var transportErr *TransportError
		require.ErrorAs(t, err, &transportErr)
		assert.Equal(t, 3, f.count())
	})
}

func TestMalformedSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		status      int
		body        string
		wantReason  string
	}{
		{name: "200 text/html", contentType: "text/html", status: 200, body: "<html><body>Portal login</body></html>", wantReason: "not JSON"},
		{name: "truncated JSON", contentType: "application/json", status: 200, body: `{"data":[`, wantReason: "truncated"},
		{name: "data not an object", contentType: "application/json", status: 200, body: `{"data":"notanobject"}`, wantReason: "wrong type"},
		{name: "wrong field type", contentType: "application/json", status: 200, body: `{"data":{"client_id":5}}`, wantReason: "client_id"},
		{name: "empty body", contentType: "application/json", status: 200, body: "", wantReason: "empty"},
		{name: "204 where a body is expected", contentType: "", status: 204, body: "", wantReason: "empty"},
		{name: "null data", contentType: "application/json", status: 200, body: `{"data":null}`, wantReason: "data"},
		{name: "no data member", contentType: "application/json", status: 200, body: `{"client_id":"c-1"}`, wantReason: "data"},
		{name: "top-level array", contentType: "application/json", status: 200, body: `[1,2]`, wantReason: "wrong type"},
		{name: "garbage after JSON", contentType: "application/json", status: 200, body: `{"data":{}} trailing`, wantReason: "JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{
				"GET /v2/oauth_clients/c-1": sequence(respondType(tc.status, tc.contentType, tc.body), respond(200, `{"data":{"client_id":"c-1"}}`)),
			})
			c := newClient(t, f.base(), nil)
			_, err := c.GetClient(t.Context(), "c-1")
			var respErr *ResponseError
			require.ErrorAs(t, err, &respErr)
			assert.Equal(t, tc.status, respErr.Status)
			assert.Equal(t, testRequestID, respErr.RequestID)
			assert.Contains(t, respErr.Reason, tc.wantReason)
			assert.NotContains(t, respErr.Excerpt, "<")
			assert.Equal(t, 1, f.count(), "a malformed 2xx is not retried")

			got, err := c.GetClient(t.Context(), "c-1")
			require.NoError(t, err, "the client keeps working")
			assert.Equal(t, "c-1", got.ClientID)
		})
	}
}

func TestBodyCap(t *testing.T) {
	t.Parallel()
	big := `{"data":{"client_id":"c-1","name":"` + strings.Repeat("n", 2048) + `"}}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{name: "2xx over the cap", handler: respond(200, big)},
		{name: "error over the cap", handler: respond(400, big)},
		{name: "5xx over the cap is not retried", handler: respond(503, big)},
		{name: "chunked body over the cap", handler: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			for range 64 {
				_, _ = fmt.Fprint(w, strings.Repeat(" ", 100))
				w.(http.Flusher).Flush()
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": tc.handler})
			c := newClient(t, f.base(), func(c *Config) { c.MaxBodyBytes = 1024 })
			_, err := c.GetClient(t.Context(), "c-1")
			var respErr *ResponseError
			require.ErrorAs(t, err, &respErr)
			assert.Contains(t, respErr.Reason, "1024 byte limit")
			assert.Equal(t, 1, f.count())
		})
	}
	t.Run("exactly at the cap is fine", func(t *testing.T) {
		t.Parallel()
		body := `{"data":{"client_id":"c-1","name":"`
		body += strings.Repeat("n", 1024-len(body)-3) + `"}}`
		require.Len(t, body, 1024)
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": respond(200, body)})
		c := newClient(t, f.base(), func(c *Config) { c.MaxBodyBytes = 1024 })
		_, err := c.GetClient(t.Context(), "c-1")
		require.NoError(t, err)
	})
}

func TestNoCredentials(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /.well-known/oauth-authorization-server": respond(200, `{"issuer":"i"}`),
	})
	c := newClient(t, f.base(), func(c *Config) { c.APIKey = "" })
	calls := map[string]func() error{
		"ListClients":  func() error { _, err := c.ListClients(t.Context(), ListClientsParams{}); return err },
		"CreateClient": func() error { _, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "x"}); return err },
		"GetClient":    func() error { _, err := c.GetClient(t.Context(), "c-1"); return err },
		"DeleteClient": func() error { return c.DeleteClient(t.Context(), "c-1") },
		"ListGrants":   func() error { _, err := c.ListGrants(t.Context(), PageParams{}); return err },
		"RevokeGrant":  func() error { _, err := c.RevokeGrant(t.Context(), "g-1"); return err },
		"GetConsent":   func() error { _, err := c.GetConsent(t.Context(), "tok"); return err },
		"SubmitConsent": func() error {
			_, err := c.SubmitConsent(t.Context(), "tok", true)
			return err
		},
		"Introspect": func() error { _, err := c.Introspect(t.Context(), "tok", ClientAuth{}); return err },
		"ExchangeToken": func() error {
			_, err := c.ExchangeToken(t.Context(), TokenRequest{GrantType: "client_credentials"}, ClientAuth{})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		require.Error(t, err, name)
		assert.True(t, IsCredentialError(err), "%s: %v", name, err)
	}
	assert.Equal(t, 0, f.count(), "no request without a credential")

	_, err := c.GetAuthorizationServerMetadata(t.Context())
	require.NoError(t, err, "discovery needs no credential")
	assert.Empty(t, f.only(t).Header.Get("Authorization"))
}

func TestCancelInterruptsRetryWait(t *testing.T) {
	t.Parallel()
	f := newFake(t, map[string]http.HandlerFunc{
		"GET /v2/oauth_grants/g-1": sequence(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, respond(200, `{"data":{"id":"g-1"}}`)),
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := newClient(t, f.base(), func(c *Config) {
		c.CallTimeout = time.Minute
		// Cancel once the 503 has been read, while the client waits.
		c.OnAttempt = func(Attempt) { cancel() }
	})
	_, err := c.GetGrant(ctx, "g-1")
	requireAPIError(t, err, http.StatusServiceUnavailable)
	assert.Equal(t, 1, f.count(), "no retry after the caller gave up")
}

func TestOnAttempt(t *testing.T) {
	t.Parallel()
	t.Run("responses", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/jwks": sequence(respond(503, `{}`), respond(502, ``), respond(200, `{"keys":[]}`)),
		})
		var mu sync.Mutex
		var attempts []Attempt
		c := newClient(t, f.base(), func(c *Config) {
			c.OnAttempt = func(a Attempt) {
				mu.Lock()
				defer mu.Unlock()
				attempts = append(attempts, a)
			}
		})
		_, err := c.GetJWKS(t.Context())
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, attempts, 3)
		for i, status := range []int{503, 502, 200} {
			assert.Equal(t, "GetOAuthJWKS", attempts[i].Operation)
			assert.Equal(t, i, attempts[i].Retry)
			assert.Equal(t, status, attempts[i].Status)
			assert.NoError(t, attempts[i].Err)
			assert.GreaterOrEqual(t, attempts[i].Duration, time.Duration(0))
		}
	})
	t.Run("no response", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth/token": resetAfterRead(t)})
		var got []Attempt
		var mu sync.Mutex
		c := newClient(t, f.base(), func(c *Config) {
			c.OnAttempt = func(a Attempt) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, a)
			}
		})
		_, err := c.ExchangeToken(t.Context(), TokenRequest{GrantType: "client_credentials"}, ClientAuth{ClientID: "a", ClientSecret: "bbbb"})
		require.Error(t, err)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, got, 1)
		assert.Equal(t, 0, got[0].Status)
		assert.Error(t, got[0].Err)
	})
}

// A gzip-encoded answer is decompressed by the transport; the body cap must
// count the decompressed bytes, so a small bomb cannot fill memory.
func TestBodyCapCountsDecompressedBytes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"data":{"id":"`))
	_, _ = zw.Write(make([]byte, 8<<20))
	require.NoError(t, zw.Close())
	bomb := buf.Bytes()
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb)
	}))
	c := newClient(t, srv.URL+"/v2", func(cfg *Config) { cfg.MaxBodyBytes = 64 << 10; cfg.MaxRetries = -1 })
	_, err := c.GetGrant(t.Context(), "g1")
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	require.Contains(t, re.Reason, "larger than")
}

// A 2xx that cannot be decoded, on a call that is never retried, means the
// call took effect with its answer lost: the outcome is unknown. A body that
// carries secrets is not quoted.
func TestUndecodableSuccessOfPOST(t *testing.T) {
	t.Parallel()
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"data":{"client_id":"c","client_secret":"SECRETLEAK-123456","name":1}}`))
	}))
	c := newClient(t, srv.URL+"/v2", nil)
	_, err := c.CreateClient(t.Context(), CreateClientRequest{Name: "n", ClientType: "confidential", AllowedScopes: []string{"admin"}, AllowedGrantTypes: []string{"client_credentials"}})
	var unknown *OutcomeUnknownError
	require.ErrorAs(t, err, &unknown)
	require.NotContains(t, err.Error(), "SECRETLEAK")
}
