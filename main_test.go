package main

// End-to-end tests of the built binary: the command line, the environment,
// the `tools` and `call` subcommands, and MCP over stdio (raw JSON-RPC lines
// and mcp-go's client, both protocol eras). Every process gets an explicit,
// minimal environment, so a developer's TELNYX_API_KEY never reaches it, and
// nothing talks to anything but 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/testkit"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
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
// tool does not break these tests; issueTools pins the public interface
// issue 2 names, which must always be there.
var (
	registry = tools.All(tools.Deps{})
	// allTools is every tool in registry order (the `tools` table's order).
	allTools = toolNames(func(tools.Tool) bool { return true })
	// defaultTools is every toolset but consent.
	defaultTools  = toolNames(func(t tools.Tool) bool { return t.Toolset != tools.ToolsetConsent })
	readOnlyTools = toolNames(tools.Tool.ReadOnly)
	grantTools    = toolNames(func(t tools.Tool) bool { return t.Toolset == tools.ToolsetGrants })
	issueTools    = []string{
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

// TestToolLists pins the expected lists to issue 2: its 17 tools all exist,
// only submit_oauth_consent is off by default, and the grant toolset is
// exactly its three tools.
func TestToolLists(t *testing.T) {
	assert.Subset(t, allTools, issueTools)
	assert.Equal(t, []string{"submit_oauth_consent"}, without(allTools, defaultTools...))
	assert.Equal(t, []string{"list_oauth_grants", "get_oauth_grant", "revoke_oauth_grant"}, grantTools)
	for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "update_oauth_client", "create_oauth_client",
		"exchange_oauth_token", "register_oauth_client", "submit_oauth_consent"} {
		assert.NotContains(t, readOnlyTools, name)
	}
	for _, name := range []string{"list_oauth_clients", "get_oauth_client", "list_oauth_grants", "get_oauth_grant", "get_oauth_jwks"} {
		assert.Contains(t, readOnlyTools, name)
	}
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

// TestStdioRawFraming: malformed lines get a JSON-RPC error and the server
// keeps serving; stdout carries nothing but JSON-RPC, one message a line.
func TestStdioRawFraming(t *testing.T) {
	t.Parallel()
	r := startRaw(t)

	// The Done-when case: {bad gets -32700, and the next request is answered.
	r.send(t, `{bad`)
	parseErr := r.await(t, "a reply to {bad", errorReply)
	assert.Equal(t, float64(-32700), errorCode(parseErr), "reply to {bad: %v", parseErr)
	r.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	assert.ElementsMatch(t, defaultTools, toolNamesOf(t, r.await(t, "tools/list after {bad", reply(2))))

	// Other lines that are no request: each gets an error with a null id,
	// and the next request is answered.
	id := float64(10)
	for name, line := range map[string]string{
		"empty array":     `[]`,
		"number":          `42`,
		"string":          `"hello"`,
		"truncated":       `{"jsonrpc":"2.0","id":99,"method":"ping"`,
		"empty object":    `{}`,
		"jsonrpc 1.0":     `{"jsonrpc":"1.0","method":"ping"}`,
		"large malformed": `{"jsonrpc":"2.0","id":98,"method":"ping","params":{"pad":"` + strings.Repeat("a", 4<<20),
	} {
		r.send(t, line)
		got := r.await(t, "a reply to "+name, errorReply)
		assert.Contains(t, []float64{-32700, -32600}, errorCode(got), "%s: %v", name, got)
		id++
		r.send(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":%v,"method":"ping"}`, id))
		r.await(t, "ping after "+name, reply(id))
	}

	// A request with a wrong jsonrpc version but an id: an error for that id.
	r.send(t, `{"jsonrpc":"1.0","id":30,"method":"ping"}`)
	assert.Equal(t, float64(-32600), errorCode(r.await(t, "reply to jsonrpc 1.0 with id", reply(30))))

	// A UTF-8 BOM before a request: answered, or refused with an error; either
	// way the server goes on.
	r.send(t, "\uFEFF"+`{"jsonrpc":"2.0","id":31,"method":"ping"}`)
	bom := r.await(t, "a reply to the BOM-prefixed ping", func(m map[string]any) bool { return reply(31)(m) || errorReply(m) })
	if errorReply(bom) {
		t.Logf("the BOM-prefixed request was refused (%v); SECURITY.md A7 asks for the BOM to be stripped", bom["error"])
	}
	r.send(t, `{"jsonrpc":"2.0","id":32,"method":"tools/list"}`)
	assert.ElementsMatch(t, defaultTools, toolNamesOf(t, r.await(t, "tools/list after the BOM", reply(32))))

	// CRLF line endings are accepted.
	r.send(t, `{"jsonrpc":"2.0","id":33,"method":"ping"}`+"\r")
	assert.Contains(t, r.await(t, "ping ended by CRLF", reply(33)), "result")

	// A tool call, so that a long result is on stdout too.
	r.send(t, `{"jsonrpc":"2.0","id":34,"method":"tools/call","params":{"name":"list_oauth_clients","arguments":{}}}`)
	call := r.await(t, "tools/call list_oauth_clients", reply(34))
	require.Contains(t, call, "result", "%v", call)
	assert.NotEqual(t, true, call["result"].(map[string]any)["isError"])

	require.NoError(t, r.p.stdin.Close())
	assert.Equal(t, 0, r.p.wait(t, exitTimeout), "stderr:\n%s", r.p.errb.String())
	assertJSONRPCStdout(t, r.p.out.Bytes())
	assert.NotContains(t, r.p.out.String(), "SANDBOX")
	assert.Contains(t, r.p.errb.String(), "SANDBOX", "the sandbox banner goes to stderr")
}

// --- mcp-go client over stdio ---

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

// TestStdioClientConfirmPath: with mcp-go's client in both eras, without
// elicitation: the default tool list, a read with structured content, and a
// delete that needs `confirm` equal to the client_id.
func TestStdioClientConfirmPath(t *testing.T) {
	t.Parallel()
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			t.Parallel()
			c, p, init := startClient(t, baseEnv(t), []string{"--sandbox"}, era.opts...)
			assert.Equal(t, era.version, init.ProtocolVersion)
			assert.Equal(t, "telnyx-oauth-mcp", init.ServerInfo.Name)

			tl := listTools(t, c)
			assert.ElementsMatch(t, defaultTools, names(tl), "consent is off by default")

			var page clientsPage
			structured(t, callMCP(t, c, "list_oauth_clients", map[string]any{}), &page)
			var seeded []string
			for _, cl := range page.Clients {
				seeded = append(seeded, cl.ClientID)
			}
			assert.Contains(t, seeded, telnyxfake.BillingClientID)
			assert.Contains(t, seeded, telnyxfake.DemoClientID)

			name := "e2e confirm " + era.name
			id := createClient(t, c, name)

			res := callMCP(t, c, "delete_oauth_client", map[string]any{"client_id": id})
			require.True(t, res.IsError, "a delete without confirm must be refused: %s", textOf(res))
			preview := textOf(res)
			assert.Contains(t, preview, "Confirmation required")
			assert.Contains(t, preview, name, "the preview names the client")
			assert.Contains(t, preview, id)
			assert.Contains(t, preview, `"confirm": "`+id+`"`, "the preview says what to send")

			res = callMCP(t, c, "delete_oauth_client", map[string]any{"client_id": id, "confirm": telnyxfake.BillingClientID})
			require.True(t, res.IsError, "a confirm naming another client must be refused: %s", textOf(res))
			assert.Contains(t, textOf(res), "does not match")

			var del deleteResult
			structured(t, callMCP(t, c, "delete_oauth_client", map[string]any{"client_id": id, "confirm": id}), &del)
			assert.True(t, del.Deleted, "%+v", del)
			assert.Equal(t, id, del.ClientID)
			assertClientGone(t, c, id)

			finish(t, c, p)
		})
	}
}

