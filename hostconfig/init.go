package hostconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

var currentGOOS = runtime.GOOS

// DefaultName is the server's name in the host's configuration.
const DefaultName = "telnyx-oauth"

// Options are what init takes from the program around it.
type Options struct {
	// BaseURL is the API base in effect (--base-url or TELNYX_BASE_URL).
	// A non-default one is written into the entry's env as TELNYX_BASE_URL,
	// so the server looks for the credential stored for it.
	BaseURL string
	// Getenv reads the environment.
	Getenv func(string) string
	// Executable returns this binary's absolute path; os.Executable when
	// nil.
	Executable func() (string, error)
	// CheckArgs validates the server flags an entry runs (given after --,
	// or kept from the entry) and says what they set; nil accepts any and
	// learns nothing from them.
	CheckArgs func(args []string) (ServerArgs, error)
	// Store is where login keeps credentials; credstore.FromEnv when nil.
	Store *credstore.Store
	// GOOS picks the host paths; runtime.GOOS when empty.
	GOOS string
	// Now is the clock for backup names; time.Now when nil.
	Now func() time.Time
	// ReportFlagError reports a mistake in init's own flags on stderr (the
	// program reports its own flags' mistakes the same way); one line with
	// the flag package's error when nil.
	ReportFlagError func(stderr io.Writer, fs *flag.FlagSet, err error)
}

// ServerArgs is what init needs to know of the server flags an entry runs.
type ServerArgs struct {
	// Sandbox: the entry serves the built-in fake API (--sandbox), so it
	// needs no credential.
	Sandbox bool
	// BaseURL: the entry names its API base itself (--base-url).
	BaseURL bool
}

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return ""
	}
	return o.Getenv(k)
}

const usage = `Usage: telnyx-oauth-mcp init --host HOST [flags] [-- SERVER FLAGS...]

Add this server (or update its entry) in an MCP host's user configuration
file, with this binary's absolute path. The old file is kept as a
timestamped backup, every other entry is left as it was, and running it
again changes nothing. No secret is written when login stored the credential.

  telnyx-oauth-mcp init --host claude-desktop
  telnyx-oauth-mcp init --host cursor -- --read-only   server flags after --
  telnyx-oauth-mcp init --host vscode --dry-run        print the resulting file, write nothing
  telnyx-oauth-mcp init --print                        print the entry for any other host

Hosts: %s

Flags:
`

