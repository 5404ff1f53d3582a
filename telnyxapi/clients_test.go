package telnyxapi

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const clientJSON = `{"record_type":"oauth_client","client_id":"c-1","name":"My app","org_id":"o-1","user_id":"u-1",
	"client_type":"confidential","require_pkce":true,"allowed_grant_types":["client_credentials"],
	"allowed_scopes":["numbers.read"],"redirect_uris":[],"client_secret":null,"logo_uri":null,
	"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-02T00:00:00Z"}`

func TestListClients(t *testing.T) {
	t.Parallel()
	verified := true
	tests := []struct {
		name      string
		params    ListClientsParams
		wantQuery string
	}{
		{name: "no parameters", wantQuery: ""},
		{
			name: "every parameter",
			params: ListClientsParams{
				Page: PageParams{Number: 2, Size: 50}, ClientType: "confidential", Verified: &verified,
				AllowedGrantTypesContains: "client_credentials", Name: "My app", NameContains: "app", ClientID: "c-1",
			},
			wantQuery: "filter%5Ballowed_grant_types%5D%5Bcontains%5D=client_credentials&filter%5Bclient_id%5D=c-1" +
				"&filter%5Bclient_type%5D=confidential&filter%5Bname%5D=My+app&filter%5Bname%5D%5Bcontains%5D=app" +
				"&filter%5Bverified%5D=true&page%5Bnumber%5D=2&page%5Bsize%5D=50",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{
				"GET /v2/oauth_clients": respond(200, `{"data":[`+clientJSON+`],"meta":{"page_number":2,"page_size":50,"total_pages":3,"total_results":101}}`),
			})
			c := newClient(t, f.base(), nil)
			got, err := c.ListClients(t.Context(), tc.params)
			require.NoError(t, err)
			require.Len(t, got.Data, 1)
			assert.Equal(t, "c-1", got.Data[0].ClientID)
			assert.Nil(t, got.Data[0].ClientSecret)
			assert.Equal(t, PaginationMeta{PageNumber: 2, PageSize: 50, TotalPages: 3, TotalResults: 101}, got.Meta)
			assert.True(t, got.Meta.HasMore())
			assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth_clients", query: tc.wantQuery, auth: bearer(testKey)})
		})
	}
	t.Run("verified false is sent", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients": respond(200, `{"data":[],"meta":{}}`)})
		c := newClient(t, f.base(), nil)
		no := false
		got, err := c.ListClients(t.Context(), ListClientsParams{Verified: &no})
		require.NoError(t, err)
		assert.Empty(t, got.Data)
		assert.False(t, got.Meta.HasMore())
		assert.Equal(t, "filter%5Bverified%5D=false", f.only(t).RawQuery)
	})
	t.Run("401 Telnyx envelope", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_clients": respond(401, `{"errors":[{"code":"10009","title":"Authentication failed","detail":"Could not understand the provided credentials.","meta":{"url":"https://developers.telnyx.com/docs/overview/errors/10009"}}]}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.ListClients(t.Context(), ListClientsParams{})
		apiErr := requireAPIError(t, err, 401)
		assert.Equal(t, "10009", apiErr.Code)
		assert.Equal(t, "Authentication failed", apiErr.Title)
		assert.Equal(t, testRequestID, apiErr.RequestID)
		assert.Equal(t, 1, f.count(), "a 401 with an API key is not retried")
	})
}

func TestCheckAPIKey(t *testing.T) {
	t.Parallel()
	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients": respond(200, `{"data":[`+clientJSON+`],"meta":{}}`)})
		c := newClient(t, f.base(), func(cfg *Config) { cfg.APIKey = "" })
		require.NoError(t, c.CheckAPIKey(t.Context(), "KEYcaller"))
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth_clients", query: "page%5Bsize%5D=1", auth: bearer("KEYcaller")})
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients": respond(401, `{"errors":[{"code":"10009","title":"Authentication failed"}]}`)})
		c := newClient(t, f.base(), nil)
		requireAPIError(t, c.CheckAPIKey(t.Context(), "KEYmade-up"), 401)
		assert.Equal(t, bearer("KEYmade-up"), f.only(t).Header.Get("Authorization"), "the key checked, not the client's own")
	})
}

