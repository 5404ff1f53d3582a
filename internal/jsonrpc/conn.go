package jsonrpc

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// maxPending bounds each table of requests awaiting an answer that one
// Conn keeps: the server's own, and the client's. A server asks a few
// questions at a time and a client keeps a few calls open, not thousands;
// past the bound a table starts over. An answer to a forgotten question
// of the server's is then dropped as unsolicited, and a cancel of a
// forgotten request of the client's only cancels its work.
const maxPending = 4096

// Conn is the front door and the reply edge of one connection (a stdio
// session) or one HTTP request.
//
// Ids: mcp-go v1.2.1 decodes a numeric id as float64, so 9007199254740993
// would be answered as 9007199254740992 and the client could not match the
// reply. An integer id that would not come back as written is therefore
// replaced, before mcp-go sees it, by a private string id, and restored
// byte for byte in the reply. The private id is the written id behind a
// prefix derived from a per-process secret and the connection's scope (an
// HTTP session), so that no client can guess it or collide with it, and
// so that a notifications/cancelled sent in another request of the same
// session names the same private id. Other ids pass as written: mcp-go
// echoes strings and small integers exactly.
//
// Responses: a client's response answers one of the server's own requests
// (elicitation/create, ping). With track set (stdio), Reply notes the ids
// of those requests and Admit drops, silently, a response to anything
// else: answering it with an error would make two such peers loop.
//
// Cancellation: once the client cancels a request, no response for it is
// to be sent (https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation).
// mcp-go v1.2.1's MCPServer cancels the handler's context on
// notifications/cancelled, but its StdioServer still writes what the
// handler then returns. With track set, Admit notes the client's requests
// and which of them it cancelled, and Reply drops the answer to a
// cancelled one (TestMCPGoWritesCancelledResponses, in the stdio tests,
// pins mcp-go's part). A cancel of an unknown or answered id changes
// nothing. Ids are compared as bytes: the door passes ids that mcp-go
// echoes byte for byte (strings as encoding/json writes them, integers
// within 2^53, private ids for the rest), and the cancel's requestId is
// read and replaced alike.
type Conn struct {
	track bool
	scope string

	// prefix is `"jsonrpc-id-<16 hex>-`, made when first needed: most
	// requests carry an id that passes as written, and never need it.
	prefixOnce sync.Once
	prefix     string

	mu       sync.Mutex
	outbound map[string]bool // ids of the server's requests awaiting an answer (track)
	inbound  map[string]bool // ids of the client's requests awaiting one → cancelled (track)
}

// connKey is this process's secret behind every private id prefix.
var connKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
})

// NewConn returns a Conn. track says whether the Conn sees every message
// of a connection both ways (stdio): it then tells a solicited response
// from an unsolicited one, and drops the answer to a cancelled request.
// Over HTTP mcp-go routes responses itself, and a Conn sees one request.
// scope names what the Conn serves (an HTTP session id; "" for stdio).
func NewConn(track bool, scope string) *Conn {
	return &Conn{track: track, scope: scope}
}

// privatePrefix is how every private id of this Conn starts, before the
// part derived from the secret.
const privatePrefix = `"jsonrpc-id-`

// idPrefix returns the start of this Conn's private ids.
func (c *Conn) idPrefix() string {
	c.prefixOnce.Do(func() {
		m := hmac.New(sha256.New, connKey())
		m.Write([]byte(c.scope))
		c.prefix = privatePrefix + hex.EncodeToString(m.Sum(nil)[:8]) + "-"
	})
	return c.prefix
}

// Admit runs the front door over one inbound message. It returns the
// bytes to hand to mcp-go, or nil with a refusal to send back instead, or
// nil with no refusal for a message to drop silently. m is what the door
// read (nil for bytes that are not a JSON object, which pass unchanged for
// mcp-go to answer).
func (c *Conn) Admit(b []byte) (pass []byte, m *Message, refusal *Refusal) {
	m, ref := Inspect(b)
	switch {
	case ref != nil:
		return nil, nil, ref
	case m == nil:
		return b, nil, nil
	case m.Response:
		if !c.track {
			return b, m, nil
		}
		c.mu.Lock()
		solicited := c.outbound[string(m.ID)]
		delete(c.outbound, string(m.ID))
		c.mu.Unlock()
		if !solicited {
			return nil, m, nil
		}
		return b, m, nil
	}
	// A request has an id or is a notification; only notifications/cancelled
	// names another request's id.
	if m.bigID {
		private := c.private(m.ID)
		b = splice(b, m.idStart, m.idEnd, private)
		m.ID = []byte(private)
	} else if m.bigCancelID {
		private := c.private(m.CancelID)
		b = splice(b, m.cancelStart, m.cancelEnd, private)
		m.CancelID = []byte(private)
	}
	if c.track {
		c.noteInbound(m)
	}
	return b, m, nil
}

// noteInbound notes a request of the client's, by its id as mcp-go will
// echo it, or a cancel of one awaiting its answer.
func (c *Conn) noteInbound(m *Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case m.ID != nil:
		if c.inbound == nil || len(c.inbound) >= maxPending {
			c.inbound = map[string]bool{}
		}
		c.inbound[string(m.ID)] = false
	case m.Method == "notifications/cancelled" && m.CancelID != nil:
		if _, ok := c.inbound[string(m.CancelID)]; ok {
			c.inbound[string(m.CancelID)] = true
		}
	}
}

// answered forgets a request of the client's that mcp-go answers now, and
// reports whether the client cancelled it.
func (c *Conn) answered(id []byte) (cancelled bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cancelled = c.inbound[string(id)]
	delete(c.inbound, string(id))
	return cancelled
}

