package telnyxapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const grantJSON = `{"id":"g-1","record_type":"oauth_grant","client_id":"c-1","scopes":["numbers.read"],"created_at":"2026-01-01T00:00:00Z","last_used_at":null}`

func TestListGrants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		page      PageParams
		wantQuery string
	}{
		{name: "API defaults", wantQuery: ""},
		{name: "page and size", page: PageParams{Number: 3, Size: 100}, wantQuery: "page%5Bnumber%5D=3&page%5Bsize%5D=100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{
				"GET /v2/oauth_grants": respond(200, `{"data":[`+grantJSON+`],"meta":{"page_number":3,"page_size":100,"total_pages":3,"total_results":201}}`),
			})
			c := newClient(t, f.base(), nil)
			got, err := c.ListGrants(t.Context(), tc.page)
			require.NoError(t, err)
			require.Len(t, got.Data, 1)
			assert.Equal(t, OAuthGrant{ID: "g-1", RecordType: "oauth_grant", ClientID: "c-1", Scopes: []string{"numbers.read"}, CreatedAt: "2026-01-01T00:00:00Z"}, got.Data[0])
			assert.Equal(t, PaginationMeta{PageNumber: 3, PageSize: 100, TotalPages: 3, TotalResults: 201}, got.Meta)
			assert.False(t, got.Meta.HasMore())
			assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth_grants", query: tc.wantQuery, auth: bearer(testKey)})
		})
	}
	t.Run("400", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_grants": respond(400, `{"errors":[{"code":"10015","title":"Bad request","source":{"parameter":"page[size]"}}]}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.ListGrants(t.Context(), PageParams{Size: 1000})
		apiErr := requireAPIError(t, err, 400)
		assert.Equal(t, "page[size]", apiErr.Source)
		assert.Equal(t, map[string][]string{"page[size]": {"Bad request"}}, apiErr.InvalidFields)
	})
}

func TestGetGrant(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_grants/g-1": respond(200, `{"data":{"id":"g-1","client_id":"c-1","scopes":["a","b"],"last_used_at":"2026-02-01T00:00:00Z"}}`),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.GetGrant(t.Context(), "g-1")
		require.NoError(t, err)
		assert.Equal(t, "g-1", got.ID)
		assert.Equal(t, []string{"a", "b"}, got.Scopes)
		require.NotNil(t, got.LastUsedAt)
		assert.Equal(t, "2026-02-01T00:00:00Z", *got.LastUsedAt)
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth_grants/g-1", auth: bearer(testKey)})
	})
	t.Run("404", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_grants/g-1": respond(404, `{"error":"not_found"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.GetGrant(t.Context(), "g-1")
		requireAPIError(t, err, 404)
		assert.Equal(t, 1, f.count())
	})
}

func TestRevokeGrant(t *testing.T) {
	t.Parallel()
	t.Run("200 returns the revoked grant", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"DELETE /v2/oauth_grants/g-1": respond(200, `{"data":`+grantJSON+`}`)})
		c := newClient(t, f.base(), nil)
		got, err := c.RevokeGrant(t.Context(), "g-1")
		require.NoError(t, err)
		assert.Equal(t, "g-1", got.ID)
		assert.Equal(t, "c-1", got.ClientID)
		assertRequest(t, f.only(t), want{method: "DELETE", path: "/v2/oauth_grants/g-1", auth: bearer(testKey)})
	})
	t.Run("404", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"DELETE /v2/oauth_grants/g-1": respond(404, `{"errors":[{"code":"10005","title":"Resource not found"}]}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.RevokeGrant(t.Context(), "g-1")
		apiErr := requireAPIError(t, err, 404)
		assert.Equal(t, "10005", apiErr.Code)
		assert.Equal(t, 1, f.count())
	})
	t.Run("200 without a body is unusable", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"DELETE /v2/oauth_grants/g-1": respond(200, ``)})
		c := newClient(t, f.base(), nil)
		_, err := c.RevokeGrant(t.Context(), "g-1")
		var respErr *ResponseError
		require.ErrorAs(t, err, &respErr)
		assert.Equal(t, 1, f.count())
	})
}
