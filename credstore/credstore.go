// Package credstore keeps the Telnyx credential that `telnyx-oauth-mcp login`
// obtained: an OAuth login (access token, refresh token, expiry, client_id) or
// an API key. It uses the OS keychain (macOS Keychain, Windows Credential
// Manager, the Secret Service on Linux) through go-keyring and, where no
// keychain is reachable (a headless Linux box), a 0600 JSON file in the
// user's configuration directory. Nothing here ever prints a secret.
//
// Each credential is keyed by the API base URL it was issued for, so a token
// obtained from a local fake is never sent to api.telnyx.com and the reverse.
package credstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/zalando/go-keyring"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// Service is the keychain service name every entry is filed under; the
// account is the API base URL.
const Service = "telnyx-oauth-mcp"

// Environment variables read by FromEnv.
const (
	// EnvStore selects the store: auto (the keychain, else the file),
	// keychain or file.
	EnvStore = "TELNYX_MCP_CREDENTIAL_STORE"
	// EnvConfigDir replaces os.UserConfigDir()/telnyx-oauth-mcp as the
	// directory of the file store, the remembered OAuth clients and the
	// refresh lock.
	EnvConfigDir = "TELNYX_MCP_CONFIG_DIR"
)

// FileName is the file store's name inside the configuration directory.
const FileName = "credentials.json"

// Kind says what a Credential holds.
type Kind string

// The kinds of credential.
const (
	KindOAuth  Kind = "oauth"   // an access token with its refresh token
	KindAPIKey Kind = "api_key" // a Telnyx API v2 key
)

// Credential is one stored credential. Its String method masks every
// secret, so printing one by mistake leaks nothing.
type Credential struct {
	Kind    Kind   `json:"kind"`
	BaseURL string `json:"base_url"`

	APIKey string `json:"api_key,omitempty"`

	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scope        string    `json:"scope,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`

	SavedAt time.Time `json:"saved_at,omitzero"`
}

// Secret returns the value sent as the bearer: the API key or the access
// token.
func (c *Credential) Secret() string {
	if c.Kind == KindAPIKey {
		return c.APIKey
	}
	return c.AccessToken
}

// String describes the credential with its secrets masked.
func (c Credential) String() string {
	return fmt.Sprintf("%s credential for %s (%s)", c.Kind, c.BaseURL, safetext.Mask(c.Secret()))
}

// GoString keeps %#v as safe as %v.
func (c Credential) GoString() string { return c.String() }

// Location says where a credential is kept.
type Location string

// The two places.
const (
	Keychain Location = "keychain"
	File     Location = "file"
)

// Mode restricts where credentials go.
type Mode string

// The modes.
const (
	Auto         Mode = "auto"     // the keychain, else the file
	KeychainOnly Mode = "keychain" // the keychain or nothing
	FileOnly     Mode = "file"     // the file, never the keychain
)

// Keyring is the part of go-keyring the store uses; tests may substitute
// their own.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// OSKeyring is the OS keychain through go-keyring (or whatever provider
// keyring.MockInit installed). Calls are serialized: go-keyring's mock
// provider is not safe for concurrent use, and nothing here is hot.
var OSKeyring Keyring = osKeyring{}

var keyringMu sync.Mutex

type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Get(service, user)
}

func (osKeyring) Set(service, user, secret string) error {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Set(service, user, secret)
}

func (osKeyring) Delete(service, user string) error {
	keyringMu.Lock()
	defer keyringMu.Unlock()
	return keyring.Delete(service, user)
}

// Store reads and writes credentials. The zero value is not usable; build
// one with FromEnv or fill Dir.
type Store struct {
	// Keyring is the keychain; OSKeyring when nil.
	Keyring Keyring
	// Service is the keychain service name; Service when empty.
	Service string
	// Dir holds the file store, remembered clients and the refresh lock.
	Dir string
	// Mode restricts where credentials go; Auto when empty.
	Mode Mode
}

