package main

// Tests of --transport http: the built binary serving streamable HTTP on
// 127.0.0.1 (graceful SIGTERM, the sandbox, token mode configured through
// the environment), and the start-up checks through run(). The binary is
// the one TestMain builds.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake/faultinject"
)

func TestHTTPBinary(t *testing.T) {
	bin := binPath

	// SIGTERM with three calls in flight (the fake holds each 1 s): all
	// three are answered, new connections are refused meanwhile, and the
	// process exits 0. Key mode: no TELNYX_API_KEY at all; the caller's key
	// is the one the fake accepts.
	t.Run("SIGTERM drains calls in flight", func(t *testing.T) {
		fake, err := faultinject.Listen(telnyxfake.Options{Seed: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = fake.Close() })
		p := startHTTP(t, bin, nil, "--base-url", fake.BaseURL)
		c := httpMCPClient(t, p.url, telnyxfake.DefaultAPIKey)
		// After the server's check of the key, one more list.
		checked := len(fake.RequestsFor(telnyxfake.OpListClients))
		fake.Inject(telnyxfake.OpListClients, faultinject.Delay(time.Second), faultinject.Delay(time.Second), faultinject.Delay(time.Second))

		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := httpCall(c, "list_oauth_clients", map[string]any{})
				if assert.NoError(t, err) {
					assert.False(t, res.IsError)
					assert.Contains(t, res.Content[0].(mcp.TextContent).Text, telnyxfake.BillingClientID)
				}
			}()
		}
		require.Eventually(t, func() bool { return len(fake.RequestsFor(telnyxfake.OpListClients)) == checked+3 },
			10*time.Second, 10*time.Millisecond)
		sent := time.Now()
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))

		addr := strings.TrimSuffix(strings.TrimPrefix(p.url, "http://"), "/mcp")
		assert.Eventually(t, func() bool {
			conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				conn.Close()
			}
			return err != nil
		}, 900*time.Millisecond, 10*time.Millisecond, "new connections are refused during the drain")

		wg.Wait()
		assert.Equal(t, 0, p.exit(t, 5*time.Second), "stderr:\n%s", p.stderr.String())
		assert.Less(t, time.Since(sent), 3*time.Second)
		assert.Contains(t, p.stderr.String(), "shutting down")
	})

	// The sandbox in HTTP key mode: callers present the sandbox's key.
	t.Run("sandbox key mode", func(t *testing.T) {
		p := startHTTP(t, bin, nil, "--sandbox")
		p.stderr.WaitFor(t, "Bearer "+telnyxfake.DefaultAPIKey, callTimeout)
		c := httpMCPClient(t, p.url, telnyxfake.DefaultAPIKey, client.WithProtocolVersion(mcp.LATEST_LEGACY_PROTOCOL_VERSION))
		res, err := httpCall(c, "get_oauth_client", map[string]any{"client_id": telnyxfake.BillingClientID})
		require.NoError(t, err)
		assert.False(t, res.IsError)
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
		assert.Equal(t, 0, p.exit(t, 5*time.Second))
	})

	// Token mode, stateless, everything set through TELNYX_MCP_* variables,
	// the audit lines going to a file.
	t.Run("token mode from the environment", func(t *testing.T) {
		dir := t.TempDir()
		tokens := filepath.Join(dir, "tokens")
		audit := filepath.Join(dir, "audit.log")
		require.NoError(t, os.WriteFile(tokens, []byte(tokenLine("write-token-for-e2e")+" write\n"), 0o600))
		p := startHTTP(t, bin, []string{
			"TELNYX_MCP_SANDBOX=true",
			"TELNYX_MCP_STATELESS=true",
			"TELNYX_MCP_HTTP_AUTH=token",
			"TELNYX_MCP_HTTP_TOKENS_FILE=" + tokens,
			"TELNYX_MCP_STATE_KEY=" + strings.Repeat("k", 40),
			"TELNYX_MCP_AUDIT_LOG=" + audit,
		})
		p.stderr.WaitFor(t, "stateless=true", callTimeout)
		c := httpMCPClient(t, p.url, "write-token-for-e2e")
		res, err := httpCall(c, "create_oauth_client", map[string]any{
			"name": "audited through the binary", "client_type": "confidential",
			"allowed_scopes": []string{"numbers.read"}, "allowed_grant_types": []string{"client_credentials"},
		})
		require.NoError(t, err)
		assert.False(t, res.IsError)
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		assert.Equal(t, 0, p.exit(t, 5*time.Second))
		b, err := os.ReadFile(audit)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"tool":"create_oauth_client"`)
		assert.Contains(t, string(b), `"caller":"token:`)
		assert.NotContains(t, string(b), "write-token-for-e2e")
		assert.NotContains(t, p.stderr.String(), "write-token-for-e2e")
	})
}

// TestHTTPStartupRefusals: settings that cannot work stop the program at
// start with status 2 and one line saying why, before anything listens.
func TestHTTPStartupRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shortKey := filepath.Join(dir, "short.key")
	require.NoError(t, os.WriteFile(shortKey, []byte("too short"), 0o600))
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown transport", []string{"--transport", "carrier-pigeon"}, nil, "--transport must be stdio or http"},
		{"unknown auth", []string{"--transport", "http", "--http-auth", "none"}, nil, "--http-auth must be key or token"},
		{"stateless without a state key", []string{"--transport", "http", "--stateless"}, nil, "stateless mode needs a state key"},
		{"short state key", []string{"--transport", "http", "--state-key-file", shortKey}, nil, "need at least 32"},
		{"token mode without tokens", []string{"--transport", "http", "--http-auth", "token"},
			map[string]string{"TELNYX_API_KEY": "KEYx"}, "needs a tokens file"},
		{"token mode without a server credential", []string{"--transport", "http", "--http-auth", "token"}, nil, "no Telnyx credential"},
		{"rate limit zero", []string{"--transport", "http", "--rate-limit", "0"}, nil, "-1 for no limit"},
		{"listen address taken", []string{"--transport", "http", "--listen", "256.0.0.1:1"}, nil, "listen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := run(tc.args, strings.NewReader(""), &stdout, &stderr, getenv)
			assert.Equal(t, 2, code, stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
			assert.Empty(t, stdout.String())
		})
	}
}

// tokenLine is a token's form in the tokens file, as operators make it
// with `printf '%s' "$TOKEN" | sha256sum`.
func tokenLine(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(sum[:])
}
