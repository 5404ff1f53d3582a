package main

// The harness of this package's tests. TestMain builds the binary once;
// the rigs drive it, or the server in process:
//   - runBin, start and rawConn: the binary, its exit status and raw
//     JSON-RPC lines over stdio;
//   - startClient: mcp-go's client over the binary's stdio;
//   - pipeRig: serveStdio in process, over io.Pipe;
//   - startHTTP and httpMCPClient: the binary serving streamable HTTP;
//   - startSandbox: a session with the sandbox over stdio or HTTP;
//   - accountEnv and runCLI: the account commands in a scratch home.
//   - newDoorRig: the binary over stdio and HTTP in both protocol versions,
//     one peer each, for the front door's end-to-end tests.
// Every process gets an explicit, minimal environment, so a developer's
// TELNYX_API_KEY never reaches it, and nothing talks to anything but
// 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/credstore"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/hostconfig"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// binPath is the binary TestMain builds.
var binPath string

// Time limits. The binary starts in milliseconds; these only bound a hang.
const (
	callTimeout  = 20 * time.Second // one MCP request, or one short-lived process
	exitTimeout  = 5 * time.Second  // how long a process may take to exit when asked
	promptExit   = 3 * time.Second  // what "promptly" means for stdin EOF and SIGTERM
	awaitTimeout = 15 * time.Second // one raw JSON-RPC reply
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "telnyx-oauth-mcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "telnyx-oauth-mcp")

	args := []string{"build", "-o", binPath}
	if raceEnabled() {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the binary:", err)
		return 1
	}

	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

// raceEnabled reports whether this test binary was built with -race, so the
// server binary is built the same way.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// The tools. The expected lists come from the registry, so that adding a
// tool does not break these tests; publicTools pins the tools the README
// documents, which must always be there.
var (
	registry = tools.All(tools.Deps{})
	// allTools is every tool in registry order (the `tools` table's order).
	allTools = toolNames(func(tools.Tool) bool { return true })
	// defaultTools is every toolset but consent.
	defaultTools  = toolNames(func(t tools.Tool) bool { return t.Toolset != tools.ToolsetConsent })
	readOnlyTools = toolNames(tools.Tool.ReadOnly)
	grantTools    = toolNames(func(t tools.Tool) bool { return t.Toolset == tools.ToolsetGrants })
	publicTools   = []string{
		"get_oauth_server_metadata", "get_oauth_protected_resource_metadata", "get_oauth_jwks",
		"build_oauth_authorize_url", "exchange_oauth_token", "introspect_oauth_token", "register_oauth_client", "get_oauth_consent",
		"submit_oauth_consent",
		"list_oauth_clients", "create_oauth_client", "get_oauth_client", "update_oauth_client", "delete_oauth_client",
		"list_oauth_grants", "get_oauth_grant", "revoke_oauth_grant",
	}
)

func toolNames(keep func(tools.Tool) bool) []string {
	var out []string
	for _, t := range registry {
		if keep(t) {
			out = append(out, t.Name())
		}
	}
	return out
}

func without(list []string, drop ...string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

// baseEnv is the whole environment of a child process: PATH and HOME, plus
// extra. Nothing is inherited, so no TELNYX_* variable of the developer's
// leaks in, and the credential store is an empty directory of the test's
// (never the developer's keychain or config dir), so nothing `login` stored
// is found. GORACE drops the race runtime's 1 s sleep at exit (a race still
// fails the exit status checks: it exits 66).
func baseEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"TELNYX_MCP_CREDENTIAL_STORE=file", "TELNYX_MCP_CONFIG_DIR=" + filepath.Join(home, "telnyx-oauth-mcp"),
		"GORACE=atexit_sleep_ms=0",
	}
	return append(env, extra...)
}

// syncBuffer is a child's output, read while it is still written.
type syncBuffer = testkit.Buffer

// runBin runs the binary to completion with stdin empty and returns what it
// wrote and its exit status.
func runBin(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runAt(t, binPath, env, args...)
}

