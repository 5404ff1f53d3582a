package telnyxfake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRouting(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	tests := []struct {
		name    string
		method  string
		target  string
		status  int
		op      string
		rawPath string
		path    string
	}{
		{"list clients", "GET", "/oauth_clients", 200, OpListClients, "/v2/oauth_clients", "/v2/oauth_clients"},
		{"unknown route", "GET", "/oauth_things", 404, "", "/v2/oauth_things", "/v2/oauth_things"},
		{"no prefix", "GET", "root:/oauth_clients", 404, "", "/oauth_clients", "/oauth_clients"},
		{"encoded slash stays in the id", "GET", "/oauth_clients/a%2Fb", 404, OpGetClient, "/v2/oauth_clients/a%2Fb", "/v2/oauth_clients/a/b"},
		{"dot-dot id looked up literally", "GET", "/oauth_clients/..", 404, OpGetClient, "/v2/oauth_clients/..", "/v2/oauth_clients/.."},
		{"dot-dot not resolved", "GET", "/oauth_clients/../oauth_grants", 404, "", "/v2/oauth_clients/../oauth_grants", "/v2/oauth_clients/../oauth_grants"},
		{"trailing slash", "GET", "/oauth_clients/", 404, "", "/v2/oauth_clients/", "/v2/oauth_clients/"},
		{"wrong method", "PATCH", "/oauth_clients/" + DemoClientID, 405, "", "/v2/oauth_clients/" + DemoClientID, "/v2/oauth_clients/" + DemoClientID},
		{"well-known at root", "GET", "root:/.well-known/oauth-authorization-server", 200, OpGetAuthorizationServerMetadata, "/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server"},
		{"well-known not under prefix", "GET", "/.well-known/oauth-authorization-server", 404, "", "/v2/.well-known/oauth-authorization-server", "/v2/.well-known/oauth-authorization-server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.srv.ResetRequests()
			h := *h
			h.t = t
			r := h.api(tc.method, tc.target, "")
			assert.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			reqs := h.srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tc.op, reqs[0].Operation)
			assert.Equal(t, tc.rawPath, reqs[0].RawPath)
			assert.Equal(t, tc.path, reqs[0].Path)
			if tc.status == 404 {
				assert.Equal(t, codeNotFound, r.TelnyxCode(t))
			}
			if tc.status == 405 {
				assert.Equal(t, "GET, PUT, DELETE", r.Header.Get("Allow"))
			}
		})
	}
}

func TestRecordingAndRequestIDs(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	seen := map[string]bool{}
	for range 5 {
		r := h.send("GET", "/oauth_clients?page%5Bsize%5D=5&filter%5Bname%5D=x", "", "Authorization", "Bearer nope", "X-Custom", "1")
		assert.Equal(t, 401, r.Status)
		id := r.Header.Get("X-Request-Id")
		assert.Len(t, id, 36)
		assert.False(t, seen[id], "request id repeated")
		seen[id] = true
	}
	r := h.api("POST", "/oauth_clients", `{"name":"x"}`)
	assert.Equal(t, 422, r.Status)
	assert.NotEmpty(t, r.Header.Get("X-Request-Id"))

	reqs := h.srv.RequestsFor(OpListClients)
	require.Len(t, reqs, 5)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "page%5Bsize%5D=5&filter%5Bname%5D=x", reqs[0].RawQuery)
	assert.Equal(t, "5", reqs[0].Query.Get("page[size]"))
	assert.Equal(t, "Bearer nope", reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "1", reqs[0].Header.Get("X-Custom"))
	assert.Nil(t, reqs[0].Body)

	creates := h.srv.RequestsFor(OpCreateClient)
	require.Len(t, creates, 1)
	assert.JSONEq(t, `{"name":"x"}`, string(creates[0].Body))

	// The log is a copy: changing it changes nothing.
	creates[0].Header.Set("Authorization", "changed")
	creates[0].Body[0] = 'X'
	again := h.srv.RequestsFor(OpCreateClient)
	assert.Equal(t, "Bearer "+DefaultAPIKey, again[0].Header.Get("Authorization"))
	assert.JSONEq(t, `{"name":"x"}`, string(again[0].Body))

	assert.Len(t, h.srv.Requests(), 6)
	h.srv.ResetRequests()
	assert.Empty(t, h.srv.Requests())
}

