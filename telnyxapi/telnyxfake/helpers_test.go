package telnyxfake

// The harness of this package's tests: a fake on 127.0.0.1 on a test
// clock, and requests sent to it as a client would send them.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// requestTimeout bounds every request a test makes.
const requestTimeout = 10 * time.Second

// harness is a Server plus a client that never follows redirects, both closed at cleanup.
type harness struct {
	t      *testing.T
	srv    *Server
	client *http.Client
}

func start(t *testing.T, opts Options) *harness {
	t.Helper()
	srv, err := Listen(opts)
	require.NoError(t, err)
	h := &harness{t: t, srv: srv, client: testkit.NoRedirectClient(t)}
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return h
}

// response is a fully read response.
type response = testkit.Response

// send makes one request. url is absolute, or a path relative to the API base (BaseURL), or,
// when it starts with "root:", a path relative to the root URL. headers are name, value pairs.
func (h *harness) send(method, target, body string, headers ...string) response {
	h.t.Helper()
	resp, err := h.sendErr(h.t.Context(), method, target, body, headers...)
	require.NoError(h.t, err)
	return resp
}

func (h *harness) sendErr(ctx context.Context, method, target, body string, headers ...string) (response, error) {
	return testkit.Send(ctx, h.client, requestTimeout, method, h.url(target), body, headers...)
}

func (h *harness) url(target string) string {
	switch {
	case strings.HasPrefix(target, "http://"):
		return target
	case strings.HasPrefix(target, "root:"):
		return h.srv.URL + strings.TrimPrefix(target, "root:")
	}
	return h.srv.BaseURL + target
}

// api sends a bearer-authenticated request with a JSON body, as the SDKs do.
func (h *harness) api(method, path, body string) response {
	h.t.Helper()
	headers := []string{"Authorization", "Bearer " + DefaultAPIKey}
	if body != "" {
		headers = append(headers, "Content-Type", "application/json")
	}
	return h.send(method, path, body, headers...)
}

// form sends a form-encoded POST with extra headers.
func (h *harness) form(path string, v url.Values, headers ...string) response {
	h.t.Helper()
	return h.send(http.MethodPost, path, v.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// newClock is a settable clock for Options.Now.
func newClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}
