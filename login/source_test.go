package login

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// loggedIn logs in through the browser flow and returns the stored login.
func loggedIn(t *testing.T, keychain bool) (*rig, *credstore.Credential) {
	t.Helper()
	r := newRig(t, keychain)
	require.Equal(t, 0, r.login(newBrowser(r, true)), r.stderr.String())
	c, _ := r.stored()
	require.NotNil(t, c)
	return r, c
}

// expire rewrites the stored login as if its access token had run out.
func (r *rig) expire() {
	r.t.Helper()
	c, _ := r.stored()
	require.NotNil(r.t, c)
	c.Expiry = time.Now().Add(-time.Minute)
	_, err := r.store.Save(c)
	require.NoError(r.t, err)
}

// serverClient builds the telnyxapi client the way main does for a stored
// login: no API key, the stored credential's source as the bearer.
func (r *rig) serverClient() *telnyxapi.Client {
	r.t.Helper()
	stored, err := loadStored(r.store, telnyxapi.Config{BaseURL: r.fake.BaseURL}, &r.stderr)
	require.NoError(r.t, err)
	require.NotNil(r.t, stored)
	api, err := telnyxapi.New(telnyxapi.Config{BaseURL: r.fake.BaseURL, Bearer: stored.Bearer})
	require.NoError(r.t, err)
	return api
}

// TestRefreshOnExpiry: with the stored access token expired, 20 concurrent
// tool calls cause exactly one refresh; every call carries the new access
// token, and the rotated refresh token is what the store holds now.
func TestRefreshOnExpiry(t *testing.T) {
	t.Parallel()
	for _, keychain := range []bool{true, false} {
		t.Run(map[bool]string{true: "keychain", false: "file fallback"}[keychain], func(t *testing.T) {
			t.Parallel()
			r, before := loggedIn(t, keychain)
			r.expire()
			c := r.toolClient(r.serverClient())

			const calls = 20
			var wg sync.WaitGroup
			errs := make(chan error, calls)
			for i := 0; i < calls; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
					defer cancel()
					req := mcp.CallToolRequest{}
					req.Params.Name = "list_oauth_clients"
					req.Params.Arguments = map[string]any{}
					res, err := c.CallTool(ctx, req)
					switch {
					case err != nil:
						errs <- err
					case res.IsError:
						errs <- fmt.Errorf("tool error: %v", res.Content)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}

			refreshes := r.tokenForms("refresh_token")
			require.Len(t, refreshes, 1, "exactly one refresh for 20 concurrent calls")
			assert.Equal(t, before.RefreshToken, refreshes[0].Get("refresh_token"))
			assert.Equal(t, before.ClientID, refreshes[0].Get("client_id"))

			after, _ := r.stored()
			require.NotNil(t, after)
			assert.NotEqual(t, before.RefreshToken, after.RefreshToken, "the rotated refresh token is stored")
			assert.NotEmpty(t, after.RefreshToken)
			assert.NotEqual(t, before.AccessToken, after.AccessToken)
			assert.WithinDuration(t, time.Now().Add(time.Hour), after.Expiry, time.Minute)
			bearers := r.bearers(telnyxfake.OpListClients)
			require.Len(t, bearers, calls)
			for _, b := range bearers {
				assert.Equal(t, after.AccessToken, b, "every call used the refreshed token")
			}

			// The stored, rotated refresh token is the live one: a server
			// started now refreshes with it and succeeds.
			r.expire()
			text, isErr := r.callTool(r.toolClient(r.serverClient()), "list_oauth_clients", map[string]any{})
			require.False(t, isErr, text)
			refreshes = r.tokenForms("refresh_token")
			require.Len(t, refreshes, 2)
			assert.Equal(t, after.RefreshToken, refreshes[1].Get("refresh_token"))
		})
	}
}

// TestRefreshSharedBetweenServers: two servers (one per MCP host) sharing
// one stored login both find it expired; the lock and the re-read of the
// store make them spend the rotating refresh token once, not twice (a
// second use would revoke the grant).
func TestRefreshSharedBetweenServers(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, false)
	r.expire()
	a, b := r.serverClient(), r.serverClient()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, api := range []*telnyxapi.Client{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := api.ListClients(ctx, telnyxapi.ListClientsParams{})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Len(t, r.tokenForms("refresh_token"), 1)
	after, _ := r.stored()
	for _, bearer := range r.bearers(telnyxfake.OpListClients) {
		assert.Equal(t, after.AccessToken, bearer)
	}
}

// TestRefreshFailure: when the refresh token is refused, the tool call
// fails with a clear instruction to log in again, and no secret leaks.
func TestRefreshFailure(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, true)
	c, _ := r.stored()
	c.Expiry = time.Now().Add(-time.Minute)
	c.RefreshToken = "REFRESHCANARY-" + safetext.Random(16) // not one the fake issued
	_, err := r.store.Save(c)
	require.NoError(t, err)

	text, isErr := r.callTool(r.toolClient(r.serverClient()), "list_oauth_clients", map[string]any{})
	require.True(t, isErr)
	assert.Contains(t, text, "run `telnyx-oauth-mcp login` again")
	assert.Contains(t, text, "expired or was revoked")
	assert.NotContains(t, text, c.RefreshToken)
	assert.Empty(t, r.fake.RequestsFor(telnyxfake.OpListClients), "no call went out without a token")
}

// TestRefreshWithoutRefreshToken: an expired login without a refresh token
// asks for a new login instead of sending a dead token.
func TestRefreshWithoutRefreshToken(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, true)
	c, _ := r.stored()
	c.Expiry = time.Now().Add(-time.Minute)
	c.RefreshToken = ""
	_, err := r.store.Save(c)
	require.NoError(t, err)
	_, err = r.serverClient().ListClients(context.Background(), telnyxapi.ListClientsParams{})
	require.Error(t, err)
	assert.True(t, telnyxapi.IsCredentialError(err))
	assert.Contains(t, err.Error(), "run `telnyx-oauth-mcp login` again")
	assert.Empty(t, r.tokenForms("refresh_token"))
}

// TestRefreshErrorKinds: what a failed refresh tells the user.
func TestRefreshErrorKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&telnyxapi.APIError{Operation: "ExchangeOAuthToken", Status: 400, Code: "invalid_grant"}, "expired or was revoked"},
		{&telnyxapi.OutcomeUnknownError{Operation: "ExchangeOAuthToken", Err: context.DeadlineExceeded}, "may be used up"},
		{&telnyxapi.TransportError{Operation: "ExchangeOAuthToken", Attempts: 1, Err: context.DeadlineExceeded}, "try again"},
	} {
		msg := refreshError(tc.err).Error()
		assert.Contains(t, msg, tc.want)
		assert.True(t, strings.Contains(msg, "telnyx-oauth-mcp login"), msg)
	}
}

// TestBearerScrubbedFromErrors: an upstream error that echoes the request's
// Authorization header does not carry the stored access token to the
// model (telnyxapi scrubs what Source.Current returns).
func TestBearerScrubbedFromErrors(t *testing.T) {
	t.Parallel()
	r, c := loggedIn(t, true)
	r.fake.Inject(telnyxfake.OpListClients, faultinject.Func(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"errors":[{"code":"10015","title":"Bad request","detail":"bad header Authorization: %s"}]}`, req.Header.Get("Authorization"))
	}))
	text, isErr := r.callTool(r.toolClient(r.serverClient()), "list_oauth_clients", map[string]any{})
	require.True(t, isErr)
	assert.Contains(t, text, "[redacted]")
	assert.NotContains(t, text, c.AccessToken)
}
