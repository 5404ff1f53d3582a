package main

// MCP over stdio (stdio.go): raw JSON-RPC framing and mcp-go's client
// against the built binary, both protocol eras; serveStdio in process over
// io.Pipe (FuzzStdioLines, cancellation); and the mcp-go behaviour the
// cancel filter works around.
//
// mcp-go's stdio session is a package-level singleton, so the in-process
// tests never run two stdio servers at once: none of them is parallel.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// writeLog records each Write it gets as one entry.
type writeLog struct {
	mu     sync.Mutex
	writes [][]byte
	notify chan struct{}
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, bytes.Clone(p))
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return len(p), nil
}

// await returns the first write whose JSON has the given id, waiting up to
// d for it.
func (w *writeLog) await(t *testing.T, id any, d time.Duration) []byte {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	want, _ := json.Marshal(id)
	for {
		w.mu.Lock()
		for _, p := range w.writes {
			var m struct {
				ID json.RawMessage `json:"id"`
			}
			if json.Unmarshal(p, &m) == nil && bytes.Equal(m.ID, want) {
				w.mu.Unlock()
				return p
			}
		}
		w.mu.Unlock()
		select {
		case <-w.notify:
		case <-deadline.C:
			t.Fatalf("no message with id %s within %s", want, d)
			return nil
		}
	}
}

// TestMCPGoWritesCancelledResponses pins the mcp-go behaviour cancelFilter
// exists for, on mcp-go's own StdioServer with nothing of ours in between:
// after notifications/cancelled, mcp-go cancels the handler's context but
// still writes the response the handler returns. The MCP specification says
// the server should not (https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation).
// It also pins the bytes jsonrpc.Conn.Reply reads to find the response's
// id: each message in one Write, starting {"jsonrpc":"2.0","id":<id>, then
// "result" or "error". If mcp-go stops writing the response, or changes
// that shape, this test fails and the filter can be simplified or must be
// changed.
func TestMCPGoWritesCancelledResponses(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   any // as sent and as echoed
	}{
		{"number id", 7},
		{"string id", "call-7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started := make(chan struct{}, 1)
			srv := server.NewMCPServer("pin", "0", server.WithToolCapabilities(false))
			srv.AddTool(mcp.NewTool("wait"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				started <- struct{}{}
				select {
				case <-ctx.Done():
					return mcp.NewToolResultError("the call was cancelled"), nil
				case <-time.After(pipeTimeout):
					return mcp.NewToolResultText("not cancelled"), nil
				}
			})
			stdio := server.NewStdioServer(srv)
			stdio.SetErrorLogger(log.New(io.Discard, "", 0))
			inR, inW := io.Pipe()
			out := &writeLog{notify: make(chan struct{}, 1)}
			done := make(chan error, 1)
			go func() { done <- stdio.Listen(context.Background(), inR, out) }()
			t.Cleanup(func() {
				_ = inW.Close()
				select {
				case <-done:
				case <-time.After(pipeTimeout):
					t.Error("mcp-go's stdio server did not stop when its input ended")
				}
			})
			send := func(line string) {
				t.Helper()
				_, err := io.WriteString(inW, line+"\n")
				require.NoError(t, err)
			}

			send(initializeLine)
			out.await(t, 1, pipeTimeout)
			send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			id, _ := json.Marshal(tc.id)
			send(`{"jsonrpc":"2.0","id":` + string(id) + `,"method":"tools/call","params":{"name":"wait","arguments":{}}}`)
			select {
			case <-started:
			case <-time.After(pipeTimeout):
				t.Fatal("the tool never started")
			}
			send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + string(id) + `}}`)

			msg := out.await(t, tc.id, pipeTimeout)
			assert.Contains(t, string(msg), "the call was cancelled", "mcp-go writes the cancelled handler's result")
			prefix := `{"jsonrpc":"2.0","id":` + string(id) + `,"result"`
			assert.True(t, strings.HasPrefix(string(msg), prefix), "mcp-go starts a response with %s: %s", prefix, msg)
			assert.Equal(t, byte('\n'), msg[len(msg)-1], "one message per Write, newline included: %q", msg)
			assert.Equal(t, 1, bytes.Count(msg, []byte("\n")), "one message per Write: %q", msg)

			// What cancelFilter makes of the same exchange: no response.
			var filtered bytes.Buffer
			f := newCancelFilter(&filtered)
			require.NotNil(t, f.admit([]byte(`{"jsonrpc":"2.0","id":`+string(id)+`,"method":"tools/call","params":{"name":"wait","arguments":{}}}`+"\n")))
			require.NotNil(t, f.admit([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+string(id)+`}}`+"\n")))
			n, err := f.Write(msg)
			require.NoError(t, err)
			assert.Equal(t, len(msg), n)
			assert.Empty(t, filtered.String(), "the filter drops mcp-go's response to the cancelled call")
		})
	}
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

	// A UTF-8 BOM before a request: the stdin feed strips it, so the request
	// is answered, and the server goes on.
	r.send(t, "\uFEFF"+`{"jsonrpc":"2.0","id":31,"method":"ping"}`)
	bom := r.await(t, "a reply to the BOM-prefixed ping", func(m map[string]any) bool { return reply(31)(m) || errorReply(m) })
	assert.Contains(t, bom, "result", "the BOM-prefixed ping is answered, not refused: %v", bom)
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

// FuzzStdioLines sends arbitrary bytes as a line (possibly several lines)
// to the stdio server, then a valid ping: every output line must be one
// JSON-RPC object and the ping must be answered: a malformed
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

// TestStdioCancellation: a tools/call whose upstream hangs, cancelled with
// notifications/cancelled after about 100 ms, aborts the upstream request
// within 500 ms, and no response for that id is written (MCP: the receiver
// of a cancel should not send a response for that request,
// https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation). A cancel
// for an unknown id does nothing, the server keeps serving, and goroutines
// return to baseline. The times are correctness bounds.
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

// TestCancelFilterIDs: the filter matches a response to its request by
// id, string or number, and drops only the response of a cancelled
// request, once; a cancel of an unknown id changes nothing.
func TestCancelFilterIDs(t *testing.T) {
	t.Parallel()
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

// TestStdioRefusals: the front door's refusals over stdio. A request with
// a bad tool name gets -32602 with its id; the same as a notification gets
// nothing, since JSON-RPC answers no notification (mcp-go answers none
// either); a look-alike key gets -32600 with id null, notification or not.
// mcp-go sees none of them.
func TestStdioRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line, want string
	}{
		{`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"bad name"}}`, `"id":3,"error":{"code":-32602,`},
		{`{"jsonrpc":"2.0","method":"tools/call","params":{"name":"bad name"}}`, ``},
		{`{"jsonrpc":"2.0","method":"tools/call","Method":"ping"}`, `"id":null,"error":{"code":-32600,`},
	} {
		var out bytes.Buffer
		f := newCancelFilter(&out)
		assert.Nil(t, f.admit([]byte(tc.line+"\n")), tc.line)
		if tc.want == "" {
			assert.Empty(t, out.String(), tc.line)
		} else {
			assert.Contains(t, out.String(), tc.want, tc.line)
		}
	}
}
