// Package login signs this program in to Telnyx so that nobody has to paste
// an API key into a host's configuration file: `telnyx-oauth-mcp login` runs
// the OAuth authorization-code flow with PKCE through a loopback redirect
// (RFC 8252) and keeps the tokens in the OS keychain, `login --api-key`
// keeps a key there instead, `logout` forgets what was stored and `status`
// says what the server would use. Source then hands the stored access token
// to the server as its bearer and refreshes it before it expires.
package login

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cli/browser"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// DefaultTimeout bounds how long login waits for the browser to come back.
const DefaultTimeout = 5 * time.Minute

// Options are what the commands take from the program around them.
type Options struct {
	// BaseURL is the API base in effect (--base-url or TELNYX_BASE_URL);
	// a command's own --base-url wins. telnyxapi.DefaultBaseURL when empty.
	BaseURL string
	// Getenv reads the environment; os.Getenv semantics.
	Getenv func(string) string
	// Version names this build in the User-Agent.
	Version string

	// Store is where credentials go; credstore.FromEnv(Getenv) when nil.
	Store *credstore.Store
	// OpenBrowser opens a URL for the user; the system browser when nil.
	OpenBrowser func(url string) error
	// Transport carries the API requests; the default transport when nil.
	Transport http.RoundTripper
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ReportFlagError reports a mistake in a command's own flags on
	// stderr (the program reports its own flags' mistakes the same way);
	// one line with the flag package's error when nil.
	ReportFlagError func(stderr io.Writer, fs *flag.FlagSet, err error)

	// tamperVerifier, for tests, changes the PKCE verifier sent to the
	// token endpoint.
	tamperVerifier func(string) string
}

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) store() (*credstore.Store, error) {
	if o.Store != nil {
		return o.Store, nil
	}
	return credstore.FromEnv(o.getenv)
}

func (o *Options) apiConfig(baseURL string) telnyxapi.Config {
	return telnyxapi.Config{
		BaseURL:   baseURL,
		UserAgent: "telnyx-oauth-mcp/" + o.Version,
		Transport: o.Transport,
	}
}