// Run is the init command; it returns the exit status.
func Run(opts Options, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the flag package would print both below to one writer
	hostName := fs.String("host", "", "the `host` to configure: "+strings.Join(HostNames(), ", "))
	configPath := fs.String("config-path", "", "edit this `file` instead of the host's usual one (a workspace .vscode/mcp.json, a Store install of Claude Desktop)")
	createDirs := fs.Bool("create-dirs", false, "create the missing directories of --config-path")
	name := fs.String("name", DefaultName, "the server's `name` in the host's configuration")
	dryRun := fs.Bool("dry-run", false, "print the resulting file instead of writing it")
	printOnly := fs.Bool("print", false, "print the server entry as a JSON snippet, for pasting into a host init does not manage; touch no file")
	withEnvKey := fs.Bool("with-env-key", false, "copy TELNYX_API_KEY from this environment into the entry, in plain text (only when no credential is stored; prefer login --api-key)")
	baseURL := fs.String("base-url", opts.BaseURL, "Telnyx API base `URL` the server will use")
	if err := fs.Parse(args); err != nil {
		switch {
		case errors.Is(err, flag.ErrHelp): // the usage goes where what was asked for goes
			fmt.Fprintf(stdout, usage, strings.Join(HostNames(), ", "))
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		case opts.ReportFlagError != nil:
			opts.ReportFlagError(stderr, fs, err)
		default:
			fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
		}
		return 2
	}
	serverArgs := fs.Args()
	if len(serverArgs) == 0 {
		serverArgs = nil // keep the entry's own args
	}
	var server ServerArgs
	if len(serverArgs) > 0 && opts.CheckArgs != nil {
		var err error
		if server, err = opts.CheckArgs(serverArgs); err != nil {
			fmt.Fprintf(stderr, "telnyx-oauth-mcp init: the server flags after -- are not valid: %v\n", err)
			return 2
		}
	}
	if *name == "" || strings.ContainsAny(*name, "\x00\n\r\t") {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp init: --name must be a plain, non-empty name")
		return 2
	}
	var host Host
	if *hostName != "" {
		h, err := Lookup(*hostName)
		if err != nil {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
			return 2
		}
		host = h
	} else if !*printOnly {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp init: --host is required: one of %s (or --print for a snippet)\n", strings.Join(HostNames(), ", "))
		return 2
	} else {
		host = Host{Name: "generic", Title: "your MCP host", Key: "mcpServers"}
	}

	base := *baseURL
	if base == "" {
		base = telnyxapi.DefaultBaseURL
	}
	u, err := telnyxapi.ParseBaseURL(base)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
		return 2
	}
	base = u.String()

	exe, err := executable(opts)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
		return 1
	}
	if looksTemporary(exe) {
		fmt.Fprintf(stderr, "Warning: %s looks like a temporary `go run` build that will vanish; install the binary (go install) and run init from it.\n", exe)
	}

	// The host's file, and the entry init updates in it. An error reading
	// it is reported once the entry to add by hand is known.
	path := *configPath
	var doc *hostDoc
	var docErr error
	if !*printOnly {
		if path != "" && !*createDirs {
			if _, err := os.Stat(filepath.Dir(path)); errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(stderr, "telnyx-oauth-mcp init: %s does not exist; check --config-path, or add --create-dirs to create it\n", filepath.Dir(path))
				return 2
			}
		}
		if path == "" {
			goos := opts.GOOS
			if goos == "" {
				goos = currentGOOS
			}
			path, err = host.Path(goos, opts.getenv)
			if err != nil {
				fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
				return 1
			}
		}
		doc, docErr = readHostDoc(path, host.Key, *name)
	}
	if kept := doc.args(); serverArgs == nil && len(kept) > 0 && opts.CheckArgs != nil {
		// The entry keeps its args, so they say what it runs; args init
		// would refuse (edited by hand) tell it nothing.
		server, _ = opts.CheckArgs(kept)
	}

	// Which secret, if any, goes into the file. The sandbox needs none.
	envKey := ""
	sandbox := server.Sandbox
	store := opts.Store
	if sandbox {
		fmt.Fprintln(stderr, "The entry runs the sandbox (a built-in fake Telnyx API): it needs no credential.")
	} else if store == nil {
		store, err = credstore.FromEnv(opts.getenv)
		if err != nil {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
			return 2
		}
	}
	var stored *credstore.Credential
	var loc credstore.Location
	var loadErr error
	if !sandbox {
		stored, loc, loadErr = store.Load(base)
	}
	switch {
	case sandbox:
	case stored != nil:
		fmt.Fprintf(stderr, "The credential is in %s: no secret goes into the host's file.\n", store.Describe(loc, base))
		if *withEnvKey {
			fmt.Fprintln(stderr, "Ignoring --with-env-key: the stored credential makes it unnecessary.")
		}
	case *withEnvKey && opts.getenv("TELNYX_API_KEY") != "":
		envKey = opts.getenv("TELNYX_API_KEY")
		fmt.Fprintln(stderr, "Warning: writing TELNYX_API_KEY into the host's file in plain text, as --with-env-key asked. `telnyx-oauth-mcp login --api-key` keeps it in the keychain instead.")
	case *withEnvKey:
		fmt.Fprintln(stderr, "telnyx-oauth-mcp init: --with-env-key, but TELNYX_API_KEY is not set")
		return 2
	default:
		if loadErr != nil {
			fmt.Fprintf(stderr, "Warning: could not read the stored credential (%s).\n", safetext.OneLine(loadErr.Error()))
		}
		fmt.Fprintln(stderr, "No credential is stored yet: run `telnyx-oauth-mcp login` (or `login --api-key`) before starting the host, or the server will not start.")
		if opts.getenv("TELNYX_API_KEY") != "" {
			fmt.Fprintln(stderr, "TELNYX_API_KEY is set here but is not copied into the file; --with-env-key would copy it (in plain text).")
		}
	}

	spec := entrySpec{host: host, command: exe, args: serverArgs, envKey: envKey, dropStoredKey: stored != nil}
	if base != telnyxapi.DefaultBaseURL && !server.BaseURL {
		spec.baseURL = base
	}

	if *printOnly {
		snippet := object{}.set(host.Key, object{}.set(*name, spec.fresh()).encode()).encode()
		out, err := format(snippet, nil)
		if err != nil {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp init:", err)
			return 1
		}
		_, _ = stdout.Write(out)
		return 0
	}

	var res *result
	err = docErr
	if err == nil {
		res, err = doc.update(*name, spec)
	}
	if err != nil {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp init: %s: %v; nothing was changed.\n", path, err)
		shown := spec
		if shown.envKey != "" {
			shown.envKey = "<your TELNYX_API_KEY>" // stderr is no place for the key
		}
		if snippet, ferr := format(object{}.set(host.Key, object{}.set(*name, shown.fresh()).encode()).encode(), nil); ferr == nil {
			fmt.Fprintf(stderr, "Add this entry by hand:\n%s", snippet)
		}
		return 1
	}
	for _, n := range res.notes {
		fmt.Fprintln(stderr, n)
	}
	if *dryRun {
		fmt.Fprintf(stderr, "Dry run: %s would be %s; nothing was written.\n", path, res.verb())
		_, _ = stdout.Write(res.content)
		return 0
	}
	if !res.changed {
		fmt.Fprintf(stdout, "%s already has the %q entry for %s; nothing changed.\n", path, *name, exe)
		return 0
	}
	backup, err := write(path, res, now(opts))
	if err != nil {
		fmt.Fprintf(stderr, "telnyx-oauth-mcp init: writing %s: %v\n", path, err)
		return 1
	}
	switch {
	case !res.existed:
		fmt.Fprintf(stdout, "Created %s with the %q entry for %s.\n", path, *name, host.Title)
	case res.added:
		fmt.Fprintf(stdout, "Added the %q entry to %s for %s.\n", *name, path, host.Title)
	default:
		fmt.Fprintf(stdout, "Updated the %q entry in %s for %s.\n", *name, path, host.Title)
	}
	if backup != "" {
		fmt.Fprintf(stdout, "The previous file is kept as %s.\n", backup)
	}
	if host.Restart != "" {
		fmt.Fprintln(stdout, host.Restart)
	}
	return 0
}

