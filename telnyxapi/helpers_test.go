package telnyxapi

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testKey       = "KEYCANARY0123456789abcdef"
	testUA        = "telnyx-oauth-mcp-test/9.9.9"
	testClientID  = "cid-configured"
	testSecret    = "SECRETCANARY-configured"
	testRequestID = "req-0001"
)

// recorded is one request as the fake server saw it.
type recorded struct {
	Method   string
	Path     string // escaped, exactly as sent
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fake is an httptest server on 127.0.0.1 standing in for api.telnyx.com.
// Routes are keyed "METHOD /escaped/path"; any other request fails the test.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	routes map[string]http.HandlerFunc
}

func newFake(t *testing.T, routes map[string]http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{t: t, routes: routes}
	f.srv = newLoopbackServer(t, http.HandlerFunc(f.serve))
	return f
}

// newLoopbackServer starts h on 127.0.0.1 only and closes it when the test ends.
func newLoopbackServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	require.NoError(t, srv.Listener.Close())
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{
		Method:   r.Method,
		Path:     r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
	})
	h, ok := f.routes[r.Method+" "+r.URL.EscapedPath()]
	f.mu.Unlock()
	if !ok {
		f.t.Errorf("fake: unexpected request %s %s?%s", r.Method, r.URL.EscapedPath(), r.URL.RawQuery)
		http.Error(w, "unexpected request", http.StatusTeapot)
		return
	}
	h(w, r)
}

// base is the API base URL under the fake /v2 prefix.
func (f *fake) base() string { return f.srv.URL + "/v2" }

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// countOf counts the requests to one route.
func (f *fake) countOf(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.reqs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// only returns the single request the fake received.
func (f *fake) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	require.Len(t, reqs, 1)
	return reqs[0]
}

// respond answers with status and a JSON body (no body when body is "").
func respond(status int, body string) http.HandlerFunc {
	return respondType(status, "application/json", body)
}

func respondType(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		} else {
			w.Header()["Content-Type"] = nil // no sniffing: send none
		}
		w.Header().Set("X-Request-Id", testRequestID)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// sequence answers the nth request with the nth handler, repeating the last.
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		if i >= len(handlers) {
			i = len(handlers) - 1
		}
		handlers[i](w, r)
	}
}

// hang blocks until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

// testTransport is a fresh transport per test whose idle connections are
// closed when the test ends, so goleak sees no connection goroutines.
func testTransport(t *testing.T) *http.Transport {
	t.Helper()
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 32,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newClient builds a client for baseURL with the test API key, fast backoff
// and a test transport; mod adjusts the config first.
func newClient(t *testing.T, baseURL string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:        baseURL,
		APIKey:         testKey,
		UserAgent:      testUA,
		Backoff:        time.Millisecond,
		AttemptTimeout: 5 * time.Second,
		CallTimeout:    10 * time.Second,
		Transport:      testTransport(t),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

// want is what a request must look like. Empty header fields must be absent.
type want struct {
	method      string
	path        string // escaped path
	query       string // raw query, exactly
	auth        string // the whole Authorization header
	contentType string
	accept      string
	jsonBody    string     // compared as JSON
	formBody    url.Values // compared as a parsed form
}

func bearer(token string) string { return "Bearer " + token }

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

// assertRequest checks method, escaped path, query, headers and body.
func assertRequest(t *testing.T, got recorded, w want) {
	t.Helper()
	assert.Equal(t, w.method, got.Method, "method")
	assert.Equal(t, w.path, got.Path, "escaped path")
	assert.Equal(t, w.query, got.RawQuery, "raw query")
	assert.Equal(t, w.auth, got.Header.Get("Authorization"), "Authorization")
	assert.Equal(t, w.contentType, got.Header.Get("Content-Type"), "Content-Type")
	accept := w.accept
	if accept == "" {
		accept = "application/json"
	}
	assert.Equal(t, accept, got.Header.Get("Accept"), "Accept")
	assert.Equal(t, testUA, got.Header.Get("User-Agent"), "User-Agent")
	switch {
	case w.jsonBody != "":
		assert.JSONEq(t, w.jsonBody, string(got.Body), "JSON body")
	case w.formBody != nil:
		form, err := url.ParseQuery(string(got.Body))
		if assert.NoError(t, err, "form body") {
			assert.Equal(t, w.formBody, form, "form body")
		}
	default:
		assert.Empty(t, got.Body, "body")
	}
}

// mustJSON encodes v for a response body.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// requireAPIError asserts err is an *APIError with the status and returns it.
func requireAPIError(t *testing.T, err error, status int) *APIError {
	t.Helper()
	require.Error(t, err)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.Status)
	return apiErr
}
