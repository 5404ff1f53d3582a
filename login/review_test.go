package login

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// TestReviewRefreshAfterLogout: a server that is still running when the
// user runs `logout` must not put the login back into the store when its
// access token runs out (nor spend the refresh token the user gave up).
func TestReviewRefreshAfterLogout(t *testing.T) {
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

// TestReviewRefreshKeepsNewAPIKey: a running server's refresh must not
// overwrite an API key the user stored meanwhile with `login --api-key`.
func TestReviewRefreshKeepsNewAPIKey(t *testing.T) {
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

// TestReviewRefreshSurvivesCancelledCaller: the refresh is shared by every
// caller, so the one caller whose tool call is cancelled (MCP
// notifications/cancelled) while the token request is in flight must not
// abort it. The refresh token is spent at Telnyx the moment the request
// arrives; dropping the answer loses the rotated pair, and the next refresh
// then reuses the spent token, which revokes the whole grant.
func TestReviewRefreshSurvivesCancelledCaller(t *testing.T) {
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
