package telnyxfake

import (
	"net/http"
	"sort"
	"time"
)

// Grant is a user's consent to a client, as the fake stores it. A revoked grant stays in the
// store (Fake.Grant still returns it, with Revoked set) but the API no longer lists or returns
// it, and every token issued under it stops working.
type Grant struct {
	ID         string
	ClientID   string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time // nil renders as null: never used
	Revoked    bool
}

func (g Grant) clone() Grant {
	g.Scopes = cloneStrings(g.Scopes)
	if g.LastUsedAt != nil {
		t := *g.LastUsedAt
		g.LastUsedAt = &t
	}
	return g
}

// AddGrant stores g without validation (the client need not exist). It fills an empty ID
// (random UUID v4) and a zero CreatedAt (now), replaces a grant with the same ID, and returns
// the stored copy.
func (f *Fake) AddGrant(g Grant) Grant {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addGrantLocked(g).clone()
}

func (f *Fake) addGrantLocked(g Grant) *Grant {
	g = g.clone()
	if g.ID == "" {
		g.ID = newUUID()
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = f.now()
	}
	f.grants[g.ID] = &g
	return &g
}

// Grant returns the stored grant with that id, revoked or not.
func (f *Fake) Grant(id string) (Grant, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.grants[id]
	if !ok {
		return Grant{}, false
	}
	return g.clone(), true
}

// liveGrantLocked returns the grant if it exists and is not revoked.
func (f *Fake) liveGrantLocked(id string) *Grant {
	g, ok := f.grants[id]
	if !ok || g.Revoked {
		return nil
	}
	return g
}

// grantView is the OAuthGrant JSON object.
type grantView struct {
	ID         string   `json:"id"`
	RecordType string   `json:"record_type"`
	ClientID   string   `json:"client_id"`
	Scopes     []string `json:"scopes"`
	CreatedAt  string   `json:"created_at"`
	LastUsedAt *string  `json:"last_used_at"`
}

func (g *Grant) view() grantView {
	v := grantView{ID: g.ID, RecordType: "oauth_grant", ClientID: g.ClientID,
		Scopes: cloneStrings(g.Scopes), CreatedAt: formatTime(g.CreatedAt)}
	if g.LastUsedAt != nil {
		s := formatTime(*g.LastUsedAt)
		v.LastUsedAt = &s
	}
	return v
}

// handleListGrants is GET /oauth_grants: the live (unrevoked) grants, oldest first.
func (f *Fake) handleListGrants(w http.ResponseWriter, r *http.Request) {
	number, size, terr := parsePage(r.URL.Query())
	if terr != nil {
		writeTelnyxErrors(w, http.StatusBadRequest, *terr)
		return
	}
	f.mu.Lock()
	var live []Grant
	for _, g := range f.grants {
		if !g.Revoked {
			live = append(live, g.clone())
		}
	}
	f.mu.Unlock()
	sort.Slice(live, func(i, j int) bool {
		if !live[i].CreatedAt.Equal(live[j].CreatedAt) {
			return live[i].CreatedAt.Before(live[j].CreatedAt)
		}
		return live[i].ID < live[j].ID
	})
	items, meta := paginate(live, number, size)
	data := make([]grantView, 0, len(items))
	for i := range items {
		data = append(data, items[i].view())
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": meta})
}

func (f *Fake) handleGetGrant(w http.ResponseWriter, c route) {
	f.mu.Lock()
	var v grantView
	g := f.liveGrantLocked(c.param)
	if g != nil {
		v = g.view()
	}
	f.mu.Unlock()
	if g == nil {
		grantNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": v})
}

// handleRevokeGrant is DELETE /oauth_grants/{id}: 200 with the revoked grant; a second revoke,
// like a later GET, is a 404.
func (f *Fake) handleRevokeGrant(w http.ResponseWriter, c route) {
	f.mu.Lock()
	var v grantView
	g := f.liveGrantLocked(c.param)
	if g != nil {
		g.Revoked = true
		v = g.view()
	}
	f.mu.Unlock()
	if g == nil {
		grantNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": v})
}

func grantNotFound(w http.ResponseWriter) {
	writeTelnyxErrors(w, http.StatusNotFound, newTelnyxError(codeNotFound, titleNotFound, "OAuth grant not found."))
}
