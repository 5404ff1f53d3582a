package telnyxfake

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSeededGrants(t *testing.T) {
	t.Parallel()
	clock := newClock()
	h := start(t, Options{Seed: true, Now: clock.Now})
	m := h.api("GET", "/oauth_grants", "").JSON(t)
	assert.Equal(t, map[string]any{"page_number": 1.0, "page_size": 20.0, "total_pages": 1.0, "total_results": 3.0}, m["meta"])
	data := m["data"].([]any)
	require.Len(t, data, 3)
	ids := []string{}
	for _, d := range data {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{DemoStaleGrantID, MobileActiveGrantID, MobileUnusedGrantID}, ids, "oldest first")

	r := h.api("GET", "/oauth_grants/"+MobileUnusedGrantID, "")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, map[string]any{
		"id": MobileUnusedGrantID, "record_type": "oauth_grant", "client_id": MobileClientID,
		"scopes": []any{"numbers.read"}, "created_at": "2026-02-26T12:00:00Z", "last_used_at": nil,
	}, r.JSON(t)["data"])
	stale := h.api("GET", "/oauth_grants/"+DemoStaleGrantID, "").JSON(t)["data"].(map[string]any)
	assert.Equal(t, clock.Now().Add(-300*24*time.Hour).Format(time.RFC3339), stale["last_used_at"])

	r = h.api("GET", "/oauth_grants/00000000-0000-4000-8000-000000000000", "")
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, codeNotFound, r.TelnyxCode(t))
}

func TestAddGrantAndClientDefaults(t *testing.T) {
	t.Parallel()
	clock := newClock()
	f := New(Options{Now: clock.Now})
	c := f.AddClient(Client{Name: "x"})
	assert.Len(t, c.ClientID, 36)
	assert.Equal(t, ClientTypeConfidential, c.ClientType)
	assert.NotEmpty(t, c.ClientSecret)
	assert.Equal(t, FakeOrgID, c.OrgID)
	assert.Equal(t, FakeUserID, c.UserID)
	assert.Equal(t, clock.Now(), c.CreatedAt)
	assert.Equal(t, clock.Now(), c.UpdatedAt)

	pub := f.AddClient(Client{ClientID: "fixed", ClientType: ClientTypePublic, RedirectURIs: []string{"https://a.example/cb"}})
	assert.Empty(t, pub.ClientSecret)
	pub.RedirectURIs[0] = "mutated"
	got, ok := f.Client("fixed")
	require.True(t, ok)
	assert.Equal(t, []string{"https://a.example/cb"}, got.RedirectURIs, "AddClient returns a copy")
	assert.Len(t, f.Clients(), 2)

	g := f.AddGrant(Grant{ClientID: "fixed", Scopes: []string{"admin"}})
	assert.Len(t, g.ID, 36)
	assert.Equal(t, clock.Now(), g.CreatedAt)
	assert.Nil(t, g.LastUsedAt)
	got2, ok := f.Grant(g.ID)
	require.True(t, ok)
	assert.Equal(t, g, got2)
	_, ok = f.Grant("missing")
	assert.False(t, ok)
}
