// Package testkit holds the small helpers that the tests of several
// packages need alike. Only tests import it.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// WaitFor waits until what was written contains want and returns it all;
// it fails t if want has not appeared within d. Output that a process or
// server is still writing (a child's stderr is copied by a goroutine) is
// asserted on this way, never read once.
func (b *Buffer) WaitFor(t testing.TB, want string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := b.String()
		if strings.Contains(got, want) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q did not appear within %s; the output so far:\n%s", want, d, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

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

// Response is an HTTP response read to its end.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON is the body decoded as a JSON object; the test fails if it is not
// one.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("the body is not a JSON object: %v; body: %s", err, r.Body)
	}
	return m
}

// TelnyxCode is errors[0].code of a body in Telnyx's error envelope
// ({"errors":[{"code":"10005",...}]}); the test fails if it has none.
func (r Response) TelnyxCode(t testing.TB) string {
	t.Helper()
	var env struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || len(env.Errors) == 0 {
		t.Fatalf("no Telnyx error envelope (%v); body: %s", err, r.Body)
	}
	return env.Errors[0].Code
}

// NoRedirectClient returns an HTTP client that never follows a redirect,
// so a test sees each one; its idle connections are closed when t ends.
func NoRedirectClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Send makes one request, bounded by timeout, with headers given as name,
// value pairs ("" body sends none), and reads the whole answer.
func Send(ctx context.Context, c *http.Client, timeout time.Duration, method, url, body string, headers ...string) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return Response{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}, err
}

// Clock stands still until the test moves it, so that "per second" and
// "after the TTL" mean exactly what a test says; safe for concurrent use.
// Pass its Now wherever code takes a clock.
type Clock struct{ at atomic.Int64 }

// NewClock returns a Clock standing at at.
func NewClock(at time.Time) *Clock {
	c := &Clock{}
	c.at.Store(at.UnixNano())
	return c
}

// Now is the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.at.Load()).UTC() }

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) { c.at.Add(int64(d)) }