// entrySpec is what init wants the server's entry to say.
type entrySpec struct {
	host    Host
	command string
	args    []string // nil: keep the entry's args
	envKey  string   // an API key to write as TELNYX_API_KEY, or ""
	baseURL string   // a non-default API base to write as TELNYX_BASE_URL, or ""
	// dropStoredKey removes a TELNYX_API_KEY from the entry: the keychain
	// holds the credential, so the file need not.
	dropStoredKey bool
}

// fresh is a new entry.
func (s entrySpec) fresh() json.RawMessage {
	e, _, _ := s.apply(nil)
	return e
}

// apply updates an existing entry (nil for none): "command" (and "type")
// set, "args" replaced when given, the API key added or removed, every
// other member kept.
func (s entrySpec) apply(old object) (json.RawMessage, []string, error) {
	e := append(object(nil), old...)
	var notes []string
	if s.host.Type != "" {
		e = e.setFirst("type", marshal(s.host.Type))
	}
	e = e.set("command", marshal(s.command))
	switch {
	case s.args != nil:
		e = e.set("args", marshal(s.args))
	case old == nil:
		e = e.set("args", marshal([]string{}))
	}
	envRaw, hasEnv := e.get("env")
	var env object
	if hasEnv {
		var err error
		if env, err = parseObject(envRaw); err != nil {
			return nil, nil, fmt.Errorf("the entry's \"env\" is not a JSON object")
		}
	}
	if s.dropStoredKey && env.index("TELNYX_API_KEY") >= 0 {
		env = env.remove("TELNYX_API_KEY")
		notes = append(notes, "Removed TELNYX_API_KEY from the entry: the stored credential replaces it (a backup of the old file is kept).")
	}
	if s.envKey != "" {
		env = env.set("TELNYX_API_KEY", marshal(s.envKey))
	}
	if s.baseURL != "" {
		// The server looks up the credential stored for its base URL.
		env = env.set("TELNYX_BASE_URL", marshal(s.baseURL))
	}
	switch {
	case len(env) > 0:
		e = e.set("env", env.encode())
	case hasEnv && !sameJSON(envRaw, []byte("{}")):
		e = e.remove("env") // emptied by the removal above
	}
	if !s.dropStoredKey && s.envKey == "" && env.index("TELNYX_API_KEY") >= 0 {
		notes = append(notes, "The entry keeps its TELNYX_API_KEY in plain text; run `telnyx-oauth-mcp login --api-key` and init again to move it to the keychain.")
	}
	return e.encode(), notes, nil
}

