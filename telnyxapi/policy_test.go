package telnyxapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	read := policies["GetOAuthClient"]
	del := policies["DeleteOAuthClient"]
	once := policies["CreateOAuthClient"]
	apiErr := func(status int) error { return &APIError{Operation: "X", Status: status} }
	lost := &sendError{err: errors.New("connection reset by peer")}
	unsent := &sendError{err: errors.New("dial tcp: connection refused"), unsent: true}
	ended := &sendError{err: context.DeadlineExceeded, callEnded: true}
	unusable := &ResponseError{Operation: "X", Status: 200, Reason: "malformed JSON"}
	tests := []struct {
		name       string
		p          policy
		err        error
		canRefresh bool
		want       verdict
	}{
		{"a usable answer", read, nil, false, finish},
		{"a usable answer to a create", once, nil, false, finish},

		{"a read after a lost connection", read, lost, false, retryAmbiguous},
		{"a delete after a lost connection", del, lost, false, retryAmbiguous},
		{"a create after a lost connection", once, lost, false, finishUnknown},
		{"a read never sent", read, unsent, false, retryClean},
		{"a create never sent", once, unsent, false, retryClean},
		{"a read when the call ended", read, ended, false, finish},
		{"a create when the call ended", once, ended, false, finishUnknown},

		{"a read answered 408", read, apiErr(408), false, retryAmbiguous},
		{"a read answered 429", read, apiErr(429), false, retryClean},
		{"a read answered 500", read, apiErr(500), false, retryAmbiguous},
		{"a read answered 502", read, apiErr(502), false, retryAmbiguous},
		{"a read answered 503", read, apiErr(503), false, retryAmbiguous},
		{"a read answered 504", read, apiErr(504), false, retryAmbiguous},
		{"a read answered 501", read, apiErr(501), false, finish},
		{"a read answered 404", read, apiErr(404), false, finish},
		{"a read answered 409", read, apiErr(409), false, finish},
		{"a delete answered 404", del, apiErr(404), false, finish},

		{"a create answered 408", once, apiErr(408), false, finishUnknown},
		{"a create answered 500", once, apiErr(500), false, finishUnknown},
		{"a create answered 501", once, apiErr(501), false, finishUnknown},
		{"a create answered 503", once, apiErr(503), false, finishUnknown},
		{"a create answered 429", once, apiErr(429), false, finish},
		{"a create answered 409", once, apiErr(409), false, finish},
		{"a create answered 422", once, apiErr(422), false, finish},

		{"a read answered 401 with a token to refresh", read, apiErr(401), true, refresh},
		{"a read answered 401 with nothing to refresh", read, apiErr(401), false, finish},
		{"a create answered 401 with a token to refresh", once, apiErr(401), true, finish},

		{"an unusable answer to a read", read, unusable, false, finish},
		{"an unusable answer to a create", once, unusable, false, finishUnknown},
		{"a redirect to a create", once, &RedirectError{Operation: "X", Status: 302}, false, finish},
		{"a missing credential for a create", once, &credentialError{msg: "no credential"}, false, finish},

		{"an operation with no row is never repeated", policy{}, lost, false, finishUnknown},
		{"an operation with no row is never repeated after a 503", policy{}, apiErr(503), false, finishUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, classify(tc.p, tc.err, tc.canRefresh))
		})
	}
}

func TestNeverSent(t *testing.T) {
	t.Parallel()
	assert.True(t, neverSent(&net.OpError{Op: "dial", Err: errors.New("connection refused")}))
	assert.True(t, neverSent(&net.DNSError{Err: "no such host", Name: "api.invalid"}))
	assert.False(t, neverSent(&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}))
	assert.False(t, neverSent(errors.New("EOF")))
}

