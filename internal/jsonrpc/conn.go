package jsonrpc

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// maxPending bounds the ids one Conn remembers (substituted ids, and the
// server's own requests awaiting an answer). A client keeps a few requests
// open, not thousands; past the bound the oldest are forgotten, and their
// answers then keep the private id or are dropped as unsolicited.
const maxPending = 4096

// Conn is the front door and the reply edge of one connection (a stdio
// session) or one HTTP request.
//
// Ids: mcp-go v1.2.1 decodes a numeric id as float64, so 9007199254740993
// would be answered as 9007199254740992 and the client could not match the
// reply. An integer id that float64 cannot hold exactly is therefore
// replaced, before mcp-go sees it, by a private string id (a random prefix
// per Conn, so that no client can guess or collide with it) and restored,
// byte for byte, in the reply. Other ids pass as written: mcp-go echoes
// strings and small integers exactly.
//
// Responses: a client's response answers one of the server's own requests
// (elicitation/create, ping). With track set (stdio), Reply notes the ids
// of those requests and Admit drops, silently, a response to anything
// else: answering it with an error would make two such peers loop.
type Conn struct {
	track bool

	mu        sync.Mutex
	prefix    string
	seq       uint64
	byPrivate map[string][]byte // private id (quoted) → id as written
	byWritten map[string]string // id as written → private id (quoted)
	outbound  map[string]bool   // ids of the server's requests awaiting an answer
}

// NewConn returns a Conn. track says whether the Conn sees the server's
// own requests go out, and so can tell a solicited response from an
// unsolicited one (stdio); over HTTP mcp-go routes responses itself.
func NewConn(track bool) *Conn {
	return &Conn{track: track}
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
		solicited := c.outbound[idKey(m.ID)]
		delete(c.outbound, idKey(m.ID))
		c.mu.Unlock()
		if !solicited {
			return nil, m, nil
		}
		return b, m, nil
	}
	if m.bigID {
		private := c.substitute(m.ID)
		b = splice(b, m.idStart, m.idEnd, private)
		shift := len(private) - (m.idEnd - m.idStart)
		if m.cancelEnd > m.idStart {
			m.cancelStart += shift
			m.cancelEnd += shift
		}
		m.ID = []byte(private)
	}
	if m.bigCancelID {
		c.mu.Lock()
		private, ok := c.byWritten[string(m.CancelID)]
		c.mu.Unlock()
		if ok {
			b = splice(b, m.cancelStart, m.cancelEnd, private)
			m.CancelID = []byte(private)
		}
	}
	return b, m, nil
}

func splice(b []byte, start, end int, with string) []byte {
	out := make([]byte, 0, len(b)-(end-start)+len(with))
	out = append(out, b[:start]...)
	out = append(out, with...)
	return append(out, b[end:]...)
}

// substitute returns the private id (a quoted JSON string) standing for
// the id written.
func (c *Conn) substitute(written []byte) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prefix == "" {
		var r [8]byte
		_, _ = rand.Read(r[:])
		c.prefix = "\"jsonrpc-id-" + hex.EncodeToString(r[:]) + "-"
		c.byPrivate = map[string][]byte{}
		c.byWritten = map[string]string{}
	}
	if len(c.byPrivate) >= maxPending {
		clear(c.byPrivate)
		clear(c.byWritten)
	}
	c.seq++
	private := c.prefix + strconv.FormatUint(c.seq, 10) + "\""
	c.byPrivate[private] = append([]byte(nil), written...)
	c.byWritten[string(written)] = private
	return private
}

// idKey is a map key for an id as written or as mcp-go writes it.
func idKey(raw []byte) string { return string(bytes.TrimSpace(raw)) }

// replyPrefix is how mcp-go starts every message it writes.
var replyPrefix = []byte(`{"jsonrpc":"2.0","id":`)

// Reply runs the reply edge over one outbound message (one JSON object,
// optionally newline-terminated) and returns what to send instead:
//   - a private id is restored to the id the client wrote;
//   - an error's message is clipped to maxErrorMessage bytes and large data
//     dropped, so that no echoed name makes a reply big;
//   - a handler error that carries a code (see Error) gets that code in
//     place of mcp-go's -32603, and loses the mark;
//   - with track set, the id of a request the server sends is noted, so its
//     answer is let in.
//
// A message not shaped as mcp-go writes them passes unchanged.
func (c *Conn) Reply(p []byte) []byte {
	rest, ok := bytes.CutPrefix(p, replyPrefix)
	if !ok {
		return p
	}
	end := idEnd(rest)
	if end <= 0 || end >= len(rest) {
		return p
	}
	id, after := rest[:end], rest[end:]
	switch {
	case bytes.HasPrefix(after, []byte(`,"method"`)):
		if c.track && !bytes.Equal(id, []byte("null")) {
			c.mu.Lock()
			if c.outbound == nil || len(c.outbound) >= maxPending {
				c.outbound = map[string]bool{}
			}
			c.outbound[idKey(id)] = true
			c.mu.Unlock()
		}
		return p
	case bytes.HasPrefix(after, []byte(`,"error"`)):
		return c.replyError(p, c.restore(id))
	}
	if written := c.restore(id); written != nil {
		return splice(p, len(replyPrefix), len(replyPrefix)+end, string(written))
	}
	return p
}

// restore returns the id the client wrote for a private id (and forgets
// it), nil for any other id.
func (c *Conn) restore(id []byte) []byte {
	if len(id) == 0 || id[0] != '"' {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prefix == "" || !bytes.HasPrefix(id, []byte(c.prefix)) {
		return nil
	}
	written, ok := c.byPrivate[string(id)]
	if ok {
		delete(c.byPrivate, string(id))
		delete(c.byWritten, string(written))
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

func (c *Conn) replyError(p []byte, written []byte) []byte {
	var msg struct {
		ID    json.RawMessage `json:"id"`
		Error errorBody       `json:"error"`
	}
	trimmed := bytes.TrimRight(p, "\n")
	if json.Unmarshal(trimmed, &msg) != nil {
		return p
	}
	if written != nil {
		msg.ID = written
	}
	if code, text, ok := unmark(msg.Error.Message); ok && msg.Error.Code == CodeInternal {
		msg.Error.Code, msg.Error.Message = code, text
	}
	msg.Error.Message = Clip(msg.Error.Message, maxErrorMessage)
	if len(msg.Error.Data) > maxErrorData {
		msg.Error.Data = nil
	}
	b, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   errorBody       `json:"error"`
	}{"2.0", msg.ID, msg.Error})
	if err != nil {
		return p
	}
	if len(trimmed) < len(p) {
		b = append(b, p[len(trimmed):]...)
	}
	return b
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
