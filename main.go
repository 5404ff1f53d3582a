// Command telnyx-oauth-mcp is a Model Context Protocol server that lets an
// AI assistant manage a Telnyx account's OAuth setup: clients, grants,
// tokens and discovery, one tool per API operation. Hosts launch it over
// stdio; `tools` and `call` serve people and scripts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/hostconfig"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/httpserver"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/login"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// config is the parsed command line.
type config struct {
	baseURL            string
	toolsets           string
	tools              string
	readOnly           bool
	confirmDestructive bool
	allowInsecureOAuth bool
	secrets            string
	timeout            time.Duration
	attemptTimeout     time.Duration
	logLevel           string
	sandbox            bool
	showVersion        bool
	args               []string
	// setBy names, for each flag set on the command line or in the
	// environment, where it was set: "--flag" or the variable's name.
	setBy map[string]string

	// Streamable HTTP (--transport http).
	transport         string
	listen            string
	stateless         bool
	httpAuth          string
	httpTokensFile    string
	allowedOrigins    string
	allowedHosts      string
	maxBodyBytes      int64
	maxSessions       int
	maxSessionsCaller int
	sessionIdleTTL    time.Duration
	rateLimit         int
	rateLimitMutating int
	callerConcurrency int
	trustProxyHeaders bool
	shutdownGrace     time.Duration
	auditLog          string
	stateKeyFile      string
	// onAttempt, when set, observes every HTTP attempt of the Telnyx
	// client: the HTTP server's upstream metrics.
	onAttempt func(telnyxapi.Attempt)
}

func main() {
	info, ok := debug.ReadBuildInfo()
	version = resolveVersion(version, info, ok)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// run is the whole program, with its surroundings passed in so that tests
// can drive it. It returns the exit status.
func run(argv []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	cfg, err := parseFlags(argv, getenv)
	if errors.Is(err, flag.ErrHelp) {
		printUsage(stdout)
		return 0
	}
	if err != nil {
		reportUsageError(stderr, err)
		return 2
	}
	cmd := "serve"
	if len(cfg.args) > 0 {
		cmd = cfg.args[0]
	}
	switch {
	case cmd == "help":
		printUsage(stdout)
		return 0
	case cmd == "version" || cfg.showVersion:
		fmt.Fprintln(stdout, "telnyx-oauth-mcp", version)
		return 0
	case accountCommands[cmd]:
		return runAccountCommand(cfg, stdin, stdout, stderr, getenv)
	}
	warnIgnoredFlags(cfg, cmd, stderr)
	logger := newLogger(stderr, cfg.logLevel)

	sel := tools.Selection{Toolsets: splitList(cfg.toolsets), Tools: splitList(cfg.tools), ReadOnly: cfg.readOnly}
	if cmd == "tools" {
		return printTools(stdout, stderr, sel, cfg.confirmDestructive)
	}
	var call *callRequest
	if cmd == "call" {
		// Checked before any credential or upstream call is needed.
		var code int
		if call, code = parseCall(cfg, sel, stdout, stderr); call == nil {
			return code
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd == "serve" && cfg.transport == "http" {
		return serveHTTP(ctx, cfg, sel, logger, getenv, stderr)
	}

	api, cleanup, err := newAPIClient(cfg, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	defer cleanup()

	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(cfg.confirmDestructive, nil),
		Secrets: tools.SecretsPolicy(cfg.secrets),
		Logger:  logger,

		AllowInsecureOAuth: cfg.allowInsecureOAuth,
	}
	selected, err := tools.Select(tools.All(deps), sel)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	if !cfg.confirmDestructive {
		logger.Warn("destructive tools run without confirmation (--confirm-destructive=false)")
	}
	tracker := newCallTracker()
	srv := tools.NewServer(version, selected, append(tools.Extras(deps, selected), server.WithToolHandlerMiddleware(tracker.middleware))...)

	if call != nil {
		return callTool(ctx, srv, call, stdout, stderr)
	}
	logger.Info("serving MCP over stdio", "version", version, "tools", len(selected), "base_url", api.BaseURL())
	stdio := server.NewStdioServer(srv)
	stdio.SetErrorLogger(log.New(stderr, "stdio: ", 0))
	if err := serveStdio(ctx, stdio, tracker, stdin, stdout); err != nil && !errors.Is(err, context.Canceled) {
		logger.Error("stdio server stopped", "error", err)
		return 1
	}
	return 0
}

// parseFlags reads flags, then fills those not given from TELNYX_MCP_*
// variables (and --base-url from TELNYX_BASE_URL).
func parseFlags(argv []string, getenv func(string) string) (*config, error) {
	cfg := &config{}
	fs := cfg.flagSet()
	rest, err := parseArgs(fs, argv)
	if err != nil {
		return nil, err
	}
	cfg.args = rest
	if len(rest) > 0 && !slices.Contains(commands, rest[0]) {
		return nil, &unknownError{what: "command", name: rest[0], suggestion: nearest(rest[0], commands)}
	}

	cfg.setBy = map[string]string{}
	fs.Visit(func(f *flag.Flag) { cfg.setBy[f.Name] = "--" + f.Name })
	// An invalid value is reported under the name the user actually wrote.
	origin := func(flagName string) string {
		if name, ok := cfg.setBy[flagName]; ok {
			return name
		}
		return "--" + flagName
	}
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if cfg.setBy[f.Name] != "" || envErr != nil || f.Name == "version" {
			return
		}
		name := "TELNYX_MCP_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v := getenv(name)
		if v == "" && f.Name == "base-url" {
			name, v = "TELNYX_BASE_URL", getenv("TELNYX_BASE_URL")
		}
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			envErr = fmt.Errorf("%s=%q: %v", name, v, err)
		}
		cfg.setBy[f.Name] = name
	})
	if envErr != nil {
		return nil, envErr
	}
	return cfg, cfg.check(origin)
}

