package main

// Adversarial tests of the stdio path run in process: the production tool
// server behind serveStdio (the stdin feed that strips BOMs and caps lines,
// and the filter in front of stdout) over io.Pipe, against a telnyxfake on
// 127.0.0.1. FuzzStdioLines feeds arbitrary bytes as a line;
// TestStdioCancellation checks notifications/cancelled end to end.
//
// mcp-go's stdio session is a package-level singleton, so these tests never
// run two stdio servers at once: none of them is parallel.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

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

// FuzzStdioLines sends arbitrary bytes as a line (possibly several lines)
// to the stdio server, then a valid ping: every output line must be one
// JSON-RPC object and the ping must be answered. SECURITY.md A7: a malformed
// line gets an error and the server keeps serving.
func FuzzStdioLines(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzStdioLines (malformed lines, BOMs, CRLF,
	// batches, look-alike keys, cancels, deep nesting, binary).
	rig := newPipeRig(f)
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		pingID := fmt.Sprintf("fuzz-ping-%d-%x", n, time.Now().UnixNano())
		s := rig.open(t)
		s.write(append(append([]byte(nil), data...), '\n'))
		s.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%q,"method":"ping"}`, pingID))
		_, _, ok := s.await(pipeTimeout, 0, func(m map[string]any) bool { return idIs(pingID)(m) && m["result"] != nil })
		lines := s.close(t)
		if !ok {
			t.Fatalf("the ping after %q was not answered within %s; output: %d lines", head(data), pipeTimeout, len(lines))
		}
		checkJSONRPCLines(t, lines)
	})
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

// TestStdioCancellation: a tools/call whose upstream hangs, cancelled with
// notifications/cancelled after about 100 ms, aborts the upstream request
// within 500 ms, and no response for that id is written (MCP: after a
// cancel the server MUST NOT send more messages for that request). A cancel
// for an unknown id does nothing, the server keeps serving, and goroutines
// return to baseline. SECURITY.md A7. The times are correctness bounds.
func TestStdioCancellation(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last

	eras := []struct {
		name string
		// handshake sends what the era needs before a call, through s.
		handshake func(t *testing.T, s *pipeSession)
		// call is a tools/call line of the era.
		call func(id int, tool string, args string) string
	}{
		{
			name: "2025-11-25",
			handshake: func(t *testing.T, s *pipeSession) {
				s.send(initializeLine)
				init, _, ok := s.await(pipeTimeout, 0, idIs(1))
				require.True(t, ok, "no initialize result")
				require.Contains(t, init, "result", "%v", init)
				s.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			},
			call: func(id int, tool, args string) string {
				return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
			},
		},
		{
			name:      "2026-07-28",
			handshake: func(*testing.T, *pipeSession) {},
			call: func(id int, tool, args string) string {
				return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s,`+
					`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},`+
					`"io.modelcontextprotocol/clientInfo":{"name":"cancel-test","version":"0"}}}}`, id, tool, args)
			},
		},
	}
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			rig := newPipeRig(t)
			hang := newHangRecorder()
			rig.fake.Inject(telnyxfake.OpListClients, hang.fault())
			s := rig.open(t)
			era.handshake(t, s)

			s.send(era.call(7, "list_oauth_clients", `{}`))
			select {
			case <-hang.started:
			case <-time.After(pipeTimeout):
				t.Fatalf("the call never reached the fake; logs:\n%s", rig.logs.String())
			}
			time.Sleep(100 * time.Millisecond)
			sent := time.Now()
			s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"the user changed their mind"}}`)

			select {
			case at := <-hang.cancelled:
				assert.Less(t, at.Sub(sent), 500*time.Millisecond, "the upstream request must be aborted within 500 ms of the cancel")
			case <-time.After(pipeTimeout):
				t.Fatal("the upstream request was never aborted")
			}
			// No response for id 7 within a second of the cancel.
			time.Sleep(time.Until(sent.Add(time.Second)))
			if m, _, found := s.await(0, 0, idIs(7)); found {
				t.Errorf("a response was sent for the cancelled request: %v", m)
			}

			// A cancel for an id that was never used does nothing: no output,
			// and the server goes on.
			before := len(s.snapshot())
			s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}`)
			s.send(`{"jsonrpc":"2.0","id":8,"method":"ping"}`)
			_, at, ok := s.await(pipeTimeout, before, idIs(8))
			require.True(t, ok, "ping after a cancel for an unknown id")
			assert.Equal(t, before, at, "the cancel for id 999 wrote nothing")

			// The next call works, and goes upstream exactly once: the cancelled
			// call was not retried.
			s.send(era.call(9, "list_oauth_clients", `{}`))
			res, _, ok := s.await(pipeTimeout, 0, idIs(9))
			require.True(t, ok, "the call after the cancelled one")
			result, _ := res["result"].(map[string]any)
			require.NotNil(t, result, "%v", res)
			assert.NotEqual(t, true, result["isError"], "%v", result)
			assert.Len(t, rig.fake.RequestsFor(telnyxfake.OpListClients), 2, "the cancelled call is not retried")

			// A request may reuse an id that was cancelled for nothing (999):
			// it is answered.
			s.send(`{"jsonrpc":"2.0","id":999,"method":"ping"}`)
			_, _, ok = s.await(pipeTimeout, 0, idIs(999))
			assert.True(t, ok, "a request with id 999 after a stray cancel for 999 is answered")

			lines := s.close(t)
			checkJSONRPCLines(t, lines)
			assert.NotContains(t, rig.logs.String(), pipeAPIKey, "the API key reached the log")
			for _, l := range lines {
				var m map[string]any
				require.NoError(t, json.Unmarshal(l.raw, &m))
				assert.False(t, idIs(7)(m), "no response for the cancelled id, ever: %s", l.raw)
			}
		})
	}
}

