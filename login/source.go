package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// RefreshMargin is how long before its expiry an access token is replaced.
const RefreshMargin = time.Minute

// Source is the bearer of a stored login (a telnyxapi.TokenSource): it
// hands out the stored access token and, shortly before that expires,
// spends the refresh token for a new pair and stores the rotated refresh
// token. Concurrent callers share one refresh; across processes (one server
// per MCP host) a lock file and a re-read of the store keep two servers
// from spending the same refresh token, which would revoke the grant.
type Source struct {
	store *credstore.Store
	api   *telnyxapi.Client // unauthenticated: the token endpoint only
	warn  io.Writer
	now   func() time.Time

	sem chan struct{} // capacity 1: held while refreshing

	mu   sync.Mutex
	cred credstore.Credential
}

// NewSource returns the bearer source of cred, an OAuth login loaded from
// store. api calls the token endpoint; it needs no credential. Warnings
// (a rotated token that could not be stored) go to warn.
func NewSource(store *credstore.Store, cred *credstore.Credential, api *telnyxapi.Client, warn io.Writer) *Source {
	if warn == nil {
		warn = io.Discard
	}
	return &Source{store: store, api: api, warn: warn, now: time.Now, sem: make(chan struct{}, 1), cred: *cred}
}

// Token returns an access token that is not about to expire.
func (s *Source) Token(ctx context.Context) (string, error) {
	if t, ok := s.fresh(); ok {
		return t, nil
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.sem }()
	// The caller before this one may just have refreshed.
	if t, ok := s.fresh(); ok {
		return t, nil
	}
	return s.refresh(ctx)
}

// Current is the access token last handed out, so that telnyxapi can
// scrub it from error texts.
func (s *Source) Current() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cred.AccessToken
}

func (s *Source) fresh() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cred.AccessToken, s.cred.AccessToken != "" && s.now().Add(RefreshMargin).Before(s.cred.Expiry)
}

func (s *Source) snapshot() credstore.Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cred
}

func (s *Source) set(c credstore.Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cred = c
}

// refresh runs with s.sem held.
func (s *Source) refresh(ctx context.Context) (string, error) {
	unlock, err := s.store.Lock(ctx)
	if err != nil {
		return "", fmt.Errorf("refreshing the stored Telnyx login: %w", err)
	}
	defer unlock()

	cur := s.snapshot()
	// Another server sharing this login may have refreshed it meanwhile;
	// its refresh token is the live one now.
	if stored, _, err := s.store.Load(cur.BaseURL); err == nil {
		if stored == nil || stored.Kind != credstore.KindOAuth {
			// logout (or login --api-key) ran while this server did:
			// storing the refreshed login would undo it. (Or, in auto mode,
			// the keychain did not answer; then this call fails, not the
			// login, and nothing is written beside the keychain entry.)
			return "", errors.New("the stored Telnyx login is no longer in the store (logout, or login --api-key, while this server ran; or the keychain did not answer): restart the server, or run `telnyx-oauth-mcp login` again")
		}
		if stored.RefreshToken != "" && stored.RefreshToken != cur.RefreshToken {
			s.set(*stored)
			cur = *stored
			if t, ok := s.fresh(); ok {
				return t, nil
			}
		}
	}
	if cur.RefreshToken == "" {
		return "", errors.New("the stored Telnyx login has expired and has no refresh token: run `telnyx-oauth-mcp login` again")
	}

	began := s.now()
	// The refresh serves every waiting caller, and the refresh token is
	// spent once the request leaves: one caller's cancelled tool call must
	// not drop the rotated pair (the next refresh would reuse the spent
	// token, which revokes the grant). telnyxapi's call timeout bounds it.
	tok, err := s.api.ExchangeToken(context.WithoutCancel(ctx), telnyxapi.TokenRequest{GrantType: "refresh_token", RefreshToken: cur.RefreshToken},
		telnyxapi.ClientAuth{ClientID: cur.ClientID})
	if err != nil {
		return "", refreshError(err)
	}
	next, err := credentialFromToken(tok, cur.BaseURL, cur.ClientID, began)
	if err != nil {
		return "", fmt.Errorf("refreshing the stored Telnyx login: %w; run `telnyx-oauth-mcp login` again", err)
	}
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken // RFC 6749 §6: no new one means keep the old
	}
	if next.Scope == "" {
		next.Scope = cur.Scope
	}
	s.set(*next)
	if _, err := s.store.Save(next); err != nil {
		// The new pair works for this process; the next start will not
		// find the rotated refresh token and must log in again.
		fmt.Fprintf(s.warn, "telnyx-oauth-mcp: the refreshed Telnyx login could not be stored (%s); after a restart, run `telnyx-oauth-mcp login` again\n", safetext.OneLine(err.Error()))
	}
	return next.AccessToken, nil
}