// flagSet defines the command line's flags on cfg.
func (cfg *config) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("telnyx-oauth-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports a bad flag itself, in one line
	fs.StringVar(&cfg.baseURL, "base-url", telnyxapi.DefaultBaseURL, "Telnyx API base `URL` (also TELNYX_BASE_URL); https, or http on loopback only")
	fs.StringVar(&cfg.toolsets, "toolsets", strings.Join(tools.DefaultToolsets, ","), "comma-separated `toolsets` to expose: "+strings.Join(tools.Toolsets, ", ")+", or all (consent is off unless named)")
	fs.StringVar(&cfg.tools, "tools", "", "comma-separated tool `names` to expose instead of whole toolsets")
	fs.BoolVar(&cfg.readOnly, "read-only", false, "expose only tools that change nothing (wins over --toolsets and --tools)")
	fs.BoolVar(&cfg.confirmDestructive, "confirm-destructive", true, "require the user's confirmation for delete, revoke, consent and updates of redirect URIs, scopes, grant types or PKCE; false is for unattended automation")
	fs.BoolVar(&cfg.allowInsecureOAuth, "allow-insecure-oauth", false, "allow public clients without PKCE and authorize URLs with code_challenge_method=plain (OAuth 2.1 forbids both; only for accounts that must serve old clients)")
	fs.StringVar(&cfg.secrets, "secrets", string(tools.SecretsShow), "`MODE`: show secrets that are the point of a call (new client secrets, tokens, PKCE verifiers), or redact them to their last four characters")
	fs.DurationVar(&cfg.timeout, "timeout", telnyxapi.DefaultCallTimeout, "time limit of one tool call's Telnyx requests, retries included")
	fs.DurationVar(&cfg.attemptTimeout, "attempt-timeout", telnyxapi.DefaultAttemptTimeout, "time limit of one HTTP attempt")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "stderr log `level`: debug, info, warn or error")
	fs.BoolVar(&cfg.sandbox, "sandbox", false, "serve against a built-in fake Telnyx API with demo data; no credentials needed, nothing leaves the machine")
	fs.BoolVar(&cfg.showVersion, "version", false, "print the version and exit")
	fs.StringVar(&cfg.transport, "transport", "stdio", "`MODE`: stdio (what MCP hosts launch) or http (streamable HTTP for shared deployments)")
	fs.StringVar(&cfg.listen, "listen", httpserver.DefaultAddr, "HTTP listen `address`; the MCP endpoint is /mcp")
	fs.BoolVar(&cfg.stateless, "stateless", false, "HTTP: no sessions, so that any replica can serve any request (needs the shared state key)")
	fs.StringVar(&cfg.httpAuth, "http-auth", httpserver.AuthKey, "HTTP caller authentication, `MODE`: key (each caller's own Telnyx API key as the bearer) or token (tokens from --http-tokens-file; the server's own credential upstream)")
	fs.StringVar(&cfg.httpTokensFile, "http-tokens-file", "", "token auth: `file` of accepted tokens, one per line: sha256:<hex> read|write")
	fs.StringVar(&cfg.allowedOrigins, "allowed-origins", "", "HTTP: comma-separated browser `origins` allowed besides loopback ones, e.g. https://app.example.com")
	fs.StringVar(&cfg.allowedHosts, "allowed-hosts", "", "HTTP: comma-separated Host `names` (or name:port) allowed besides loopback names, e.g. mcp.example.com")
	fs.Int64Var(&cfg.maxBodyBytes, "max-body-bytes", httpserver.DefaultMaxBodyBytes, "HTTP: largest request body; bigger ones get 413")
	fs.IntVar(&cfg.maxSessions, "max-sessions", httpserver.DefaultMaxSessions, "HTTP: live 2025-11-25 sessions at most; more get 503")
	fs.IntVar(&cfg.maxSessionsCaller, "max-sessions-per-caller", httpserver.DefaultMaxSessionsPerCaller, "HTTP: live 2025-11-25 sessions of one credential at most; more get 503")
	fs.DurationVar(&cfg.sessionIdleTTL, "session-idle-ttl", httpserver.DefaultSessionIdleTTL, "HTTP: a session unused this long expires")
	fs.IntVar(&cfg.rateLimit, "rate-limit", httpserver.DefaultRateLimit, "HTTP: tool calls per minute per caller (a burst of as many); -1 for no limit")
	fs.IntVar(&cfg.rateLimitMutating, "rate-limit-mutating", httpserver.DefaultRateLimitMutating, "HTTP: calls per minute per caller of tools that change something, within --rate-limit; -1 for no limit")
	fs.IntVar(&cfg.callerConcurrency, "caller-concurrency", httpserver.DefaultCallerConcurrency, "HTTP: tool calls one caller may have in progress; more wait")
	fs.BoolVar(&cfg.trustProxyHeaders, "trust-proxy-headers", false, "HTTP: honour X-Forwarded-Host and X-Forwarded-For (only behind a proxy that sets them)")
	fs.DurationVar(&cfg.shutdownGrace, "shutdown-grace", httpserver.DefaultShutdownGrace, "HTTP: on SIGTERM, how long calls in flight may take to finish")
	fs.StringVar(&cfg.auditLog, "audit-log", "", "HTTP: append the audit lines (JSON, one per call of a tool that changes something) to this `file` instead of stderr")
	fs.StringVar(&cfg.stateKeyFile, "state-key-file", "", "HTTP: `file` holding the key that signs confirmations (at least 32 bytes, shared by replicas); or TELNYX_MCP_STATE_KEY")
	return fs
}

