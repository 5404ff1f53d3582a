package main

// End-to-end tests of the front door and the reply edge (internal/jsonrpc)
// against the built binary: over stdio, and over streamable HTTP in both
// protocol versions, with a telnyxfake on 127.0.0.1 that records every
// request the server makes.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// doorKey is the API key the fake accepts: the stdio server's
// TELNYX_API_KEY, and the bearer of the HTTP callers (key mode).
const doorKey = "KEYdoor-4c1d2e3f4a5b6c7d8e9f"

// wire is one JSON-RPC message as it came back, with its id as written.
type wire struct {
	raw    []byte
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseWire(t *testing.T, b []byte) wire {
	t.Helper()
	var w wire
	require.NoError(t, json.Unmarshal(b, &w), "not one JSON-RPC message: %.300q", b)
	w.raw = b
	return w
}

func (w wire) code() int {
	if w.Error == nil {
		return 0
	}
	return w.Error.Code
}

// doorEra is a protocol version: 2025-11-25 (initialize, sessions) or
// 2026-07-28 (every request carries its version in _meta).
type doorEra struct {
	name   string
	modern bool
}

var doorEras = []doorEra{{"2025-11-25", false}, {"2026-07-28", true}}

// meta is what a 2026-07-28 request carries in params.
const meta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},`

// build fills a message template: %META% becomes the 2026-07-28 _meta (or
// nothing), %ID% the seeded client's id.
func (e doorEra) build(tmpl string) string {
	m := ""
	if e.modern {
		m = meta
	}
	return strings.NewReplacer("%META%", m, "%ID%", telnyxfake.DemoClientID).Replace(tmpl)
}

// request is a request template with what a 2026-07-28 HTTP request puts in
// its headers.
type request struct {
	name, body, method, mcpName string
	// noReply: the server must not answer (a response nobody asked for).
	noReply bool
}

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

// peer is one way of talking to the server: a stdio process or an HTTP
// endpoint in one protocol version.
type peer interface {
	// exchange sends one message and returns the reply, or nil when the
	// server sent none (checked by the next request's reply).
	exchange(t *testing.T, r request) *wire
}

// stdioPeer talks to the binary over stdio, one JSON line each way.
type stdioPeer struct {
	p     *proc
	lines chan []byte
	era   doorEra
	seen  [][]byte // every line so far
}

func newStdioPeer(t *testing.T, fake *telnyxfake.Server, e doorEra) *stdioPeer {
	t.Helper()
	p := start(t, baseEnv(t, "TELNYX_API_KEY="+doorKey), "--base-url", fake.BaseURL)
	s := &stdioPeer{p: p, lines: make(chan []byte, 64), era: e}
	go func() {
		defer close(s.lines)
		br := bufio.NewReaderSize(p.stdout, 1<<20)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				s.lines <- line
			}
			if err != nil {
				return
			}
		}
	}()
	if !e.modern {
		s.send(t, initializeLine)
		require.Nil(t, s.next(t).Error, "initialize")
		s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	}
	return s
}

func (s *stdioPeer) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(s.p.stdin, line+"\n")
	require.NoError(t, err)
}

// next returns the next line the server writes, waiting up to
// awaitTimeout.
func (s *stdioPeer) next(t *testing.T) wire {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		require.True(t, ok, "stdout closed; stderr:\n%s", s.p.errb.String())
		s.seen = append(s.seen, line)
		return parseWire(t, line)
	case <-time.After(awaitTimeout):
		t.Fatalf("no reply within %s; stderr:\n%s", awaitTimeout, s.p.errb.String())
		return wire{}
	}
}

// probe is a request every session answers, to show the server goes on.
func probe(e doorEra, id string) request {
	params := `{}`
	if e.modern {
		params = `{` + strings.TrimSuffix(meta, ",") + `}`
	}
	return request{name: "probe", body: `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/list","params":` + params + `}`, method: "tools/list"}
}

func (s *stdioPeer) exchange(t *testing.T, r request) *wire {
	t.Helper()
	s.send(t, r.body)
	s.send(t, probe(s.era, `"probe"`).body)
	// Requests are served concurrently, so the two replies may come in
	// either order; a message the server must not answer is dropped before
	// the next line is read, so nothing of it can come after the probe's.
	var got *wire
	probed := false
	for !probed || (got == nil && !r.noReply) {
		w := s.next(t)
		if string(w.ID) == `"probe"` {
			require.Nil(t, w.Error, "the session answers the next request: %s", w.raw)
			probed = true
			continue
		}
		require.Nil(t, got, "one reply only; also got %s", w.raw)
		got = &w
	}
	return got
}

// httpPeer talks to the binary over streamable HTTP.
type httpPeer struct {
	url     string
	era     doorEra
	session string
	hc      *http.Client
}

func newHTTPPeer(t *testing.T, url string, e doorEra) *httpPeer {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	h := &httpPeer{url: url, era: e, hc: &http.Client{Transport: tr, Timeout: callTimeout}}
	if !e.modern {
		status, body, header := h.post(t, request{body: initializeLine})
		require.Equal(t, http.StatusOK, status, "initialize: %s", body)
		h.session = header.Get("Mcp-Session-Id")
		require.NotEmpty(t, h.session)
		status, _, _ = h.post(t, request{body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`})
		require.Equal(t, http.StatusAccepted, status)
	}
	return h
}

func (h *httpPeer) post(t *testing.T, r request) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url, strings.NewReader(r.body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+doorKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if h.era.modern {
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", r.method)
		if r.mcpName != "" {
			req.Header.Set("Mcp-Name", r.mcpName)
		}
	} else if h.session != "" {
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		req.Header.Set("Mcp-Session-Id", h.session)
	}
	resp, err := h.hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if data, ok := bytes.CutPrefix(body, []byte("event: message\ndata: ")); ok {
		body, _, _ = bytes.Cut(data, []byte("\n"))
	}
	return resp.StatusCode, body, resp.Header
}

func (h *httpPeer) exchange(t *testing.T, r request) *wire {
	t.Helper()
	status, body, _ := h.post(t, r)
	var got *wire
	if len(bytes.TrimSpace(body)) > 0 {
		w := parseWire(t, body)
		got = &w
	} else {
		assert.Equal(t, http.StatusAccepted, status, "a request without a reply is a 202")
	}
	status, body, _ = h.post(t, probe(h.era, `"probe"`))
	require.Equal(t, http.StatusOK, status, "%s", body)
	w := parseWire(t, body)
	require.Nil(t, w.Error, "the next request is answered: %s", body)
	return got
}

// doorRig is one fake and the binary over every transport and version.
type doorRig struct {
	fake  *telnyxfake.Server
	peers map[string]peer
}

func newDoorRig(t *testing.T) *doorRig {
	t.Helper()
	fake, err := telnyxfake.Listen(telnyxfake.Options{APIKey: doorKey, Seed: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fake.Close()) })
	rig := &doorRig{fake: fake, peers: map[string]peer{}}
	hp := startHTTP(t, binPath, nil, "--base-url", fake.BaseURL, "--max-body-bytes", "4194304")
	for _, e := range doorEras {
		rig.peers["stdio "+e.name] = newStdioPeer(t, fake, e)
		rig.peers["HTTP "+e.name] = newHTTPPeer(t, hp.url, e)
	}
	fake.ResetRequests()
	return rig
}

func eraOf(name string) doorEra {
	if strings.HasSuffix(name, "2026-07-28") {
		return doorEras[1]
	}
	return doorEras[0]
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