// elicitor answers every elicitation with the configured action.
type elicitor struct {
	mu       sync.Mutex
	action   mcp.ElicitationResponseAction
	messages []string
}

func (e *elicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.messages = append(e.messages, req.Params.Message)
	res := &mcp.ElicitationResult{}
	res.Action = e.action
	if e.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{"confirm": true}
	}
	return res, nil
}

func (e *elicitor) set(a mcp.ElicitationResponseAction) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.action = a
}

func (e *elicitor) asked() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.messages)
}

// TestStdioClientElicitation: with a client that can elicit, in both eras
// (input_required for 2026-07-28, elicitation/create for 2025-11-25), a
// delete asks the user, naming the client; accept deletes, decline does not.
// --toolsets all also exposes the 17th tool.
func TestStdioClientElicitation(t *testing.T) {
	t.Parallel()
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			t.Parallel()
			el := &elicitor{action: mcp.ElicitationResponseActionDecline}
			opts := append(slices.Clone(era.opts), client.WithElicitationHandler(el))
			c, p, init := startClient(t, baseEnv(t), []string{"--sandbox", "--toolsets", "all"}, opts...)
			assert.Equal(t, era.version, init.ProtocolVersion)

			assert.ElementsMatch(t, allTools, names(listTools(t, c)))

			name := "e2e elicit " + era.name
			id := createClient(t, c, name)

			// Declined: a plain result, nothing deleted.
			var del deleteResult
			structured(t, callMCP(t, c, "delete_oauth_client", map[string]any{"client_id": id}), &del)
			assert.False(t, del.Deleted, "%+v", del)
			assert.Contains(t, del.Message, "nothing was changed")
			res := callMCP(t, c, "get_oauth_client", map[string]any{"client_id": id})
			assert.False(t, res.IsError, "a declined delete must leave the client: %s", textOf(res))
			require.Len(t, el.asked(), 1, "the user is asked once")
			assert.Contains(t, el.asked()[0], name, "the question names the client")
			assert.Contains(t, el.asked()[0], id)

			// Accepted: deleted.
			el.set(mcp.ElicitationResponseActionAccept)
			del = deleteResult{}
			structured(t, callMCP(t, c, "delete_oauth_client", map[string]any{"client_id": id}), &del)
			assert.True(t, del.Deleted, "%+v", del)
			assert.Len(t, el.asked(), 2)
			assertClientGone(t, c, id)

			finish(t, c, p)
		})
	}
}