// runAt is runBin for another binary.
func runAt(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%v did not finish in %s; stderr:\n%s", args, callTimeout, errb.String())
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

// proc is a running server. Its stdout is copied, as it arrives, into out
// (the tee every stdio test checks) and into stdout, which the test or an
// mcp-go transport reads.
type proc struct {
	cmd    *exec.Cmd
	stdin  *os.File
	stdout *io.PipeReader
	out    syncBuffer
	errb   syncBuffer

	pumpDone chan struct{}
	exited   chan struct{}
	waitErr  error
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	inR, inW, err := os.Pipe()
	require.NoError(t, err)
	outR, outW, err := os.Pipe()
	require.NoError(t, err)
	p := &proc{stdin: inW, pumpDone: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Env = env
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = inR, outW, &p.errb
	require.NoError(t, p.cmd.Start())
	_ = inR.Close()
	_ = outW.Close()

	pr, pw := io.Pipe()
	p.stdout = pr
	go func() {
		defer close(p.pumpDone)
		defer outR.Close()
		forward := true
		buf := make([]byte, 64<<10)
		for {
			n, err := outR.Read(buf)
			if n > 0 {
				_, _ = p.out.Write(buf[:n])
				if forward {
					if _, werr := pw.Write(buf[:n]); werr != nil {
						forward = false // the reader is gone; keep teeing
					}
				}
			}
			if err != nil {
				_ = pw.Close()
				return
			}
		}
	}()
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(exitTimeout):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		_ = pr.Close()
		<-p.pumpDone
	})
	return p
}

// wait waits up to d for the process to exit and returns its exit status,
// after all of its stdout has been teed.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("the server did not exit within %s; stderr:\n%s", d, p.errb.String())
	}
	_ = p.stdout.Close()
	<-p.pumpDone
	return p.cmd.ProcessState.ExitCode()
}

// assertJSONRPCStdout checks that out is nothing but newline-terminated
// lines, each exactly one JSON-RPC 2.0 object.
func assertJSONRPCStdout(t *testing.T, out []byte) {
	t.Helper()
	if len(out) == 0 {
		return
	}
	require.True(t, bytes.HasSuffix(out, []byte("\n")), "stdout ends inside a line: %q", tail(out))
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		if !assert.True(t, json.Valid(line), "stdout line %d is not JSON: %q", i+1, head(line)) {
			continue
		}
		assert.NotContains(t, string(line), "\r", "stdout line %d", i+1)
		var msg map[string]json.RawMessage
		if !assert.NoError(t, json.Unmarshal(line, &msg), "stdout line %d is not one JSON object: %q", i+1, head(line)) {
			continue
		}
		assert.JSONEq(t, `"2.0"`, string(msg["jsonrpc"]), "stdout line %d: %q", i+1, head(line))
		_, isReq := msg["method"]
		_, isResult := msg["result"]
		_, isError := msg["error"]
		assert.True(t, isReq || isResult || isError, "stdout line %d is neither a request nor a response: %q", i+1, head(line))
	}
}