func TestCreateClient(t *testing.T) {
	t.Parallel()
	pkce := true
	req := CreateClientRequest{
		Name: "My app", AllowedScopes: []string{"numbers.read"}, ClientType: "confidential",
		AllowedGrantTypes: []string{"client_credentials"}, RequirePKCE: &pkce,
	}
	const wantBody = `{"name":"My app","allowed_scopes":["numbers.read"],"client_type":"confidential","allowed_grant_types":["client_credentials"],"require_pkce":true}`

	t.Run("201 unwraps the data envelope", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth_clients": respond(201, `{"data":{"client_id":"c-new","name":"My app","client_type":"confidential","require_pkce":true,"client_secret":"SECRETCANARY-shown-once"}}`),
		})
		c := newClient(t, f.base(), nil)
		got, err := c.CreateClient(t.Context(), req)
		require.NoError(t, err)
		assert.Equal(t, "c-new", got.ClientID)
		require.NotNil(t, got.ClientSecret)
		assert.Equal(t, "SECRETCANARY-shown-once", *got.ClientSecret)
		assertRequest(t, f.only(t), want{
			method: "POST", path: "/v2/oauth_clients", auth: bearer(testKey), contentType: "application/json", jsonBody: wantBody,
		})
	})
	t.Run("422 with source pointers", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"POST /v2/oauth_clients": respond(422, `{"errors":[
				{"code":"10015","title":"Invalid value","detail":"scope admin is not allowed","source":{"pointer":"/allowed_scopes"}},
				{"code":"10015","title":"Invalid value","detail":"must not be blank","source":{"pointer":"/name"}}]}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.CreateClient(t.Context(), req)
		apiErr := requireAPIError(t, err, 422)
		assert.Equal(t, "/allowed_scopes", apiErr.Source)
		assert.Equal(t, map[string][]string{"allowed_scopes": {"scope admin is not allowed"}, "name": {"must not be blank"}}, apiErr.InvalidFields)
		assert.Contains(t, err.Error(), "invalid fields: allowed_scopes scope admin is not allowed; name must not be blank")
		assert.Equal(t, 1, f.count())
	})
	t.Run("500 is outcome unknown after one request", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth_clients": respond(500, `{"errors":[{"code":"10007","title":"Unexpected error"}]}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.CreateClient(t.Context(), req)
		var unknown *OutcomeUnknownError
		require.ErrorAs(t, err, &unknown)
		apiErr := requireAPIError(t, err, 500)
		assert.Equal(t, "10007", apiErr.Code)
		assert.Contains(t, err.Error(), "not retried")
		assert.Equal(t, 1, f.count())
	})
	t.Run("409 is not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth_clients": respond(409, `{"error":"conflict"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.CreateClient(t.Context(), req)
		requireAPIError(t, err, 409)
		var unknown *OutcomeUnknownError
		assert.NotErrorAs(t, err, &unknown)
		assert.Equal(t, 1, f.count())
	})
	t.Run("429 on a create is not retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"POST /v2/oauth_clients": respond(429, `{"error":"rate_limited"}`)})
		c := newClient(t, f.base(), nil)
		_, err := c.CreateClient(t.Context(), req)
		requireAPIError(t, err, 429)
		assert.Equal(t, 1, f.count())
	})
}

func TestGetClient(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{"GET /v2/oauth_clients/c-1": respond(200, `{"data":`+clientJSON+`}`)})
		c := newClient(t, f.base(), nil)
		got, err := c.GetClient(t.Context(), "c-1")
		require.NoError(t, err)
		assert.Equal(t, "My app", got.Name)
		assert.Equal(t, "oauth_client", got.RecordType)
		assert.True(t, got.RequirePKCE)
		assert.Equal(t, []string{"numbers.read"}, got.AllowedScopes)
		assertRequest(t, f.only(t), want{method: "GET", path: "/v2/oauth_clients/c-1", auth: bearer(testKey)})
	})
	t.Run("404", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"GET /v2/oauth_clients/c-404": respond(404, `{"errors":[{"code":"10005","title":"Resource not found","detail":"OAuth client not found"}]}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.GetClient(t.Context(), "c-404")
		apiErr := requireAPIError(t, err, 404)
		assert.Equal(t, "Resource not found", apiErr.Title)
		assert.Equal(t, "OAuth client not found", apiErr.Detail)
		assert.Contains(t, err.Error(), "Resource not found: OAuth client not found")
		assert.Equal(t, 1, f.count())
	})
}