// --- command line, environment, subcommands ---

// TestMissingCredentials: no credential and no --sandbox → a non-zero exit,
// one line on stderr naming TELNYX_API_KEY, and not one byte on stdout.
func TestMissingCredentials(t *testing.T) {
	t.Parallel()
	for name, env := range map[string][]string{
		"none":             baseEnv(t),
		"client id only":   baseEnv(t, "TELNYX_CLIENT_ID=cid"),
		"secret only":      baseEnv(t, "TELNYX_CLIENT_SECRET=SECRETCANARY-half"),
		"empty key":        baseEnv(t, "TELNYX_API_KEY="),
		"sandbox env off":  baseEnv(t, "TELNYX_MCP_SANDBOX=false"),
		"call, no sandbox": baseEnv(t),
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{}
			if name == "call, no sandbox" {
				args = []string{"call", "list_oauth_clients", "{}"}
			}
			stdout, stderr, code := runBin(t, env, args...)
			assert.Equal(t, 2, code, "README: exit status 2")
			assert.Empty(t, stdout, "nothing on stdout")
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "exactly one line on stderr: %q", stderr)
			assert.True(t, strings.HasSuffix(stderr, "\n"))
			assert.Contains(t, stderr, "TELNYX_API_KEY")
			assert.NotContains(t, stderr, "SECRETCANARY")
		})
	}
}

