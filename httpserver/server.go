// Package httpserver serves the MCP tools over streamable HTTP for shared
// deployments: many callers, one server (or many replicas), nothing shared
// between callers. It puts authentication, Host and Origin checks, body and
// session caps, per-caller rate limits, metrics, audit lines and graceful
// shutdown around mcp-go's StreamableHTTPServer, which has none of them,
// and serves both protocol eras (2025-11-25 and 2026-07-28) on /mcp.
package httpserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/loopback"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// Defaults for Config fields left zero.
const (
	DefaultAddr         = "127.0.0.1:8080"
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxSessions  = 1000
	// DefaultMaxSessionsPerCaller keeps one credential from taking every
	// session; it is never more than MaxSessions.
	DefaultMaxSessionsPerCaller = 100
	DefaultSessionIdleTTL       = 30 * time.Minute
	DefaultRateLimit            = 120 // tool calls per minute per caller
	DefaultRateLimitMutating    = 20  // calls of tools that change something, per minute per caller
	DefaultCallerConcurrency    = 4
	DefaultShutdownGrace        = 10 * time.Second
	DefaultReadHeaderTimeout    = 10 * time.Second
	DefaultReadBodyTimeout      = 30 * time.Second
	DefaultIdleTimeout          = 2 * time.Minute
	DefaultMaxHeaderBytes       = 64 << 10

	// MinStateKeyBytes is the shortest accepted state signing key.
	MinStateKeyBytes = 32
)

// Config configures a Server.
type Config struct {
	// What the tools need.
	Version   string
	Selection tools.Selection
	// Client is the base Telnyx client. In key mode it carries no
	// credential: each call uses Client.WithAPIKey(caller's key). In token
	// mode it carries the server's own credential.
	Client *telnyxapi.Client
	// DisableConfirmation lets destructive tools act without the user's
	// confirmation (--confirm-destructive=false).
	DisableConfirmation bool
	// AllowInsecureOAuth allows public clients without PKCE and plain
	// PKCE challenges (--allow-insecure-oauth).
	AllowInsecureOAuth bool
	Secrets            tools.SecretsPolicy
	Logger             *slog.Logger
	// Sandbox says Client talks to the built-in fake API (--sandbox). In
	// key mode it may then carry the fake's demo OAuth client as the
	// default client authentication of token and introspection calls, as
	// the stdio sandbox does; no real credential is involved.
	Sandbox bool

	// Auth is AuthKey or AuthToken; there is no unauthenticated mode.
	Auth string
	// TokensFile lists the accepted tokens in token mode, as SHA-256 hashes
	// (see readTokensFile).
	TokensFile string

	// Stateless serves every request on its own, so that replicas behind a
	// load balancer need no sticky sessions. It needs StateKey.
	Stateless bool
	// StateKey signs confirmation requestStates; replicas must share it.
	// Optional when stateful (a random key is made), required when
	// stateless; at least MinStateKeyBytes long.
	StateKey []byte

	// AllowedOrigins are browser origins (scheme://host[:port]) allowed
	// besides loopback ones; AllowedHosts are Host values (name, or
	// name:port) allowed besides loopback names.
	AllowedOrigins []string
	AllowedHosts   []string
	// TrustProxyHeaders makes X-Forwarded-Host count for the Host check and
	// X-Forwarded-For for logs and the key-check limit; otherwise both are
	// ignored.
	TrustProxyHeaders bool

	// In key mode each caller's key is checked with Telnyx before it may
	// open a session or call a tool (see keycheck.go). The verdict is kept
	// KeyAcceptedTTL, or KeyRefusedTTL for a refused key, in a cache of
	// KeyCacheSize keys; KeyChecksPerSecond bounds the checks of keys not
	// yet known, per remote address (negative: unlimited).
	KeyAcceptedTTL     time.Duration
	KeyRefusedTTL      time.Duration
	KeyChecksPerSecond int
	KeyCacheSize       int

	MaxBodyBytes int64
	MaxSessions  int
	// MaxSessionsPerCaller caps the live sessions of one credential.
	MaxSessionsPerCaller int
	SessionIdleTTL       time.Duration
	// RateLimit and RateLimitMutating are tool calls per minute per caller
	// (token buckets, so a burst of that many is allowed); the second
	// applies to tools that change something, on top of the first.
	// Negative means unlimited.
	RateLimit         int
	RateLimitMutating int
	// CallerConcurrency caps one caller's tool calls in progress (each makes
	// at most a few sequential Telnyx requests); later calls wait.
	CallerConcurrency int

	ShutdownGrace     time.Duration
	ReadHeaderTimeout time.Duration
	// ReadBodyTimeout bounds the reading of a request body (it is read
	// whole before anything else runs); the deadline is lifted once it is
	// read, so long tool calls and streams are not cut.
	ReadBodyTimeout time.Duration
	IdleTimeout     time.Duration
	MaxHeaderBytes  int

	// Audit receives one JSON line per call of a tool that changes
	// something; os.Stderr when nil.
	Audit io.Writer
	// Metrics, when set, is the Metrics whose ObserveAttempt the base
	// client reports to; a fresh one (without upstream metrics) otherwise.
	Metrics *Metrics
	// Now is the clock of confirmations, rate limits and session expiry;
	// time.Now when nil.
	Now func() time.Time
}