// FromEnv builds the Store the program uses: the mode from
// TELNYX_MCP_CREDENTIAL_STORE and the directory from TELNYX_MCP_CONFIG_DIR,
// else os.UserConfigDir()/telnyx-oauth-mcp.
func FromEnv(getenv func(string) string) (*Store, error) {
	s := &Store{Mode: Mode(strings.ToLower(strings.TrimSpace(getenv(EnvStore))))}
	switch s.Mode {
	case "":
		s.Mode = Auto
	case Auto, KeychainOnly, FileOnly:
	default:
		return nil, fmt.Errorf("%s must be auto, keychain or file, not %q", EnvStore, getenv(EnvStore))
	}
	s.Dir = getenv(EnvConfigDir)
	if s.Dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("finding the configuration directory (set %s): %w", EnvConfigDir, err)
		}
		s.Dir = filepath.Join(base, "telnyx-oauth-mcp")
	}
	return s, nil
}

func (s *Store) keyring() Keyring {
	if s.Keyring != nil {
		return s.Keyring
	}
	return OSKeyring
}

func (s *Store) service() string {
	if s.Service != "" {
		return s.Service
	}
	return Service
}

func (s *Store) mode() Mode {
	if s.Mode == "" {
		return Auto
	}
	return s.Mode
}

// FilePath is the file store's path.
func (s *Store) FilePath() string { return filepath.Join(s.Dir, FileName) }

// Describe names a location for people: which keychain entry, which file.
func (s *Store) Describe(loc Location, baseURL string) string {
	if loc == Keychain {
		return fmt.Sprintf("the OS keychain (service %q, account %q)", s.service(), baseURL)
	}
	return "the file " + s.FilePath() + " (mode 0600)"
}

// Load returns the credential stored for baseURL and where it was, or nil
// when none is. In auto mode an unreachable keychain is not an error: the
// file is read instead.
func (s *Store) Load(baseURL string) (*Credential, Location, error) {
	if s.mode() != FileOnly {
		raw, err := s.keyring().Get(s.service(), baseURL)
		switch {
		case err == nil:
			var c Credential
			if err := json.Unmarshal([]byte(raw), &c); err != nil {
				return nil, "", fmt.Errorf("the keychain entry for %s is not a credential this program wrote", baseURL)
			}
			return &c, Keychain, nil
		case s.mode() == KeychainOnly && !errors.Is(err, keyring.ErrNotFound):
			return nil, "", fmt.Errorf("reading the OS keychain: %w", err)
		}
	}
	if s.mode() == KeychainOnly {
		return nil, "", nil
	}
	all, err := s.readFile()
	if err != nil {
		return nil, "", err
	}
	if c, ok := all[baseURL]; ok {
		return c, File, nil
	}
	return nil, "", nil
}

// Saved reports where Save put a credential and, when the keychain was
// passed over in auto mode, why.
type Saved struct {
	Location Location
	// KeychainErr is why the keychain was not used (no keychain on this
	// machine, the entry too large for it); nil when it was used or the
	// mode is file.
	KeychainErr error
}

// Save stores c under c.BaseURL, replacing what was there. In auto mode it
// tries the keychain first and falls back to the file; the copy in the other
// place, if any, is removed so that only one remains.
func (s *Store) Save(c *Credential) (Saved, error) {
	if c.BaseURL == "" {
		return Saved{}, errors.New("credstore: a credential needs its base URL")
	}
	cp := *c
	if cp.SavedAt.IsZero() {
		cp.SavedAt = time.Now().UTC()
	}
	raw, err := json.Marshal(&cp)
	if err != nil {
		return Saved{}, err
	}
	var keychainErr error
	if s.mode() != FileOnly {
		keychainErr = s.keyring().Set(s.service(), cp.BaseURL, string(raw))
		if keychainErr == nil {
			// A copy in the file from an earlier fallback would be stale.
			if err := s.deleteFromFile(cp.BaseURL); err != nil {
				return Saved{Location: Keychain}, fmt.Errorf("stored in the keychain, but removing the old copy from %s failed: %w", s.FilePath(), err)
			}
			return Saved{Location: Keychain}, nil
		}
		if s.mode() == KeychainOnly {
			return Saved{}, fmt.Errorf("storing in the OS keychain: %w", keychainErr)
		}
		// A stale keychain entry would shadow the file; the keychain may be
		// reachable and merely refuse the size.
		_ = s.keyring().Delete(s.service(), cp.BaseURL)
	}
	err = s.updateFile(func(all map[string]*Credential) { all[cp.BaseURL] = &cp })
	if err != nil {
		return Saved{}, err
	}
	return Saved{Location: File, KeychainErr: keychainErr}, nil
}

