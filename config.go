package main

// The configuration: the command line's flags, the TELNYX_MCP_* variables
// that stand in for them, and the checks on their values.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/httpserver"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

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
	return cfg, cfg.check()
}

// origin names where a flag was set, the way the user wrote it: "--flag"
// or the variable's name; "--flag" when it was not set.
func (cfg *config) origin(flagName string) string {
	if name := cfg.setBy[flagName]; name != "" {
		return name
	}
	return "--" + flagName
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

// check validates the values of the flags, naming each invalid one where
// it was set.
func (cfg *config) check() error {
	switch tools.SecretsPolicy(cfg.secrets) {
	case tools.SecretsShow, tools.SecretsRedact:
	default:
		return fmt.Errorf("%s must be show or redact, not %q", cfg.origin("secrets"), cfg.secrets)
	}
	switch cfg.logLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%s must be debug, info, warn or error, not %q", cfg.origin("log-level"), cfg.logLevel)
	}
	if cfg.timeout <= 0 {
		return fmt.Errorf("%s must be positive, not %s", cfg.origin("timeout"), cfg.timeout)
	}
	if cfg.attemptTimeout <= 0 {
		return fmt.Errorf("%s must be positive, not %s", cfg.origin("attempt-timeout"), cfg.attemptTimeout)
	}
	switch cfg.transport {
	case "stdio", "http":
	default:
		return fmt.Errorf("%s must be stdio or http, not %q", cfg.origin("transport"), cfg.transport)
	}
	switch cfg.httpAuth {
	case httpserver.AuthKey, httpserver.AuthToken:
	default:
		return fmt.Errorf("%s must be key or token, not %q", cfg.origin("http-auth"), cfg.httpAuth)
	}
	if cfg.maxBodyBytes <= 0 || cfg.maxSessions <= 0 || cfg.maxSessionsCaller <= 0 || cfg.callerConcurrency <= 0 || cfg.sessionIdleTTL <= 0 || cfg.shutdownGrace <= 0 {
		return errors.New("--max-body-bytes, --max-sessions, --max-sessions-per-caller, --caller-concurrency, --session-idle-ttl and --shutdown-grace must be positive")
	}
	if cfg.rateLimit == 0 || cfg.rateLimitMutating == 0 {
		return errors.New("--rate-limit and --rate-limit-mutating must be positive, or -1 for no limit")
	}
	return nil
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

// httpOnlyFlags only matter when serving over HTTP (--transport http).
var httpOnlyFlags = map[string]bool{
	"listen": true, "stateless": true, "http-auth": true, "http-tokens-file": true,
	"allowed-origins": true, "allowed-hosts": true, "max-body-bytes": true, "max-sessions": true,
	"max-sessions-per-caller": true, "session-idle-ttl": true, "rate-limit": true, "rate-limit-mutating": true,
	"caller-concurrency": true, "trust-proxy-headers": true, "shutdown-grace": true, "audit-log": true,
	"state-key-file": true,
}

var flagNameInError = regexp.MustCompile(`(flag |: )-([a-z])`)

// parseArgs parses flags wherever they are among the arguments, so that
// `call TOOL JSON --sandbox` means what `--sandbox call TOOL JSON` means,
// and returns the other arguments in order. The account commands (login,
// init, ...) parse their own flags: everything after one is theirs.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(fs, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		rest = append(rest, args[0])
		if len(rest) == 1 && accountCommands[args[0]] {
			return append(rest, args[1:]...), nil
		}
		args = args[1:]
	}
}

// flagError rewrites the flag package's errors in the --flag spelling the
// help uses, naming the nearest flag for an unknown one.
func flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		e := &unknownError{what: "flag", name: "--" + name}
		if s := nearest(name, names); s != "" {
			e.suggestion = "--" + s
		}
		return e
	}
	return errors.New(flagNameInError.ReplaceAllString(err.Error(), "$1--$2"))
}

// nearest is the candidate closest to name, if it is close enough to be
// a likely typo: at most two edits (a swap of neighbours counts as one),
// fewer for short names.
func nearest(name string, candidates []string) string {
	best, bestD := "", 3
	if len(name) <= 3 {
		bestD = 2
	}
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent characters.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// warnIgnoredFlags says, in one line each, when a flag given on the
// command line has no effect: HTTP flags outside an HTTP server, and
// --base-url with the sandbox, which serves its own API.
func warnIgnoredFlags(cfg *config, cmd string, stderr io.Writer) {
	if cmd != "serve" || cfg.transport != "http" {
		if names, verb := cfg.httpFlagsGiven(); names != "" {
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: warning: %s only %s with --transport http; ignored\n", names, verb)
		}
	}
	if by := cfg.setBy["base-url"]; cfg.sandbox && by != "" {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: warning: %s is ignored with --sandbox, which serves its own fake Telnyx API\n", by)
	}
}

// httpFlagsGiven lists the HTTP-only flags given on the command line, in
// order ("--listen, --stateless"), with the verb that agrees with them:
// "applies" for one, "apply" for more. names is "" when there is none.
func (cfg *config) httpFlagsGiven() (names, verb string) {
	var given []string
	for name, by := range cfg.setBy {
		if httpOnlyFlags[name] && strings.HasPrefix(by, "--") {
			given = append(given, by)
		}
	}
	sort.Strings(given)
	if len(given) == 1 {
		return given[0], "applies"
	}
	return strings.Join(given, ", "), "apply"
}
