package telnyxapi_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// countingSource is a Config.Bearer that hands out a fixed token.
type countingSource struct {
	token string
	err   error
	calls atomic.Int64
}

func (s *countingSource) Token(context.Context) (string, error) {
	s.calls.Add(1)
	return s.token, s.err
}

// TestConfigBearer: Config.Bearer is the bearer only when neither an API
// key nor client credentials are configured, and its failure is a
// credential error that sends nothing.
func TestConfigBearer(t *testing.T) {
	t.Parallel()
	const key = "KEYCANARY-bearer-0123456789"
	fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: key})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	cc := fake.AddClient(telnyxfake.Client{AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"}})
	ctx := context.Background()
	lastBearer := func() string {
		reqs := fake.RequestsFor(telnyxfake.OpListClients)
		require.NotEmpty(t, reqs)
		return strings.TrimPrefix(reqs[len(reqs)-1].Header.Get("Authorization"), "Bearer ")
	}

	src := &countingSource{token: fake.IssueAccessToken(cc.ClientID, "admin", 0)}
	api, err := telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL, Bearer: src})
	require.NoError(t, err)
	_, err = api.ListClients(ctx, telnyxapi.ListClientsParams{})
	require.NoError(t, err)
	assert.Equal(t, src.token, lastBearer())
	assert.Equal(t, int64(1), src.calls.Load())

	api, err = telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL, APIKey: key, Bearer: src})
	require.NoError(t, err)
	_, err = api.ListClients(ctx, telnyxapi.ListClientsParams{})
	require.NoError(t, err)
	assert.Equal(t, key, lastBearer(), "the API key wins")

	api, err = telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL, ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, Bearer: src})
	require.NoError(t, err)
	_, err = api.ListClients(ctx, telnyxapi.ListClientsParams{})
	require.NoError(t, err)
	assert.NotEqual(t, src.token, lastBearer(), "client credentials win")
	assert.Equal(t, int64(1), src.calls.Load(), "the source was not asked again")

	before := len(fake.Requests())
	failing := &countingSource{err: errors.New("the stored login expired: run login again")}
	api, err = telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL, Bearer: failing})
	require.NoError(t, err)
	_, err = api.ListClients(ctx, telnyxapi.ListClientsParams{})
	require.Error(t, err)
	assert.True(t, telnyxapi.IsCredentialError(err))
	assert.Contains(t, err.Error(), "run login again")
	assert.Len(t, fake.Requests(), before, "nothing was sent")
}
