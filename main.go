// Command telnyx-oauth-mcp is a Model Context Protocol server that lets an
// AI assistant manage a Telnyx account's OAuth setup: clients, grants,
// tokens and discovery, one tool per API operation. Hosts launch it over
// stdio; `tools` and `call` serve people and scripts.
//
// This file is the wiring: run parses the configuration (config.go), hands
// the account commands to their packages (account.go), picks the upstream
// credential (credentials.go), and serves over stdio (stdio.go) or HTTP
// (serve_http.go), or runs one of the commands for people (commands.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

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
		reportUsageError(stderr, "", err)
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cmd == "serve" && cfg.transport == "http" {
		return serveHTTP(ctx, cfg, sel, logger, getenv, stderr)
	}

	// The tools are built before the client they call, so that the
	// selection and a call's tool are checked before any credential or
	// upstream call is needed.
	var api *telnyxapi.Client
	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(cfg.confirmDestructive, nil),
		Secrets: tools.SecretsPolicy(cfg.secrets),
		Logger:  logger,

		AllowInsecureOAuth: cfg.allowInsecureOAuth,
	}
	all := tools.All(deps)
	selected, err := tools.Select(all, sel)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	var call *callRequest
	if cmd == "call" {
		var code int
		if call, code = parseCall(cfg, sel, all, selected, stdout, stderr); call == nil {
			return code
		}
	}

	api, cleanup, err := newAPIClient(cfg, getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	defer cleanup()

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

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