// check validates the values of the flags; origin names where a flag was
// set.
func (cfg *config) check(origin func(string) string) error {
	switch tools.SecretsPolicy(cfg.secrets) {
	case tools.SecretsShow, tools.SecretsRedact:
	default:
		return fmt.Errorf("%s must be show or redact, not %q", origin("secrets"), cfg.secrets)
	}
	switch cfg.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%s must be debug, info, warn or error, not %q", origin("log-level"), cfg.logLevel)
	}
	if cfg.timeout <= 0 {
		return fmt.Errorf("%s must be positive, not %s", origin("timeout"), cfg.timeout)
	}
	if cfg.attemptTimeout <= 0 {
		return fmt.Errorf("%s must be positive, not %s", origin("attempt-timeout"), cfg.attemptTimeout)
	}
	switch cfg.transport {
	case "stdio", "http":
	default:
		return fmt.Errorf("%s must be stdio or http, not %q", origin("transport"), cfg.transport)
	}
	switch cfg.httpAuth {
	case httpserver.AuthKey, httpserver.AuthToken:
	default:
		return fmt.Errorf("%s must be key or token, not %q", origin("http-auth"), cfg.httpAuth)
	}
	if cfg.maxBodyBytes <= 0 || cfg.maxSessions <= 0 || cfg.maxSessionsCaller <= 0 || cfg.callerConcurrency <= 0 || cfg.sessionIdleTTL <= 0 || cfg.shutdownGrace <= 0 {
		return errors.New("--max-body-bytes, --max-sessions, --max-sessions-per-caller, --caller-concurrency, --session-idle-ttl and --shutdown-grace must be positive")
	}
	if cfg.rateLimit == 0 || cfg.rateLimitMutating == 0 {
		return errors.New("--rate-limit and --rate-limit-mutating must be positive, or -1 for no limit")
	}
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// runAccountCommand runs login, logout, status or init.
func runAccountCommand(cfg *config, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := cfg.args[1:]
	if asksForHelp(args) {
		stderr = stdout // each command prints its usage where --help's goes
	}
	opts := login.Options{BaseURL: cfg.baseURL, Getenv: getenv, Version: version}
	switch cfg.args[0] {
	case "login":
		return login.Run(ctx, opts, args, stdin, stdout, stderr)
	case "logout":
		return login.RunLogout(ctx, opts, args, stdout, stderr)
	case "status":
		return login.RunStatus(ctx, opts, args, stdout, stderr)
	}
	return hostconfig.Run(hostconfig.Options{
		BaseURL: cfg.baseURL, Getenv: getenv,
		// The flags written into the host's entry must be ones the server
		// takes, and must keep it on stdio, which is how hosts launch it.
		CheckArgs: checkHostArgs,
	}, args, stdout, stderr)
}