func head(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

func tail(b []byte) []byte {
	if len(b) > 300 {
		return b[len(b)-300:]
	}
	return b
}

// --- raw JSON-RPC over stdio ---

// rawConn speaks newline-delimited JSON-RPC to a proc by hand.
type rawConn struct {
	p       *proc
	msgs    chan map[string]any
	pending []map[string]any
}

func newRawConn(t *testing.T, p *proc) *rawConn {
	t.Helper()
	r := &rawConn{p: p, msgs: make(chan map[string]any, 64)}
	go func() {
		defer close(r.msgs)
		br := bufio.NewReader(p.stdout)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				var m map[string]any
				if json.Unmarshal(line, &m) == nil {
					r.msgs <- m
				} // anything else fails assertJSONRPCStdout
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *rawConn) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(r.p.stdin, line+"\n")
	require.NoError(t, err)
}

// await returns the first message, received or still to come, that match
// accepts.
func (r *rawConn) await(t *testing.T, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for i, m := range r.pending {
		if match(m) {
			r.pending = slices.Delete(r.pending, i, i+1)
			return m
		}
	}
	timer := time.NewTimer(awaitTimeout)
	defer timer.Stop()
	for {
		select {
		case m, ok := <-r.msgs:
			require.True(t, ok, "stdout closed while waiting for %s; stderr:\n%s", what, r.p.errb.String())
			if match(m) {
				return m
			}
			r.pending = append(r.pending, m)
		case <-timer.C:
			t.Fatalf("no %s within %s; unmatched: %v; stderr:\n%s", what, awaitTimeout, r.pending, r.p.errb.String())
		}
	}
}

// reply matches the response to request id.
func reply(id float64) func(map[string]any) bool {
	return func(m map[string]any) bool {
		got, ok := m["id"].(float64)
		return ok && got == id && m["method"] == nil
	}
}

// errorReply matches an error response with a null id (the reply to a
// line that could not be read as a request).
func errorReply(m map[string]any) bool {
	_, hasErr := m["error"].(map[string]any)
	id, hasID := m["id"]
	return hasErr && (!hasID || id == nil)
}

func errorCode(m map[string]any) float64 {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(float64)
	return c
}

func toolNamesOf(t *testing.T, m map[string]any) []string {
	t.Helper()
	res, ok := m["result"].(map[string]any)
	require.True(t, ok, "not a result: %v", m)
	list, _ := res["tools"].([]any)
	var names []string
	for _, tl := range list {
		names = append(names, tl.(map[string]any)["name"].(string))
	}
	return names
}

const initializeLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"0"}}}`

// startRaw starts the sandbox server and completes the 2025-11-25 handshake.
func startRaw(t *testing.T, args ...string) *rawConn {
	t.Helper()
	p := start(t, baseEnv(t), append([]string{"--sandbox"}, args...)...)
	r := newRawConn(t, p)
	r.send(t, initializeLine)
	init := r.await(t, "initialize result", reply(1))
	require.Contains(t, init, "result", "initialize: %v", init)
	assert.Equal(t, "2025-11-25", init["result"].(map[string]any)["protocolVersion"])
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return r
}

// eras are the two protocol generations a host may speak.
var eras = []struct {
	name    string
	opts    []client.ClientOption
	version string
}{
	{"default", nil, mcp.LATEST_PROTOCOL_VERSION},
	{"2025-11-25", []client.ClientOption{client.WithProtocolVersion("2025-11-25")}, "2025-11-25"},
}

// startClient starts the server with env and args and connects mcp-go's
// client to its stdin and stdout.
func startClient(t *testing.T, env []string, args []string, opts ...client.ClientOption) (*client.Client, *proc, *mcp.InitializeResult) {
	t.Helper()
	p := start(t, env, args...)
	c := client.NewClient(transport.NewIO(p.stdout, p.stdin, nil), opts...)
	require.NoError(t, c.Start(context.Background()))
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "0"}
	res, err := c.Initialize(ctx, init)
	require.NoError(t, err, "initialize; stderr:\n%s", p.errb.String())
	return c, p, res
}

// finish closes the client (which closes the server's stdin), expects a clean
// exit, and checks stdout.
func finish(t *testing.T, c *client.Client, p *proc) {
	t.Helper()
	_ = c.Close()
	assert.Equal(t, 0, p.wait(t, exitTimeout), "stderr:\n%s", p.errb.String())
	assertJSONRPCStdout(t, p.out.Bytes())
}

func listTools(t *testing.T, c *client.Client) []mcp.Tool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	require.NoError(t, err)
	return res.Tools
}

func names(list []mcp.Tool) []string {
	var out []string
	for _, tl := range list {
		out = append(out, tl.Name)
	}
	return out
}

func callMCP(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	require.NoError(t, err, "calling %s", name)
	return res
}

var textOf = testkit.Text

// structured decodes a result's structuredContent into v.
func structured(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	require.False(t, res.IsError, "tool error: %s", textOf(res))
	require.NotNil(t, res.StructuredContent, "no structuredContent; text: %s", textOf(res))
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}

type clientsPage struct {
	Clients []struct {
		ClientID string `json:"client_id"`
		Name     string `json:"name"`
	} `json:"clients"`
}

// createClient creates a client of its own for a test, so that tests do not
// share seeded data.
func createClient(t *testing.T, c *client.Client, name string) string {
	t.Helper()
	var out struct {
		Client struct {
			ClientID string `json:"client_id"`
			Name     string `json:"name"`
		} `json:"client"`
		ClientSecret string `json:"client_secret"`
	}
	structured(t, callMCP(t, c, "create_oauth_client", map[string]any{
		"name": name, "client_type": "confidential",
		"allowed_scopes": []string{"numbers.read"}, "allowed_grant_types": []string{"client_credentials"},
	}), &out)
	require.NotEmpty(t, out.Client.ClientID)
	assert.Equal(t, name, out.Client.Name)
	assert.NotEmpty(t, out.ClientSecret, "a confidential client's secret is shown once")
	return out.Client.ClientID
}

type deleteResult struct {
	ClientID string `json:"client_id"`
	Deleted  bool   `json:"deleted"`
	Message  string `json:"message"`
}

// assertClientGone checks that get_oauth_client now fails with a 404.
func assertClientGone(t *testing.T, c *client.Client, id string) {
	t.Helper()
	res := callMCP(t, c, "get_oauth_client", map[string]any{"client_id": id})
	assert.True(t, res.IsError, "the client is still there: %s", textOf(res))
	assert.Contains(t, textOf(res), "404")
}

// pipeAPIKey is the rig's API key, a canary: no output line may carry it.
const pipeAPIKey = "KEYCANARY-stdio-0f1e2d3c4b5a69788796a5b4"

// pipeTimeout bounds every wait of these tests; the server answers in
// milliseconds, so it only ends a hang.
const pipeTimeout = 10 * time.Second

// pipeRig is the production MCP server, wired as run() wires it, against a
// telnyxfake: what serveStdio serves.
type pipeRig struct {
	fake      *faultinject.Server
	srv       *server.MCPServer
	tracker   *callTracker
	transport *http.Transport
	logs      *syncBuffer // slog output and mcp-go's stdio error log
}

func newPipeRig(tb testing.TB) *pipeRig {
	tb.Helper()
	fake, err := faultinject.Listen(telnyxfake.Options{APIKey: pipeAPIKey, Seed: true})
	require.NoError(tb, err)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	api, err := telnyxapi.New(telnyxapi.Config{
		BaseURL: fake.BaseURL, APIKey: pipeAPIKey, UserAgent: "telnyx-oauth-mcp/test",
		Backoff: time.Millisecond, AttemptTimeout: 5 * time.Second, CallTimeout: pipeTimeout, Transport: transport,
	})
	require.NoError(tb, err)
	logs := &syncBuffer{}
	deps := tools.Deps{
		Client:  func(context.Context) (*telnyxapi.Client, error) { return api, nil },
		Confirm: tools.NewConfirmer(true, nil),
		Secrets: tools.SecretsShow,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	selected, err := tools.Select(tools.All(deps), tools.Selection{})
	require.NoError(tb, err)
	tracker := newCallTracker()
	srv := tools.NewServer("test", selected, append(tools.Extras(deps, selected), server.WithToolHandlerMiddleware(tracker.middleware))...)
	r := &pipeRig{fake: fake, srv: srv, tracker: tracker, transport: transport, logs: logs}
	tb.Cleanup(func() {
		transport.CloseIdleConnections()
		assert.NoError(tb, fake.Close())
	})
	return r
}

// pipeLine is one line the server wrote.
type pipeLine struct {
	raw []byte
}

// pipeSession is one run of serveStdio over pipes.
type pipeSession struct {
	closed   bool
	in       *io.PipeWriter
	done     chan error // serveStdio's result
	readDone chan struct{}
	writers  sync.WaitGroup

	mu     sync.Mutex
	lines  []pipeLine
	notify chan struct{} // a token whenever a line arrives
}

// open starts serveStdio on fresh pipes; close (or the test's end) stops
// it.
func (r *pipeRig) open(tb testing.TB) *pipeSession {
	tb.Helper()
	stdio := server.NewStdioServer(r.srv)
	stdio.SetErrorLogger(log.New(r.logs, "stdio: ", 0))
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &pipeSession{in: inW, done: make(chan error, 1), readDone: make(chan struct{}), notify: make(chan struct{}, 1)}
	go func() {
		err := serveStdio(context.Background(), stdio, r.tracker, inR, outW)
		_ = outW.Close()
		_ = inR.Close()
		s.done <- err
	}()
	go func() {
		defer close(s.readDone)
		br := bufio.NewReader(outR)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				s.mu.Lock()
				s.lines = append(s.lines, pipeLine{raw: line})
				s.mu.Unlock()
				select {
				case s.notify <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		if !s.closed { // the test failed before closing: end the server anyway
			s.close(tb)
		}
	})
	return s
}

// write sends data to the server's stdin without blocking the test: a pipe
// write waits for the reader.
func (s *pipeSession) write(data []byte) {
	s.writers.Add(1)
	go func() {
		defer s.writers.Done()
		_, _ = s.in.Write(data)
	}()
}

func (s *pipeSession) send(line string) { s.write([]byte(line + "\n")) }

// snapshot returns the lines written so far.
func (s *pipeSession) snapshot() []pipeLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pipeLine(nil), s.lines...)
}

// await returns the first line, from index from on, that match accepts,
// waiting up to d.
func (s *pipeSession) await(d time.Duration, from int, match func(map[string]any) bool) (map[string]any, int, bool) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		lines := s.snapshot()
		for ; from < len(lines); from++ {
			var m map[string]any
			if json.Unmarshal(lines[from].raw, &m) == nil && match(m) {
				return m, from, true
			}
		}
		select {
		case <-s.notify:
		case <-deadline.C:
			return nil, 0, false
		}
	}
}

// close ends stdin, waits for serveStdio to return and for every output
// line, and returns everything the server wrote.
func (s *pipeSession) close(tb testing.TB) []pipeLine {
	tb.Helper()
	s.closed = true
	_ = s.in.Close()
	s.writers.Wait()
	select {
	case err := <-s.done:
		assert.NoError(tb, err, "serveStdio")
	case <-time.After(pipeTimeout):
		tb.Fatalf("serveStdio did not return within %s of stdin closing", pipeTimeout)
	}
	<-s.readDone
	return s.snapshot()
}

// checkJSONRPCLines fails unless every line is exactly one JSON-RPC 2.0
// object, newline-terminated, that is a request, a notification or a
// response, and none carries the API key.
func checkJSONRPCLines(tb testing.TB, lines []pipeLine) {
	tb.Helper()
	for i, l := range lines {
		raw := l.raw
		if !bytes.HasSuffix(raw, []byte("\n")) {
			tb.Fatalf("output line %d does not end in a newline: %q", i+1, head(raw))
		}
		body := bytes.TrimSuffix(raw, []byte("\n"))
		if bytes.ContainsAny(body, "\r\n") {
			tb.Fatalf("output line %d has an embedded line break: %q", i+1, head(body))
		}
		var msg map[string]json.RawMessage
		if err := json.Unmarshal(body, &msg); err != nil {
			tb.Fatalf("output line %d is not one JSON object (%v): %q", i+1, err, head(body))
		}
		if string(msg["jsonrpc"]) != `"2.0"` {
			tb.Fatalf("output line %d is not JSON-RPC 2.0: %q", i+1, head(body))
		}
		_, isReq := msg["method"]
		_, isResult := msg["result"]
		_, isError := msg["error"]
		if !isReq && !isResult && !isError {
			tb.Fatalf("output line %d is neither a request nor a response: %q", i+1, head(body))
		}
		if bytes.Contains(body, []byte(pipeAPIKey)) {
			tb.Fatalf("output line %d carries the API key", i+1)
		}
	}
}

// idIs matches a response (not a request) whose id is the JSON value id.
func idIs(id any) func(map[string]any) bool {
	want, _ := json.Marshal(id)
	return func(m map[string]any) bool {
		if _, isReq := m["method"]; isReq {
			return false
		}
		got, ok := m["id"]
		if !ok {
			return false
		}
		b, _ := json.Marshal(got)
		return bytes.Equal(b, want)
	}
}

// hangRecorder is a fault that never answers and records when its request
// arrived and when its context ended (the client went away). It gives up
// after pipeTimeout, so that no test can hang on it.
type hangRecorder struct {
	started   chan time.Time
	cancelled chan time.Time
}

func newHangRecorder() *hangRecorder {
	return &hangRecorder{started: make(chan time.Time, 4), cancelled: make(chan time.Time, 4)}
}

func (h *hangRecorder) fault() faultinject.Fault {
	return faultinject.Func(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // a read body lets net/http watch the connection
		h.started <- time.Now()
		t := time.NewTimer(pipeTimeout)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			h.cancelled <- time.Now()
		case <-t.C:
		}
	})
}

// httpProc is the binary serving HTTP.
type httpProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	url    string // http://127.0.0.1:PORT/mcp
	exited chan struct{}
}

var servingURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)

// startHTTP starts the binary with env (nothing inherited) and waits until
// it says where it listens.
func startHTTP(t *testing.T, bin string, env []string, args ...string) *httpProc {
	t.Helper()
	p := &httpProc{stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"--transport", "http", "--listen", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	require.Eventually(t, func() bool {
		m := servingURL.FindStringSubmatch(p.stderr.String())
		if m != nil {
			p.url = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond, "the server never said where it listens; stderr:\n%s", p.stderr.String())
	return p
}

// exit waits up to d for the process to end and returns its status.
func (p *httpProc) exit(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("still running %s after the signal; stderr:\n%s", d, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// httpMCPClient connects an mcp-go client to p with bearer.
func httpMCPClient(t *testing.T, url, bearer string, opts ...client.ClientOption) *client.Client {
	t.Helper()
	hcTransport := &http.Transport{}
	t.Cleanup(hcTransport.CloseIdleConnections)
	tr, err := transport.NewStreamableHTTP(url,
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + bearer}),
		transport.WithHTTPBasicClient(&http.Client{Transport: hcTransport, Timeout: 20 * time.Second}),
		// Closing after the server has gone logs a failed DELETE: expected here.
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	c := client.NewClient(tr, opts...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	_, err = c.Initialize(ctx, mcp.InitializeRequest{})
	require.NoError(t, err)
	return c
}

func httpCall(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

// sandboxSession is one fresh sandbox process and an MCP client on it.
type sandboxSession struct {
	c      *client.Client
	stderr *syncBuffer
	// overHTTP: a shared server's caller, who sees none of its environment.
	overHTTP bool
}

// sandboxTransports are the ways a host runs the sandbox.
var sandboxTransports = []struct {
	name  string
	start func(t *testing.T, args ...string) *sandboxSession
}{
	{"stdio", startSandbox},
	{"http", startSandboxHTTP},
}

func startSandbox(t *testing.T, args ...string) *sandboxSession {
	t.Helper()
	require.NotEmpty(t, binPath, "TestMain builds the binary")
	stderr := &syncBuffer{}
	home := t.TempDir()
	tr := transport.NewStdioWithOptions(binPath, nil, args,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			// Nothing of the developer's environment: no TELNYX_* at all.
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	c := client.NewClient(tr)
	require.NoError(t, c.Start(context.Background()))
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "sandbox-walkthrough", Version: "0"}
	_, err := c.Initialize(ctx, init)
	require.NoError(t, err, "initialize; stderr:\n%s", stderr.String())
	// The child's stderr is copied while the test runs: wait for the line.
	stderr.WaitFor(t, "SANDBOX", callTimeout)
	return &sandboxSession{c: c, stderr: stderr}
}

// startSandboxHTTP serves the sandbox over HTTP on 127.0.0.1 in key mode
// and connects with the sandbox's key as the bearer, as the README says.
func startSandboxHTTP(t *testing.T, args ...string) *sandboxSession {
	t.Helper()
	p := startHTTP(t, binPath, nil, args...)
	p.stderr.WaitFor(t, "SANDBOX, key mode", callTimeout)
	return &sandboxSession{c: httpMCPClient(t, p.url, telnyxfake.DefaultAPIKey), stderr: p.stderr, overHTTP: true}
}

func (s *sandboxSession) call(t *testing.T, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := s.c.CallTool(ctx, req)
	require.NoError(t, err, "%s; stderr:\n%s", name, s.stderr.String())
	return res
}

// ok calls a tool that must succeed and decodes its result into T.
func sandboxOK[T any](t *testing.T, s *sandboxSession, name string, args map[string]any) T {
	t.Helper()
	res := s.call(t, name, args)
	text := firstText(res)
	require.False(t, res.IsError, "%s failed: %s", name, text)
	var out T
	require.NoError(t, json.Unmarshal([]byte(text), &out), text)
	return out
}

func firstText(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			return tc.Text
		}
	}
	return ""
}

const (
	storedKeyCanary = "KEYCANARY-stored-7d1e0a9b8c"
	envKeyCanaryCLI = "KEYCANARY-env-3c4d5e6f7a"
)

// accountEnv is a minimal environment whose credential store lives in a
// scratch directory. On Linux the child sees no D-Bus session, so the real
// go-keyring fails and the store falls back to the file, as on a headless
// box; elsewhere the file store is chosen explicitly, so the tests never
// touch a developer's keychain.
func accountEnv(t *testing.T, extra ...string) ([]string, string) {
	t.Helper()
	home := t.TempDir()
	dir := filepath.Join(home, "cfg")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, credstore.EnvConfigDir + "=" + dir, hostconfig.EnvConfigHome + "=" + home}
	if runtime.GOOS != "linux" {
		env = append(env, credstore.EnvStore+"=file")
	}
	return append(env, extra...), dir
}

// runCLI runs the binary with stdin and returns its output and status.
func runCLI(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%v hung; stderr: %s", args, errb.String())
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		require.NoError(t, err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func lastBearer(t *testing.T, fake *telnyxfake.Server, op string) string {
	t.Helper()
	reqs := fake.RequestsFor(op)
	require.NotEmpty(t, reqs, "no %s request", op)
	return strings.TrimPrefix(reqs[len(reqs)-1].Header.Get("Authorization"), "Bearer ")
}

// doorKey is the API key the fake accepts: the stdio server's
// TELNYX_API_KEY, and the bearer of the HTTP callers (key mode).
const doorKey = "KEYdoor-4c1d2e3f4a5b6c7d8e9f"

// wire is one JSON-RPC message as it came back, with its id as written.
type wire struct {
	raw    []byte
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseWire(t *testing.T, b []byte) wire {
	t.Helper()
	var w wire
	require.NoError(t, json.Unmarshal(b, &w), "not one JSON-RPC message: %.300q", b)
	w.raw = b
	return w
}

func (w wire) code() int {
	if w.Error == nil {
		return 0
	}
	return w.Error.Code
}

// doorEra is a protocol version: 2025-11-25 (initialize, sessions) or
// 2026-07-28 (every request carries its version in _meta).
type doorEra struct {
	name   string
	modern bool
}

var doorEras = []doorEra{{"2025-11-25", false}, {"2026-07-28", true}}

// meta is what a 2026-07-28 request carries in params.
const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},`

