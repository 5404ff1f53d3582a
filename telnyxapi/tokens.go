package telnyxapi

import (
	"context"
	"net/url"
	"sync"
	"time"
)

// tokenSource caches the client-credentials access token used as the bearer
// when no API key is configured. One fetch runs at a time: concurrent callers
// that find the token expired wait for that one fetch instead of each asking
// for a token of their own.
type tokenSource struct {
	sem   chan struct{} // capacity 1: held while fetching
	fetch func(ctx context.Context) (string, time.Duration, error)

	mu      sync.Mutex
	value   string
	refresh time.Time // when to fetch a new token: shortly before it expires
}

func (ts *tokenSource) cached(now time.Time) (string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.value, ts.value != "" && now.Before(ts.refresh)
}

func (ts *tokenSource) current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.value
}

func (ts *tokenSource) invalidate() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.refresh = time.Time{}
}

func (ts *tokenSource) token(ctx context.Context) (string, error) {
	if t, ok := ts.cached(time.Now()); ok {
		return t, nil
	}
	select {
	case ts.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-ts.sem }()
	// Another caller may have fetched it while this one waited.
	if t, ok := ts.cached(time.Now()); ok {
		return t, nil
	}
	value, ttl, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := 30 * time.Second
	if ttl < 2*margin {
		margin = ttl / 2
	}
	ts.mu.Lock()
	ts.value = value
	ts.refresh = time.Now().Add(ttl - margin)
	ts.mu.Unlock()
	return value, nil
}

// clientCredentialsToken obtains an access token with the configured OAuth
// client's credentials, as every Telnyx SDK does: POST /oauth/token, HTTP
// Basic, form body grant_type=client_credentials.
func (c *Client) clientCredentialsToken(ctx context.Context) (string, time.Duration, error) {
	var tok TokenResponse
	_, _, err := c.do(ctx, &operation{
		op:           "ExchangeOAuthToken",
		method:       "POST",
		path:         []string{"oauth", "token"},
		formBody:     url.Values{"grant_type": {"client_credentials"}},
		auth:         authClient,
		secretAnswer: true,
	}, &tok)
	if err != nil {
		return "", 0, &credentialError{msg: "obtaining a client-credentials access token: " + err.Error()}
	}
	if tok.AccessToken == "" {
		return "", 0, &credentialError{msg: "obtaining a client-credentials access token: the answer had no access_token"}
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	return tok.AccessToken, ttl, nil
}