// result is the outcome of update.
type result struct {
	content []byte // the new file
	changed bool
	existed bool
	mode    fs.FileMode
	target  string // the file written: path with symlinks resolved
	notes   []string
	added   bool
}

func (r *result) verb() string {
	switch {
	case !r.changed:
		return "unchanged"
	case !r.existed:
		return "created"
	case r.added:
		return "added"
	}
	return "updated"
}

// hostDoc is a host's file as init found it, with the server's entry.
type hostDoc struct {
	target  string // the file to write: the path with symlinks resolved
	data    []byte // its content; nil when there is no file
	body    []byte // data without a byte order mark
	existed bool
	mode    fs.FileMode
	file    *hostFile       // nil when the file is absent or blank
	oldRaw  json.RawMessage // the entry; nil when there is none
	old     object
}

// readHostDoc reads the host file at path and finds the entry name under
// key in it.
func readHostDoc(path, key, name string) (*hostDoc, error) {
	d := &hostDoc{target: path, mode: 0o600}
	if t, err := filepath.EvalSymlinks(path); err == nil {
		d.target = t // a dotfile manager's symlink stays a symlink
	} else {
		d.target = danglingTarget(path) // even when its file is not there yet
	}
	data, err := os.ReadFile(d.target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		d.data, d.existed = data, true
		if fi, err := os.Stat(d.target); err == nil {
			d.mode = fi.Mode().Perm()
		}
	}
	d.body = bytes.TrimPrefix(d.data, []byte("\ufeff")) // a BOM some Windows editors add
	if len(bytes.TrimSpace(d.body)) > 0 {
		if d.file, err = parseHostFile(d.body); err != nil {
			if errors.Is(err, errNotObject) {
				return nil, errors.New("the file is not a JSON object")
			}
			return nil, fmt.Errorf("the file is not JSON (with or without comments): %v", err)
		}
		if d.oldRaw, err = d.file.entry(key, name); err != nil {
			return nil, err
		}
	}
	if d.oldRaw != nil {
		if d.old, err = parseObject(d.oldRaw); err != nil {
			return nil, fmt.Errorf("the %q entry: %v", name, err)
		}
	}
	return d, nil
}

