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
// with -32700 and keeps serving, and every stdout write stays mcp-go's), and
// lets shutdown stop the input without ending it: mcp-go cancels every
// running call the moment its input ends, so after SIGTERM the feed pauses,
// in-flight calls finish, and only then does the input end.
type stdinFeed struct {
	pr   *io.PipeReader
	pw   *io.PipeWriter
	stop chan struct{}
	once sync.Once
}

func newStdinFeed(src io.Reader) *stdinFeed {
	pr, pw := io.Pipe()
	f := &stdinFeed{pr: pr, pw: pw, stop: make(chan struct{})}
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
			if _, werr := f.pw.Write(line); werr != nil {
				return
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
	feed := newStdinFeed(stdin)
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
	return srv.Listen(context.WithoutCancel(ctx), feed, stdout)
}
