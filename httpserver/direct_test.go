package httpserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/jsonrpc"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// modernMeta is the _meta a 2026-07-28 request carries; elicit adds form
// elicitation to its client capabilities.
func modernMeta(version string, elicit bool) string {
	caps := `{}`
	if elicit {
		caps = `{"elicitation":{"form":{}}}`
	}
	return `"_meta":{"io.modelcontextprotocol/protocolVersion":"` + version + `","io.modelcontextprotocol/clientCapabilities":` + caps +
		`,"io.modelcontextprotocol/clientInfo":{"name":"direct-test","version":"1"}}`
}

// toolCall is a 2026-07-28 tools/call body and the headers that go with it.
func toolCall(id, name, args string, elicit bool) (string, map[string]string) {
	body := `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `,` +
		modernMeta(mcp.LATEST_PROTOCOL_VERSION, elicit) + `}}`
	return body, with(bearer(keyAlice), mcp.HeaderProtocolVersion, mcp.LATEST_PROTOCOL_VERSION,
		mcp.HeaderMethod, "tools/call", mcp.HeaderName, name)
}

// TestDirectCallsAnswerAsMCPGo: a stateless server answers a 2026-07-28
// tools/call through directCalls, and any other request through mcp-go's
// StreamableHTTPServer. Every request here gets, from a server with the
// direct path and from one without it, the same status, headers (but
// Date) and body (but what differs between any two calls: a
// confirmation's signed requestState and the upstream's request id). The
// cases cover what the direct path takes (results, tool errors, argument
// errors, an unknown tool, a confirmation asked by input_required, a huge
// id) and what it leaves to mcp-go (headers that disagree with the body,
// a missing _meta version, Last-Event-ID, another method).
func TestDirectCallsAnswerAsMCPGo(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, keyAlice)
	stateless := func(c *Config) { c.Stateless = true }
	direct := startServer(t, up, stateless)
	viaMCPGo := startServerThen(t, up, stateless, func(s *Server) {
		h := s.mcpWrite.(mcpHandler)
		require.NotNil(t, h.direct, "a stateless server has the direct path")
		h.direct = nil
		s.mcpWrite = h
	})
	hc := httpClient(t)

	type call struct {
		name   string
		body   string
		header map[string]string
		direct bool // the direct path takes it
	}
	var cases []call
	add := func(name, id, tool, args string, elicit bool) {
		body, h := toolCall(id, tool, args, elicit)
		cases = append(cases, call{name, body, h, true})
	}
	add("a page of clients", "1", "list_oauth_clients", `{}`, false)
	add("one client", `"abc"`, "get_oauth_client", `{"client_id":"`+telnyxfake.DemoClientID+`"}`, false)
	add("a client Telnyx does not have", "3", "get_oauth_client", `{"client_id":"no-such-client"}`, false)
	add("an argument out of range", "4", "list_oauth_clients", `{"page_size":500}`, false)
	add("arguments that are not an object", "5", "list_oauth_clients", `5`, false)
	add("an unknown tool", "6", "no_such_tool", `{}`, false)
	add("a delete asks for confirmation", "7", "delete_oauth_client", `{"client_id":"`+telnyxfake.BillingClientID+`"}`, true)
	add("an id past 2^53", "9007199254740993", "list_oauth_clients", `{}`, false)

	body, h := toolCall("10", "list_oauth_clients", `{}`, false)
	cases = append(cases,
		call{"Mcp-Name in Base64", body, with(h, mcp.HeaderName, "=?base64?"+base64.StdEncoding.EncodeToString([]byte("list_oauth_clients"))+"?="), true},
		call{"Mcp-Name in Base64 disagrees with the body", body, with(h, mcp.HeaderName, "=?base64?"+base64.StdEncoding.EncodeToString([]byte("get_oauth_client"))+"?="), false},
		call{"Mcp-Name in broken Base64", body, with(h, mcp.HeaderName, "=?base64?bGlzdF9vYXV0aF9jbGllbnRz!?="), false},
		call{"Mcp-Name missing", body, with(h, mcp.HeaderName, ""), false},
		call{"Mcp-Name disagrees with the body", body, with(h, mcp.HeaderName, "get_oauth_client"), false},
		call{"Mcp-Method missing", body, with(h, mcp.HeaderMethod, ""), false},
		call{"Last-Event-ID", body, with(h, mcp.HeaderLastEventID, "1"), false},
		call{"no protocol version in _meta", strings.Replace(body, `"io.modelcontextprotocol/protocolVersion":"`+mcp.LATEST_PROTOCOL_VERSION+`",`, "", 1), h, false},
		call{"another method", `{"jsonrpc":"2.0","id":11,"method":"tools/list","params":{` + modernMeta(mcp.LATEST_PROTOCOL_VERSION, false) + `}}`,
			with(h, mcp.HeaderMethod, "tools/list", mcp.HeaderName, ""), false},
	)

	d := direct.Server.mcpWrite.(countingTransport).mcpTransport.(mcpHandler).direct
	// What differs between two calls by design: the nonce in a signed
	// requestState, and the fake's request id in an API error.
	volatile := regexp.MustCompile(`"requestState":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"|request id [0-9a-f-]{36}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, direct.URL, strings.NewReader(c.body))
			require.NoError(t, err)
			for k, v := range c.header {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			_, msg, refusal := jsonrpc.NewConn(false, "").Admit([]byte(c.body))
			require.Nil(t, refusal)
			assert.Equal(t, c.direct, d.takes(req, msg), "whether the direct path takes it")

			header := map[string]string{}
			for k, v := range c.header {
				if v != "" {
					header[k] = v
				}
			}
			wantStatus, wantHeader, want := rawPost(t, hc, viaMCPGo.URL, header, c.body)
			gotStatus, gotHeader, got := rawPost(t, hc, direct.URL, header, c.body)
			assert.Equal(t, wantStatus, gotStatus, "status")
			wantHeader.Del("Date")
			gotHeader.Del("Date")
			assert.Equal(t, wantHeader, gotHeader, "headers")
			if c.direct {
				// Not vacuous: each taken case gets a JSON-RPC answer.
				require.Contains(t, got, `"jsonrpc":"2.0"`)
			}
			assert.Equal(t, volatile.ReplaceAllString(want, "…"), volatile.ReplaceAllString(got, "…"), "body")
		})
	}
	assert.NotEmpty(t, up.toolRequests(telnyxfake.OpListClients), "the calls reached the upstream")
}

