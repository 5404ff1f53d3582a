package main

// How the stdio server ends: on stdin EOF, SIGTERM and SIGINT, promptly and
// with status 0, and with an in-flight call still answered after SIGTERM.

import (
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

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
		// A call cancelled at once rather than given the grace period is
		// still answered.
		t.Logf("the in-flight call was cancelled by SIGTERM: %v", res["content"])
	}
	assert.NotContains(t, p.out.String()+p.errb.String(), keyCanary)
}

// --- canaries ---