// Delete removes the credential for baseURL from the keychain and from the
// file, and reports where one was found.
func (s *Store) Delete(baseURL string) ([]Location, error) {
	var removed []Location
	var errs []error
	if s.mode() != FileOnly {
		err := s.keyring().Delete(s.service(), baseURL)
		switch {
		case err == nil:
			removed = append(removed, Keychain)
		case errors.Is(err, keyring.ErrNotFound):
		case s.mode() == KeychainOnly:
			errs = append(errs, fmt.Errorf("removing from the OS keychain: %w", err))
		}
	}
	if s.mode() != KeychainOnly {
		all, err := s.readFile()
		if err != nil {
			errs = append(errs, err)
		} else if _, ok := all[baseURL]; ok {
			if err := s.deleteFromFile(baseURL); err != nil {
				errs = append(errs, err)
			} else {
				removed = append(removed, File)
			}
		}
	}
	return removed, errors.Join(errs...)
}

// fileData is the file store's format.
type fileData struct {
	Version     int                    `json:"version"`
	Credentials map[string]*Credential `json:"credentials"`
}

func (s *Store) readFile() (map[string]*Credential, error) {
	b, err := os.ReadFile(s.FilePath())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*Credential{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", s.FilePath(), err)
	}
	var d fileData
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON; remove it and log in again", s.FilePath())
	}
	if d.Credentials == nil {
		d.Credentials = map[string]*Credential{}
	}
	return d.Credentials, nil
}

func (s *Store) deleteFromFile(baseURL string) error {
	all, err := s.readFile()
	if err != nil {
		return err
	}
	if _, ok := all[baseURL]; !ok {
		return nil
	}
	return s.updateFile(func(all map[string]*Credential) { delete(all, baseURL) })
}

// fileMu serializes read-modify-write of the file within the process;
// across processes the refresh lock (Lock) is what keeps writers apart.
var fileMu sync.Mutex

func (s *Store) updateFile(change func(map[string]*Credential)) error {
	fileMu.Lock()
	defer fileMu.Unlock()
	all, err := s.readFile()
	if err != nil {
		return err
	}
	change(all)
	if len(all) == 0 {
		if err := os.Remove(s.FilePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fileData{Version: 1, Credentials: all}); err != nil {
		return err
	}
	return WritePrivateFile(s.FilePath(), buf.Bytes())
}

// WritePrivateFile writes data to path with mode 0600, creating the
// directory with mode 0700. It writes a temporary file beside path and
// renames it, so a reader never sees half a file.
func WritePrivateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}

// Lock takes the cross-process lock for refreshing a stored login: two
// servers (one per MCP host) sharing a login must not both spend the same
// rotating refresh token, or the second use revokes the grant. It is an OS
// file lock (flock, or LockFileEx on Windows) on Dir/refresh.lock, so the
// OS releases it when the process holding it exits or crashes; a lock file
// left behind does not block anyone. Lock waits until ctx ends.
// https://pkg.go.dev/github.com/gofrs/flock
func (s *Store) Lock(ctx context.Context) (unlock func(), err error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(s.Dir, "refresh.lock")
	l := flock.New(path, flock.SetPermissions(0o600))
	// TryLockContext gives (true, nil) or (false, the error or ctx's).
	if ok, err := l.TryLockContext(ctx, 20*time.Millisecond); err != nil || !ok {
		return nil, fmt.Errorf("waiting for the refresh lock %s: %w", path, err)
	}
	var once sync.Once
	return func() { once.Do(func() { _ = l.Unlock() }) }, nil
}