// TestStdioCancellationBinary is the same cancellation over stdio to the
// built binary, pointed at a telnyxfake in this process.
func TestStdioCancellationBinary(t *testing.T) {
	t.Parallel()
	fake, err := faultinject.Listen(telnyxfake.Options{APIKey: pipeAPIKey})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fake.Close()) })
	hang := newHangRecorder()
	fake.Inject(telnyxfake.OpListClients, hang.fault())

	p := start(t, baseEnv(t, "TELNYX_API_KEY="+pipeAPIKey), "--base-url", fake.BaseURL)
	r := newRawConn(t, p)
	r.send(t, initializeLine)
	require.Contains(t, r.await(t, "initialize result", reply(1)), "result")
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	r.send(t, `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_oauth_clients","arguments":{}}}`)
	select {
	case <-hang.started:
	case <-time.After(pipeTimeout):
		t.Fatalf("the call never reached the fake; stderr:\n%s", p.errb.String())
	}
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`)
	select {
	case at := <-hang.cancelled:
		assert.Less(t, at.Sub(sent), 500*time.Millisecond, "the upstream request must be aborted within 500 ms of the cancel")
	case <-time.After(pipeTimeout):
		t.Fatal("the upstream request was never aborted")
	}
	time.Sleep(time.Until(sent.Add(time.Second)))
	r.send(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}}`)
	r.send(t, `{"jsonrpc":"2.0","id":8,"method":"ping"}`)
	r.await(t, "ping after the cancels", reply(8))
	r.send(t, `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"list_oauth_clients","arguments":{}}}`)
	res := r.await(t, "the next call", reply(9))
	require.Contains(t, res, "result", "%v", res)
	assert.NotEqual(t, true, res["result"].(map[string]any)["isError"], "%v", res)

	require.NoError(t, p.stdin.Close())
	assert.Equal(t, 0, p.wait(t, exitTimeout), "stderr:\n%s", p.errb.String())
	assertJSONRPCStdout(t, p.out.Bytes())
	for _, m := range r.pending {
		assert.False(t, reply(7)(m), "a response was sent for the cancelled request: %v", m)
	}
	assert.NotContains(t, p.out.String(), `"id":7`, "no response for the cancelled id")
	assert.NotContains(t, p.errb.String(), pipeAPIKey, "the API key reached stderr")
	assert.Len(t, fake.RequestsFor(telnyxfake.OpListClients), 2, "the cancelled call is not retried")
}

// TestCancelFilterIDs: the filter matches a response to its request by id
// whatever the id's spelling, tells responses from server requests and
// notifications, and drops only the response of a cancelled request.
func TestCancelFilterIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		msg, want string
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{}}`, "n7"},
		{`{"jsonrpc":"2.0","id":7.0,"result":{}}`, "n7"},
		{`{"jsonrpc":"2.0","id":-1e3,"error":{"code":-32603,"message":"x"}}`, "n-1000"},
		{`{"jsonrpc":"2.0","id":"a\"b,}c","result":{}}`, `sa"b,}c`},
		{`{"jsonrpc":"2.0","id":"\u0041","result":{}}`, "sA"},
		{`{"jsonrpc":"2.0","id":3,"method":"elicitation/create","params":{}}`, ""},
		{`{"jsonrpc":"2.0","method":"notifications/message","params":{}}`, ""},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`, ""},
		{`{"result":{},"id":9,"jsonrpc":"2.0"}`, "n9"},
		{`{"id":9,"method":"x","jsonrpc":"2.0"}`, ""},
		{`{"jsonrpc":"2.0","id":{"a":1},"result":{}}`, ""},
		{`not json`, ""},
	} {
		assert.Equal(t, tc.want, responseIDKey([]byte(tc.msg+"\n")), tc.msg)
	}

	var out bytes.Buffer
	f := newCancelFilter(&out)
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"unknown"}}`,
	} {
		require.NotNil(t, f.admit([]byte(line+"\n")), line)
	}
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":1,"result":{"isError":true}}`,
		`{"jsonrpc":"2.0","id":"two","result":{}}`,
		`{"jsonrpc":"2.0","id":"unknown","result":{}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"again":true}}`,
	} {
		n, err := f.Write([]byte(msg + "\n"))
		require.NoError(t, err)
		assert.Equal(t, len(msg)+1, n)
	}
	assert.Equal(t, `{"jsonrpc":"2.0","id":"two","result":{}}`+"\n"+`{"jsonrpc":"2.0","id":"unknown","result":{}}`+"\n"+
		`{"jsonrpc":"2.0","id":1,"result":{"again":true}}`+"\n", out.String(),
		"only the cancelled request's response is dropped, once")
}
