package main

// The account commands: login, logout and status (package login) and init
// (package hostconfig). They parse their own flags and need no server.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/hostconfig"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/login"
)

// accountCommands parse their own flags and need no server.
var accountCommands = map[string]bool{"login": true, "logout": true, "status": true, "init": true}

// runAccountCommand runs login, logout, status or init.
func runAccountCommand(cfg *config, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := cfg.args[1:]
	opts := login.Options{BaseURL: cfg.baseURL, Getenv: getenv, Version: version, ReportFlagError: reportCommandFlagError}
	switch cfg.args[0] {
	case "login":
		return login.Run(ctx, opts, args, stdin, stdout, stderr)
	case "logout":
		return login.RunLogout(ctx, opts, args, stdout, stderr)
	case "status":
		return login.RunStatus(ctx, opts, args, stdout, stderr)
	}
	return hostconfig.Run(hostconfig.Options{
		BaseURL: cfg.baseURL, Getenv: getenv, ReportFlagError: reportCommandFlagError,
		// The flags written into the host's entry must be ones the server
		// takes, and must keep it on stdio, which is how hosts launch it.
		CheckArgs: checkHostArgs,
	}, args, stdout, stderr)
}

// checkHostArgs checks the server flags of a host's entry: flags the
// server takes, and nothing that moves it off stdio, since a host launches
// it as a child process and talks over stdin and stdout. It tells init
// what they set that init needs to know.
func checkHostArgs(args []string) (hostconfig.ServerArgs, error) {
	c, err := parseFlags(args, func(string) string { return "" })
	if err != nil {
		return hostconfig.ServerArgs{}, err
	}
	if len(c.args) > 0 {
		return hostconfig.ServerArgs{}, fmt.Errorf("unexpected argument %q: only server flags go after --", c.args[0])
	}
	if c.transport == "http" {
		return hostconfig.ServerArgs{}, errors.New("--transport http cannot work here: the host launches the server and talks to it over stdio")
	}
	if names, verb := c.httpFlagsGiven(); names != "" {
		return hostconfig.ServerArgs{}, fmt.Errorf("%s only %s to an HTTP server, and the host talks to the server over stdio", names, verb)
	}
	return hostconfig.ServerArgs{Sandbox: c.sandbox, BaseURL: c.setBy["base-url"] != ""}, nil
}

// reportCommandFlagError reports a mistake in an account command's own
// flags as run reports one in the server's: one line naming it (and the
// nearest of the command's flags), then for an unknown flag the commands
// and where help is.
func reportCommandFlagError(stderr io.Writer, fs *flag.FlagSet, err error) {
	reportUsageError(stderr, fs.Name(), flagError(fs, err))
}
