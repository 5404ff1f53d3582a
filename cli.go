package main

// The command line around the server: usage, the commands besides serving
// (tools, call, version, help), and the one-line errors for a mistyped
// flag or command. The flags themselves are defined in main.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
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

Flags may come before or after the command and its arguments; each is also
settable as TELNYX_MCP_<FLAG>, e.g. TELNYX_MCP_READ_ONLY=true.
`

// commands are every command, in the order usage lists them.
var commands = []string{"serve", "tools", "call", "version", "help", "login", "logout", "status", "init"}

// accountCommands parse their own flags and need no server.
var accountCommands = map[string]bool{"login": true, "logout": true, "status": true, "init": true}

// httpOnlyFlags only matter when serving over HTTP (--transport http).
var httpOnlyFlags = map[string]bool{
	"listen": true, "stateless": true, "http-auth": true, "http-tokens-file": true,
	"allowed-origins": true, "allowed-hosts": true, "max-body-bytes": true, "max-sessions": true,
	"max-sessions-per-caller": true, "session-idle-ttl": true, "rate-limit": true, "rate-limit-mutating": true,
	"caller-concurrency": true, "trust-proxy-headers": true, "shutdown-grace": true, "audit-log": true,
	"state-key-file": true,
}

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
func reportUsageError(stderr io.Writer, err error) {
	fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
	var unknown *unknownError
	if errors.As(err, &unknown) {
		fmt.Fprintln(stderr, "commands:", strings.Join(commands, ", "))
		fmt.Fprintln(stderr, "see --help for every flag")
	}
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
		var ignored []string
		for name, by := range cfg.setBy {
			if httpOnlyFlags[name] && strings.HasPrefix(by, "--") {
				ignored = append(ignored, by)
			}
		}
		sort.Strings(ignored)
		switch len(ignored) {
		case 0:
		case 1:
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: warning: %s only applies with --transport http; ignored\n", ignored[0])
		default:
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: warning: %s only apply with --transport http; ignored\n", strings.Join(ignored, ", "))
		}
	}
	if by := cfg.setBy["base-url"]; cfg.sandbox && by != "" {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: warning: %s is ignored with --sandbox, which serves its own fake Telnyx API\n", by)
	}
}

// checkHostArgs checks the server flags init writes into a host's entry:
// flags the server takes, and nothing that moves it off stdio, since a
// host launches it as a child process and talks over stdin and stdout.
func checkHostArgs(args []string) error {
	c, err := parseFlags(args, func(string) string { return "" })
	if err != nil {
		return err
	}
	if len(c.args) > 0 {
		return fmt.Errorf("unexpected argument %q: only server flags go after --", c.args[0])
	}
	if c.transport == "http" {
		return errors.New("--transport http cannot work here: the host launches the server and talks to it over stdio")
	}
	var names []string
	for name := range c.setBy {
		if httpOnlyFlags[name] {
			names = append(names, "--"+name)
		}
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("%s only applies to an HTTP server, and the host talks to the server over stdio", names[0])
	}
	return fmt.Errorf("%s only apply to an HTTP server, and the host talks to the server over stdio", strings.Join(names, ", "))
}

// asksForHelp reports whether a command's own flags ask for its usage:
// -h, -help or --help before any "--".
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printTools writes the tool table: every tool, and whether the current
// flags expose it.
func printTools(stdout, stderr io.Writer, sel tools.Selection, confirming bool) int {
	all := tools.All(tools.Deps{})
	on, err := tools.Select(all, sel)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	exposed := map[string]bool{}
	for _, t := range on {
		exposed[t.Name()] = true
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tTOOLSET\tKIND\tEXPOSED\tTITLE")
	for _, t := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name(), t.Toolset, tools.Kind(t, confirming), yesNo(exposed[t.Name()]), t.Definition.Title)
	}
	_ = tw.Flush()
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// callRequest is one `call`: the tool and its arguments.
type callRequest struct {
	name      string
	arguments map[string]any
}

// parseCall checks `call TOOL [JSON]` before anything else runs: the
// usage, the arguments, and that the flags expose the tool. A tool that
// does not exist or is hidden gets the same JSON error object as a failed
// call, saying which. It returns nil and the exit status on failure.
func parseCall(cfg *config, sel tools.Selection, stdout, stderr io.Writer) (*callRequest, int) {
	args := cfg.args[1:]
	if len(args) == 0 || len(args) > 2 {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp: usage: call TOOL ['{\"json\":\"arguments\"}'] [flags]")
		return nil, 2
	}
	req := &callRequest{name: args[0]}
	if len(args) == 2 && strings.TrimSpace(args[1]) != "" {
		dec := json.NewDecoder(strings.NewReader(args[1]))
		dec.UseNumber()
		if err := dec.Decode(&req.arguments); err != nil {
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: the arguments must be one JSON object: %v\n", err)
			return nil, 2
		}
	}
	all := tools.All(tools.Deps{})
	selected, err := tools.Select(all, sel)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return nil, 2
	}
	if slices.ContainsFunc(selected, func(t tools.Tool) bool { return t.Name() == req.name }) {
		return req, 0
	}
	i := slices.IndexFunc(all, func(t tools.Tool) bool { return t.Name() == req.name })
	if i < 0 {
		var names []string
		for _, t := range all {
			names = append(names, t.Name())
		}
		msg := fmt.Sprintf("unknown tool %q", req.name)
		if s := nearest(req.name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		printCallError(stdout, msg+"; `telnyx-oauth-mcp tools` lists every tool")
		return nil, 1
	}
	printCallError(stdout, hiddenReason(cfg, sel, all[i]))
	return nil, 1
}

// hiddenReason says which setting hides a tool that exists, mirroring
// tools.Select: --tools (or else --toolsets) picks the tools, then
// --read-only drops those that change something.
func hiddenReason(cfg *config, sel tools.Selection, t tools.Tool) string {
	by := func(flag string) string {
		if s := cfg.setBy[flag]; s != "" {
			return s
		}
		return "--" + flag
	}
	sets := sel.Toolsets
	if len(sets) == 0 {
		sets = tools.DefaultToolsets
	}
	picked := slices.Contains(sets, t.Toolset) || slices.Contains(sets, "all")
	if len(sel.Tools) > 0 {
		picked = slices.Contains(sel.Tools, t.Name())
	}
	switch {
	case !picked && len(sel.Tools) > 0:
		return fmt.Sprintf("tool %q exists but is hidden by %s, which exposes only %s", t.Name(), by("tools"), strings.Join(sel.Tools, ", "))
	case !picked:
		list := strings.Join(sets, ",")
		return fmt.Sprintf("tool %q exists but is hidden by %s (%s): it is in the %s toolset; add it, as in --toolsets %s,%s",
			t.Name(), by("toolsets"), list, t.Toolset, list, t.Toolset)
	default:
		return fmt.Sprintf("tool %q exists but is hidden by %s: it changes things", t.Name(), by("read-only"))
	}
}

// printCallError writes a failed call's result: {"error": "..."}.
func printCallError(stdout io.Writer, msg string) {
	out, _ := json.MarshalIndent(map[string]string{"error": msg}, "", "  ")
	fmt.Fprintln(stdout, string(out))
}

// callTool runs one tool through the same server a host would talk to, over
// mcp-go's in-process transport, and prints the result.
func callTool(ctx context.Context, srv *server.MCPServer, call *callRequest, stdout, stderr io.Writer) int {
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "telnyx-oauth-mcp-cli", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = call.name
	req.Params.Arguments = call.arguments
	res, err := c.CallTool(ctx, req)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	text := resultText(res)
	if res.IsError {
		printCallError(stdout, text)
		return 1
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(text), "", "  ") == nil {
		fmt.Fprintln(stdout, pretty.String())
	} else {
		fmt.Fprintln(stdout, text)
	}
	return 0
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
