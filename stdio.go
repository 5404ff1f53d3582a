package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/jsonrpc"
)

// maxStdioLine caps one JSON-RPC line from the host. Requests are small
// (a tool's arguments); a 20 MiB line is an attack or a bug, and reading it
// whole would hold it all in memory.
const maxStdioLine = 4 << 20

// stdioGrace is how long in-flight tool calls may take to finish after
// SIGTERM before they are cancelled.
const stdioGrace = 5 * time.Second

// stdinFeed sits between the host's stdin and mcp-go's stdio server. It
// strips a leading UTF-8 byte order mark from each line, replaces a line
// over maxStdioLine with one that fails to parse (so the server answers it
// with -32700 and keeps serving), hands each line to the front door, and
// lets shutdown stop the input without ending it: mcp-go cancels every
// running call the moment its input ends, so after SIGTERM the feed pauses,
// in-flight calls finish, and only then does the input end.
type stdinFeed struct {
	pr   *io.PipeReader
	pw   *io.PipeWriter
	stop chan struct{}
	once sync.Once
	// admit sees each line before mcp-go does and returns what mcp-go gets
	// instead: the line, a rewritten line, or nil for nothing.
	admit func(line []byte) []byte
}

func newStdinFeed(src io.Reader, admit func(line []byte) []byte) *stdinFeed {
	pr, pw := io.Pipe()
	f := &stdinFeed{pr: pr, pw: pw, stop: make(chan struct{}), admit: admit}
	go f.copy(src)
	return f
}

func (f *stdinFeed) Read(p []byte) (int, error) { return f.pr.Read(p) }

// end closes the input mcp-go reads: it then stops serving.
func (f *stdinFeed) end() {
	f.once.Do(func() {
		close(f.stop)
		_ = f.pw.Close()
	})
}

var bom = []byte("\xef\xbb\xbf")

func (f *stdinFeed) copy(src io.Reader) {
	r := bufio.NewReaderSize(src, 64<<10)
	var line []byte
	oversized := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !oversized {
			if len(line)+len(chunk) > maxStdioLine {
				oversized, line = true, line[:0]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue // the line goes on
		}
		if oversized {
			line, oversized = append(line[:0], `{"oversized line"`...), false
		}
		line = bytes.TrimPrefix(line, bom)
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				line = append(line, '\n')
			}
			select {
			case <-f.stop:
				return
			default:
			}
			if pass := f.admit(line); pass != nil {
				if _, werr := f.pw.Write(pass); werr != nil {
					return
				}
			}
		}
		line = line[:0]
		if err != nil {
			// End of the host's input: the host is gone, so stop at once.
			f.end()
			return
		}
	}
}

// callTracker counts tool calls in flight, so that shutdown can wait for
// them.
type callTracker struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed while n == 0
}

func newCallTracker() *callTracker {
	idle := make(chan struct{})
	close(idle)
	return &callTracker{idle: idle}
}

func (c *callTracker) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c.mu.Lock()
		if c.n == 0 {
			c.idle = make(chan struct{})
		}
		c.n++
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.n--
			if c.n == 0 {
				close(c.idle)
			}
			c.mu.Unlock()
		}()
		return next(ctx, req)
	}
}

// wait returns when no call is in flight, or after grace.
func (c *callTracker) wait(grace time.Duration) {
	c.mu.Lock()
	idle := c.idle
	c.mu.Unlock()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

// serveStdio serves srv over stdin and stdout until the host closes stdin,
// or until ctx is cancelled (SIGTERM, SIGINT): then input stops, in-flight
// calls get up to stdioGrace to answer, and the server exits.
func serveStdio(ctx context.Context, srv *server.StdioServer, tracker *callTracker, stdin io.Reader, stdout io.Writer) error {
	filter := newCancelFilter(stdout)
	feed := newStdinFeed(stdin, filter.admit)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			tracker.wait(stdioGrace)
			feed.end()
		case <-done:
		}
	}()
	// The server's own context is not ctx: cancelling it would cancel the
	// calls that the grace period is for.
	return srv.Listen(context.WithoutCancel(ctx), feed, filter)
}

// maxInFlight bounds the requests cancelFilter tracks. A host keeps a few
// calls open, not thousands; past the bound the table starts over, and a
// cancel for a forgotten request then only cancels its work.
const maxInFlight = 4096