// readmeFlags returns the flags README.md documents in its flag table.
func readmeFlags(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	re := regexp.MustCompile("(?m)^\\| `--([a-z-]+)")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestHelpVersionAndBadFlags: --help documents every flag of the README (and
// the README every flag of --help) on stdout, as `--flag VALUE`; -h and help
// print the same; --version and version print the version; and an unknown
// flag or command exits 2.
func TestHelpVersionAndBadFlags(t *testing.T) {
	t.Parallel()
	documented := readmeFlags(t)
	require.Subset(t, documented, []string{"base-url", "toolsets", "tools", "read-only", "confirm-destructive",
		"secrets", "timeout", "attempt-timeout", "log-level", "sandbox", "version", "help"})

	stdout, stderr, code := runBin(t, baseEnv(t), "--help")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr, "usage goes to stdout")
	assert.True(t, strings.HasPrefix(stdout, "telnyx-oauth-mcp: Telnyx OAuth as MCP tools"), stdout)
	for _, f := range documented {
		if f == "help" {
			continue
		}
		assert.Regexp(t, `(?m)^  --`+regexp.QuoteMeta(f)+`\b`, stdout, "--help does not show the README's --%s", f)
	}
	assert.Contains(t, stdout, "\n  --timeout DURATION\n", "a placeholder, in capitals")
	assert.Contains(t, stdout, "(default 1m0s)", "the real default")
	assert.NotRegexp(t, `(?m)^\s+-[a-z]`, stdout, "flags are shown with two dashes")
	// And the other way round: every flag --help shows is in the README,
	// in the flag table or wherever the README describes it.
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)`).FindAllStringSubmatch(stdout, -1) {
		documentedAnywhere := regexp.MustCompile("`--" + regexp.QuoteMeta(m[1]) + "\\b").Match(readme)
		assert.True(t, documentedAnywhere, "--help shows --%s, which the README does not document", m[1])
	}
	for _, v := range []string{"TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_MCP_", "--sandbox"} {
		assert.Contains(t, stdout, v)
	}
	// Every environment variable --help names is in the README too.
	vars := regexp.MustCompile(`\bTELNYX_[A-Z_]*[A-Z]\b`).FindAllString(stdout, -1)
	slices.Sort(vars)
	for _, v := range slices.Compact(vars) {
		assert.True(t, bytes.Contains(readme, []byte(v)), "--help names %s, which the README does not document", v)
	}
	for _, args := range [][]string{{"-h"}, {"help"}, {"-help"}, {"--sandbox", "--help"}} {
		out, errOut, c := runBin(t, baseEnv(t), args...)
		assert.Equal(t, 0, c, "%v", args)
		assert.Equal(t, stdout, out, "%v prints the same usage", args)
		assert.Empty(t, errOut, "%v", args)
	}

	want := "telnyx-oauth-mcp " + binaryVersion(t) + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		stdout, stderr, code = runBin(t, baseEnv(t), args...)
		assert.Equal(t, 0, code, "%v", args)
		assert.Equal(t, want, stdout, "%v", args)
		assert.Empty(t, stderr)
	}

	for _, args := range [][]string{{"--bogus"}, {"--sandbox", "--no-such-flag=1"}, {"--timeout", "soon"}, {"--sandbox", "serve-http"}} {
		stdout, stderr, code = runBin(t, baseEnv(t), args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Empty(t, stdout, "%v", args)
		assert.NotEmpty(t, stderr, "%v", args)
	}
}

// binaryVersion is what the test binary's --version should say, from its
// build info (no -ldflags are set).
func binaryVersion(t *testing.T) string {
	t.Helper()
	info, err := buildinfo.ReadFile(binPath)
	require.NoError(t, err)
	return resolveVersion("dev", info, true)
}

// toolTable runs `tools` and returns the EXPOSED column by tool name, in
// table order.
func toolTable(t *testing.T, env []string, args ...string) (order []string, exposed map[string]string) {
	order, exposed, _ = toolTableKinds(t, env, args...)
	return order, exposed
}

