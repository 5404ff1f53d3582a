package main

// The `tools` and `call` commands (commands.go), through the built binary
// and through run().

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestToolLists pins the tool lists: the 17 public tools all exist, only
// submit_oauth_consent is off by default, and the grant toolset is exactly
// its three tools.
func TestToolLists(t *testing.T) {
	assert.Subset(t, allTools, publicTools)
	assert.Equal(t, []string{"submit_oauth_consent"}, without(allTools, defaultTools...))
	assert.Equal(t, []string{"list_oauth_grants", "get_oauth_grant", "revoke_oauth_grant"}, grantTools)
	for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "update_oauth_client", "create_oauth_client",
		"exchange_oauth_token", "register_oauth_client", "submit_oauth_consent"} {
		assert.NotContains(t, readOnlyTools, name)
	}
	for _, name := range []string{"list_oauth_clients", "get_oauth_client", "list_oauth_grants", "get_oauth_grant", "get_oauth_jwks"} {
		assert.Contains(t, readOnlyTools, name)
	}
}

// toolTable runs `tools` and returns the EXPOSED column by tool name, in
// table order.
func toolTable(t *testing.T, env []string, args ...string) (order []string, exposed map[string]string) {
	order, exposed, _ = toolTableKinds(t, env, args...)
	return order, exposed
}

// toolTableKinds is toolTable with the KIND column too.
func toolTableKinds(t *testing.T, env []string, args ...string) (order []string, exposed, kind map[string]string) {
	t.Helper()
	stdout, stderr, code := runBin(t, env, append(args, "tools")...)
	require.Equal(t, 0, code, "stderr:\n%s", stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.NotEmpty(t, lines)
	cols := regexp.MustCompile(`\s{2,}`)
	assert.Equal(t, []string{"TOOL", "TOOLSET", "KIND", "EXPOSED", "TITLE"}, cols.Split(strings.TrimSpace(lines[0]), -1))
	exposed, kind = map[string]string{}, map[string]string{}
	for _, l := range lines[1:] {
		f := cols.Split(strings.TrimSpace(l), -1)
		require.Len(t, f, 5, "row %q", l)
		order = append(order, f[0])
		kind[f[0]] = f[2]
		exposed[f[0]] = f[3]
	}
	return order, exposed, kind
}

// listOver starts the server with env and args, lists its tools over stdio
// and shuts it down.
func listOver(t *testing.T, env []string, args ...string) []mcp.Tool {
	t.Helper()
	c, p, _ := startClient(t, env, args, client.WithProtocolVersion("2025-11-25"))
	tl := listTools(t, c)
	finish(t, c, p)
	return tl
}

// TestCallAndToolsSubcommands: `call` prints a tool's structured result as
// JSON and exits 0, or prints {"error": …} and exits 1; `tools` lists all 17.
func TestCallAndToolsSubcommands(t *testing.T) {
	t.Parallel()

	t.Run("list", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "call", "list_oauth_clients", "{}")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout is one JSON document: %q", stdout)
		clients, ok := out["clients"].([]any)
		require.True(t, ok, "a clients array: %v", out)
		assert.Len(t, clients, 3)
		assert.Contains(t, stderr, "SANDBOX")
	})

	t.Run("bad id", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "get_oauth_client", `{"client_id":"../x"}`)
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], "client_id")
	})

	t.Run("unknown tool", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "nope")
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], `unknown tool "nope"`)
	})

	t.Run("bad usage", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"--sandbox", "call"},
			{"--sandbox", "call", "list_oauth_clients", "{not json"},
			{"--sandbox", "call", "list_oauth_clients", "[]"},
			{"--sandbox", "call", "list_oauth_clients", "{}", "extra"},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t), args...)
			assert.Equal(t, 2, code, "%v", args)
			assert.Empty(t, stdout, "%v", args)
			assert.NotEmpty(t, stderr, "%v", args)
		}
	})

	t.Run("delete needs confirm", func(t *testing.T) {
		t.Parallel()
		stdout, _, code := runBin(t, baseEnv(t), "--sandbox", "call", "delete_oauth_client", `{"client_id":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 1, code)
		var out map[string]string
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.Contains(t, out["error"], "Billing dashboard", "the error previews the client")
		assert.Contains(t, out["error"], telnyxfake.BillingClientID)
		assert.Contains(t, out["error"], "nothing was changed")

		// With confirm it goes ahead (each run has a fresh sandbox).
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "call", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`","confirm":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, `"deleted": true`)

		// And --confirm-destructive=false turns the gate off.
		stdout, stderr, code = runBin(t, baseEnv(t), "--sandbox", "call", "--confirm-destructive=false", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, `"deleted": true`)
		assert.Contains(t, stderr, "without confirmation", "the operator is warned")
	})

	t.Run("redacted secrets", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t), "--sandbox", "--secrets", "redact", "call", "exchange_oauth_token", `{"grant_type":"client_credentials"}`)
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		var out struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout: %q", stdout)
		assert.NotEmpty(t, out.AccessToken)
		assert.Less(t, len(out.AccessToken), 30, "a JWT masked to its last four characters: %q", out.AccessToken)
	})

	t.Run("tools", func(t *testing.T) {
		t.Parallel()
		order, exposed, kind := toolTableKinds(t, baseEnv(t))
		assert.Equal(t, allTools, order)
		assert.Subset(t, order, publicTools)
		for _, tool := range registry {
			want := "yes"
			if tool.Toolset == tools.ToolsetConsent {
				want = "no"
			}
			assert.Equal(t, want, exposed[tool.Name()], tool.Name())
			assert.Equal(t, tools.Kind(tool, true), kind[tool.Name()], tool.Name())
		}
		for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "submit_oauth_consent", "update_oauth_client"} {
			assert.Equal(t, "destructive, confirmed", kind[name], name)
		}
		_, exposed = toolTable(t, baseEnv(t), "--toolsets", "all")
		for _, name := range allTools {
			assert.Equal(t, "yes", exposed[name], name)
		}

		// Without confirmation nothing is called confirmed.
		_, _, unconfirmed := toolTableKinds(t, baseEnv(t), "--confirm-destructive=false")
		for _, name := range []string{"delete_oauth_client", "revoke_oauth_grant", "submit_oauth_consent", "update_oauth_client"} {
			assert.Equal(t, "destructive", unconfirmed[name], name)
		}
		for name, k := range unconfirmed {
			assert.NotContains(t, k, "confirmed", name)
		}
	})
}

