package main

// End-to-end tests of the front door and the reply edge (internal/jsonrpc)
// against the built binary: over stdio, and over streamable HTTP in both
// protocol versions, with a telnyxfake on 127.0.0.1 that records every
// request the server makes.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// lookAlikeRequests each show a gateway get_oauth_client (or tools/list)
// and would, decoded by encoding/json, delete the seeded client.
var lookAlikeRequests = []request{
	{name: "Name", body: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{%META%"name":"get_oauth_client","Name":"delete_oauth_client","arguments":{"client_id":"%ID%","confirm":"%ID%"}}}`, method: "tools/call", mcpName: "get_oauth_client"},
	{name: "NAME", body: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{%META%"name":"get_oauth_client","NAME":"delete_oauth_client","arguments":{"client_id":"%ID%","confirm":"%ID%"}}}`, method: "tools/call", mcpName: "get_oauth_client"},
	{name: "Arguments", body: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{%META%"name":"delete_oauth_client","arguments":{"client_id":"%ID%"},"Arguments":{"client_id":"%ID%","confirm":"%ID%"}}}`, method: "tools/call", mcpName: "delete_oauth_client"},
	{name: "Method", body: `{"jsonrpc":"2.0","id":2,"method":"tools/list","Method":"tools/call","params":{%META%"name":"delete_oauth_client","arguments":{"client_id":"%ID%","confirm":"%ID%"}}}`, method: "tools/list", mcpName: ""},
	{name: "duplicated name", body: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{%META%"name":"get_oauth_client","name":"delete_oauth_client","arguments":{"client_id":"%ID%","confirm":"%ID%"}}}`, method: "tools/call", mcpName: "get_oauth_client"},
	{name: "duplicated key in arguments", body: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{%META%"name":"delete_oauth_client","arguments":{"client_id":"%ID%","confirm":"nobody","confirm":"%ID%"}}}`, method: "tools/call", mcpName: "delete_oauth_client"},
}

// TestLookAlikeKeysAreRefused: every look-alike envelope, over stdio and
// HTTP in both protocol versions, gets -32600 with id null, and Telnyx is
// asked nothing; the seeded client survives.
func TestLookAlikeKeysAreRefused(t *testing.T) {
	t.Parallel()
	rig := newDoorRig(t)
	for name, p := range rig.peers {
		e := eraOf(name)
		for _, r := range lookAlikeRequests {
			r.body = e.build(r.body)
			got := p.exchange(t, r)
			require.NotNil(t, got, "%s %s: a refusal", name, r.name)
			assert.Equal(t, -32600, got.code(), "%s %s: %s", name, r.name, got.raw)
			assert.Equal(t, "null", string(got.ID), "%s %s", name, r.name)
			assert.Contains(t, got.Error.Message, "duplicate key", "%s %s", name, r.name)
			assert.Empty(t, rig.fake.Requests(), "%s %s: Telnyx was asked nothing", name, r.name)
		}
	}
	_, ok := rig.fake.Client(telnyxfake.DemoClientID)
	assert.True(t, ok, "the client was not deleted")
}

// TestIDsComeBackAsWritten: integer ids past 2^53 and strings are echoed
// byte for byte; ids of other types are refused with id null; a response
// nobody asked for gets no reply; and every time the session answers the
// next request.
func TestIDsComeBackAsWritten(t *testing.T) {
	t.Parallel()
	rig := newDoorRig(t)
	for name, p := range rig.peers {
		e := eraOf(name)
		for _, id := range []string{`9007199254740993`, `-9223372036854775808`, `"abc"`} {
			got := p.exchange(t, probe(e, id))
			require.NotNil(t, got, "%s %s", name, id)
			assert.Nil(t, got.Error, "%s %s: %s", name, id, got.raw)
			assert.Equal(t, id, string(got.ID), "%s: the id comes back byte for byte", name)
		}
		for _, id := range []string{`true`, `{}`, `[1]`, `1.5`} {
			got := p.exchange(t, probe(e, id))
			require.NotNil(t, got, "%s %s", name, id)
			assert.Equal(t, -32600, got.code(), "%s %s: %s", name, id, got.raw)
			assert.Equal(t, "null", string(got.ID), "%s %s", name, id)
		}
		got := p.exchange(t, request{name: "unsolicited", body: `{"jsonrpc":"2.0","id":"s","error":{"code":-32601,"message":"Method not found"}}`, noReply: true})
		assert.Nil(t, got, "%s: no reply to an unsolicited response", name)
		if sp, ok := p.(*stdioPeer); ok {
			for _, line := range sp.seen {
				assert.NotContains(t, string(line), `"id":"s"`, "%s", name)
			}
		}
	}
}

// TestHugeToolNameGetsASmallError: a 1 MiB tool name is refused with an
// error of at most a few KiB.
func TestHugeToolNameGetsASmallError(t *testing.T) {
	t.Parallel()
	rig := newDoorRig(t)
	name := strings.Repeat("x", 1<<20)
	for pname, p := range rig.peers {
		e := eraOf(pname)
		r := request{name: "huge", body: e.build(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{%META%"name":"` + name + `","arguments":{}}}`), method: "tools/call"}
		got := p.exchange(t, r)
		require.NotNil(t, got, pname)
		assert.Equal(t, -32602, got.code(), "%s: %.300s", pname, got.raw)
		assert.Equal(t, "5", string(got.ID), pname)
		assert.Less(t, len(got.raw), 4096, "%s: the error stays small", pname)
	}
	assert.Empty(t, rig.fake.Requests())
}

