package telnyxfake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// requestTimeout bounds every request the test makes.
const requestTimeout = 10 * time.Second

// Not parallel: it must own every goroutine started after its snapshot. The faults make what
// Close must clean up: a hijacked connection, and handlers left hanging and trickling.
func TestServerCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv, err := faultinject.Listen(telnyxfake.Options{Seed: true})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(srv.URL, "http://127.0.0.1:"))
	assert.Equal(t, srv.URL+"/v2", srv.BaseURL)
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	get := func(ctx context.Context, path string) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.BaseURL+path, nil)
		req.Header.Set("Authorization", "Bearer "+telnyxfake.DefaultAPIKey)
		res, err := client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		return err
	}

	// Ordinary traffic, a reset (hijacked connection) and requests left hanging and trickling.
	require.NoError(t, get(t.Context(), "/oauth_clients"))
	srv.Inject(telnyxfake.OpListGrants, faultinject.ResetBeforeBody(), faultinject.Hang(), faultinject.Trickle(200, 10, 0), faultinject.Delay(time.Hour))
	assert.Error(t, get(t.Context(), "/oauth_grants"))
	done := make(chan error, 3)
	for range 3 {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			done <- get(ctx, "/oauth_grants")
		}()
	}
	require.Eventually(t, func() bool { return len(srv.RequestsFor(telnyxfake.OpListGrants)) == 4 }, 3*time.Second, 5*time.Millisecond)

	require.NoError(t, srv.Close())
	for range 3 {
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("a request outlived Server.Close")
		}
	}
	tr.CloseIdleConnections()
	_, err = client.Get(srv.BaseURL + "/oauth/jwks")
	assert.Error(t, err, "the listener is closed")
}