func splice(b []byte, start, end int, with string) []byte {
	out := make([]byte, 0, len(b)-(end-start)+len(with))
	out = append(out, b[:start]...)
	out = append(out, with...)
	return append(out, b[end:]...)
}

// private returns the private id (a quoted JSON string) standing for an
// integer id as written.
func (c *Conn) private(written []byte) string {
	return c.idPrefix() + string(written) + `"`
}

// replyPrefix is how mcp-go starts every message it writes with an id: it
// marshals mcp.JSONRPCRequest, mcp.JSONRPCResponse or mcp.JSONRPCError,
// whose fields come in the order jsonrpc, id, then method, result or
// error.
var replyPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// Reply runs the reply edge over one outbound message (one JSON object,
// optionally newline-terminated) and returns what to send instead, nil
// for nothing:
//   - a private id is restored to the id the client wrote;
//   - an error's message is clipped to maxErrorMessage bytes and large data
//     dropped, so that no echoed name makes a reply big;
//   - a handler error that carries a code (see Error) gets that code in
//     place of mcp-go's -32603, and loses the mark; code reports it (0
//     when the edge put in no code), for a transport that gives codes
//     statuses;
//   - with track set, the id of a request the server sends is noted, so its
//     answer is let in; and the answer to a request the client cancelled
//     is dropped (out is nil).
//
// A message not shaped as mcp-go writes them passes unchanged.
func (c *Conn) Reply(p []byte) (out []byte, code int) {
	rest, ok := bytes.CutPrefix(p, replyPrefix)
	if !ok {
		return p, 0
	}
	end := idEnd(rest)
	if end <= 0 || end >= len(rest) {
		return p, 0
	}
	id, after := rest[:end], rest[end:]
	switch {
	case bytes.HasPrefix(after, []byte(`,"method"`)):
		if c.track && !bytes.Equal(id, []byte("null")) {
			c.mu.Lock()
			if c.outbound == nil || len(c.outbound) >= maxPending {
				c.outbound = map[string]bool{}
			}
			c.outbound[string(id)] = true
			c.mu.Unlock()
		}
		return p, 0
	case !bytes.HasPrefix(after, []byte(`,"result"`)) && !bytes.HasPrefix(after, []byte(`,"error"`)):
		return p, 0
	case c.track && c.answered(id):
		return nil, 0
	case bytes.HasPrefix(after, []byte(`,"error"`)):
		return c.replyError(p, c.restore(id))
	}
	if written := c.restore(id); written != nil {
		return splice(p, len(replyPrefix), len(replyPrefix)+end, string(written)), 0
	}
	return p, 0
}

// restore returns the id the client wrote for a private id, nil for any
// other id.
func (c *Conn) restore(id []byte) []byte {
	if !bytes.HasPrefix(id, []byte(privatePrefix)) {
		return nil
	}
	rest, ok := bytes.CutPrefix(id, []byte(c.idPrefix()))
	if !ok {
		return nil
	}
	written, ok := bytes.CutSuffix(rest, []byte(`"`))
	if !ok {
		return nil
	}
	if _, err := strconv.ParseInt(string(written), 10, 64); err != nil {
		return nil
	}
	return written
}

// idEnd returns the length of the JSON id (a string, number or null) at
// the start of b.
func idEnd(b []byte) int {
	if len(b) > 0 && b[0] == '"' {
		i := 1
		for ; i < len(b) && b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		return i + 1
	}
	return bytes.IndexAny(b, ",}")
}

// maxErrorMessage bounds the message of an error reply.
const maxErrorMessage = 1024

// maxErrorData bounds the data of an error reply; larger data is dropped.
const maxErrorData = 1024

// replyError is Reply for an error; written is the id the client wrote
// for a private id, nil for any other. code is the code it put in place
// of mcp-go's, 0 for none.
func (c *Conn) replyError(p []byte, written []byte) (out []byte, code int) {
	var msg struct {
		ID    json.RawMessage `json:"id"`
		Error errorBody       `json:"error"`
	}
	trimmed := bytes.TrimRight(p, "\n")
	if json.Unmarshal(trimmed, &msg) != nil {
		return p, 0
	}
	if written != nil {
		msg.ID = written
	}
	if marked, text, ok := unmark(msg.Error.Message); ok && msg.Error.Code == CodeInternal {
		msg.Error.Code, msg.Error.Message = marked, text
		code = marked
	}
	msg.Error.Message = safetext.ClipBytes(msg.Error.Message, maxErrorMessage)
	if len(msg.Error.Data) > maxErrorData {
		msg.Error.Data = nil
	}
	b, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   errorBody       `json:"error"`
	}{"2.0", msg.ID, msg.Error})
	if err != nil {
		return p, 0
	}
	if len(trimmed) < len(p) {
		b = append(b, p[len(trimmed):]...)
	}
	return b, code
}

// codeMark starts the message of an Error, so that the reply edge can find
// its code in what mcp-go kept of it: the text. NUL never starts a message
// the server writes otherwise, nor one mcp-go builds around client input.
const codeMark = "\x00jsonrpc-code:"

func unmark(s string) (code int, text string, ok bool) {
	rest, ok := strings.CutPrefix(s, codeMark)
	if !ok {
		return 0, s, false
	}
	num, text, ok := strings.Cut(rest, "\x00")
	if !ok {
		return 0, s, false
	}
	code, err := strconv.Atoi(num)
	if err != nil {
		return 0, s, false
	}
	return code, text, true
}