// TestEveryOperationHasAPolicy calls every method of the Client and checks
// that the operation it sends has a row in the policy table, and that the row
// follows the HTTP method (RFC 9110 §9.2.2): GET, PUT and DELETE, and the
// introspection POST that changes nothing, are sent again; other POSTs are
// not; deletes report a 404 after an ambiguous attempt as likely done.
func TestEveryOperationHasAPolicy(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var methods, ops []string
	srv := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods = append(methods, r.Method)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	c := newClient(t, srv.URL+"/v2", func(c *Config) {
		c.OnAttempt = func(a Attempt) {
			mu.Lock()
			defer mu.Unlock()
			ops = append(ops, a.Operation)
		}
	})
	ctx := t.Context()
	auth := ClientAuth{ClientID: "cid", ClientSecret: "csecret"}
	calls := []func(){
		func() { _, _ = c.GetAuthorizationServerMetadata(ctx) },
		func() { _, _ = c.GetProtectedResourceMetadata(ctx) },
		func() { _, _ = c.GetJWKS(ctx) },
		func() {
			_, _ = c.CheckAuthorize(ctx, AuthorizeParams{ClientID: "cid", RedirectURI: "https://example.com/cb"})
		},
		func() { _, _ = c.GetConsent(ctx, "consent-token") },
		func() { _, _ = c.SubmitConsent(ctx, "consent-token", true) },
		func() { _, _ = c.ExchangeToken(ctx, TokenRequest{GrantType: "client_credentials"}, auth) },
		func() { _, _ = c.Introspect(ctx, "a-token", auth) },
		func() { _, _ = c.Register(ctx, RegisterRequest{}) },
		func() { _, _ = c.ListClients(ctx, ListClientsParams{}) },
		func() { _, _ = c.CreateClient(ctx, CreateClientRequest{Name: "n"}) },
		func() { _, _ = c.GetClient(ctx, "c-1") },
		func() { _, _ = c.UpdateClient(ctx, "c-1", UpdateClientRequest{}) },
		func() { _ = c.DeleteClient(ctx, "c-1") },
		func() { _, _ = c.ListGrants(ctx, PageParams{}) },
		func() { _, _ = c.GetGrant(ctx, "g-1") },
		func() { _, _ = c.RevokeGrant(ctx, "g-1") },
	}
	for _, call := range calls {
		call()
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ops, len(calls), "one attempt per call")
	require.Len(t, methods, len(calls), "one request per call")
	seen := map[string]bool{}
	for i, op := range ops {
		seen[op] = true
		p, ok := policies[op]
		if !assert.True(t, ok, "%s has no row in the policy table", op) {
			continue
		}
		repeatable := methods[i] != http.MethodPost || op == "IntrospectOAuthToken"
		assert.Equal(t, repeatable, p.retry, "%s %s: retry", methods[i], op)
		assert.Equal(t, repeatable, p.replay, "%s %s: replay", methods[i], op)
		assert.Equal(t, !repeatable, p.ambiguous == reportUnknown, "%s %s: reported as outcome unknown", methods[i], op)
		assert.Equal(t, methods[i] == http.MethodDelete, p.ambiguous == reportLikelyDone, "%s %s: likely done", methods[i], op)
	}
	for op := range policies {
		assert.True(t, seen[op], "the policy table has a row for %s, which no method sends", op)
	}
}

// A delete's 404 is likely done only when an earlier attempt may have
// reached the server; a 429 changed nothing, and a read is never "done".
func TestLikelyDoneAfterAmbiguousAttempt(t *testing.T) {
	t.Parallel()
	notFound := respond(404, `{"errors":[{"code":"10005","title":"Resource not found"}]}`)
	tests := []struct {
		name    string
		route   string
		handler http.HandlerFunc
		call    func(*Client) error
		want    bool
	}{
		{
			name: "delete after a 503", route: "DELETE /v2/oauth_clients/c-1",
			handler: sequence(respond(503, `{}`), notFound),
			call:    func(c *Client) error { return c.DeleteClient(t.Context(), "c-1") }, want: true,
		},
		{
			name: "revoke after a lost connection", route: "DELETE /v2/oauth_grants/g-1",
			handler: sequence(resetAfterRead(t), notFound),
			call:    func(c *Client) error { _, err := c.RevokeGrant(t.Context(), "g-1"); return err }, want: true,
		},
		{
			name: "delete after a 429", route: "DELETE /v2/oauth_clients/c-1",
			handler: sequence(respond(429, `{}`), notFound),
			call:    func(c *Client) error { return c.DeleteClient(t.Context(), "c-1") },
		},
		{
			name: "delete at the first attempt", route: "DELETE /v2/oauth_clients/c-1", handler: notFound,
			call: func(c *Client) error { return c.DeleteClient(t.Context(), "c-1") },
		},
		{
			name: "read after a 503", route: "GET /v2/oauth_clients/c-1",
			handler: sequence(respond(503, `{}`), notFound),
			call:    func(c *Client) error { _, err := c.GetClient(t.Context(), "c-1"); return err },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{tc.route: tc.handler})
			err := tc.call(newClient(t, f.base(), nil))
			requireAPIError(t, err, http.StatusNotFound)
			assert.Equal(t, tc.want, LikelyDone(err))
		})
	}
}