// normalizeBaseURL checks a base URL and returns the form credentials are
// filed under.
func normalizeBaseURL(raw string) (string, error) {
	if raw == "" {
		raw = telnyxapi.DefaultBaseURL
	}
	u, err := telnyxapi.ParseBaseURL(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

const loginUsage = `Usage: telnyx-oauth-mcp login [flags]

Log in to Telnyx in the browser (OAuth authorization code with PKCE) and keep
the tokens in the OS keychain, or in a 0600 file where there is none. The
server then uses them whenever TELNYX_API_KEY is not set.

  telnyx-oauth-mcp login                      log in, asking for every scope the API offers
  telnyx-oauth-mcp login --scope "numbers.read messaging.read"
  telnyx-oauth-mcp login --api-key < key.txt  store an API key instead (typed unechoed on a terminal)

Flags:
`

// Run is the login command. It returns the exit status: 0 logged in, 1 the
// login failed, 2 bad usage. Everything it says goes to stderr (the URL
// too), so stdout stays clean; only the usage --help asks for goes to
// stdout.
func Run(ctx context.Context, opts Options, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	errw := &syncWriter{w: stderr}
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	baseURL := fs.String("base-url", opts.BaseURL, "Telnyx API base `URL` to log in to")
	scope := fs.String("scope", "", "space- or comma-separated `scopes` to ask for (default: every scope the server's metadata lists)")
	apiKey := fs.Bool("api-key", false, "store a Telnyx API key read from standard input instead of logging in")
	noVerify := fs.Bool("no-verify", false, "with --api-key: store the key without checking it against the API")
	noBrowser := fs.Bool("no-browser", false, "do not open a browser; only print the URL")
	newClient := fs.Bool("new-client", false, "register a new OAuth client even if one is remembered for this base URL")
	timeout := fs.Duration("timeout", DefaultTimeout, "how long to wait for the browser to come back")
	if code, done := opts.parseFlags(fs, loginUsage, args, stdout, errw); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(errw, "telnyx-oauth-mcp login: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	base, err := normalizeBaseURL(*baseURL)
	if err != nil {
		fmt.Fprintln(errw, "telnyx-oauth-mcp login:", err)
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(errw, "telnyx-oauth-mcp login: --timeout must be positive")
		return 2
	}
	store, err := opts.store()
	if err != nil {
		fmt.Fprintln(errw, "telnyx-oauth-mcp login:", err)
		return 2
	}
	api, err := telnyxapi.New(opts.apiConfig(base))
	if err != nil {
		fmt.Fprintln(errw, "telnyx-oauth-mcp login:", err)
		return 2
	}

	var cred *credstore.Credential
	var saved credstore.Saved
	keep := func(c *credstore.Credential) error {
		var err error
		if saved, err = store.Save(c); err != nil {
			return fmt.Errorf("storing the credential: %w", err)
		}
		return nil
	}
	if *apiKey {
		if cred, err = readAPIKey(ctx, api, base, stdin, errw, !*noVerify); err == nil {
			err = keep(cred)
		}
	} else {
		f := &flow{
			api: api, store: store, baseURL: base, scope: normalizeScope(*scope), newClient: *newClient,
			timeout: *timeout, stderr: errw, now: opts.now, open: opts.OpenBrowser, keep: keep,
			tamperVerifier: opts.tamperVerifier,
		}
		if *noBrowser || (opts.OpenBrowser == nil && !hasDisplay(opts.getenv)) {
			f.open = nil
		} else if f.open == nil {
			f.open = openSystemBrowser
		}
		cred, err = f.login(ctx)
	}
	if err != nil {
		fmt.Fprintln(errw, "telnyx-oauth-mcp login:", err)
		return 1
	}
	what := "the login"
	if cred.Kind == credstore.KindAPIKey {
		what = "the API key (" + safetext.Mask(cred.APIKey) + ")"
	}
	if saved.KeychainErr != nil {
		fmt.Fprintf(errw, "Not stored in the OS keychain (%s).\n", safetext.OneLine(saved.KeychainErr.Error()))
	}
	fmt.Fprintf(errw, "Stored %s for %s in %s.\n", what, base, store.Describe(saved.Location, base))
	if cred.Kind == credstore.KindOAuth {
		fmt.Fprintf(errw, "Logged in: client %s, scope %q, access token valid until %s; it is refreshed automatically.\n",
			cred.ClientID, cred.Scope, cred.Expiry.Local().Format(time.RFC1123))
	}
	if opts.getenv("TELNYX_API_KEY") != "" {
		fmt.Fprintln(errw, "Note: TELNYX_API_KEY is set here, and wherever it is set it wins over what was just stored.")
	}
	fmt.Fprintln(errw, "Next: telnyx-oauth-mcp init --host claude-desktop|claude-code|cursor|vscode|windsurf")
	return 0
}

// flow is one browser login.
type flow struct {
	api       *telnyxapi.Client
	store     *credstore.Store
	baseURL   string
	scope     string // requested; "" means every scope in the metadata
	newClient bool
	timeout   time.Duration
	stderr    io.Writer
	now       func() time.Time
	open      func(string) error // nil: print the URL only

	// keep stores the credential before the browser is told it worked.
	keep func(*credstore.Credential) error

	tamperVerifier func(string) string // a test hook; see Options
}

// login runs the authorization-code flow and hands the credential to
// f.keep (if set) before the browser's page reports success.
func (f *flow) login(ctx context.Context) (*credstore.Credential, error) {
	scope := f.scope
	if scope == "" {
		md, err := f.api.GetAuthorizationServerMetadata(ctx)
		switch {
		case err != nil:
			fmt.Fprintf(f.stderr, "Could not read the server metadata (%s); asking for the client's default scopes.\n", safetext.OneLine(err.Error()))
		case len(md.ScopesSupported) > 0:
			scope = strings.Join(md.ScopesSupported, " ")
		}
	}

	clients := registrations{dir: f.store.Dir}
	reg, err := clients.load(f.baseURL)
	if err != nil {
		return nil, err
	}
	if f.newClient || (reg != nil && !coversScope(reg.Scope, scope)) {
		reg = nil
	}
	ln, reg, err := listenCallback(reg, f.stderr)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	redirectURI := "http://" + ln.Addr().String() + callbackPath
	if reg == nil {
		reg, err = f.register(ctx, redirectURI, scope)
		if err != nil {
			return nil, err
		}
		if err := clients.save(f.baseURL, reg); err != nil {
			fmt.Fprintf(f.stderr, "Could not remember the registered client (%s); the next login registers another.\n", safetext.OneLine(err.Error()))
		}
	}

	verifier := safetext.Random(32)
	state := safetext.Random(32)
	authURL := f.api.AuthorizeURL(telnyxapi.AuthorizeParams{
		ClientID: reg.ClientID, RedirectURI: redirectURI, Scope: scope, State: state,
		CodeChallenge: safetext.S256(verifier), CodeChallengeMethod: "S256",
	})

	waitCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	cb := serveCallback(ln, state)
	fmt.Fprintf(f.stderr, "To log in to Telnyx, open this URL in a browser (waiting up to %s):\n\n  %s\n\n", f.timeout, authURL)
	if f.open != nil {
		go func() {
			if err := f.open(authURL); err != nil {
				fmt.Fprintf(f.stderr, "Could not open a browser (%s): open the URL above yourself.\n", safetext.OneLine(err.Error()))
			}
		}()
	} else {
		fmt.Fprintln(f.stderr, "No browser is opened here: open the URL above on any machine whose browser can reach this one's 127.0.0.1 (for SSH, forward the port).")
	}
	code, finish, err := cb.wait(waitCtx)
	if err != nil {
		return nil, err
	}
	cred, err := f.exchange(ctx, reg.ClientID, redirectURI, code, verifier, scope)
	if err == nil && f.keep != nil {
		err = f.keep(cred)
	}
	finish(err)
	return cred, err
}

// exchange redeems the authorization code.
func (f *flow) exchange(ctx context.Context, clientID, redirectURI, code, verifier, scope string) (*credstore.Credential, error) {
	sentVerifier := verifier
	if f.tamperVerifier != nil {
		sentVerifier = f.tamperVerifier(verifier)
	}
	began := f.now()
	tok, err := f.api.ExchangeToken(ctx, telnyxapi.TokenRequest{
		GrantType: "authorization_code", Code: code, RedirectURI: redirectURI, CodeVerifier: sentVerifier,
	}, telnyxapi.ClientAuth{ClientID: clientID})
	if err != nil {
		return nil, fmt.Errorf("exchanging the authorization code: %w", err)
	}
	cred, err := credentialFromToken(tok, f.baseURL, clientID, began)
	if err != nil {
		return nil, err
	}
	if cred.Scope == "" {
		cred.Scope = scope
	}
	if cred.RefreshToken == "" {
		fmt.Fprintln(f.stderr, "Telnyx issued no refresh token: log in again when the access token expires.")
	}
	return cred, nil
}

// credentialFromToken checks a token answer and turns it into what is
// stored. issued is when the request was sent, so the expiry errs early.
func credentialFromToken(tok *telnyxapi.TokenResponse, baseURL, clientID string, issued time.Time) (*credstore.Credential, error) {
	if tok.AccessToken == "" {
		return nil, errors.New("the token endpoint answered without an access_token")
	}
	if tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, fmt.Errorf("the token endpoint issued a %q token; only bearer tokens are supported", safetext.Sanitize(tok.TokenType))
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour // what the SDKs assume when expires_in is missing
	}
	return &credstore.Credential{
		Kind: credstore.KindOAuth, BaseURL: baseURL, ClientID: clientID,
		AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenType: "Bearer",
		Expiry: issued.Add(ttl).UTC(), Scope: tok.Scope,
	}, nil
}

// register registers a public client for this machine's loopback redirect.
//
// Why one client per port rather than one with a port-less redirect URI:
// RFC 8252 §7.3 lets a native app register http://127.0.0.1/callback and
// use any port, but Telnyx documents exact matching of redirect_uri (422
// otherwise) and says nothing about that exception, so relying on it could
// fail at the live API. Registering per run would leave a client in the
// account for every login. So the first login registers the port it got
// from the OS, later logins listen on that same port, and only when it is
// taken is a new client registered.
func (f *flow) register(ctx context.Context, redirectURI, scope string) (*registration, error) {
	out, err := f.api.Register(ctx, telnyxapi.RegisterRequest{
		ClientName:              "telnyx-oauth-mcp",
		RedirectURIs:            []string{redirectURI},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Scope:                   scope,
		TokenEndpointAuthMethod: "none",
	})
	if err != nil {
		return nil, fmt.Errorf("registering the OAuth client: %w", err)
	}
	if out.ClientID == "" {
		return nil, errors.New("registering the OAuth client: the answer had no client_id")
	}
	fmt.Fprintf(f.stderr, "Registered the public OAuth client %s for %s.\n", safetext.Sanitize(out.ClientID), redirectURI)
	return &registration{ClientID: out.ClientID, RedirectURI: redirectURI, Scope: scope, RegisteredAt: f.now().UTC()}, nil
}

const callbackPath = "/callback"

// listenCallback binds the loopback listener: on the remembered client's
// port when there is one and it is free, else on any free port, in which
// case the client has to be registered again (reg comes back nil).
func listenCallback(reg *registration, stderr io.Writer) (net.Listener, *registration, error) {
	if reg != nil {
		if port := loopbackPort(reg.RedirectURI); port != "" {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
			if err == nil {
				return ln, reg, nil
			}
			fmt.Fprintf(stderr, "Port %s of the remembered client is in use; registering a new client.\n", port)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listening on 127.0.0.1 for the browser's redirect: %w", err)
	}
	return ln, nil, nil
}

// loopbackPort returns the port of an http://127.0.0.1:PORT/callback URI.
func loopbackPort(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Path != callbackPath {
		return ""
	}
	if n, err := strconv.Atoi(u.Port()); err != nil || n <= 0 || n > 65535 {
		return ""
	}
	return u.Port()
}

// normalizeScope turns "a,b  c" into "a b c", dropping repeats.
func normalizeScope(s string) string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

// coversScope reports whether a client registered for registered may ask
// for requested. An empty request asks for the client's defaults.
func coversScope(registered, requested string) bool {
	have := strings.Fields(registered)
	for _, s := range strings.Fields(requested) {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// hasDisplay reports whether a browser could appear: on Linux and the BSDs
// only inside a graphical session. Without one, cli/browser may start a
// text-mode www-browser that takes over the terminal.
func hasDisplay(getenv func(string) string) bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
	}
	return true
}

var browserOnce sync.Once

func openSystemBrowser(u string) error {
	// The opener's own chatter (xdg-open, gio) must not reach the terminal,
	// let alone stdout.
	browserOnce.Do(func() { browser.Stdout, browser.Stderr = io.Discard, io.Discard })
	return browser.OpenURL(u)
}

// syncWriter lets the browser goroutine and the flow share stderr.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
