package main

// The command line's face: the usage text, the list of commands, and the
// one-line errors for a mistyped flag or command. The flags are defined in
// config.go; the commands run in commands.go and account.go.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

const usageText = `telnyx-oauth-mcp: Telnyx OAuth as MCP tools (clients, grants, tokens, discovery).

Usage:
  telnyx-oauth-mcp [flags]                   serve MCP over stdio (what MCP hosts launch)
  telnyx-oauth-mcp tools [flags]             print the tool table
  telnyx-oauth-mcp call TOOL [JSON] [flags]  run one tool and print its result as JSON
                                             (exit status 1 when the tool reports an error)
  telnyx-oauth-mcp version                   print the version
  telnyx-oauth-mcp help                      print this help

Log in and set up a host (each command has its own --help):
  telnyx-oauth-mcp login [--scope S]         log in to Telnyx in the browser; the tokens go to the
                                             OS keychain (or a 0600 file where there is none)
  telnyx-oauth-mcp login --api-key           store an API key read from standard input instead
  telnyx-oauth-mcp logout                    remove what login stored
  telnyx-oauth-mcp status                    which credential the server uses, from where, until when
  telnyx-oauth-mcp init --host HOST          add this server to claude-desktop, claude-code, cursor,
                                             vscode or windsurf (--dry-run, --print)

Try it without a Telnyx account:
  telnyx-oauth-mcp call list_oauth_clients '{}' --sandbox

Shared over HTTP (see the README: "Running it shared (HTTP)"):
  telnyx-oauth-mcp --transport http --listen 127.0.0.1:8080     each caller sends its own Telnyx key
  telnyx-oauth-mcp --transport http --http-auth token --http-tokens-file tokens.txt
  TELNYX_MCP_STATE_KEY   the confirmation signing key replicas share (--stateless needs it)

Credentials (environment):
  TELNYX_API_KEY        Telnyx API v2 key, the bearer for account calls
  TELNYX_CLIENT_ID      OAuth client id: client authentication for exchange_oauth_token and
  TELNYX_CLIENT_SECRET  introspect_oauth_token; without an API key, also the source of a
                        client-credentials access token used as the bearer
  (none of these)       the credential stored by login, for the --base-url in use
  TELNYX_MCP_CREDENTIAL_STORE  auto (keychain, else file), keychain or file
  TELNYX_MCP_CONFIG_DIR        directory of the file store (default: the user config dir)
  TELNYX_MCP_CONFIG_HOME       home directory init finds the hosts' files under

The flags below may come before or after the command and its arguments, and
each is also settable as TELNYX_MCP_<FLAG>, e.g. TELNYX_MCP_READ_ONLY=true.
login, logout, status and init take their own flags, after the command.
`

// commands are every command, in the order usage lists them.
var commands = []string{"serve", "tools", "call", "version", "help", "login", "logout", "status", "init"}

// printUsage writes the help: what --help, -h and help print, on stdout.
func printUsage(w io.Writer) {
	fs := (&config{}).flagSet()
	fmt.Fprint(w, usageText)
	fmt.Fprintln(w, "\nFlags:")
	writeFlags(w, fs, func(name string) bool { return !httpOnlyFlags[name] })
	fmt.Fprintln(w, "\nHTTP flags (only with --transport http):")
	writeFlags(w, fs, func(name string) bool { return httpOnlyFlags[name] })
}

// writeFlags lists flags as `--name VALUE`, each with its description and
// its default when that is not the zero value.
func writeFlags(w io.Writer, fs *flag.FlagSet, keep func(string) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !keep(f.Name) {
			return
		}
		placeholder, usage := flag.UnquoteUsage(f)
		switch placeholder {
		case "duration":
			placeholder = "DURATION"
		case "int":
			placeholder = "N"
		case "string":
			placeholder = "VALUE"
		}
		fmt.Fprintf(w, "  --%s", f.Name)
		if placeholder != "" {
			fmt.Fprintf(w, " %s", strings.ToUpper(placeholder))
		}
		fmt.Fprintln(w)
		switch f.DefValue {
		case "", "false", "0":
		default:
			usage += " (default " + f.DefValue + ")"
		}
		fmt.Fprint(w, wrap(usage, "        ", 96))
	})
}

// wrap breaks text into lines of at most width characters, each starting
// with indent.
func wrap(text, indent string, width int) string {
	var b, line strings.Builder
	for _, word := range strings.Fields(text) {
		if line.Len() > 0 && len(indent)+line.Len()+1+len(word) > width {
			b.WriteString(indent + line.String() + "\n")
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	if line.Len() > 0 {
		b.WriteString(indent + line.String() + "\n")
	}
	return b.String()
}

// unknownError is a mistyped flag or command, with the nearest valid one.
type unknownError struct {
	what, name, suggestion string
}

func (e *unknownError) Error() string {
	name := e.name
	if e.what == "command" {
		name = fmt.Sprintf("%q", e.name)
	}
	if e.suggestion == "" {
		return fmt.Sprintf("unknown %s %s", e.what, name)
	}
	return fmt.Sprintf("unknown %s %s (did you mean %s?)", e.what, name, e.suggestion)
}

// reportUsageError writes a command-line mistake to stderr: one line that
// names it (and the nearest valid name), the commands, and where help is.
// cmd is the account command whose own flags are wrong, or "".
func reportUsageError(stderr io.Writer, cmd string, err error) {
	prog, help := "telnyx-oauth-mcp", "--help"
	if cmd != "" {
		prog += " " + cmd
		help = "`" + prog + " --help`"
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	var unknown *unknownError
	if errors.As(err, &unknown) {
		fmt.Fprintln(stderr, "commands:", strings.Join(commands, ", "))
		fmt.Fprintf(stderr, "see %s for every flag\n", help)
	}
}
