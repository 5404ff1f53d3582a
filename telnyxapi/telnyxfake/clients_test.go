package telnyxfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const confidentialBody = `{"name":"Reporting","client_type":"confidential","allowed_grant_types":["client_credentials"],"allowed_scopes":["numbers.read","voice.read"],"logo_uri":"https://r.example.com/logo.png"}`

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	clock := newClock()
	h := start(t, Options{Now: clock.Now})

	// create
	r := h.api("POST", "/oauth_clients", confidentialBody)
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	created := r.JSON(t)["data"].(map[string]any)
	id := created["client_id"].(string)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, id)
	assert.Equal(t, "oauth_client", created["record_type"])
	assert.Equal(t, "Reporting", created["name"])
	assert.Equal(t, FakeOrgID, created["org_id"])
	assert.Equal(t, FakeUserID, created["user_id"])
	assert.Equal(t, "confidential", created["client_type"])
	assert.Equal(t, false, created["require_pkce"])
	assert.Equal(t, "2026-03-01T12:00:00Z", created["created_at"])
	assert.Equal(t, "2026-03-01T12:00:00Z", created["updated_at"])
	assert.Equal(t, []any{"client_credentials"}, created["allowed_grant_types"])
	assert.Equal(t, []any{"numbers.read", "voice.read"}, created["allowed_scopes"])
	assert.Equal(t, []any{}, created["redirect_uris"])
	assert.Equal(t, "https://r.example.com/logo.png", created["logo_uri"])
	assert.Nil(t, created["policy_uri"])
	assert.Contains(t, created, "tos_uri")
	secret, _ := created["client_secret"].(string)
	assert.NotEmpty(t, secret, "the secret is shown at creation")
	stored, ok := h.srv.Client(id)
	require.True(t, ok)
	assert.Equal(t, secret, stored.ClientSecret)

	// list
	list := h.api("GET", "/oauth_clients", "").JSON(t)
	data := list["data"].([]any)
	require.Len(t, data, 1)
	assert.Nil(t, data[0].(map[string]any)["client_secret"], "list never shows the secret")
	assert.Contains(t, data[0].(map[string]any), "client_secret")
	assert.Equal(t, map[string]any{"page_number": 1.0, "page_size": 20.0, "total_pages": 1.0, "total_results": 1.0}, list["meta"])

	// get
	got := h.api("GET", "/oauth_clients/"+id, "").JSON(t)["data"].(map[string]any)
	assert.Nil(t, got["client_secret"])
	assert.Equal(t, "Reporting", got["name"])

	// partial update
	clock.Advance(time.Hour)
	r = h.api("PUT", "/oauth_clients/"+id, `{"name":"Reporting v2","require_pkce":true}`)
	require.Equal(t, http.StatusOK, r.Status, "body: %s", r.Body)
	upd := r.JSON(t)["data"].(map[string]any)
	assert.Equal(t, "Reporting v2", upd["name"])
	assert.Equal(t, true, upd["require_pkce"])
	assert.Equal(t, []any{"numbers.read", "voice.read"}, upd["allowed_scopes"], "omitted fields are kept")
	assert.Equal(t, "https://r.example.com/logo.png", upd["logo_uri"])
	assert.Equal(t, "2026-03-01T12:00:00Z", upd["created_at"])
	assert.Equal(t, "2026-03-01T13:00:00Z", upd["updated_at"])
	assert.Nil(t, upd["client_secret"])

	// delete, then 404 everywhere
	r = h.api("DELETE", "/oauth_clients/"+id, "")
	assert.Equal(t, http.StatusNoContent, r.Status)
	assert.Empty(t, r.Body)
	assert.Empty(t, r.Header.Get("Content-Type"))
	for _, m := range []string{"GET", "DELETE"} {
		r = h.api(m, "/oauth_clients/"+id, "")
		assert.Equal(t, http.StatusNotFound, r.Status)
		assert.Equal(t, codeNotFound, r.TelnyxCode(t))
	}
	r = h.api("PUT", "/oauth_clients/"+id, `{"name":"x"}`)
	assert.Equal(t, http.StatusNotFound, r.Status)
	_, ok = h.srv.Client(id)
	assert.False(t, ok)
}