// toolTableKinds is toolTable with the KIND column too.
func toolTableKinds(t *testing.T, env []string, args ...string) (order []string, exposed, kind map[string]string) {
	t.Helper()
	stdout, stderr, code := runBin(t, env, append(args, "tools")...)
	require.Equal(t, 0, code, "stderr:\n%s", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.NotEmpty(t, lines)
	cols := regexp.MustCompile(`\s{2,}`)
	assert.Equal(t, []string{"TOOL", "TOOLSET", "KIND", "EXPOSED", "TITLE"}, cols.Split(strings.TrimSpace(lines[0]), -1))
	exposed, kind = map[string]string{}, map[string]string{}
	for _, l := range lines[1:] {
		f := cols.Split(strings.TrimSpace(l), -1)
		require.Len(t, f, 5, "row %q", l)
		order = append(order, f[0])
		kind[f[0]] = f[2]
		exposed[f[0]] = f[3]
	}
	return order, exposed, kind
}

// listOver starts the server with env and args, lists its tools over stdio
// and shuts it down.
func listOver(t *testing.T, env []string, args ...string) []mcp.Tool {
	t.Helper()
	c, p, _ := startClient(t, env, args, client.WithProtocolVersion("2025-11-25"))
	tl := listTools(t, c)
	finish(t, c, p)
	return tl
}

// TestEnvironmentMapping: TELNYX_MCP_<FLAG> sets a flag, a flag on the
// command line wins, an invalid value exits 2 naming the variable, and the
// base URL must be https or loopback http.
func TestEnvironmentMapping(t *testing.T) {
	t.Parallel()

	t.Run("read-only", func(t *testing.T) {
		t.Parallel()
		tl := listOver(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "--sandbox")
		assert.ElementsMatch(t, readOnlyTools, names(tl))
		for _, tool := range tl {
			require.NotNil(t, tool.Annotations.ReadOnlyHint, tool.Name)
			assert.True(t, *tool.Annotations.ReadOnlyHint, tool.Name)
		}

		order, exposed := toolTable(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"))
		assert.Equal(t, allTools, order)
		for _, name := range allTools {
			want := "no"
			if slices.Contains(readOnlyTools, name) {
				want = "yes"
			}
			assert.Equal(t, want, exposed[name], name)
		}
	})

	t.Run("read-only hides tools from calls", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "--sandbox", "call", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`","confirm":"`+telnyxfake.BillingClientID+`"}`)
		assert.NotEqual(t, 0, code, stderr)
		assert.NotContains(t, stdout, `"deleted": true`)
		assert.Contains(t, stdout, "hidden by TELNYX_MCP_READ_ONLY")
	})

	t.Run("toolsets", func(t *testing.T) {
		t.Parallel()
		assert.ElementsMatch(t, grantTools, names(listOver(t, baseEnv(t, "TELNYX_MCP_TOOLSETS=grants"), "--sandbox")))
	})

	t.Run("sandbox from the environment", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_SANDBOX=true"), "call", "list_oauth_clients")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, telnyxfake.BillingClientID)
		assert.Contains(t, stderr, "SANDBOX")
	})

	t.Run("flag wins", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t, "TELNYX_MCP_READ_ONLY=true", "TELNYX_MCP_TOOLSETS=grants")
		assert.ElementsMatch(t, defaultTools, names(listOver(t, env, "--sandbox", "--read-only=false", "--toolsets", "discovery,protocol,clients,grants")))

		order, exposed := toolTable(t, baseEnv(t, "TELNYX_MCP_TOOLSETS=grants"), "--toolsets", "clients")
		assert.Equal(t, allTools, order)
		for _, tool := range registry {
			want := "no"
			if tool.Toolset == tools.ToolsetClients {
				want = "yes"
			}
			assert.Equal(t, want, exposed[tool.Name()], tool.Name())
		}

		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_SECRETS=bogus"), "--secrets", "redact", "--sandbox", "tools")
		assert.Equal(t, 0, code, "a valid flag wins over an invalid variable; stderr:\n%s", stderr)
		assert.Contains(t, stdout, "list_oauth_clients")
	})

	t.Run("invalid values name their source", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			env  []string
			args []string
			want string
		}{
			{[]string{"TELNYX_MCP_SECRETS=bogus"}, nil, "TELNYX_MCP_SECRETS"},
			{[]string{"TELNYX_MCP_LOG_LEVEL=loud"}, nil, "TELNYX_MCP_LOG_LEVEL"},
			{[]string{"TELNYX_MCP_READ_ONLY=maybe"}, nil, "TELNYX_MCP_READ_ONLY"},
			{[]string{"TELNYX_MCP_TIMEOUT=0s"}, nil, "TELNYX_MCP_TIMEOUT"},
			{[]string{"TELNYX_MCP_ATTEMPT_TIMEOUT=soon"}, nil, "TELNYX_MCP_ATTEMPT_TIMEOUT"},
			{[]string{"TELNYX_MCP_TOOLSETS=bogus"}, nil, `unknown toolset "bogus"`},
			{[]string{"TELNYX_MCP_TOOLS=nope"}, nil, `unknown tool "nope"`},
			{nil, []string{"--secrets", "bogus"}, "--secrets"},
			{nil, []string{"--log-level", "loud"}, "--log-level"},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t, tc.env...), append(tc.args, "--sandbox")...)
			assert.Equal(t, 2, code, "%v %v", tc.env, tc.args)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want, "%v %v", tc.env, tc.args)
		}
	})

	t.Run("base URL from the environment", func(t *testing.T) {
		t.Parallel()
		fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: keyCanary, Seed: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = fake.Close() })
		for _, v := range []string{"TELNYX_BASE_URL", "TELNYX_MCP_BASE_URL"} {
			before := len(fake.RequestsFor(telnyxfake.OpListClients))
			stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_API_KEY="+keyCanary, v+"="+fake.BaseURL), "call", "list_oauth_clients")
			assert.Equal(t, 0, code, "%s; stderr:\n%s", v, stderr)
			assert.Contains(t, stdout, telnyxfake.BillingClientID, v)
			assert.Len(t, fake.RequestsFor(telnyxfake.OpListClients), before+1, "%s points the server at the fake", v)
			assert.NotContains(t, stderr, keyCanary)
		}
		// The flag wins over the variable.
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_API_KEY="+keyCanary, "TELNYX_BASE_URL=http://169.254.169.254/v2"),
			"--base-url", fake.BaseURL, "call", "list_oauth_clients")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, telnyxfake.BillingClientID)
	})

	t.Run("base URL", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			env  []string
			args []string
		}{
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl"}, []string{"--base-url", "http://169.254.169.254/v2"}},
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl", "TELNYX_BASE_URL=http://169.254.169.254/v2"}, nil},
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl", "TELNYX_MCP_BASE_URL=http://example.com/v2"}, nil},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t, tc.env...), tc.args...)
			assert.NotEqual(t, 0, code, "%v %v", tc.env, tc.args)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "plain http is only allowed for loopback")
			assert.NotContains(t, stderr, "KEYCANARY")
		}
	})
}