// Server is the shared MCP server.
type Server struct {
	cfg            Config
	log            *slog.Logger
	now            func() time.Time
	auth           *authenticator
	allowedHosts   []string
	allowedOrigins []string
	sessions       *sessionStore // nil when stateless
	keys           *keyChecker   // nil in token mode
	limits         *limits
	metrics        *Metrics
	audit          *auditLog

	// mcpWrite serves key-mode callers and write tokens; mcpRead, built
	// from read-only tools alone, serves read tokens.
	mcpWrite, mcpRead mcpTransport
	handler           http.Handler

	baseCtx    context.Context
	cancelBase context.CancelFunc
	serving    atomic.Bool
	draining   atomic.Bool
	closeOnce  sync.Once
}

// New checks cfg, fills in defaults and builds the server.
func New(cfg Config) (*Server, error) {
	if cfg.Client == nil {
		return nil, errors.New("httpserver: no Telnyx client")
	}
	setDefaults(&cfg)
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, metrics: cfg.Metrics, audit: &auditLog{w: cfg.Audit}}
	s.auth = &authenticator{mode: cfg.Auth}
	switch cfg.Auth {
	case AuthKey:
		if cfg.TokensFile != "" {
			return nil, errors.New("a tokens file is only used with token auth")
		}
		if cfg.Client.HasClientCredentials() && !cfg.Sandbox {
			return nil, errors.New("key mode: the base Telnyx client must carry no credential of the server's own (each caller's key is the only one used)")
		}
	case AuthToken:
		if cfg.TokensFile == "" {
			return nil, errors.New("token auth needs a tokens file (--http-tokens-file)")
		}
		entries, err := readTokensFile(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		s.auth.tokens = entries
	default:
		return nil, fmt.Errorf("auth must be %q or %q, not %q: there is no unauthenticated HTTP mode", AuthKey, AuthToken, cfg.Auth)
	}
	if len(cfg.StateKey) > 0 && len(cfg.StateKey) < MinStateKeyBytes {
		return nil, fmt.Errorf("the state key must be at least %d bytes", MinStateKeyBytes)
	}
	if cfg.Stateless && len(cfg.StateKey) == 0 {
		return nil, errors.New("stateless mode needs a state key shared by every replica (--state-key-file or TELNYX_MCP_STATE_KEY): it signs confirmations so that any replica can check them")
	}
	var err error
	if s.allowedOrigins, err = normalizeOrigins(cfg.AllowedOrigins); err != nil {
		return nil, err
	}
	s.allowedHosts = normalizeHosts(cfg.AllowedHosts)
	s.limits = &limits{
		perMinute: cfg.RateLimit, mutatingPerMinute: cfg.RateLimitMutating, concurrency: cfg.CallerConcurrency,
		now: s.now, callers: map[string]*callerState{},
	}
	if !cfg.Stateless {
		s.sessions = newSessionStore(cfg.MaxSessions, min(cfg.MaxSessionsPerCaller, cfg.MaxSessions), cfg.SessionIdleTTL, cfg.Now)
	}
	if err := s.metrics.liveSessions(s.liveSessions); err != nil {
		return nil, fmt.Errorf("metrics: %w (one Metrics per Server)", err)
	}

	deps := tools.Deps{
		Client:      s.clientFor,
		Confirm:     tools.NewConfirmer(!cfg.DisableConfirmation, cfg.StateKey).WithClock(cfg.Now),
		Secrets:     cfg.Secrets,
		Logger:      cfg.Logger,
		Credentials: tools.CredentialsFromOperator,

		AllowInsecureOAuth: cfg.AllowInsecureOAuth,
	}
	if cfg.Auth == AuthKey {
		deps.Credentials = tools.CredentialsFromCaller
	}
	all := tools.All(deps)
	if s.mcpWrite, err = s.newMCP(deps, all, cfg.Selection); err != nil {
		return nil, err
	}
	if cfg.Auth == AuthToken {
		readOnly := cfg.Selection
		readOnly.ReadOnly = true
		if s.mcpRead, err = s.newMCP(deps, all, readOnly); err != nil {
			return nil, err
		}
	}
	s.baseCtx, s.cancelBase = context.WithCancel(context.Background())
	if cfg.Auth == AuthKey {
		s.keys = newKeyChecker(cfg, s.baseCtx)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/mcp", s.serveMCP)
	mux.Handle("GET /healthz", s.hostChecked(func(w http.ResponseWriter, _ *http.Request) { plain(w, http.StatusOK, "ok") }))
	mux.Handle("GET /readyz", s.hostChecked(func(w http.ResponseWriter, _ *http.Request) {
		if s.serving.Load() && !s.draining.Load() {
			plain(w, http.StatusOK, "ready")
			return
		}
		plain(w, http.StatusServiceUnavailable, "not ready")
	}))
	mux.Handle("GET /metrics", s.hostChecked(s.metrics.handler().ServeHTTP))
	s.handler = mux
	return s, nil
}

func setDefaults(cfg *Config) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Audit == nil {
		cfg.Audit = os.Stderr
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Secrets == "" {
		cfg.Secrets = tools.SecretsShow
	}
	setDefault(&cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&cfg.MaxSessions, DefaultMaxSessions)
	setDefault(&cfg.MaxSessionsPerCaller, DefaultMaxSessionsPerCaller)
	setDefault(&cfg.SessionIdleTTL, DefaultSessionIdleTTL)
	setDefault(&cfg.RateLimit, DefaultRateLimit)
	setDefault(&cfg.RateLimitMutating, DefaultRateLimitMutating)
	setDefault(&cfg.CallerConcurrency, DefaultCallerConcurrency)
	setDefault(&cfg.ShutdownGrace, DefaultShutdownGrace)
	setDefault(&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&cfg.ReadBodyTimeout, DefaultReadBodyTimeout)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&cfg.KeyAcceptedTTL, DefaultKeyAcceptedTTL)
	setDefault(&cfg.KeyRefusedTTL, DefaultKeyRefusedTTL)
	setDefault(&cfg.KeyChecksPerSecond, DefaultKeyChecksPerSecond)
	setDefault(&cfg.KeyCacheSize, DefaultKeyCacheSize)
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// newMCP builds one MCP server from the selected tools, with the resources
// and prompts that go with them, the per-caller limits, metrics and audit as
// tool middleware, and its streamable HTTP transport.
func (s *Server) newMCP(deps tools.Deps, all []tools.Tool, sel tools.Selection) (mcpTransport, error) {
	selected, err := tools.Select(all, sel)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]tools.Tool, len(selected))
	for _, t := range selected {
		byName[t.Name()] = t
	}
	resMW, promptMW, completionMW := s.readMiddleware()
	mcpSrv := tools.NewServer(s.cfg.Version, selected,
		append(tools.Extras(deps, selected, completionMW), server.WithToolHandlerMiddleware(s.toolMiddleware(byName)),
			server.WithResourceHandlerMiddleware(resMW), server.WithPromptHandlerMiddleware(promptMW))...)
	opts := []server.StreamableHTTPOption{
		server.WithStreamableHTTPLogger(s.log),
		// mcp-go refuses a non-localhost Host on a loopback connection. The
		// guard's allow-list does the same job and also knows the public
		// names a reverse proxy on this host forwards, which mcp-go would
		// refuse.
		server.WithDisableLocalhostProtection(hasPublicHost(s.allowedHosts)),
	}
	if s.cfg.Stateless {
		// Without WithDisableStreaming, a legacy GET in stateless mode
		// registers one shared session under the id "" that leaks one
		// client's capabilities into every other client's calls.
		opts = append(opts, server.WithStateLess(true), server.WithDisableStreaming(true))
	} else {
		opts = append(opts,
			server.WithSessionIdManagerResolver(sessionResolver{store: s.sessions}),
			server.WithSessionIdleTTL(s.cfg.SessionIdleTTL))
	}
	h := server.NewStreamableHTTPServer(mcpSrv, opts...)
	t := mcpHandler{StreamableHTTPServer: h}
	if s.cfg.Stateless {
		t.direct = newDirectCalls(mcpSrv, h, selected)
	}
	return t, nil
}

