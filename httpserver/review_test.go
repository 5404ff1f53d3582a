package httpserver

// Tests for the bugs found in review, each failing before its fix.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

// TestReviewSlowBodyClosed: a client that sends its headers at once and
// then drips the body a byte at a time is cut off by the body read
// deadline, instead of holding a connection and a goroutine for as long as
// it likes (1 MiB at 1 B/s is twelve days). The deadline ends with the
// body: a tool call that runs longer than it still gets its answer.
func TestReviewSlowBodyClosed(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.ReadBodyTimeout = 300 * time.Millisecond })
	cl := connect(t, ts.URL, keyAlice, modern) // Telnyx has accepted the key
	up.Inject(telnyxfake.OpListClients, faultinject.Delay(time.Second))

	c, err := net.DialTimeout("tcp", ts.Addr, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	const bodyLen = 40
	_, err = fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", ts.Addr, keyAlice, bodyLen)
	require.NoError(t, err)
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_ = c.SetReadDeadline(start.Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, c) // EOF or reset once the server gives up
	}()
	// Drip the rest of the body, one byte per 100 ms (4 s in all), until
	// the server hangs up.
drip:
	for i := 1; i < bodyLen; i++ {
		select {
		case <-closed:
			break drip
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write([]byte(" ")); err != nil {
			break
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("connection never closed")
	}
	assert.Less(t, time.Since(start), 2*time.Second, "a dripped body must be cut off by the read deadline")

	// The deadline covers the body only: a call longer than it succeeds.
	res := callTool(t, cl, "list_oauth_clients", map[string]any{})
	assert.False(t, res.IsError, textOf(res))
}

// TestReviewSlowBodyRefusedClosed: a request refused before its body is
// read (here: no credential) is no way around the body deadline either.
// net/http drains up to 256 KiB of an unread body before it sends the
// answer, with no deadline of its own, so an unauthenticated client
// dripping a body held the connection and a handler for as long as it
// liked.
func TestReviewSlowBodyRefusedClosed(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.ReadBodyTimeout = 300 * time.Millisecond })
	for _, te := range []string{"Content-Length: 40", "Transfer-Encoding: chunked"} {
		t.Run(te, func(t *testing.T) {
			c, err := net.DialTimeout("tcp", ts.Addr, 2*time.Second)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			first := "{"
			drip := " "
			if strings.HasPrefix(te, "Transfer") {
				first, drip = "1\r\n{\r\n", "1\r\n \r\n"
			}
			_, err = fmt.Fprintf(c, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s\r\n\r\n%s", ts.Addr, te, first)
			require.NoError(t, err)
			start := time.Now()
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				_ = c.SetReadDeadline(start.Add(10 * time.Second))
				_, _ = io.Copy(io.Discard, c)
			}()
		loop:
			for range 39 {
				select {
				case <-closed:
					break loop
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := c.Write([]byte(drip)); err != nil {
					break
				}
			}
			select {
			case <-closed:
			case <-time.After(10 * time.Second):
				t.Fatal("connection never closed")
			}
			assert.Less(t, time.Since(start), 2*time.Second, "a dripped body must be cut off even when the request is refused")
		})
	}
}

// TestReviewResourcesLimited: resources/read reaches Telnyx just as a
// read tool does, so it counts against the caller's rate limit and
// concurrency cap; it bypassed both, which in token mode let one read token
// spend the server's shared Telnyx credential without bound.
func TestReviewResourcesLimited(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	up.Inject(telnyxfake.OpGetJWKS, faultinject.Delay(200*time.Millisecond), faultinject.Delay(200*time.Millisecond),
		faultinject.Delay(200*time.Millisecond))
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.CallerConcurrency = 1; c.RateLimit = 3 })
	c := connect(t, ts.URL, keyAlice, modern)
	read := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, err := c.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "telnyx-oauth://jwks"}})
		return err
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); assert.NoError(t, read()) }()
	}
	wg.Wait()
	assert.Equal(t, 1, up.peakConcurrency(), "one of this caller's upstream calls at a time")
	err := read()
	require.Error(t, err, "a fourth read within the minute is over the limit")
	assert.Contains(t, err.Error(), "rate limited")
	assert.Len(t, up.RequestsFor(telnyxfake.OpGetJWKS), 3, "the refused read never reached Telnyx")
}

// TestReviewCompletionsLimited: completion/complete of a client_id lists
// the account's clients at Telnyx, so it too is under the caller's rate
// limit; it bypassed it.
func TestReviewCompletionsLimited(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	ts := startServer(t, up, func(c *Config) { c.Stateless = true; c.RateLimit = 2 })
	c := connect(t, ts.URL, keyAlice, modern)
	complete := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		req := mcp.CompleteRequest{}
		req.Params.Ref = mcp.ResourceReference{Type: "ref/resource", URI: "telnyx-oauth://clients/{client_id}"}
		req.Params.Argument = mcp.CompleteArgument{Name: "client_id", Value: ""}
		_, err := c.Complete(ctx, req)
		return err
	}
	require.NoError(t, complete())
	require.NoError(t, complete())
	listed := len(up.toolRequests(telnyxfake.OpListClients))
	require.Equal(t, 2, listed, "each completion lists the clients")
	assert.Error(t, complete(), "a third within the minute is over the limit")
	assert.Equal(t, listed, len(up.toolRequests(telnyxfake.OpListClients)), "the refused completion never reached Telnyx")
}

// TestReviewAllowedHostIPv6Literal: an --allowed-hosts entry naming an
// IPv6 address in brackets, as it appears in a Host header, matches that
// Host on any port (as a name without a port does), not only when the
// client leaves the port out.
func TestReviewAllowedHostIPv6Literal(t *testing.T) {
	t.Parallel()
	s := &Server{allowedHosts: normalizeHosts([]string{"[2001:DB8::1]", "[2001:db8::2]:8443"})}
	for host, want := range map[string]bool{
		"[2001:db8::1]":      true,
		"[2001:db8::1]:8080": true,
		"[2001:db8::2]:8443": true,
		"[2001:db8::2]:80":   false,
		"[2001:db8::3]:8080": false,
	} {
		r := &http.Request{Host: host, Header: http.Header{}}
		assert.Equal(t, want, s.hostAllowed(r), host)
	}
}