// cancelFilter stands between mcp-go's stdio server and the host on both
// sides. Inbound, every line passes the front door (jsonrpc.Conn.Admit):
// look-alike keys and ids of the wrong type are refused there, a response
// the server did not ask for is dropped, and the door's refusals are written
// here. Outbound, every message passes the reply edge (jsonrpc.Conn.Reply).
//
// It also keeps MCP's promise about notifications/cancelled: once the host
// cancels a request, no response for it is sent
// (https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation).
// It works around mcp-go (v1.2.1): on notifications/cancelled its
// MCPServer cancels the handler's context, but StdioServer still writes
// what the handler then returns ("the call was cancelled"). The filter
// notes which requests are in flight and which of those the host
// cancelled, and drops the response of a cancelled one, found by the bytes
// mcp-go starts each message with (responseIDKey).
// TestMCPGoWritesCancelledResponses fails if mcp-go stops writing that
// response or changes those bytes. A cancel for an unknown or answered id
// changes nothing.
type cancelFilter struct {
	w        io.Writer
	door     *jsonrpc.Conn
	writeMu  sync.Mutex // one message at a time on w: mcp-go's and the door's
	mu       sync.Mutex
	inFlight map[string]bool // request id → cancelled
}

func newCancelFilter(w io.Writer) *cancelFilter {
	return &cancelFilter{w: w, door: jsonrpc.NewConn(true, ""), inFlight: map[string]bool{}}
}

// admit runs one line from the host through the front door and returns
// what mcp-go gets: the line (ids replaced where the door replaces them),
// or nil when the door answered it or dropped it. A refused notification
// is dropped without an answer, as mcp-go drops one it cannot serve.
func (c *cancelFilter) admit(line []byte) []byte {
	pass, m, refusal := c.door.Admit(line)
	if refusal != nil && refusal.Notification() {
		return nil // JSON-RPC answers no notification, not even its errors
	}
	if refusal != nil {
		c.writeMu.Lock()
		_, _ = c.w.Write(refusal.JSON())
		c.writeMu.Unlock()
		return nil
	}
	if m != nil && pass != nil {
		c.observe(m)
	}
	return pass
}

// observe notes a request from the host, or a cancel of one in flight.
func (c *cancelFilter) observe(m *jsonrpc.Message) {
	if m.Method == "" {
		return
	}
	id := requestIDKey(m.ID)
	if id == "" && m.Method == "notifications/cancelled" {
		c.mu.Lock()
		defer c.mu.Unlock()
		if k := requestIDKey(m.CancelID); k != "" {
			if _, ok := c.inFlight[k]; ok {
				c.inFlight[k] = true
			}
		}
		return
	}
	if id == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.inFlight) >= maxInFlight {
		clear(c.inFlight)
	}
	c.inFlight[id] = false
}

// Write passes one message on, unless it is the response to a cancelled
// request. mcp-go writes each message with one Write.
func (c *cancelFilter) Write(p []byte) (int, error) {
	c.mu.Lock()
	drop := false
	if len(c.inFlight) > 0 {
		if id := responseIDKey(p); id != "" {
			if cancelled, ok := c.inFlight[id]; ok {
				delete(c.inFlight, id)
				drop = cancelled
			}
		}
	}
	c.mu.Unlock()
	if drop {
		return len(p), nil
	}
	out, _ := c.door.Reply(p)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// requestIDKey turns a JSON-RPC id (valid JSON) into a map key, the same
// for the id as the host wrote it (1.0) and as mcp-go echoes it (1); "" for
// a missing, null or malformed id.
func requestIDKey(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return ""
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return "s" + s
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return ""
		}
		return "n" + strconv.FormatFloat(f, 'g', -1, 64)
	}
	return ""
}

// responsePrefix is how mcp-go's StdioServer starts every message it
// writes: it marshals mcp.JSONRPCResponse or mcp.JSONRPCError, whose fields
// come in the order jsonrpc, id, then result or error
// (TestMCPGoWritesCancelledResponses).
var responsePrefix = []byte(`{"jsonrpc":"2.0","id":`)

// responseIDKey returns the id key of a JSON-RPC response, "" for anything
// else. mcp-go writes the id before the result or error, so only the start
// of a message is read; other shapes take the slow path.
func responseIDKey(p []byte) string {
	if rest, ok := bytes.CutPrefix(p, responsePrefix); ok {
		end := 0
		if len(rest) > 0 && rest[0] == '"' {
			for end = 1; end < len(rest) && rest[end] != '"'; end++ {
				if rest[end] == '\\' {
					end++
				}
			}
			end++
		} else {
			end = bytes.IndexAny(rest, ",}")
		}
		if end > 0 && end < len(rest) {
			next := rest[end:]
			switch {
			case bytes.HasPrefix(next, []byte(`,"result"`)), bytes.HasPrefix(next, []byte(`,"error"`)):
				return requestIDKey(rest[:end])
			case bytes.HasPrefix(next, []byte(`,"method"`)):
				return ""
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	id, response := "", false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t {
		case "method":
			return ""
		case "result", "error":
			response = true
		}
		if response && id != "" {
			return id
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return ""
		}
		if t == "id" {
			id = requestIDKey(v)
		}
	}
	if !response {
		return ""
	}
	return id
}