func TestCreatePublicClient(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	r := h.api("POST", "/oauth_clients", `{"name":"SPA","client_type":"public","allowed_grant_types":["authorization_code"],"allowed_scopes":[],"redirect_uris":["https://spa.example.com/cb"],"require_pkce":true}`)
	require.Equal(t, http.StatusCreated, r.Status, "body: %s", r.Body)
	d := r.JSON(t)["data"].(map[string]any)
	assert.Nil(t, d["client_secret"], "public clients have no secret")
	assert.Equal(t, []any{"https://spa.example.com/cb"}, d["redirect_uris"])
}

func TestClientValidation(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		status   int
		pointers []string
	}{
		{"unknown field", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":[],"colour":"red"}`, 422, []string{"/colour"}},
		{"missing required", "POST", "/oauth_clients", `{"name":"a"}`, 422, []string{"/allowed_scopes", "/client_type", "/allowed_grant_types"}},
		{"blank name", "POST", "/oauth_clients", `{"name":"  ","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":[]}`, 422, []string{"/name"}},
		{"scopes not an array", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":"admin"}`, 422, []string{"/allowed_scopes"}},
		{"null is a wrong type", "POST", "/oauth_clients", `{"name":null,"client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":[]}`, 422, []string{"/name"}},
		{"unsupported scope", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":["numbers.read","root"]}`, 422, []string{"/allowed_scopes/1"}},
		{"bad client_type", "POST", "/oauth_clients", `{"name":"a","client_type":"secret","allowed_grant_types":["client_credentials"],"allowed_scopes":[]}`, 422, []string{"/client_type"}},
		{"empty grant types", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":[],"allowed_scopes":[]}`, 422, []string{"/allowed_grant_types"}},
		{"bad grant type", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["password"],"allowed_scopes":[]}`, 422, []string{"/allowed_grant_types/0"}},
		{"require_pkce not bool", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":[],"require_pkce":"yes"}`, 422, []string{"/require_pkce"}},
		{"relative redirect", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["authorization_code"],"allowed_scopes":[],"redirect_uris":["/cb"]}`, 422, []string{"/redirect_uris/0"}},
		{"redirect with fragment", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["authorization_code"],"allowed_scopes":[],"redirect_uris":["https://a.example/cb#x"]}`, 422, []string{"/redirect_uris/0"}},
		{"code flow without redirect", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["authorization_code"],"allowed_scopes":[]}`, 422, []string{"/redirect_uris"}},
		{"bad logo uri", "POST", "/oauth_clients", `{"name":"a","client_type":"public","allowed_grant_types":["client_credentials"],"allowed_scopes":[],"logo_uri":"not a uri"}`, 422, []string{"/logo_uri"}},
		{"update client_type", "PUT", "/oauth_clients/" + DemoClientID, `{"client_type":"public"}`, 422, []string{"/client_type"}},
		{"update unknown field", "PUT", "/oauth_clients/" + DemoClientID, `{"Name":"case matters"}`, 422, []string{"/Name"}},
		{"update drops redirects of code client", "PUT", "/oauth_clients/" + DemoClientID, `{"redirect_uris":[]}`, 422, []string{"/redirect_uris"}},
		{"malformed json", "POST", "/oauth_clients", `{"name":`, 400, nil},
		{"not an object", "POST", "/oauth_clients", `[1,2]`, 400, nil},
		{"trailing data", "POST", "/oauth_clients", `{} {}`, 400, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.api(tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			var env struct {
				Errors []telnyxError `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &env))
			require.NotEmpty(t, env.Errors)
			var pointers []string
			for _, e := range env.Errors {
				assert.Equal(t, codeInvalidParam, e.Code)
				assert.NotEmpty(t, e.Detail)
				if e.Source != nil {
					pointers = append(pointers, e.Source.Pointer)
				}
			}
			if tc.pointers != nil {
				assert.ElementsMatch(t, tc.pointers, pointers)
			}
		})
	}
	// Nothing was created or changed.
	assert.Len(t, h.srv.Clients(), 3)
	demo, _ := h.srv.Client(DemoClientID)
	assert.Equal(t, ClientTypeConfidential, demo.ClientType)
	assert.Equal(t, []string{DemoRedirectURI}, demo.RedirectURIs)
}