// newAPIClient builds the Telnyx client from the environment, or starts the
// sandbox. It fails with one clear line when no credential is set.
func newAPIClient(cfg *config, getenv func(string) string, stderr io.Writer) (*telnyxapi.Client, func(), error) {
	apiCfg := telnyxapi.Config{
		BaseURL:        cfg.baseURL,
		APIKey:         getenv("TELNYX_API_KEY"),
		ClientID:       getenv("TELNYX_CLIENT_ID"),
		ClientSecret:   getenv("TELNYX_CLIENT_SECRET"),
		UserAgent:      "telnyx-oauth-mcp/" + version,
		CallTimeout:    cfg.timeout,
		AttemptTimeout: cfg.attemptTimeout,
	}
	cleanup := func() {}
	if cfg.sandbox {
		fake, err := telnyxfake.Listen(telnyxfake.Options{Seed: true})
		if err != nil {
			return nil, nil, fmt.Errorf("starting the sandbox: %w", err)
		}
		cleanup = func() { _ = fake.Close() }
		apiCfg.BaseURL = fake.BaseURL
		apiCfg.APIKey = telnyxfake.DefaultAPIKey
		apiCfg.ClientID = telnyxfake.DemoClientID
		apiCfg.ClientSecret = telnyxfake.DemoClientSecret
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: SANDBOX: a built-in fake Telnyx API with demo data at %s; nothing reaches Telnyx\n", fake.URL)
	} else if keyMode(cfg) {
		// Checked below: each caller brings its own key.
	} else if apiCfg.APIKey == "" && (apiCfg.ClientID == "" || apiCfg.ClientSecret == "") {
		// Last in precedence: what `login` stored for this base URL.
		stored, err := login.LoadStored(getenv, apiCfg, stderr)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the stored Telnyx credential: %w", err)
		}
		if stored == nil {
			return nil, nil, errors.New("no Telnyx credential: set TELNYX_API_KEY (or TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET), run `telnyx-oauth-mcp login`, or try --sandbox")
		}
		apiCfg.APIKey, apiCfg.Bearer = stored.APIKey, stored.Bearer
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: using the Telnyx credential stored in %s\n", stored.Where)
	}
	if keyMode(cfg) {
		// In key mode each caller's own key is the only credential: none of
		// the server's is used, not even the client id and secret.
		if !cfg.sandbox && (apiCfg.APIKey != "" || apiCfg.ClientID != "" || apiCfg.ClientSecret != "") {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp: --http-auth key: TELNYX_API_KEY, TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET are ignored; each caller's own key is used")
		}
		apiCfg.APIKey = ""
		if cfg.sandbox {
			// As over stdio, token and introspection calls default to the
			// sandbox's demo client, whose secret is published.
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: SANDBOX, key mode: callers send Authorization: Bearer %s (the sandbox's key); token calls default to the demo client %s\n", telnyxfake.DefaultAPIKey, telnyxfake.DemoClientID)
		} else {
			apiCfg.ClientID, apiCfg.ClientSecret = "", ""
		}
	}
	apiCfg.OnAttempt = cfg.onAttempt
	api, err := telnyxapi.New(apiCfg)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return api, cleanup, nil
}

