package faultinject

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// requestTimeout bounds every request a test makes.
const requestTimeout = 10 * time.Second

// confidentialBody creates a confidential client.
const confidentialBody = `{"name":"Reporting","client_type":"confidential","allowed_grant_types":["client_credentials"],"allowed_scopes":["numbers.read","voice.read"],"logo_uri":"https://r.example.com/logo.png"}`

// harness is a Server plus a client that never follows redirects, both closed at cleanup.
type harness struct {
	t      *testing.T
	srv    *Server
	client *http.Client
}

func start(t *testing.T, opts telnyxfake.Options) *harness {
	t.Helper()
	srv, err := Listen(opts)
	require.NoError(t, err)
	h := &harness{t: t, srv: srv, client: testkit.NoRedirectClient(t)}
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return h
}

// response is a fully read response.
type response = testkit.Response

// send makes one request to a path under the API base; headers are name, value pairs.
func (h *harness) send(method, path, body string, headers ...string) response {
	h.t.Helper()
	resp, err := h.sendErr(h.t.Context(), method, path, body, headers...)
	require.NoError(h.t, err)
	return resp
}

func (h *harness) sendErr(ctx context.Context, method, path, body string, headers ...string) (response, error) {
	return testkit.Send(ctx, h.client, requestTimeout, method, h.srv.BaseURL+path, body, headers...)
}

// api sends a bearer-authenticated request with a JSON body, as the SDKs do.
func (h *harness) api(method, path, body string) response {
	h.t.Helper()
	headers := []string{"Authorization", "Bearer " + telnyxfake.DefaultAPIKey}
	if body != "" {
		headers = append(headers, "Content-Type", "application/json")
	}
	return h.send(method, path, body, headers...)
}

// approve submits the user's decision on a consent token and returns where the browser goes.
func approve(t *testing.T, h *harness, consent string, allowed bool) *url.URL {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"allowed": allowed, "consent_token": consent})
	r := h.api("POST", "/oauth/grants", string(body))
	require.Equal(t, 200, r.Status, "body: %s", r.Body)
	u, err := url.Parse(r.JSON(t)["redirect_uri"].(string))
	require.NoError(t, err)
	return u
}

func basic(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

// waitIdle waits (bounded) until no fault is serving a request: proof that a fault gave up.
func waitIdle(t *testing.T, s *Server) {
	t.Helper()
	require.Eventually(t, func() bool { return s.Running() == 0 }, 3*time.Second, 5*time.Millisecond, "a fault is still running")
}

func TestSimpleFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  Fault
		status int
		check  func(t *testing.T, r response)
	}{
		{"Status", Status(503, `{"errors":[{"code":"10007","title":"down"}]}`), 503, func(t *testing.T, r response) {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Equal(t, "10007", r.TelnyxCode(t))
			assert.NotEmpty(t, r.Header.Get("X-Request-Id"), "faulted responses carry a request id too")
		}},
		{"StatusWithHeaders", StatusWithHeaders(500, http.Header{"X-Should-Retry": {"true"}, "Content-Type": {"application/problem+json"}}, `{}`), 500, func(t *testing.T, r response) {
			assert.Equal(t, "true", r.Header.Get("X-Should-Retry"))
			assert.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		}},
		{"RetryAfter 429", RetryAfter(429, "86400"), 429, func(t *testing.T, r response) {
			assert.Equal(t, "86400", r.Header.Get("Retry-After"))
			assert.Equal(t, codeRateLimited, r.TelnyxCode(t))
		}},
		{"RetryAfter garbage", RetryAfter(503, `soon "ish"`), 503, func(t *testing.T, r response) {
			assert.Equal(t, `soon "ish"`, r.Header.Get("Retry-After"))
			assert.Equal(t, codeUnexpected, r.TelnyxCode(t), "the body stays valid JSON")
		}},
		{"EchoRequest", EchoRequest(500, false), 500, func(t *testing.T, r response) {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			assert.Equal(t, codeUnexpected, r.TelnyxCode(t))
			detail := r.JSON(t)["errors"].([]any)[0].(map[string]any)["detail"]
			assert.Equal(t, "bad request: Authorization: Bearer "+telnyxfake.DefaultAPIKey+" path /v2/oauth_clients/"+telnyxfake.DemoClientID+" body ", detail)
		}},
		{"EchoRequest OAuth shape", EchoRequest(400, true), 400, func(t *testing.T, r response) {
			assert.Equal(t, map[string]any{"error": "invalid_request",
				"error_description": "bad request: Authorization: Bearer " + telnyxfake.DefaultAPIKey + " path /v2/oauth_clients/" + telnyxfake.DemoClientID + " body "}, r.JSON(t))
		}},
		{"HTML", HTML(502), 502, func(t *testing.T, r response) {
			assert.Equal(t, "text/html; charset=UTF-8", r.Header.Get("Content-Type"))
			assert.GreaterOrEqual(t, len(r.Body), 2000)
			assert.LessOrEqual(t, len(r.Body), 3000)
			assert.Contains(t, string(r.Body), "<title>502 Bad Gateway")
			assert.Contains(t, string(r.Body), "<script>")
		}},
		{"Body truncated JSON", Body(200, "application/json", `{"data":[`), 200, func(t *testing.T, r response) {
			assert.Equal(t, `{"data":[`, string(r.Body))
		}},
		{"Body without content type", Body(200, "", ""), 200, func(t *testing.T, r response) {
			assert.Empty(t, r.Body)
			assert.Empty(t, r.Header.Values("Content-Type"))
		}},
		{"Redirect", Redirect(302, "http://127.0.0.1:9/latest/meta-data"), 302, func(t *testing.T, r response) {
			assert.Equal(t, "http://127.0.0.1:9/latest/meta-data", r.Header.Get("Location"))
		}},
		{"Func", Func(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(418)
			_, _ = io.WriteString(w, r.Method)
		}), 418, func(t *testing.T, r response) {
			assert.Equal(t, "GET", string(r.Body))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := start(t, telnyxfake.Options{Seed: true})
			h.srv.Inject(telnyxfake.OpGetClient, tc.fault)
			r := h.api("GET", "/oauth_clients/"+telnyxfake.DemoClientID, "")
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			tc.check(t, r)
			// The queue is empty again: the real behaviour is back.
			assert.Equal(t, 0, h.srv.PendingFaults(telnyxfake.OpGetClient))
			assert.Equal(t, 200, h.api("GET", "/oauth_clients/"+telnyxfake.DemoClientID, "").Status)
			assert.Len(t, h.srv.RequestsFor(telnyxfake.OpGetClient), 2)
		})
	}
}

