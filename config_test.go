package main

// The configuration (config.go): flags anywhere among the arguments, the
// TELNYX_MCP_* variables, warnings for flags that do nothing, and flags
// that change what tools accept.

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// TestEnvironmentMapping: TELNYX_MCP_<FLAG> sets a flag, a flag on the
// command line wins, an invalid value exits 2 naming the variable, and the
// base URL must be https or loopback http.
func TestEnvironmentMapping(t *testing.T) {
	t.Parallel()

	t.Run("read-only", func(t *testing.T) {
		t.Parallel()
		tl := listOver(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "--sandbox")
		assert.ElementsMatch(t, readOnlyTools, names(tl))
		for _, tool := range tl {
			require.NotNil(t, tool.Annotations.ReadOnlyHint, tool.Name)
			assert.True(t, *tool.Annotations.ReadOnlyHint, tool.Name)
		}

		order, exposed := toolTable(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"))
		assert.Equal(t, allTools, order)
		for _, name := range allTools {
			want := "no"
			if slices.Contains(readOnlyTools, name) {
				want = "yes"
			}
			assert.Equal(t, want, exposed[name], name)
		}
	})

	t.Run("read-only hides tools from calls", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_READ_ONLY=true"), "--sandbox", "call", "delete_oauth_client",
			`{"client_id":"`+telnyxfake.BillingClientID+`","confirm":"`+telnyxfake.BillingClientID+`"}`)
		assert.NotEqual(t, 0, code, stderr)
		assert.NotContains(t, stdout, `"deleted": true`)
		assert.Contains(t, stdout, "hidden by TELNYX_MCP_READ_ONLY")
	})

	t.Run("toolsets", func(t *testing.T) {
		t.Parallel()
		assert.ElementsMatch(t, grantTools, names(listOver(t, baseEnv(t, "TELNYX_MCP_TOOLSETS=grants"), "--sandbox")))
	})

	t.Run("sandbox from the environment", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_SANDBOX=true"), "call", "list_oauth_clients")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, telnyxfake.BillingClientID)
		assert.Contains(t, stderr, "SANDBOX")
	})

	t.Run("flag wins", func(t *testing.T) {
		t.Parallel()
		env := baseEnv(t, "TELNYX_MCP_READ_ONLY=true", "TELNYX_MCP_TOOLSETS=grants")
		assert.ElementsMatch(t, defaultTools, names(listOver(t, env, "--sandbox", "--read-only=false", "--toolsets", "discovery,protocol,clients,grants")))

		order, exposed := toolTable(t, baseEnv(t, "TELNYX_MCP_TOOLSETS=grants"), "--toolsets", "clients")
		assert.Equal(t, allTools, order)
		for _, tool := range registry {
			want := "no"
			if tool.Toolset == tools.ToolsetClients {
				want = "yes"
			}
			assert.Equal(t, want, exposed[tool.Name()], tool.Name())
		}

		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_MCP_SECRETS=bogus"), "--secrets", "redact", "--sandbox", "tools")
		assert.Equal(t, 0, code, "a valid flag wins over an invalid variable; stderr:\n%s", stderr)
		assert.Contains(t, stdout, "list_oauth_clients")
	})

	t.Run("invalid values name their source", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			env  []string
			args []string
			want string
		}{
			{[]string{"TELNYX_MCP_SECRETS=bogus"}, nil, "TELNYX_MCP_SECRETS"},
			{[]string{"TELNYX_MCP_LOG_LEVEL=loud"}, nil, "TELNYX_MCP_LOG_LEVEL"},
			{[]string{"TELNYX_MCP_READ_ONLY=maybe"}, nil, "TELNYX_MCP_READ_ONLY"},
			{[]string{"TELNYX_MCP_TIMEOUT=0s"}, nil, "TELNYX_MCP_TIMEOUT"},
			{[]string{"TELNYX_MCP_ATTEMPT_TIMEOUT=soon"}, nil, "TELNYX_MCP_ATTEMPT_TIMEOUT"},
			{[]string{"TELNYX_MCP_TOOLSETS=bogus"}, nil, `unknown toolset "bogus"`},
			{[]string{"TELNYX_MCP_TOOLS=nope"}, nil, `unknown tool "nope"`},
			{nil, []string{"--secrets", "bogus"}, "--secrets"},
			{nil, []string{"--log-level", "loud"}, "--log-level"},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t, tc.env...), append(tc.args, "--sandbox")...)
			assert.Equal(t, 2, code, "%v %v", tc.env, tc.args)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tc.want, "%v %v", tc.env, tc.args)
		}
	})

	t.Run("base URL from the environment", func(t *testing.T) {
		t.Parallel()
		fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: keyCanary, Seed: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = fake.Close() })
		for _, v := range []string{"TELNYX_BASE_URL", "TELNYX_MCP_BASE_URL"} {
			before := len(fake.RequestsFor(telnyxfake.OpListClients))
			stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_API_KEY="+keyCanary, v+"="+fake.BaseURL), "call", "list_oauth_clients")
			assert.Equal(t, 0, code, "%s; stderr:\n%s", v, stderr)
			assert.Contains(t, stdout, telnyxfake.BillingClientID, v)
			assert.Len(t, fake.RequestsFor(telnyxfake.OpListClients), before+1, "%s points the server at the fake", v)
			assert.NotContains(t, stderr, keyCanary)
		}
		// The flag wins over the variable.
		stdout, stderr, code := runBin(t, baseEnv(t, "TELNYX_API_KEY="+keyCanary, "TELNYX_BASE_URL=http://169.254.169.254/v2"),
			"--base-url", fake.BaseURL, "call", "list_oauth_clients")
		assert.Equal(t, 0, code, "stderr:\n%s", stderr)
		assert.Contains(t, stdout, telnyxfake.BillingClientID)
	})

	t.Run("base URL", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			env  []string
			args []string
		}{
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl"}, []string{"--base-url", "http://169.254.169.254/v2"}},
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl", "TELNYX_BASE_URL=http://169.254.169.254/v2"}, nil},
			{[]string{"TELNYX_API_KEY=KEYCANARY-baseurl", "TELNYX_MCP_BASE_URL=http://example.com/v2"}, nil},
		} {
			stdout, stderr, code := runBin(t, baseEnv(t, tc.env...), tc.args...)
			assert.NotEqual(t, 0, code, "%v %v", tc.env, tc.args)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "plain http is only allowed for loopback")
			assert.NotContains(t, stderr, "KEYCANARY")
		}
	})
}

