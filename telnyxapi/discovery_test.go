package telnyxapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetAuthorizationServerMetadata(t *testing.T) {
	t.Parallel()
	t.Run("success at the host root", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /.well-known/oauth-authorization-server": respond(200, `{
				"issuer":"https://api.telnyx.com",
				"token_endpoint":"https://api.telnyx.com/v2/oauth/token",
				"scopes_supported":["numbers.read","messaging.write"],
				"code_challenge_methods_supported":["S256"]}`),
		})
		c := newClient(t, f.base(), nil)
		md, err := c.GetAuthorizationServerMetadata(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "https://api.telnyx.com", md.Issuer)
		assert.Equal(t, "https://api.telnyx.com/v2/oauth/token", md.TokenEndpoint)
		assert.Equal(t, []string{"numbers.read", "messaging.write"}, md.ScopesSupported)
		assert.Equal(t, []string{"S256"}, md.CodeChallengeMethodsSupported)
		assertRequest(t, f.only(t), want{method: "GET", path: "/.well-known/oauth-authorization-server"})
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /.well-known/oauth-authorization-server": respond(400, `{"error":"invalid_request","error_description":"nope"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.GetAuthorizationServerMetadata(t.Context())
		apiErr := requireAPIError(t, err, 400)
		assert.Equal(t, "invalid_request", apiErr.Code)
		assert.Equal(t, "nope", apiErr.Detail)
		assert.Equal(t, "GetOAuthAuthorizationServerMetadata", apiErr.Operation)
		assert.Equal(t, 1, f.count())
	})
}

func TestGetProtectedResourceMetadata(t *testing.T) {
	t.Parallel()
	t.Run("success at the host root", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /.well-known/oauth-protected-resource": respond(200,
				`{"resource":"https://api.telnyx.com","authorization_servers":["https://api.telnyx.com"]}`),
		})
		c := newClient(t, f.base(), nil)
		md, err := c.GetProtectedResourceMetadata(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "https://api.telnyx.com", md.Resource)
		assert.Equal(t, []string{"https://api.telnyx.com"}, md.AuthorizationServers)
		assertRequest(t, f.only(t), want{method: "GET", path: "/.well-known/oauth-protected-resource"})
	})
	t.Run("root keeps a prefix before /v2", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /proxy/.well-known/oauth-protected-resource": respond(200, `{"resource":"r"}`),
		})
		c := newClient(t, f.srv.URL+"/proxy/v2/", nil)
		md, err := c.GetProtectedResourceMetadata(t.Context())
		require.NoError(t, err)
		assert.Equal(t, "r", md.Resource)
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /.well-known/oauth-protected-resource": respond(401, `{"error":"invalid_token"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.GetProtectedResourceMetadata(t.Context())
		apiErr := requireAPIError(t, err, 401)
		assert.Equal(t, "invalid_token", apiErr.Code)
		assert.Equal(t, 1, f.count(), "a 401 is not retried")
	})
}

func TestGetJWKS(t *testing.T) {
	t.Parallel()
	t.Run("success keeps unknown key members", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/jwks": respond(200, `{"keys":[{"kid":"k1","kty":"RSA","alg":"RS256","use":"sig","n":"AQAB-n","e":"AQAB"}]}`),
		})
		c := newClient(t, f.base(), nil)
		jwks, err := c.GetJWKS(t.Context())
		require.NoError(t, err)
		require.Len(t, jwks.Keys, 1)
		assert.Equal(t, "k1", jwks.Keys[0]["kid"])
		assert.Equal(t, "AQAB-n", jwks.Keys[0]["n"])
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth/jwks"})
	})
	t.Run("error", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth/jwks": respond(400, `{"error":"invalid_request"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.GetJWKS(t.Context())
		apiErr := requireAPIError(t, err, 400)
		assert.Equal(t, "GetOAuthJWKS", apiErr.Operation)
	})
}