// args is the entry's "args", which it keeps when init is given no server
// flags; nil when there is no entry or its args are not a list of strings.
func (d *hostDoc) args() []string {
	if d == nil {
		return nil
	}
	raw, ok := d.old.get("args")
	if !ok {
		return nil
	}
	var args []string
	if json.Unmarshal(raw, &args) != nil {
		return nil
	}
	return args
}

// update computes the new content of the host file, with the entry name
// as spec wants it.
func (d *hostDoc) update(name string, spec entrySpec) (*result, error) {
	res := &result{target: d.target, mode: d.mode, existed: d.existed}
	if spec.envKey != "" {
		res.mode &^= 0o077 // the file is about to hold an API key
	}
	entry, notes, err := spec.apply(d.old)
	if err != nil {
		return nil, err
	}
	res.notes = notes
	res.added = d.oldRaw == nil
	if d.oldRaw != nil && sameJSON(d.oldRaw, entry) {
		res.content = d.data
		return res, nil
	}
	res.changed = true
	if d.file == nil {
		doc := object{}.set(spec.host.Key, object{}.set(name, entry).encode())
		if res.content, err = format(doc.encode(), d.body); err != nil {
			return nil, err
		}
	} else {
		if err := d.file.setEntry(spec.host.Key, name, entry); err != nil {
			return nil, err
		}
		res.content = d.file.bytes()
	}
	if len(d.body) < len(d.data) {
		res.content = append([]byte("\ufeff"), res.content...)
	}
	return res, nil
}

// danglingTarget follows path's chain of symlinks to the file it names
// when that file does not exist (EvalSymlinks fails there), so that
// writing creates it rather than replacing the symlink. Anything else
// comes back as path.
func danglingTarget(path string) string {
	p := path
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) && p != path {
			return p
		}
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path
		}
		dest, err := os.Readlink(p)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(p), dest)
		}
		p = dest
	}
	return path
}

// write keeps a backup of the old file, then replaces it atomically with
// the same permissions. It returns the backup's path ("" for a new file).
func write(path string, res *result, now time.Time) (string, error) {
	backup := ""
	if res.existed {
		old, err := os.ReadFile(res.target)
		if err != nil {
			return "", err
		}
		if backup, err = writeBackup(res.target, old, now); err != nil {
			return "", fmt.Errorf("keeping a backup: %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(res.target), 0o700); err != nil {
		return "", err
	}
	dir := filepath.Dir(res.target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(res.target)+".tmp-*")
	if err != nil {
		return backup, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(res.mode); err != nil && currentGOOS != "windows" {
		tmp.Close()
		return backup, err
	}
	if _, err := tmp.Write(res.content); err != nil {
		tmp.Close()
		return backup, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return backup, err
	}
	if err := tmp.Close(); err != nil {
		return backup, err
	}
	return backup, os.Rename(tmp.Name(), res.target)
}

// writeBackup copies the old file to NAME.bak-YYYYMMDD-HHMMSS beside it,
// mode 0600 (it may hold keys), never overwriting an earlier backup.
func writeBackup(target string, data []byte, now time.Time) (string, error) {
	stamp := now.Format("20060102-150405")
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("%s.bak-%s", target, stamp)
		if i > 0 {
			name = fmt.Sprintf("%s.bak-%s-%d", target, stamp, i)
		}
		f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return "", err
		}
		return name, f.Close()
	}
	return "", errors.New("too many backups with the same timestamp")
}

func executable(opts Options) (string, error) {
	get := opts.Executable
	if get == nil {
		get = os.Executable
	}
	exe, err := get()
	if err != nil {
		return "", fmt.Errorf("finding this binary's path: %w", err)
	}
	if !filepath.IsAbs(exe) {
		if exe, err = filepath.Abs(exe); err != nil {
			return "", err
		}
	}
	return exe, nil
}

// looksTemporary spots the binary `go run` builds in a temporary directory.
func looksTemporary(exe string) bool {
	return strings.Contains(exe, string(filepath.Separator)+"go-build")
}

func now(o Options) time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
