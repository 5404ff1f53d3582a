package login

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// RunLogout is the logout command: it removes the credential stored for the
// base URL from the keychain and the file. The remembered OAuth client (a
// public client_id, no secret) is kept unless --forget-client is given, so
// that the next login does not register another one.
func RunLogout(_ context.Context, opts Options, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	baseURL := fs.String("base-url", opts.BaseURL, "Telnyx API base `URL` whose credential to remove")
	forget := fs.Bool("forget-client", false, "also forget the OAuth client login registered, so the next login registers a new one")
	const usage = "Usage: telnyx-oauth-mcp logout [flags]\n\nRemove the credential that login stored (keychain and file).\n\nFlags:\n"
	base, store, code := opts.prepare(fs, usage, args, baseURL, stdout, stderr)
	if store == nil {
		return code
	}
	// What was stored decides what remains valid at Telnyx afterwards.
	stored, _, _ := store.Load(base)
	removed, err := store.Delete(base)
	for _, loc := range removed {
		fmt.Fprintf(stdout, "Removed the stored credential for %s from %s.\n", base, store.Describe(loc, base))
	}
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp logout:", safetext.OneLine(err.Error()))
		return 1
	}
	if len(removed) == 0 {
		fmt.Fprintf(stdout, "No credential was stored for %s.\n", base)
	} else if stored != nil && stored.Kind == credstore.KindAPIKey {
		fmt.Fprintln(stdout, "The API key itself stays valid at Telnyx; delete it in the Mission Control Portal (API Keys) if nothing should use it any more.")
	} else if stored != nil {
		fmt.Fprintln(stdout, "The grant itself stays valid at Telnyx until it expires; revoke it with revoke_oauth_grant to end it now.")
	}
	if *forget {
		found, err := registrations{dir: store.Dir}.forget(base)
		if err != nil {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp logout: forgetting the OAuth client:", safetext.OneLine(err.Error()))
			return 1
		}
		if found {
			fmt.Fprintln(stdout, "Forgot the registered OAuth client; the next login registers a new one.")
		}
	}
	if opts.getenv("TELNYX_API_KEY") != "" {
		fmt.Fprintln(stdout, "TELNYX_API_KEY is still set in this environment, and the server uses it.")
	}
	return 0
}

// RunStatus is the status command: which credential the server would use
// for the base URL, where it comes from and when it expires. It never
// prints a secret, only its last four characters. Exit status 0 when a
// usable credential exists, 1 when none does.
func RunStatus(_ context.Context, opts Options, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	baseURL := fs.String("base-url", opts.BaseURL, "Telnyx API base `URL` to report on")
	const usage = "Usage: telnyx-oauth-mcp status [flags]\n\nSay which Telnyx credential the server would use, where it comes from and when it expires.\n\nFlags:\n"
	base, store, code := opts.prepare(fs, usage, args, baseURL, stdout, stderr)
	if store == nil {
		return code
	}
	stored, loc, loadErr := store.Load(base)

	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-10s %s\n", k+":", v) }
	line("Base URL", base)
	usable := true
	envKey, envID, envSecret := opts.getenv("TELNYX_API_KEY"), opts.getenv("TELNYX_CLIENT_ID"), opts.getenv("TELNYX_CLIENT_SECRET")
	switch {
	case envKey != "":
		line("In use", "API key "+safetext.Mask(envKey))
		line("From", "the environment variable TELNYX_API_KEY")
		line("Expires", "not known to this program (API keys last until revoked in the portal)")
	case envID != "" && envSecret != "":
		line("In use", "OAuth client credentials of client "+envID+" (secret "+safetext.Mask(envSecret)+")")
		line("From", "the environment variables TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET")
		line("Expires", "access tokens are fetched with the client_credentials grant as needed")
	case stored != nil:
		usable = describeStored(line, stored, store.Describe(loc, base), opts.now())
	default:
		usable = false
		line("In use", "nothing: run `telnyx-oauth-mcp login` (or `login --api-key`), or set TELNYX_API_KEY")
	}
	if stored != nil && (envKey != "" || envID != "" && envSecret != "") {
		line("Also", "a stored "+kindName(stored.Kind)+" in "+store.Describe(loc, base)+", unused while the environment sets a credential")
	}
	if loadErr != nil {
		line("Warning", "the stored credential could not be read: "+safetext.OneLine(loadErr.Error()))
	}
	fmt.Fprint(stdout, b.String())
	if !usable {
		return 1
	}
	return 0
}

func kindName(k credstore.Kind) string {
	if k == credstore.KindAPIKey {
		return "API key"
	}
	return "login"
}

// describeStored writes the lines for a stored credential and reports
// whether it can still be used.
func describeStored(line func(k, v string), c *credstore.Credential, where string, now time.Time) bool {
	if c.Kind == credstore.KindAPIKey {
		line("In use", "stored API key "+safetext.Mask(c.APIKey))
		line("From", where)
		line("Expires", "not known to this program (API keys last until revoked in the portal)")
		return true
	}
	line("In use", "stored login: OAuth access token "+safetext.Mask(c.AccessToken))
	line("From", where)
	if c.ClientID != "" {
		line("Client", c.ClientID)
	}
	if c.Scope != "" {
		line("Scope", c.Scope)
	}
	left := c.Expiry.Sub(now).Round(time.Second)
	at := c.Expiry.Local().Format(time.RFC1123)
	switch {
	case c.Expiry.IsZero():
		line("Expires", "unknown")
	case left > 0:
		line("Expires", fmt.Sprintf("%s (in %s)", at, left))
	default:
		line("Expires", fmt.Sprintf("%s (%s ago)", at, -left))
	}
	if c.RefreshToken != "" {
		line("Refresh", "a refresh token is stored; the server renews the access token shortly before it expires")
		return true
	}
	line("Refresh", "no refresh token: log in again once the access token expires")
	return left > 0
}

// prepare parses a command's flags (see parseFlags), then checks the base
// URL the flags name and opens the credential store. When it cannot, or
// --help was asked for, the store is nil and code is the exit status.
func (o *Options) prepare(fs *flag.FlagSet, usage string, args []string, baseURL *string, stdout, stderr io.Writer) (string, *credstore.Store, int) {
	name := fs.Name()
	if code, done := o.parseFlags(fs, usage, args, stdout, stderr); done {
		return "", nil, code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp %s: unexpected argument %q\n", name, fs.Arg(0))
		return "", nil, 2
	}
	base, err := normalizeBaseURL(*baseURL)
	if err != nil {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp %s: %v\n", name, err)
		return "", nil, 2
	}
	store, err := o.store()
	if err != nil {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp %s: %v\n", name, err)
		return "", nil, 2
	}
	return base, store, 0
}

// parseFlags parses a command's flags. --help prints usage, then the
// flags, on stdout, where what was asked for goes; a mistake is reported
// on stderr. done says the command ends there, with code its exit status:
// 0 after --help, 2 after a mistake.
func (o *Options) parseFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard) // the flag package would print both to one writer
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0, true
	case o.ReportFlagError != nil:
		o.ReportFlagError(stderr, fs, err)
	default:
		fmt.Fprintf(stderr, "telnyx-oauth-mcp %s: %v\n", fs.Name(), err)
	}
	return 2, true
}