// --- lifecycle ---

// callError runs `call` and returns the JSON error object it printed.
func callError(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runBin(t, baseEnv(t), args...)
	assert.Equal(t, 1, code, "stderr: %s", stderr)
	var out map[string]string
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout is one JSON object: %q", stdout)
	require.Len(t, out, 1)
	return out["error"]
}

// TestCallUnknownOrHiddenTool: `call` of a tool that does not exist, or
// that the flags hide, prints the JSON error object any failed call
// prints, saying which; nothing needs a credential to find that out.
func TestCallUnknownOrHiddenTool(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "unknown tool \"nope\"; `telnyx-oauth-mcp tools` lists every tool", callError(t, "call", "nope", "{}"))
	assert.Contains(t, callError(t, "call", "list_oauth_client", "{}"), "(did you mean list_oauth_clients?)")
	assert.Equal(t, `tool "submit_oauth_consent" exists but is hidden by --toolsets (discovery,protocol,clients,grants): it is in the consent toolset; add it, as in --toolsets discovery,protocol,clients,grants,consent`,
		callError(t, "call", "submit_oauth_consent", "{}"))
	assert.Contains(t, callError(t, "call", "get_oauth_jwks", "{}", "--toolsets", "clients"), "hidden by --toolsets (clients)")
	assert.Equal(t, `tool "delete_oauth_client" exists but is hidden by --read-only: it changes things`,
		callError(t, "call", "delete_oauth_client", "{}", "--read-only"))
	assert.Equal(t, `tool "get_oauth_jwks" exists but is hidden by --tools, which exposes only list_oauth_clients`,
		callError(t, "--tools", "list_oauth_clients", "call", "get_oauth_jwks"))

	// Set in the environment, the setting is named as the variable.
	stdout, _, code := runBin(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "call", "delete_oauth_client", "{}")
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "hidden by TELNYX_MCP_READ_ONLY")

	// The same shape as a call the tool itself refuses.
	var failed map[string]string
	stdout, _, code = runBin(t, baseEnv(t), "call", "get_oauth_client", `{"client_id":"../x"}`, "--sandbox")
	assert.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(stdout), &failed))
	assert.Contains(t, failed, "error")
}
