package login

// The loopback callback (callback.go) the browser returns to.

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// TestCallbackAcceptsOneRequest: other paths do not count, the first
// /callback request settles the login, and the listener closes after it.
func TestCallbackAcceptsOneRequest(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	state := safetext.Random(32)
	cb := serveCallback(ln, state)
	base := "http://" + ln.Addr().String()

	resp, err := noRedirects.Get(base + "/favicon.ico")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	got := make(chan *http.Response, 1)
	go func() {
		resp, err := noRedirects.Get(base + "/callback?code=CODECANARY-1&state=" + url.QueryEscape(state))
		if err == nil {
			_ = resp.Body.Close()
		}
		got <- resp
	}()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	code, finish, err := cb.wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, "CODECANARY-1", code)
	finish(nil)
	resp = <-got
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the page waits for the outcome")
	assert.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	assert.Error(t, err, "the listener is closed")
}
