package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
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

// cancelFilter stands between mcp-go's stdio server and the host on both
// sides. Inbound, every line passes the front door (jsonrpc.Conn.Admit):
// look-alike keys and ids of the wrong type are refused there, a response
// the server did not ask for is dropped, and the door's refusals are written
// here. Outbound, every message passes the reply edge (jsonrpc.Conn.Reply),
// which also drops mcp-go's response to a request the host cancelled: MCP
// says none is sent, and mcp-go (v1.2.1) sends it
// (TestMCPGoWritesCancelledResponses).
type cancelFilter struct {
	w       io.Writer
	door    *jsonrpc.Conn
	writeMu sync.Mutex // one message at a time on w: mcp-go's and the door's
}

func newCancelFilter(w io.Writer) *cancelFilter {
	return &cancelFilter{w: w, door: jsonrpc.NewConn(true, "")}
}

// admit runs one line from the host through the front door and returns
// what mcp-go gets: the line (ids replaced where the door replaces them),
// or nil when the door answered it or dropped it. A refused notification
// is dropped without an answer, as mcp-go drops one it cannot serve.
func (c *cancelFilter) admit(line []byte) []byte {
	pass, _, refusal := c.door.Admit(line)
	if refusal != nil && refusal.Notification() {
		return nil // JSON-RPC answers no notification, not even its errors
	}
	if refusal != nil {
		c.writeMu.Lock()
		_, _ = c.w.Write(refusal.JSON())
		c.writeMu.Unlock()
		return nil
	}
	return pass
}

// Write passes one message on through the reply edge, unless the edge
// drops it (the response to a cancelled request). mcp-go writes each
// message with one Write.
func (c *cancelFilter) Write(p []byte) (int, error) {
	out, _ := c.door.Reply(p)
	if out == nil {
		return len(p), nil
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