// build fills a message template: %META% becomes the 2026-07-28 _meta (or
// nothing), %ID% the seeded client's id.
func (e doorEra) build(tmpl string) string {
	m := ""
	if e.modern {
		m = meta
	}
	return strings.NewReplacer("%META%", m, "%ID%", telnyxfake.DemoClientID).Replace(tmpl)
}

// request is a request template with what a 2026-07-28 HTTP request puts in
// its headers.
type request struct {
	name, body, method, mcpName string
	// noReply: the server must not answer (a response nobody asked for).
	noReply bool
}

// peer is one way of talking to the server: a stdio process or an HTTP
// endpoint in one protocol version.
type peer interface {
	// exchange sends one message and returns the reply, or nil when the
	// server sent none (checked by the next request's reply).
	exchange(t *testing.T, r request) *wire
}

// stdioPeer talks to the binary over stdio, one JSON line each way.
type stdioPeer struct {
	p     *proc
	lines chan []byte
	era   doorEra
	seen  [][]byte // every line so far
}

func newStdioPeer(t *testing.T, fake *telnyxfake.Server, e doorEra) *stdioPeer {
	t.Helper()
	p := start(t, baseEnv(t, "TELNYX_API_KEY="+doorKey), "--base-url", fake.BaseURL)
	s := &stdioPeer{p: p, lines: make(chan []byte, 64), era: e}
	go func() {
		defer close(s.lines)
		br := bufio.NewReaderSize(p.stdout, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				s.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	if !e.modern {
		s.send(t, initializeLine)
		require.Nil(t, s.next(t).Error, "initialize")
		s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	}
	return s
}

func (s *stdioPeer) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(s.p.stdin, line+"\n")
	require.NoError(t, err)
}

// next returns the next line the server writes, waiting up to
// awaitTimeout.
func (s *stdioPeer) next(t *testing.T) wire {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		require.True(t, ok, "stdout closed; stderr:\n%s", s.p.errb.String())
		s.seen = append(s.seen, line)
		return parseWire(t, line)
	case <-time.After(awaitTimeout):
		t.Fatalf("no reply within %s; stderr:\n%s", awaitTimeout, s.p.errb.String())
		return wire{}
	}
}

