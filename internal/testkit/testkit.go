// Package testkit holds the small helpers that the tests of several
// packages need alike. Only tests import it.
package testkit

import (
	"bytes"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
)

// Buffer is a bytes.Buffer safe for one writer and concurrent readers: a
// server's log or audit output, or a child process's stderr, read while it
// is still being written.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Bytes returns a copy of what was written so far.
func (b *Buffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

func (b *Buffer) String() string { return string(b.Bytes()) }

// Text is the text content of a tool result, its parts joined by newlines.
func Text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