// TestCallAndToolsSubcommands: `call` prints a tool's structured result as
// JSON and exits 0, or prints {"error": …} and exits 1; `tools` lists all 17.
func TestCallAndToolsSubcommands(t *testing.T) {
	t.Parallel()

	t.Run("list", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "call", "list_oauth_clients", "{}")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout is one JSON document: %q", stdout)
		clients, ok := out["clients"].([]any)
		require.True(t, ok, "a clients array: %v", out)
		assert.Len(t, clients, 3)
		assert.Contains(t, stderr, "SANDBOX")
	})

	t.Run("bad id", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "get_oauth_client", `{"client_id":"../x"}`)
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], "client_id")
	})

	t.Run("unknown tool", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "nope")
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], `unknown tool "nope"`)
	})

	t.Run("bad usage", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"--sandbox", "call"},
			{"--sandbox", "call", "list_oauth_clients", "{not json"},
			{"--sandbox", "call", "list_oauth_clients", "[]"},
			{"--sandbox", "call", "list_oauth_clients", "{}", "extra"},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t), args...)
			assert.Equal(t, 2, code, "%v", args)
			assert.Empty(t, stdout, "%v", args)
			assert.NotEmpty(t, stderr, "%v", args)
		}
	})

	t.Run("delete needs confirm", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "delete_oauth_client", `{"client_id":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], "Billing dashboard", "the error previews the client")
		assert.Contains(t, out["error"], telnyxfake.BillingClientID)
		assert.Contains(t, out["error"], "nothing was changed")

		// With confirm it goes ahead (each run has a fresh sandbox).
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "call", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`","confirm":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, `"deleted": true`)

		// And --confirm-destructive=false turns the gate off.
		stdout, stderr, code = runBin(t, baseEnv(t), "--sandbox", "call", "--confirm-destructive=false", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, `"deleted": true`)
		assert.Contains(t, stderr, "without confirmation", "the operator is warned")
	})

	t.Run("redacted secrets", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "--secrets", "redact", "call", "exchange_oauth_token", `{"grant_type":"client_credentials"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		var out struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.NotEmpty(t, out.AccessToken)
		assert.Less(t, len(out.AccessToken), 30, "a JWT masked to its last four characters: %q", out.AccessToken)
	})

	t.Run("tools", func(t *testing.T) {
		t.Parallel()
		order, exposed, kind := toolTableKinds(t, baseEnv(t))
		assert.Equal(t, allTools, order)
		assert.Subset(t, order, issueTools)
		for _, tool := range registry {
			want := "yes"
			if tool.Toolset == tools.ToolsetConsent {
				want = "no"
			}
			assert.Equal(t, want, exposed[tool.Name()], tool.Name())
			assert.Equal(t, tools.Kind(tool, true), kind[tool.Name()], tool.Name())
		}
		for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "submit_oauth_consent", "update_oauth_client"} {
			assert.Equal(t, "destructive, confirmed", kind[name], name)
		}
		_, exposed = toolTable(t, baseEnv(t), "--toolsets", "all")
		for _, name := range allTools {
			assert.Equal(t, "yes", exposed[name], name)
		}

		// Without confirmation nothing is called confirmed.
		_, _, unconfirmed := toolTableKinds(t, baseEnv(t), "--confirm-destructive=false")
		for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "submit_oauth_consent", "update_oauth_client"} {
			assert.Equal(t, "destructive", unconfirmed[name], name)
		}
		for name, k := range unconfirmed {
			assert.NotContains(t, k, "confirmed", name)
		}
	})
}

// --- lifecycle ---

// TestStdioLifecycle: stdin EOF and SIGTERM (and SIGINT) each end the server
// promptly with status 0.
func TestStdioLifecycle(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"stdin EOF", "SIGTERM", "SIGINT"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t)
			r.send(t, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
			r.await(t, "ping", reply(2))

			began := time.Now()
			switch how {
			case "stdin EOF":
				require.NoError(t, r.p.stdin.Close())
			case "SIGTERM":
				require.NoError(t, r.p.cmd.Process.Signal(syscall.SIGTERM))
			case "SIGINT":
				require.NoError(t, r.p.cmd.Process.Signal(syscall.SIGINT))
			}
			assert.Equal(t, 0, r.p.wait(t, promptExit), "stderr:\n%s", r.p.errb.String())
			t.Logf("%s: exited after %s", how, time.Since(began).Round(time.Millisecond))
			assertJSONRPCStdout(t, r.p.out.Bytes())
		})
	}
}

// TestStdioSigtermDuringCall: SIGTERM while a tool call waits on a slow
// upstream still answers that call on stdout before the process exits 0.
func TestStdioSigtermDuringCall(t *testing.T) {
	t.Parallel()
	fake, err := faultinject.Listen(telnyxfake.Options{APIKey: keyCanary, Seed: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = fake.Close() })
	fake.Inject(telnyxfake.OpListClients, faultinject.Delay(time.Second))

	p := start(t, baseEnv(t, "TELNYX_API_KEY="+keyCanary), "--base-url", fake.BaseURL)
	r := newRawConn(t, p)
	r.send(t, initializeLine)
	r.await(t, "initialize result", reply(1))
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(t, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_oauth_clients","arguments":{}}}`)
	require.Eventually(t, func() bool { return len(fake.RequestsFor(telnyxfake.OpListClients)) > 0 },
		awaitTimeout, 5*time.Millisecond, "the call never reached the fake")

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	got := r.await(t, "the in-flight call's response", reply(2))
	assert.Equal(t, 0, p.wait(t, promptExit), "stderr:\n%s", p.errb.String())
	assertJSONRPCStdout(t, p.out.Bytes())
	res, _ := got["result"].(map[string]any)
	require.NotNil(t, res, "a tool result, not a JSON-RPC error: %v", got)
	if res["isError"] == true {
		// Today the call is cancelled at once rather than given a grace
		// period (SECURITY.md A7); it is still answered.
		t.Logf("the in-flight call was cancelled by SIGTERM: %v", res["content"])
	}
	assert.NotContains(t, p.out.String()+p.errb.String(), keyCanary)
}