func TestOversizedBody(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	big := `{"name":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	r := h.api("POST", "/oauth_clients", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	reqs := h.srv.RequestsFor(OpCreateClient)
	require.Len(t, reqs, 1)
	assert.Len(t, reqs[0].Body, maxBodyBytes, "the recorded body is capped")
	assert.Empty(t, h.srv.Clients())
}

func TestCustomAPIKeyAndPrefix(t *testing.T) {
	t.Parallel()
	h := start(t, Options{APIKey: "KEYother", Prefix: "/"})
	assert.Equal(t, h.srv.URL, h.srv.BaseURL)
	assert.Equal(t, 401, h.api("GET", "/oauth_clients", "").Status, "the default key is not accepted")
	r := h.send("GET", "/oauth_clients", "", "Authorization", "Bearer KEYother")
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, OpListClients, h.srv.Requests()[1].Operation)

	meta := h.send("GET", "root:/.well-known/oauth-authorization-server", "").JSON(t)
	assert.Equal(t, h.srv.URL+"/oauth/token", meta["token_endpoint"])
}

// A Fake mounted on any listener derives its issuer from the request's Host.
func TestFakeAsHandlerDerivesIssuer(t *testing.T) {
	t.Parallel()
	f := New(Options{Prefix: "/api/v2/"})
	assert.Equal(t, DefaultIssuer, f.Issuer())
	ts := httptest.NewServer(f)
	defer ts.Close()
	defer ts.Client().Transport.(*http.Transport).CloseIdleConnections()

	res, err := ts.Client().Get(ts.URL + "/.well-known/oauth-protected-resource")
	require.NoError(t, err)
	var meta map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&meta))
	require.NoError(t, res.Body.Close())
	assert.Equal(t, ts.URL+"/api/v2", meta["resource"])
	assert.Equal(t, []any{ts.URL}, meta["authorization_servers"])
	assert.Equal(t, ts.URL, f.Issuer())

	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest("GET", "http://other.example/api/v2/oauth/jwks", nil))
	assert.Equal(t, 200, rec.Code)
	assert.Equal(t, "http://other.example", f.Issuer())
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	var wg sync.WaitGroup
	statuses := make(chan int, 80)
	for i := range 40 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r, err := h.sendErr(context.Background(), "POST", "/oauth_clients",
				`{"name":"c`+strings.Repeat("x", i)+`","client_type":"confidential","allowed_grant_types":["client_credentials"],"allowed_scopes":["numbers.read"]}`,
				"Authorization", "Bearer "+DefaultAPIKey, "Content-Type", "application/json")
			if err == nil {
				statuses <- r.Status
			}
		}()
		go func() {
			defer wg.Done()
			r, err := h.sendErr(context.Background(), "GET", "/oauth_clients?page%5Bsize%5D=100", "", "Authorization", "Bearer "+DefaultAPIKey)
			if err == nil {
				statuses <- r.Status
			}
		}()
	}
	wg.Wait()
	close(statuses)
	n := 0
	for s := range statuses {
		assert.Contains(t, []int{200, 201}, s)
		n++
	}
	assert.Equal(t, 80, n)
	assert.Len(t, h.srv.Clients(), 40)
	assert.Len(t, h.srv.Requests(), 80)
}

// gatewayFunc is a Gateway made of a function.
type gatewayFunc func(op string, w http.ResponseWriter, r *http.Request, api http.Handler)

func (g gatewayFunc) Serve(op string, w http.ResponseWriter, r *http.Request, api http.Handler) {
	g(op, w, r, api)
}

func TestGatewayServesAfterTheLog(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ops []string
	h := start(t, Options{Gateway: gatewayFunc(func(op string, w http.ResponseWriter, r *http.Request, api http.Handler) {
		mu.Lock()
		ops = append(ops, op)
		mu.Unlock()
		if op == OpCreateClient {
			w.WriteHeader(http.StatusTeapot) // without reading the body
			return
		}
		api.ServeHTTP(w, r)
	})})

	r := h.api("POST", "/oauth_clients", confidentialBody)
	assert.Equal(t, http.StatusTeapot, r.Status, "the gateway answers in the API's place")
	assert.Len(t, r.Header.Get("X-Request-Id"), 36, "the fake gave the request its id first")
	assert.Empty(t, h.srv.Clients(), "the API never ran")
	creates := h.srv.RequestsFor(OpCreateClient)
	require.Len(t, creates, 1, "a request the gateway answered is recorded")
	assert.Equal(t, confidentialBody, string(creates[0].Body), "with the body the gateway left unread")

	assert.Equal(t, http.StatusOK, h.api("GET", "/oauth_grants", "").Status, "the gateway can call the API")
	assert.Equal(t, http.StatusNotFound, h.api("GET", "/nowhere", "").Status)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{OpCreateClient, OpListGrants, ""}, ops)
}

// TestErrorBody: the envelope a gateway writes is the one the fake answers with.
func TestErrorBody(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	r := h.api("GET", "/oauth_clients/00000000-0000-4000-8000-000000000000", "")
	require.Equal(t, 404, r.Status)
	assert.JSONEq(t, string(ErrorBody(codeNotFound, titleNotFound, "OAuth client not found.")), string(r.Body))
	assert.JSONEq(t, `{"errors":[{"code":"10007","title":"Unexpected error","detail":"a \"quoted\" detail",`+
		`"meta":{"url":"https://developers.telnyx.com/docs/overview/errors/10007"}}]}`,
		string(ErrorBody(codeUnexpected, titleUnexpected, `a "quoted" detail`)))
}

func TestOperations(t *testing.T) {
	t.Parallel()
	ops := Operations()
	assert.True(t, slices.IsSorted(ops))
	assert.Len(t, ops, 18, "the 17 API operations and the consent page")
	assert.Contains(t, ops, OpConsentPage)
	assert.Contains(t, ops, OpRevokeGrant)
}
