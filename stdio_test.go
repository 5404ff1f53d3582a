package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// It also pins the bytes responseIDKey reads on its fast path: each message
// in one Write, starting {"jsonrpc":"2.0","id":<id>, then "result" or
// "error". If mcp-go stops writing the response, or changes that shape,
// this test fails and the filter can be simplified or must be changed.
func TestMCPGoWritesCancelledResponses(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   any // as sent and as echoed
		key  string
	}{
		{"number id", 7, "n7"},
		{"string id", "call-7", "scall-7"},
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
			assert.True(t, bytes.HasPrefix(msg, append(bytes.Clone(responsePrefix), append(id, []byte(`,"result"`)...)...)),
				"mcp-go starts a response with %s<id>,\"result\": %s", responsePrefix, msg)
			assert.Equal(t, byte('\n'), msg[len(msg)-1], "one message per Write, newline included: %q", msg)
			assert.Equal(t, 1, bytes.Count(msg, []byte("\n")), "one message per Write: %q", msg)
			assert.Equal(t, tc.key, responseIDKey(msg), "the filter finds the id of mcp-go's response")

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