// clientFor is the tools' ClientFunc: the caller's own key in key mode,
// the server's credential in token mode.
func (s *Server) clientFor(ctx context.Context) (*telnyxapi.Client, error) {
	c := callerFrom(ctx)
	switch {
	case c == nil:
		return nil, errors.New("no authenticated caller")
	case s.cfg.Auth == AuthKey:
		return s.cfg.Client.WithAPIKey(c.apiKey), nil
	}
	return s.cfg.Client, nil
}

func (s *Server) liveSessions() int {
	if s.sessions == nil {
		return 0
	}
	return s.sessions.live()
}

// Handler is the server's HTTP handler: /mcp, /healthz, /readyz and
// /metrics. Serve wraps it in an http.Server with the right timeouts; use it
// directly only behind one that has them.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is done, then shuts down gracefully: it
// stops accepting connections at once, lets calls in flight finish within
// the shutdown grace, then cancels those still running. It returns nil
// after a shutdown, or the error that stopped the listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		// No WriteTimeout: it would cut SSE responses. Tool calls are
		// bounded by the Telnyx client's call timeout instead.
		BaseContext: func(net.Listener) context.Context { return s.baseCtx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	// Shutdown waits for connections to go idle, which a legacy GET stream
	// never does: end those streams when shutdown starts.
	hs.RegisterOnShutdown(func() {
		for _, m := range s.transports() {
			m.CloseSessions(context.Background())
		}
	})
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && !loopback.IsHost(host) && len(s.allowedHosts) == 0 {
		s.log.Info("listening beyond loopback, but only loopback Host names are allowed: clients using another name get 403 until it is in --allowed-hosts", "addr", ln.Addr().String())
	}
	s.serving.Store(true)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: no new connections; calls in flight may finish", "grace", s.cfg.ShutdownGrace)
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		s.log.Warn("shutdown grace over: cancelling the calls still running")
		s.cancelBase()
		last, cancelLast := context.WithTimeout(context.Background(), time.Second)
		defer cancelLast()
		if hs.Shutdown(last) != nil {
			_ = hs.Close()
		}
	}
	<-errc
	s.Close()
	return nil
}

