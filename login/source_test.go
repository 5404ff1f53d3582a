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

// TestRefreshAfterLogout: a server that is still running when the
// user runs `logout` must not put the login back into the store when its
// access token runs out (nor spend the refresh token the user gave up).
func TestRefreshAfterLogout(t *testing.T) {
	t.Parallel()
	for _, keychain := range []bool{true, false} {
		t.Run(map[bool]string{true: "keychain", false: "file fallback"}[keychain], func(t *testing.T) {
			t.Parallel()
			r, _ := loggedIn(t, keychain)
			r.expire()
			api := r.serverClient() // the running server, loaded before logout
			require.Equal(t, 0, r.run(logout), r.stderr.String())
			r.assertNothingStored()

			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			_, err := api.ListClients(ctx, telnyxapi.ListClientsParams{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "telnyx-oauth-mcp login")
			r.assertNothingStored()
			assert.Empty(t, r.tokenForms("refresh_token"), "the refresh token of a logged-out login was spent")
		})
	}
}

// TestRefreshKeepsNewAPIKey: a running server's refresh must not
// overwrite an API key the user stored meanwhile with `login --api-key`.
func TestRefreshKeepsNewAPIKey(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, true)
	r.expire()
	api := r.serverClient()
	require.Equal(t, 0, r.loginAPIKey(keyCanary+"\n"), r.stderr.String())

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, _ = api.ListClients(ctx, telnyxapi.ListClientsParams{})
	c, _ := r.stored()
	require.NotNil(t, c)
	assert.Equal(t, credstore.KindAPIKey, c.Kind, "the stored API key was replaced by the old login")
	assert.Equal(t, keyCanary, c.APIKey)
}

// TestRefreshSurvivesCancelledCaller: the refresh is shared by every
// caller, so the one caller whose tool call is cancelled (MCP
// notifications/cancelled) while the token request is in flight must not
// abort it. The refresh token is spent at Telnyx the moment the request
// arrives; dropping the answer loses the rotated pair, and the next refresh
// then reuses the spent token, which revokes the whole grant.
func TestRefreshSurvivesCancelledCaller(t *testing.T) {
	t.Parallel()
	r, _ := loggedIn(t, true)
	r.expire()
	api := r.serverClient()
	arrived, handled := make(chan struct{}), make(chan struct{})
	r.fake.Inject(telnyxfake.OpToken, func(w http.ResponseWriter, req *http.Request, real http.Handler) {
		close(arrived)
		time.Sleep(300 * time.Millisecond) // Telnyx is slow to answer; the token is spent all the same
		real.ServeHTTP(w, req)
		close(handled)
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	cancelled, cancelCall := context.WithCancel(ctx)
	go func() {
		select {
		case <-arrived:
		case <-ctx.Done():
		}
		cancelCall() // the user cancels this tool call
	}()
	_, _ = api.ListClients(cancelled, telnyxapi.ListClientsParams{})
	select {
	case <-handled:
	case <-ctx.Done():
		t.Fatal("the token request never completed at the fake")
	}

	// The next call must work with the login, not find it revoked.
	_, err := api.ListClients(ctx, telnyxapi.ListClientsParams{})
	require.NoError(t, err)
	c, _ := r.stored()
	require.NotNil(t, c)
	assert.Len(t, r.tokenForms("refresh_token"), 1, "the refresh token was spent twice")
}