func TestClientContentType(t *testing.T) {
	t.Parallel()
	h := start(t, Options{})
	r := h.send("POST", "/oauth_clients", confidentialBody, "Authorization", "Bearer "+DefaultAPIKey, "Content-Type", "text/plain")
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Status)
	r = h.send("POST", "/oauth_clients", confidentialBody, "Authorization", "Bearer "+DefaultAPIKey)
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "no content type")
	r = h.send("POST", "/oauth_clients", confidentialBody, "Authorization", "Bearer "+DefaultAPIKey, "Content-Type", "application/json; charset=utf-8")
	assert.Equal(t, http.StatusCreated, r.Status)
}

func TestClientPagination(t *testing.T) {
	t.Parallel()
	clock := newClock()
	h := start(t, Options{Now: clock.Now})
	var ids []string
	for i := range 25 {
		c := h.srv.AddClient(Client{Name: fmt.Sprintf("client %02d", i), AllowedGrantTypes: []string{GrantClientCredentials}})
		ids = append(ids, c.ClientID)
		clock.Advance(time.Second)
	}
	tests := []struct {
		query  string
		status int
		first  int // index into ids of the first item
		count  int
		meta   map[string]any
	}{
		{"", 200, 0, 20, map[string]any{"page_number": 1.0, "page_size": 20.0, "total_pages": 2.0, "total_results": 25.0}},
		{"?page[size]=10&page[number]=3", 200, 20, 5, map[string]any{"page_number": 3.0, "page_size": 10.0, "total_pages": 3.0, "total_results": 25.0}},
		{"?page[size]=100", 200, 0, 25, map[string]any{"page_number": 1.0, "page_size": 100.0, "total_pages": 1.0, "total_results": 25.0}},
		{"?page[number]=9", 200, 0, 0, map[string]any{"page_number": 9.0, "page_size": 20.0, "total_pages": 2.0, "total_results": 25.0}},
		{"?page[size]=0", 400, 0, 0, nil},
		{"?page[size]=101", 400, 0, 0, nil},
		{"?page[number]=0", 400, 0, 0, nil},
		{"?page[number]=two", 400, 0, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.api("GET", "/oauth_clients"+tc.query, "")
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			if tc.status != 200 {
				assert.Equal(t, codeInvalidParam, r.TelnyxCode(t))
				return
			}
			m := r.JSON(t)
			data := m["data"].([]any)
			assert.Len(t, data, tc.count)
			if tc.count > 0 {
				assert.Equal(t, ids[tc.first], data[0].(map[string]any)["client_id"])
			}
			assert.Equal(t, tc.meta, m["meta"])
		})
	}
	// Grants paginate the same way.
	r := h.api("GET", "/oauth_grants?page[size]=101", "")
	assert.Equal(t, 400, r.Status)
	m := h.api("GET", "/oauth_grants", "").JSON(t)
	assert.Equal(t, []any{}, m["data"])
	assert.Equal(t, map[string]any{"page_number": 1.0, "page_size": 20.0, "total_pages": 0.0, "total_results": 0.0}, m["meta"])
}