func TestUpdateClient(t *testing.T) {
	t.Parallel()
	name := "Renamed"
	off := false
	tests := []struct {
		name     string
		req      UpdateClientRequest
		wantBody string
	}{
		{name: "name only", req: UpdateClientRequest{Name: &name}, wantBody: `{"name":"Renamed"}`},
		{name: "false is sent", req: UpdateClientRequest{RequirePKCE: &off}, wantBody: `{"require_pkce":false}`},
		{
			name:     "lists",
			req:      UpdateClientRequest{RedirectURIs: []string{"https://app.example/cb"}, AllowedScopes: []string{"numbers.read"}},
			wantBody: `{"redirect_uris":["https://app.example/cb"],"allowed_scopes":["numbers.read"]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, map[string]http.HandlerFunc{"PUT /v2/oauth_clients/c-1": respond(200, `{"data":`+clientJSON+`}`)})
			c := newClient(t, f.base(), nil)
			got, err := c.UpdateClient(t.Context(), "c-1", tc.req)
			require.NoError(t, err)
			assert.Equal(t, "c-1", got.ClientID)
			assertRequest(t, f.only(t), want{
				method: "PUT", path: "/v2/oauth_clients/c-1", auth: bearer(testKey), contentType: "application/json", jsonBody: tc.wantBody,
			})
		})
	}
	t.Run("422", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"PUT /v2/oauth_clients/c-1": respond(422, `{"error":"invalid_request","error_description":"redirect_uris must be https"}`),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.UpdateClient(t.Context(), "c-1", UpdateClientRequest{Name: &name})
		apiErr := requireAPIError(t, err, 422)
		assert.Equal(t, "redirect_uris must be https", apiErr.Detail)
		assert.Equal(t, 1, f.count())
	})
	t.Run("PUT is idempotent, so a 502 is retried", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"PUT /v2/oauth_clients/c-1": sequence(respond(502, ``), respond(200, `{"data":`+clientJSON+`}`)),
		})
		c := newClient(t, f.base(), nil)
		_, err := c.UpdateClient(t.Context(), "c-1", UpdateClientRequest{Name: &name})
		require.NoError(t, err)
		reqs := f.requests()
		require.Len(t, reqs, 2)
		assert.JSONEq(t, `{"name":"Renamed"}`, string(reqs[1].Body), "the replay carries the body")
	})
}

func TestDeleteClient(t *testing.T) {
	t.Parallel()
	t.Run("204 with no body", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"DELETE /v2/oauth_clients/c-1": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
		})
		c := newClient(t, f.base(), nil)
		require.NoError(t, c.DeleteClient(t.Context(), "c-1"))
		assertRequest(t, f.only(t), want{method: "DELETE", path: "/v2/oauth_clients/c-1", auth: bearer(testKey), accept: "*/*"})
	})
	t.Run("404", func(t *testing.T) {
		t.Parallel()
		f := newFake(t, map[string]http.HandlerFunc{
			"DELETE /v2/oauth_clients/c-1": respond(404, `{"error":"not_found","error_description":"OAuth client not found"}`),
		})
		c := newClient(t, f.base(), nil)
		err := c.DeleteClient(t.Context(), "c-1")
		apiErr := requireAPIError(t, err, 404)
		assert.Equal(t, "not_found", apiErr.Code)
		assert.Equal(t, 1, f.count())
	})
}