// keyMode reports whether the server runs over HTTP with callers bringing
// their own Telnyx keys. Other commands (`call`, …) keep the usual
// credentials even when TELNYX_MCP_TRANSPORT=http is set, as in the image.
func keyMode(cfg *config) bool {
	serving := len(cfg.args) == 0 || cfg.args[0] == "serve"
	return serving && cfg.transport == "http" && cfg.httpAuth == httpserver.AuthKey
}

// serveHTTP serves MCP over streamable HTTP until ctx ends (SIGTERM or
// SIGINT), then shuts down gracefully. The work is in package httpserver;
// this is the wiring.
func serveHTTP(ctx context.Context, cfg *config, sel tools.Selection, logger *slog.Logger, getenv func(string) string, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	tuneGC()
	var stateKey []byte
	var err error
	switch {
	case cfg.stateKeyFile != "":
		stateKey, err = httpserver.ReadStateKey(cfg.stateKeyFile)
	case getenv("TELNYX_MCP_STATE_KEY") != "":
		stateKey, err = httpserver.ParseStateKey(getenv("TELNYX_MCP_STATE_KEY"))
	}
	if err != nil {
		return fail(err)
	}
	metrics := httpserver.NewMetrics()
	cfg.onAttempt = metrics.ObserveAttempt
	api, cleanup, err := newAPIClient(cfg, getenv, stderr)
	if err != nil {
		return fail(err)
	}
	defer cleanup()
	audit := stderr
	if cfg.auditLog != "" {
		f, err := os.OpenFile(cfg.auditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fail(fmt.Errorf("audit log: %w", err))
		}
		defer f.Close()
		audit = f
	}
	srv, err := httpserver.New(httpserver.Config{
		Version:              version,
		Selection:            sel,
		Client:               api,
		DisableConfirmation:  !cfg.confirmDestructive,
		Sandbox:              cfg.sandbox,
		AllowInsecureOAuth:   cfg.allowInsecureOAuth,
		Secrets:              tools.SecretsPolicy(cfg.secrets),
		Logger:               logger,
		Auth:                 cfg.httpAuth,
		TokensFile:           cfg.httpTokensFile,
		Stateless:            cfg.stateless,
		StateKey:             stateKey,
		AllowedOrigins:       splitList(cfg.allowedOrigins),
		AllowedHosts:         splitList(cfg.allowedHosts),
		TrustProxyHeaders:    cfg.trustProxyHeaders,
		MaxBodyBytes:         cfg.maxBodyBytes,
		MaxSessions:          cfg.maxSessions,
		MaxSessionsPerCaller: cfg.maxSessionsCaller,
		SessionIdleTTL:       cfg.sessionIdleTTL,
		RateLimit:            cfg.rateLimit,
		RateLimitMutating:    cfg.rateLimitMutating,
		CallerConcurrency:    cfg.callerConcurrency,
		ShutdownGrace:        cfg.shutdownGrace,
		Audit:                audit,
		Metrics:              metrics,
	})
	if err != nil {
		return fail(err)
	}
	defer srv.Close()
	if !cfg.confirmDestructive {
		logger.Warn("destructive tools run without confirmation (--confirm-destructive=false)")
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fail(err)
	}
	logger.Info("serving MCP over HTTP", "version", version, "url", "http://"+ln.Addr().String()+"/mcp",
		"auth", cfg.httpAuth, "stateless", cfg.stateless, "base_url", api.BaseURL())
	if err := srv.Serve(ctx, ln); err != nil {
		logger.Error("HTTP server stopped", "error", err)
		return 1
	}
	logger.Info("HTTP server stopped")
	return 0
}

// tuneGC sets the garbage collector for a shared HTTP server, unless
// GOGC or GOMEMLIMIT in the environment already did. Under load the server
// allocates fast and keeps little (a few MB live), so the default GOGC=100
// collects very often: GOGC=400 with a 24 MiB soft limit measured about
// 20 % more tool calls a second and a lower p99 at 64 callers, with peak
// RSS still near 31 MB (docs/benchmarks.md). stdio servers keep the
// defaults.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(24 << 20)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