func TestClientFilters(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	tests := []struct {
		query  string
		status int
		want   []string
	}{
		{"", 200, []string{DemoClientID, BillingClientID, MobileClientID}},
		{"filter[client_type]=public", 200, []string{MobileClientID}},
		{"filter[client_type]=confidential", 200, []string{DemoClientID, BillingClientID}},
		{"filter[verified]=false", 200, []string{DemoClientID}},
		{"filter[verified]=true", 200, []string{BillingClientID, MobileClientID}},
		{"filter[allowed_grant_types][contains]=client_credentials", 200, []string{DemoClientID, BillingClientID}},
		{"filter[allowed_grant_types][contains]=refresh_token", 200, []string{DemoClientID, MobileClientID}},
		{"filter[name]=Mobile+app", 200, []string{MobileClientID}},
		{"filter[name]=mobile+app", 200, []string{}},
		{"filter[name][contains]=DASH", 200, []string{BillingClientID}},
		{"filter[client_id]=" + DemoClientID, 200, []string{DemoClientID}},
		{"filter[client_type]=public&filter[verified]=false", 200, []string{}},
		{"filter[client_type]=private", 400, nil},
		{"filter[verified]=yes", 400, nil},
		{"filter[allowed_grant_types][contains]=password", 400, nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			hh := *h
			hh.t = t
			r := hh.api("GET", "/oauth_clients?"+tc.query, "")
			require.Equal(t, tc.status, r.Status, "body: %s", r.Body)
			if tc.status != 200 {
				assert.Equal(t, codeInvalidParam, r.TelnyxCode(t))
				return
			}
			got := []string{}
			for _, d := range r.JSON(t)["data"].([]any) {
				got = append(got, d.(map[string]any)["client_id"].(string))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// Every bearer operation refuses a missing or wrong credential with the Telnyx envelope.
func TestBearerAuthFailures(t *testing.T) {
	t.Parallel()
	h := start(t, Options{Seed: true})
	consent := h.srv.NewConsentToken(DemoClientID, DemoRedirectURI, "numbers.read", "", "", "")
	ops := []struct{ method, path, body string }{
		{"GET", "/oauth_clients", ""},
		{"POST", "/oauth_clients", confidentialBody},
		{"GET", "/oauth_clients/" + DemoClientID, ""},
		{"PUT", "/oauth_clients/" + DemoClientID, `{"name":"x"}`},
		{"DELETE", "/oauth_clients/" + DemoClientID, ""},
		{"GET", "/oauth_grants", ""},
		{"GET", "/oauth_grants/" + MobileActiveGrantID, ""},
		{"DELETE", "/oauth_grants/" + MobileActiveGrantID, ""},
		{"GET", "/oauth/consent/" + consent, ""},
		{"POST", "/oauth/grants", `{"allowed":true,"consent_token":"` + consent + `"}`},
	}
	creds := map[string][]string{
		"none":        nil,
		"wrong key":   {"Authorization", "Bearer KEYwrong"},
		"basic":       {"Authorization", "Basic " + basic(DemoClientID, DemoClientSecret)},
		"empty token": {"Authorization", "Bearer "},
		"expired":     {"Authorization", "Bearer " + h.srv.IssueAccessToken(DemoClientID, "admin", -time.Minute)},
	}
	for _, op := range ops {
		for name, hdr := range creds {
			t.Run(op.method+" "+op.path[:12]+" "+name, func(t *testing.T) {
				hh := *h
				hh.t = t
				r := hh.send(op.method, op.path, op.body, append([]string{"Content-Type", "application/json"}, hdr...)...)
				assert.Equal(t, http.StatusUnauthorized, r.Status, "body: %s", r.Body)
				assert.Equal(t, codeAuthFailed, r.TelnyxCode(t))
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			})
		}
	}
	// Nothing changed behind the failures.
	assert.Len(t, h.srv.Clients(), 3)
	g, _ := h.srv.Grant(MobileActiveGrantID)
	assert.False(t, g.Revoked)

	// A live access token the fake issued is accepted in place of the key.
	tok := h.srv.IssueAccessToken(DemoClientID, "admin", 0)
	r := h.send("GET", "/oauth_clients", "", "Authorization", "bearer "+tok)
	assert.Equal(t, http.StatusOK, r.Status)
}