// refreshError says what a failed refresh means for the user.
func refreshError(err error) error {
	var apiErr *telnyxapi.APIError
	var unknown *telnyxapi.OutcomeUnknownError
	switch {
	case errors.As(err, &apiErr) && apiErr.Status >= 400 && apiErr.Status < 500:
		return fmt.Errorf("the stored Telnyx login has expired or was revoked (%s): run `telnyx-oauth-mcp login` again", safetext.OneLine(err.Error()))
	case errors.As(err, &unknown):
		return fmt.Errorf("refreshing the stored Telnyx login failed midway (%s); its refresh token may be used up: run `telnyx-oauth-mcp login` again", safetext.OneLine(err.Error()))
	default:
		return fmt.Errorf("could not refresh the stored Telnyx login (%s); try again, and if this persists run `telnyx-oauth-mcp login` again", safetext.OneLine(err.Error()))
	}
}

// Stored is the credential `login` stored for a base URL, ready for
// telnyxapi.Config: exactly one of APIKey and Bearer is set. (Bearer is
// an interface left nil for an API key, never a nil *Source.)
type Stored struct {
	APIKey string
	Bearer telnyxapi.TokenSource
	// Where names the place it came from, for a log line.
	Where string
	Cred  *credstore.Credential
}

// LoadStored finds the credential stored for cfg.BaseURL. It returns nil
// and no error when nothing is stored. cfg is the server's API
// configuration; the refresh calls use it without any credential.
func LoadStored(getenv func(string) string, cfg telnyxapi.Config, warn io.Writer) (*Stored, error) {
	store, err := credstore.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return loadStored(store, cfg, warn)
}

func loadStored(store *credstore.Store, cfg telnyxapi.Config, warn io.Writer) (*Stored, error) {
	base, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cred, loc, err := store.Load(base)
	if err != nil || cred == nil {
		return nil, err
	}
	out := &Stored{Where: store.Describe(loc, base), Cred: cred}
	switch cred.Kind {
	case credstore.KindAPIKey:
		if cred.APIKey == "" {
			return nil, fmt.Errorf("the API key stored in %s is empty: run `telnyx-oauth-mcp login --api-key` again", out.Where)
		}
		out.APIKey = cred.APIKey
	case credstore.KindOAuth:
		if cred.AccessToken == "" && cred.RefreshToken == "" {
			return nil, fmt.Errorf("the login stored in %s has no token: run `telnyx-oauth-mcp login` again", out.Where)
		}
		refreshCfg := cfg
		refreshCfg.BaseURL = base
		refreshCfg.APIKey, refreshCfg.ClientID, refreshCfg.ClientSecret, refreshCfg.Bearer = "", "", "", nil
		api, err := telnyxapi.New(refreshCfg)
		if err != nil {
			return nil, err
		}
		out.Bearer = NewSource(store, cred, api, warn)
	default:
		return nil, fmt.Errorf("%s holds a credential of unknown kind %q: run `telnyx-oauth-mcp logout` and log in again", out.Where, cred.Kind)
	}
	return out, nil
}