func TestFaultQueueOrderAndScope(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpListClients, Status(500, `{}`), nil, Status(503, `{}`))
	assert.Equal(t, 3, h.srv.PendingFaults(telnyxfake.OpListClients))
	assert.Equal(t, 200, h.api("GET", "/oauth_grants", "").Status, "other operations are untouched")
	assert.Equal(t, 500, h.api("GET", "/oauth_clients", "").Status)
	assert.Equal(t, 200, h.api("GET", "/oauth_clients", "").Status, "a nil fault lets one request through")
	// Faults run before authentication, like a gateway.
	assert.Equal(t, 503, h.send("GET", "/oauth_clients", "").Status)
	assert.Equal(t, 401, h.send("GET", "/oauth_clients", "").Status)
	assert.Len(t, h.srv.RequestsFor(telnyxfake.OpListClients), 4, "faulted requests are recorded")

	assert.PanicsWithValue(t, `faultinject: Inject: unknown operation "ListOAuthClient"; known: `+
		"AuthorizeOAuth, ConsentPage, CreateOAuthClient, CreateOAuthGrant, DeleteOAuthClient, ExchangeOAuthToken, "+
		"GetOAuthAuthorizationServerMetadata, GetOAuthClient, GetOAuthConsentToken, GetOAuthGrant, GetOAuthJWKS, "+
		"GetOAuthProtectedResourceMetadata, IntrospectOAuthToken, ListOAuthClients, ListOAuthGrants, "+
		"RegisterOAuthClient, RevokeOAuthGrant, UpdateOAuthClient",
		func() { h.srv.Inject("ListOAuthClient", Hang()) })
}

func TestDelay(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpCreateClient, Delay(150*time.Millisecond))
	began := time.Now()
	r := h.api("POST", "/oauth_clients", confidentialBody)
	assert.Equal(t, 201, r.Status, "after the delay the real handler answers")
	assert.GreaterOrEqual(t, time.Since(began), 150*time.Millisecond)
	assert.Len(t, h.srv.Clients(), 1)

	// A client that gives up ends the delay: the handler returns and nothing is created.
	h.srv.Inject(telnyxfake.OpCreateClient, Delay(time.Hour))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := h.sendErr(ctx, "POST", "/oauth_clients", confidentialBody, "Authorization", "Bearer "+telnyxfake.DefaultAPIKey, "Content-Type", "application/json")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	waitIdle(t, h.srv)
	assert.Len(t, h.srv.Clients(), 1)
	assert.Len(t, h.srv.RequestsFor(telnyxfake.OpCreateClient)[1].Body, len(confidentialBody))
}

func TestHangEndsWhenClientCancels(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpToken, Hang())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := h.sendErr(ctx, "POST", "/oauth/token", "grant_type=client_credentials", "Content-Type", "application/x-www-form-urlencoded")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	waitIdle(t, h.srv)
	reqs := h.srv.RequestsFor(telnyxfake.OpToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, "grant_type=client_credentials", string(reqs[0].Body))
}

