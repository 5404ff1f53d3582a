package login

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
)

// registration is the public OAuth client login registered for one base
// URL. None of it is secret (a public client has no secret), so it lives in
// a plain file beside the credentials rather than in the keychain, and
// logout keeps it: the next login reuses the client instead of registering
// another one in the account.
type registration struct {
	ClientID     string    `json:"client_id"`
	RedirectURI  string    `json:"redirect_uri"`
	Scope        string    `json:"scope,omitempty"`
	RegisteredAt time.Time `json:"registered_at"`
}

// ClientsFileName is the file of remembered registrations in the
// configuration directory.
const ClientsFileName = "clients.json"

type registrations struct{ dir string }

var clientsMu sync.Mutex

func (r registrations) path() string { return filepath.Join(r.dir, ClientsFileName) }

func (r registrations) all() (map[string]*registration, error) {
	b, err := os.ReadFile(r.path())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*registration{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[string]*registration{}
	if err := json.Unmarshal(b, &out); err != nil {
		// Losing the memory costs one registration, not a login.
		return map[string]*registration{}, nil
	}
	return out, nil
}

func (r registrations) load(baseURL string) (*registration, error) {
	clientsMu.Lock()
	defer clientsMu.Unlock()
	all, err := r.all()
	if err != nil {
		return nil, fmt.Errorf("reading the remembered OAuth clients: %w", err)
	}
	reg := all[baseURL]
	if reg == nil || reg.ClientID == "" || loopbackPort(reg.RedirectURI) == "" {
		return nil, nil
	}
	return reg, nil
}

func (r registrations) save(baseURL string, reg *registration) error {
	return r.update(func(all map[string]*registration) { all[baseURL] = reg })
}

func (r registrations) forget(baseURL string) (bool, error) {
	found := false
	err := r.update(func(all map[string]*registration) {
		_, found = all[baseURL]
		delete(all, baseURL)
	})
	return found, err
}

func (r registrations) update(change func(map[string]*registration)) error {
	clientsMu.Lock()
	defer clientsMu.Unlock()
	all, err := r.all()
	if err != nil {
		return err
	}
	change(all)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	return credstore.WritePrivateFile(r.path(), buf.Bytes())
}