// Close releases what New started (mcp-go's session sweepers) and cancels
// every call still running. Serve calls it; call it yourself only when
// using Handler without Serve.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.cancelBase()
		for _, m := range s.transports() {
			_ = m.Shutdown(context.Background())
		}
	})
}

// mcpTransport is what the guard hands an admitted request to: a
// mcpHandler (direct.go).
type mcpTransport interface {
	http.Handler
	Shutdown(context.Context) error
	CloseSessions(context.Context)
}

func (s *Server) transports() []mcpTransport {
	if s.mcpRead != nil {
		return []mcpTransport{s.mcpWrite, s.mcpRead}
	}
	return []mcpTransport{s.mcpWrite}
}

func plain(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewBufferString(text+"\n"))
}

// ReadStateKey reads a state signing key from a file: its content, with
// surrounding whitespace removed, at least MinStateKeyBytes long (for
// example the output of `openssl rand -base64 48`).
func ReadStateKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("state key: %w", err)
	}
	return checkStateKey(b)
}

// ParseStateKey checks a state key given as text (TELNYX_MCP_STATE_KEY).
func ParseStateKey(s string) ([]byte, error) { return checkStateKey([]byte(s)) }

func checkStateKey(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) < MinStateKeyBytes {
		return nil, fmt.Errorf("state key: %d bytes, need at least %d (e.g. openssl rand -base64 48)", len(b), MinStateKeyBytes)
	}
	return b, nil
}