// TestCallFlagsAnywhere: flags before the command, between it and the tool,
// or after the JSON arguments mean the same.
func TestCallFlagsAnywhere(t *testing.T) {
	t.Parallel()
	ids := func(args ...string) []string {
		stdout, stderr, code := runBin(t, baseEnv(t), args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		var out struct {
			Clients []struct {
				ClientID string `json:"client_id"`
			} `json:"clients"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
		var got []string
		for _, c := range out.Clients {
			got = append(got, c.ClientID)
		}
		return got
	}
	want := ids("--sandbox", "call", "list_oauth_clients", "{}")
	require.Len(t, want, 3)
	assert.Equal(t, want, ids("call", "--sandbox", "list_oauth_clients", "{}"))
	assert.Equal(t, want, ids("call", "list_oauth_clients", "{}", "--sandbox"))
	assert.Equal(t, want, ids("call", "list_oauth_clients", "--sandbox", "{}"))

	// A flag after the arguments is a flag, not an argument: --read-only
	// there hides a tool that changes things.
	assert.Contains(t, callError(t, "call", "delete_oauth_client", `{"client_id":"x"}`, "--sandbox", "--read-only"), "hidden by --read-only")
}

// TestIgnoredFlagWarnings: HTTP flags outside an HTTP server, and
// --base-url with --sandbox, get one warning line each; the call still runs.
func TestIgnoredFlagWarnings(t *testing.T) {
	t.Parallel()
	warnings := func(args ...string) []string {
		_, stderr, code := runBin(t, baseEnv(t), args...)
		require.Equal(t, 0, code, stderr)
		var out []string
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, "warning:") {
				out = append(out, l)
			}
		}
		return out
	}
	assert.Empty(t, warnings("call", "list_oauth_clients", "{}", "--sandbox"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --listen only applies with --transport http; ignored"},
		warnings("call", "list_oauth_clients", "{}", "--sandbox", "--listen", "127.0.0.1:9"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --rate-limit, --stateless only apply with --transport http; ignored"},
		warnings("--stateless", "--rate-limit", "5", "tools"))
	assert.Equal(t, []string{"telnyx-oauth-mcp: warning: --base-url is ignored with --sandbox, which serves its own fake Telnyx API"},
		warnings("call", "list_oauth_clients", "{}", "--sandbox", "--base-url", "https://api.example.com/v2"))
	_, stderr, code := runBin(t, baseEnv(t, "TELNYX_BASE_URL=https://api.example.com/v2"), "call", "list_oauth_clients", "--sandbox")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "warning: TELNYX_BASE_URL is ignored with --sandbox")
}

func TestNearest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, want string }{
		{"lgoin", "login"}, {"logni", "login"}, {"stauts", "status"}, {"tool", "tools"},
		{"serv", "serve"}, {"inti", "init"}, {"xyz", ""}, {"publish", ""},
	} {
		assert.Equal(t, tc.want, nearest(tc.name, commands), tc.name)
	}
	assert.Equal(t, 1, editDistance("ab", "ba"), "a swap is one edit")
	assert.Equal(t, 3, editDistance("", "abc"))
}

// TestHTTPOnlyFlagsExist: every name in httpOnlyFlags is a flag, so the
// help's HTTP section and the warnings cannot name a flag that is gone.
func TestHTTPOnlyFlagsExist(t *testing.T) {
	t.Parallel()
	fs := (&config{}).flagSet()
	for name := range httpOnlyFlags {
		assert.NotNil(t, fs.Lookup(name), name)
	}
}

// TestAllowInsecureOAuthFlag: the built binary refuses a public client
// without PKCE and a plain PKCE challenge, and allows both with
// --allow-insecure-oauth or TELNYX_MCP_ALLOW_INSECURE_OAUTH=true.
func TestAllowInsecureOAuthFlag(t *testing.T) {
	t.Parallel()
	publicNoPKCE := `{"name":"Old SPA","client_type":"public","allowed_scopes":["numbers.read"],"allowed_grant_types":["authorization_code"],` +
		`"redirect_uris":["https://spa.example.com/cb"],"require_pkce":false}`
	plain := `{"client_id":"` + telnyxfake.DemoClientID + `","redirect_uri":"` + telnyxfake.DemoRedirectURI + `",` +
		`"code_challenge":"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH","code_challenge_method":"plain"}`
	for _, tc := range []struct {
		tool, args string
	}{
		{"create_oauth_client", publicNoPKCE},
		{"build_oauth_authorize_url", plain},
	} {
		out, _, code := runBin(t, baseEnv(t), "--sandbox", "call", tc.tool, tc.args)
		assert.Equal(t, 1, code, "%s is refused by default: %s", tc.tool, out)
		assert.Contains(t, out, "--allow-insecure-oauth", tc.tool)
		assert.Contains(t, out, "OAuth 2.1 requires", tc.tool)

		out, _, code = runBin(t, baseEnv(t), "--sandbox", "--allow-insecure-oauth", "call", tc.tool, tc.args)
		assert.Equal(t, 0, code, "%s with the flag: %s", tc.tool, out)

		out, _, code = runBin(t, baseEnv(t, "TELNYX_MCP_ALLOW_INSECURE_OAUTH=true"), "--sandbox", "call", tc.tool, tc.args)
		assert.Equal(t, 0, code, "%s with the variable: %s", tc.tool, out)
	}

	// The HTTP server gets the flag too.
	var args map[string]any
	require.NoError(t, json.Unmarshal([]byte(plain), &args))
	for _, allow := range []bool{false, true} {
		flags := []string{"--sandbox"}
		if allow {
			flags = append(flags, "--allow-insecure-oauth")
		}
		p := startHTTP(t, binPath, nil, flags...)
		res, err := httpCall(httpMCPClient(t, p.url, telnyxfake.DefaultAPIKey), "build_oauth_authorize_url", args)
		require.NoError(t, err)
		assert.Equal(t, !allow, res.IsError, "over HTTP, allowed=%v", allow)
	}
}