// TestProtocolErrorCodes: resources/read of a client Telnyx does not have
// is -32002 under 2025-11-25 and -32602 under 2026-07-28; a malformed
// resource URI and a bad prompt argument are -32602 under both, and ask
// Telnyx nothing. Each message says what to fix.
func TestProtocolErrorCodes(t *testing.T) {
	t.Parallel()
	rig := newDoorRig(t)
	const missing = "telnyx-oauth://clients/5eed0009-0000-4000-8000-00000000dead"
	read := func(e doorEra, uri string) request {
		b, _ := json.Marshal(uri)
		return request{name: "read " + uri, body: e.build(`{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{%META%"uri":` + string(b) + `}}`), method: "resources/read", mcpName: uri}
	}
	prompt := func(e doorEra, args string) request {
		return request{name: "prompt " + args, body: e.build(`{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{%META%"name":"audit_oauth_grants","arguments":` + args + `}}`), method: "prompts/get", mcpName: "audit_oauth_grants"}
	}
	for name, p := range rig.peers {
		e := eraOf(name)
		wantMissing := -32002
		if e.modern {
			wantMissing = -32602
		}
		got := p.exchange(t, read(e, missing))
		require.NotNil(t, got, name)
		assert.Equal(t, wantMissing, got.code(), "%s: %s", name, got.raw)
		assert.Contains(t, got.Error.Message, "list_oauth_clients", "%s: says how to find a client", name)
		assert.NotContains(t, got.Error.Message, "\x00", name)

		rig.fake.ResetRequests()
		for _, r := range []request{
			read(e, "telnyx-oauth://clients/a%2Fb"),
			read(e, "telnyx-oauth://clients/%2E%2E%3B"),
			read(e, "telnyx-oauth://grants/a%E2%88%95b"),
			read(e, "not a uri"),
			prompt(e, `{"days":"abc"}`),
			prompt(e, `{"days":5}`),
		} {
			got := p.exchange(t, r)
			require.NotNil(t, got, "%s %s", name, r.name)
			assert.Equal(t, -32602, got.code(), "%s %s: %s", name, r.name, got.raw)
			assert.Equal(t, "6", string(got.ID), "%s %s", name, r.name)
			assert.NotContains(t, got.Error.Message, "\x00", "%s %s", name, r.name)
		}
		assert.Empty(t, rig.fake.Requests(), "%s: nothing was asked of Telnyx", name)
	}
}