// --- canaries ---

const (
	keyCanary    = "KEYCANARY-1234567890abcdef"
	secretCanary = "SECRETCANARY-0987654321fedcba"
	canaryClient = "canary-client-0001"
)

// TestCanariesNeverOnStderr runs the binary against an in-process fake that
// knows canary credentials, at debug log level, through successful and
// failing calls, and checks that no credential or token reaches stderr.
func TestCanariesNeverOnStderr(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"api key", "client credentials only"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			fake, err := faultinject.Listen(telnyxfake.Options{APIKey: keyCanary, Seed: true})
			require.NoError(t, err)
			t.Cleanup(func() { _ = fake.Close() })
			fake.AddClient(telnyxfake.Client{
				ClientID: canaryClient, Name: "Canary", ClientType: telnyxfake.ClientTypeConfidential,
				AllowedGrantTypes: []string{telnyxfake.GrantClientCredentials}, AllowedScopes: []string{"admin"},
				ClientSecret: secretCanary,
			})

			env := baseEnv(t, "TELNYX_CLIENT_ID="+canaryClient, "TELNYX_CLIENT_SECRET="+secretCanary)
			if mode == "api key" {
				env = append(env, "TELNYX_API_KEY="+keyCanary)
			}
			c, p, _ := startClient(t, env,
				[]string{"--base-url", fake.BaseURL, "--log-level", "debug", "--toolsets", "all", "--timeout", "10s", "--attempt-timeout", "3s"},
				client.WithProtocolVersion("2025-11-25"))

			canaries := []string{keyCanary, secretCanary,
				base64.StdEncoding.EncodeToString([]byte(canaryClient + ":" + secretCanary)),
				"KEYCANARY", "SECRETCANARY"}

			// Successful calls, one of which issues an access token.
			var page clientsPage
			structured(t, callMCP(t, c, "list_oauth_clients", map[string]any{}), &page)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			structured(t, callMCP(t, c, "exchange_oauth_token", map[string]any{"grant_type": "client_credentials"}), &tok)
			require.NotEmpty(t, tok.AccessToken)
			canaries = append(canaries, tok.AccessToken)
			res := callMCP(t, c, "introspect_oauth_token", map[string]any{"token": tok.AccessToken})
			assert.False(t, res.IsError, textOf(res))
			structured(t, callMCP(t, c, "get_oauth_client", map[string]any{"client_id": canaryClient}), new(map[string]any))
			// The bearer the server really used (the API key, or a token it
			// obtained with the client credentials).
			reqs := fake.RequestsFor(telnyxfake.OpListClients)
			require.NotEmpty(t, reqs)
			bearer := strings.TrimPrefix(reqs[len(reqs)-1].Header.Get("Authorization"), "Bearer ")
			require.NotEmpty(t, bearer)
			canaries = append(canaries, bearer)

			// Failing calls: the API echoes the Authorization header back in
			// its error, answers with HTML, resets, redirects, rate-limits.
			echo := faultinject.Func(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				b, _ := json.Marshal(map[string]any{"errors": []map[string]string{{
					"code": "10009", "title": "Authentication failed", "detail": "rejected: " + r.Header.Get("Authorization"),
				}}})
				_, _ = w.Write(b)
			})
			echoes := []faultinject.Fault{echo}
			if mode != "api key" {
				echoes = append(echoes, echo) // a 401 makes the server fetch a new token and retry once
			}
			html := faultinject.HTML(502)
			for _, fc := range []struct {
				tool   string
				args   map[string]any
				op     string
				faults []faultinject.Fault
			}{
				{"list_oauth_clients", map[string]any{}, telnyxfake.OpListClients, echoes},
				{"get_oauth_client", map[string]any{"client_id": canaryClient}, telnyxfake.OpGetClient, []faultinject.Fault{html, html, html}},
				{"create_oauth_client", map[string]any{"name": "x", "client_type": "confidential",
					"allowed_scopes": []string{"admin"}, "allowed_grant_types": []string{"client_credentials"}},
					telnyxfake.OpCreateClient, []faultinject.Fault{faultinject.Status(500, `{"errors":[{"code":"10007","title":"Unexpected error"}]}`)}},
				{"list_oauth_grants", map[string]any{}, telnyxfake.OpListGrants, []faultinject.Fault{faultinject.RetryAfter(429, "86400")}},
				{"get_oauth_jwks", map[string]any{}, telnyxfake.OpGetJWKS, []faultinject.Fault{faultinject.Redirect(302, "http://127.0.0.1:1/steal")}},
				{"exchange_oauth_token", map[string]any{"grant_type": "client_credentials"}, telnyxfake.OpToken, []faultinject.Fault{faultinject.ResetBeforeBody()}},
				{"introspect_oauth_token", map[string]any{"token": tok.AccessToken}, telnyxfake.OpIntrospect,
					[]faultinject.Fault{faultinject.Status(401, `{"error":"invalid_client","error_description":"bad client"}`)}},
				{"exchange_oauth_token", map[string]any{"grant_type": "refresh_token", "refresh_token": "REFRESHCANARY-1"}, telnyxfake.OpToken, nil},
				{"get_oauth_client", map[string]any{"client_id": "../ARGCANARY-1"}, telnyxfake.OpGetClient, nil},
			} {
				if len(fc.faults) > 0 {
					fake.Inject(fc.op, fc.faults...)
				}
				res := callMCP(t, c, fc.tool, fc.args)
				assert.True(t, res.IsError, "%s should fail: %s", fc.tool, textOf(res))
				assert.Zero(t, fake.PendingFaults(fc.op), "%s: every scripted fault was hit", fc.tool)
				for _, canary := range []string{keyCanary, secretCanary, bearer} {
					assert.NotContains(t, textOf(res), canary, "%s: a credential in the tool error", fc.tool)
				}
			}
			// Every bearer the server sent (in client-credentials mode, each
			// token it obtained).
			for _, r := range fake.Requests() {
				if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && b != "" {
					canaries = append(canaries, b)
				}
			}
			canaries = append(canaries, "REFRESHCANARY", "ARGCANARY")

			finish(t, c, p)
			stderr := p.errb.String()
			assert.Contains(t, stderr, "level=DEBUG", "debug logging is on")
			assert.Contains(t, stderr, "tool call")
			for _, canary := range canaries {
				assert.NotContains(t, stderr, canary, "a secret on stderr")
			}
			out := p.out.String()
			for _, canary := range []string{keyCanary, secretCanary, bearer} {
				assert.NotContains(t, out, canary, "a credential on stdout")
			}
		})
	}
}