// TestEncodeToolResponseMatchesEncoder: the direct path writes a tool
// result's response byte for byte as json.Encoder writes it, for results
// with HTML-sensitive and non-ASCII text, an error result, structured
// content and metadata, and string and integer ids.
func TestEncodeToolResponseMatchesEncoder(t *testing.T) {
	t.Parallel()
	structured := &struct {
		Name  string   `json:"name"`
		Tags  []string `json:"tags"`
		Count int      `json:"count"`
	}{Name: "<b>Acme</b> & Co — ünïcode", Tags: []string{"a", "b"}, Count: 3}
	// Pointers, as HandleMessage returns them.
	results := []*mcp.CallToolResult{
		mcp.NewToolResultText("plain"),
		mcp.NewToolResultError(`refused: <script>alert("x")</script> & more`),
		{Content: []mcp.Content{mcp.TextContent{Type: mcp.ContentTypeText, Text: "{\"name\":\"line\u2028separator\"}"}}, StructuredContent: structured},
		{Result: mcp.Result{Meta: &mcp.Meta{AdditionalFields: map[string]any{"k": "v"}}}, Content: []mcp.Content{}},
	}
	for _, id := range []mcp.RequestId{mcp.NewRequestId(int64(7)), mcp.NewRequestId("s-1")} {
		for i, res := range results {
			resp := mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: id, Result: res}
			var want bytes.Buffer
			require.NoError(t, json.NewEncoder(&want).Encode(resp))
			got, ok := encodeToolResponse(resp)
			require.True(t, ok)
			assert.Equal(t, want.String(), string(got), "result %d, id %v", i, id)
		}
	}
	_, ok := encodeToolResponse(mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(1), Result: mcp.EmptyResult{}})
	assert.False(t, ok, "only tool results")
	_, ok = encodeToolResponse(mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(1)})
	assert.False(t, ok, "not errors")
}

// BenchmarkToolResponse is the response of a page of 20 clients, written
// by json.Encoder (as mcp-go's StreamableHTTPServer does) and by the
// direct path's encodeToolResponse.
func BenchmarkToolResponse(b *testing.B) {
	page := make([]telnyxapi.OAuthClient, 20)
	for i := range page {
		page[i] = telnyxapi.OAuthClient{
			RecordType: "oauth_client", ClientID: telnyxfake.DemoClientID, Name: "Sandbox demo client",
			ClientType: "confidential", AllowedGrantTypes: []string{"client_credentials", "authorization_code", "refresh_token"},
			AllowedScopes: []string{"admin", "numbers.read"}, RedirectURIs: []string{telnyxfake.DemoRedirectURI},
			CreatedAt: "2025-10-24T08:54:57Z", UpdatedAt: "2025-10-24T08:54:57Z",
		}
	}
	out := map[string]any{"clients": page}
	text, err := json.Marshal(out)
	require.NoError(b, err)
	resp := mcp.JSONRPCResponse{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(1)), Result: &mcp.CallToolResult{
		Content: []mcp.Content{mcp.TextContent{Type: mcp.ContentTypeText, Text: string(text)}}, StructuredContent: out,
	}}
	b.Run("encoder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			require.NoError(b, json.NewEncoder(io.Discard).Encode(resp))
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := encodeToolResponse(resp); !ok {
				b.Fatal("not encoded")
			}
		}
	})
}

// TestDirectCallsLeaveHeaderBoundToolsToMCPGo: a tool whose input schema
// binds an argument to a header (x-mcp-header) is left to mcp-go, which
// checks the header against the argument; other tools' calls are taken.
func TestDirectCallsLeaveHeaderBoundToolsToMCPGo(t *testing.T) {
	t.Parallel()
	srv := server.NewMCPServer("t", "1")
	h := server.NewStreamableHTTPServer(srv, server.WithStateLess(true), server.WithDisableStreaming(true))
	bound := tools.Tool{Definition: mcp.Tool{Name: "bound", RawInputSchema: json.RawMessage(
		`{"type":"object","properties":{"region":{"type":"string","x-mcp-header":"Region"}}}`)}}
	plain := tools.Tool{Definition: mcp.Tool{Name: "plain", RawInputSchema: json.RawMessage(
		`{"type":"object","properties":{"region":{"type":"string"}}}`)}}
	d := newDirectCalls(srv, h, []tools.Tool{bound, plain})
	for name, want := range map[string]bool{"bound": false, "plain": true} {
		body, header := toolCall("1", name, `{"region":"eu"}`, false)
		req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(body))
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		req.Header.Set("Mcp-Param-Region", "eu")
		_, msg, refusal := jsonrpc.NewConn(false, "").Admit([]byte(body))
		require.Nil(t, refusal)
		assert.Equal(t, want, d.takes(req, msg), name)
	}
}