// probe is a request every session answers, to show the server goes on.
func probe(e doorEra, id string) request {
	params := `{}`
	if e.modern {
		params = `{` + strings.TrimSuffix(meta, ",") + `}`
	}
	return request{name: "probe", body: `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/list","params":` + params + `}`, method: "tools/list"}
}

func (s *stdioPeer) exchange(t *testing.T, r request) *wire {
	t.Helper()
	s.send(t, r.body)
	s.send(t, probe(s.era, `"probe"`).body)
	// Requests are served concurrently, so the two replies may come in
	// either order; a message the server must not answer is dropped before
	// the next line is read, so nothing of it can come after the probe's.
	var got *wire
	probed := false
	for !probed || (got == nil && !r.noReply) {
		w := s.next(t)
		if string(w.ID) == `"probe"` {
			require.Nil(t, w.Error, "the session answers the next request: %s", w.raw)
			probed = true
			continue
		}
		require.Nil(t, got, "one reply only; also got %s", w.raw)
		got = &w
	}
	return got
}

// httpPeer talks to the binary over streamable HTTP.
type httpPeer struct {
	url     string
	era     doorEra
	session string
	hc      *http.Client
}

func newHTTPPeer(t *testing.T, url string, e doorEra) *httpPeer {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	h := &httpPeer{url: url, era: e, hc: &http.Client{Transport: tr, Timeout: callTimeout}}
	if !e.modern {
		status, body, header := h.post(t, request{body: initializeLine})
		require.Equal(t, http.StatusOK, status, "initialize: %s", body)
		h.session = header.Get("Mcp-Session-Id")
		require.NotEmpty(t, h.session)
		status, _, _ = h.post(t, request{body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`})
		require.Equal(t, http.StatusAccepted, status)
	}
	return h
}

func (h *httpPeer) post(t *testing.T, r request) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url, strings.NewReader(r.body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+doorKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if h.era.modern {
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", r.method)
		if r.mcpName != "" {
			req.Header.Set("Mcp-Name", r.mcpName)
		}
	} else if h.session != "" {
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		req.Header.Set("Mcp-Session-Id", h.session)
	}
	resp, err := h.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if data, ok := bytes.CutPrefix(body, []byte("event: message\ndata: ")); ok {
		body, _, _ = bytes.Cut(data, []byte("\n"))
	}
	return resp.StatusCode, body, resp.Header
}

func (h *httpPeer) exchange(t *testing.T, r request) *wire {
	t.Helper()
	status, body, _ := h.post(t, r)
	var got *wire
	if len(bytes.TrimSpace(body)) > 0 {
		w := parseWire(t, body)
		got = &w
	} else {
		assert.Equal(t, http.StatusAccepted, status, "a request without a reply is a 202")
	}
	status, body, _ = h.post(t, probe(h.era, `"probe"`))
	require.Equal(t, http.StatusOK, status, "%s", body)
	w := parseWire(t, body)
	require.Nil(t, w.Error, "the next request is answered: %s", body)
	return got
}

// doorRig is one fake and the binary over every transport and version.
type doorRig struct {
	fake  *telnyxfake.Server
	peers map[string]peer
}

func newDoorRig(t *testing.T) *doorRig {
	t.Helper()
	fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: doorKey, Seed: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fake.Close()) })
	rig := &doorRig{fake: fake, peers: map[string]peer{}}
	hp := startHTTP(t, binPath, nil, "--base-url", fake.BaseURL, "--max-body-bytes", "4194304")
	for _, e := range doorEras {
		rig.peers["stdio "+e.name] = newStdioPeer(t, fake, e)
		rig.peers["HTTP "+e.name] = newHTTPPeer(t, hp.url, e)
	}
	fake.ResetRequests()
	return rig
}

func eraOf(name string) doorEra {
	if strings.HasSuffix(name, "2026-07-28") {
		return doorEras[1]
	}
	return doorEras[0]
}