func TestHangEndsOnServerClose(t *testing.T) {
	t.Parallel()
	srv, err := Listen(telnyxfake.Options{})
	require.NoError(t, err)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	srv.Inject(telnyxfake.OpGetJWKS, Hang())
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.BaseURL+"/oauth/jwks", nil)
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return len(srv.RequestsFor(telnyxfake.OpGetJWKS)) == 1 }, 3*time.Second, 5*time.Millisecond)
	began := time.Now()
	require.NoError(t, srv.Close())
	assert.Less(t, time.Since(began), 2*time.Second)
	select {
	case err := <-errc:
		assert.Error(t, err, "the hanging request fails when the server closes")
	case <-time.After(3 * time.Second):
		t.Fatal("the client never saw the server close")
	}
	assert.NoError(t, srv.Close(), "Close is idempotent")
}

func TestResetBeforeBody(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpCreateClient, ResetBeforeBody())
	_, err := h.sendErr(t.Context(), "POST", "/oauth_clients", confidentialBody, "Authorization", "Bearer "+telnyxfake.DefaultAPIKey, "Content-Type", "application/json")
	require.Error(t, err, "the client sees a broken connection, not a response")
	assert.Empty(t, h.srv.Clients(), "nothing happened")
	reqs := h.srv.RequestsFor(telnyxfake.OpCreateClient)
	require.Len(t, reqs, 1)
	assert.Equal(t, "application/json", reqs[0].Header.Get("Content-Type"), "headers are recorded")
	assert.Nil(t, reqs[0].Body, "the body was never read")
	assert.Equal(t, 201, h.api("POST", "/oauth_clients", confidentialBody).Status, "the next request works")
}

func TestResetAfterApply(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{Seed: true})
	h.srv.Inject(telnyxfake.OpToken, ResetAfterApply())
	code := approve(t, h, h.srv.NewConsentToken(telnyxfake.DemoClientID, telnyxfake.DemoRedirectURI, "voice.read", "", "", ""), true).Query().Get("code")
	form := "grant_type=authorization_code&code=" + code + "&redirect_uri=" + telnyxfake.DemoRedirectURI
	auth := []string{"Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic " + basic(telnyxfake.DemoClientID, telnyxfake.DemoClientSecret)}
	_, err := h.sendErr(t.Context(), "POST", "/oauth/token", form, auth...)
	require.Error(t, err)
	reqs := h.srv.RequestsFor(telnyxfake.OpToken)
	require.Len(t, reqs, 1)
	assert.Equal(t, form, string(reqs[0].Body))

	// The exchange really happened: a blind retry replays a used code.
	r := h.send("POST", "/oauth/token", form, auth...)
	assert.Equal(t, 400, r.Status)
	assert.Equal(t, "invalid_grant", r.JSON(t)["error"])
}

func TestTrickle(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpListGrants, Trickle(200, 50, 0))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", h.srv.BaseURL+"/oauth_grants", nil)
	require.NoError(t, err)
	began := time.Now()
	res, err := h.client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	assert.Less(t, time.Since(began), time.Second, "headers come at once")

	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(res.Body, buf, 12)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(buf[:n]), `{"data":[`))
	assert.GreaterOrEqual(t, time.Since(began), 100*time.Millisecond, "the body trickles")
	cancel()
	_, err = io.ReadAll(res.Body)
	assert.Error(t, err)
	waitIdle(t, h.srv)

	// With a total it ends by itself.
	h.srv.Inject(telnyxfake.OpListGrants, Trickle(200, 1000, 30))
	r := h.api("GET", "/oauth_grants", "")
	assert.Len(t, r.Body, 30)
}

func TestLargeBody(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	const size = 50 << 20
	h.srv.Inject(telnyxfake.OpListClients, LargeBody(200, size))
	req, err := http.NewRequestWithContext(t.Context(), "GET", h.srv.BaseURL+"/oauth_clients", nil)
	require.NoError(t, err)
	res, err := h.client.Do(req)
	require.NoError(t, err)
	assert.Equal(t, int64(size), res.ContentLength)
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	require.NoError(t, err)
	assert.Len(t, b, 1<<20)
	assert.True(t, strings.HasPrefix(string(b), `{"data":[{"record_type":"oauth_client"`))
	require.NoError(t, res.Body.Close(), "closing early abandons the rest")
	waitIdle(t, h.srv)

	h.srv.Inject(telnyxfake.OpListClients, LargeBody(200, 100_000))
	assert.Len(t, h.api("GET", "/oauth_clients", "").Body, 100_000)
}

func TestCorruptGzip(t *testing.T) {
	t.Parallel()
	h := start(t, telnyxfake.Options{})
	h.srv.Inject(telnyxfake.OpGetJWKS, CorruptGzip(200))
	req, err := http.NewRequestWithContext(t.Context(), "GET", h.srv.BaseURL+"/oauth/jwks", nil)
	require.NoError(t, err)
	res, err := h.client.Do(req) // the transport asks for gzip and decodes it transparently
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	_, err = io.ReadAll(res.Body)
	assert.Error(t, err, "decoding the stream fails")
}
