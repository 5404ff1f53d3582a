// Package jsonrpc is the server's front door and reply edge: every
// JSON-RPC message from a client passes Inspect before mcp-go decodes it,
// over stdio and over HTTP alike, and every answer mcp-go writes to one
// passes Conn.Reply on its way out: over stdio all mcp-go writes, over
// HTTP its answer to a POST. The HTTP GET stream (notifications and the
// server's own requests) and the refusals the transports write themselves
// do not pass it.
//
// The front door exists because mcp-go decodes the envelope with
// encoding/json, which matches keys case-insensitively and lets the last of
// two equal keys win: {"name":"get_oauth_client","Name":"delete_oauth_client"}
// runs delete_oauth_client, while every host approval screen, audit line and
// gateway policy reads "name" case-sensitively and sees the harmless tool.
// So a message with two keys that are equal, or equal ignoring case, in any
// object is refused before anything runs, and what the server acts on is
// exactly what every other reader of the bytes sees.
package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// JSON-RPC and MCP error codes the door and the edge use.
const (
	CodeInvalidRequest   = -32600
	CodeInvalidParams    = -32602
	CodeInternal         = -32603
	CodeResourceNotFound = -32002 // MCP 2025-11-25; 2026-07-28 uses CodeInvalidParams
)

// MaxDepth bounds how deeply objects and arrays may nest in one message;
// it is encoding/json's own limit, so nothing mcp-go accepted before is
// refused now.
const MaxDepth = 10000

// maxToolName is MCP's limit on a tool name: 1 to 128 characters of
// [A-Za-z0-9_.-] (https://modelcontextprotocol.io/specification/2025-11-25/server/tools#tool-names).
const maxToolName = 128

// metaProtocolVersion is where a 2026-07-28 request names its protocol
// version.
const metaProtocolVersion = "io.modelcontextprotocol/protocolVersion"

// Message is what the front door learnt from one inbound message: all the
// transports need, so that nothing parses it again.
type Message struct {
	// Method is the JSON-RPC method; "" for a response.
	Method string
	// ID is the id as written (a JSON string or integer), nil when absent.
	ID []byte
	// Response: the message has result or error and no method.
	Response bool
	// ProtocolVersion is params._meta's protocol version (2026-07-28
	// requests carry it), "" when absent.
	ProtocolVersion string
	// ToolName is params.name of a tools/call.
	ToolName string
	// CancelID is params.requestId of notifications/cancelled, as written.
	CancelID []byte

	// Where the id and the cancelled request's id sit in the message, for
	// Conn to replace them; end is 0 when absent.
	idStart, idEnd         int
	cancelStart, cancelEnd int
	// bigID: the id is an integer that would not come back as written
	// through float64 (mcp-go's type for numeric ids).
	bigID, bigCancelID bool
}

// Refusal is the front door's answer to a message it will not pass on.
type Refusal struct {
	Code    int
	Message string
	// ID is the request's id as written; nil answers with "id": null.
	ID []byte
}

// JSON is the refusal as a JSON-RPC error response, newline-terminated.
func (r *Refusal) JSON() []byte {
	id := json.RawMessage("null")
	if r.ID != nil {
		id = r.ID
	}
	b, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   errorBody       `json:"error"`
	}{"2.0", id, errorBody{Code: r.Code, Message: r.Message}})
	return append(b, '\n')
}

// Notification reports whether the refused message is a notification (a
// request without an id), which JSON-RPC never answers. A refusal of bad
// parameters knows; an invalid request (-32600) is answered with id null
// whatever it was.
func (r *Refusal) Notification() bool {
	return r.Code != CodeInvalidRequest && r.ID == nil
}

type errorBody struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func invalidRequest(msg string) *Refusal {
	return &Refusal{Code: CodeInvalidRequest, Message: msg}
}

// Inspect reads one inbound message with a case-sensitive scan that sees
// every key. It returns the message's parts, or a refusal:
//   - two keys of one object (anywhere in the message) that are equal, or
//     equal ignoring case as encoding/json compares them: -32600;
//   - an id that is neither a string nor an integer within int64 (true,
//     {}, [1], 1.5, 1e3, 2^63): -32600 with "id": null;
//   - a tools/call whose name is not 1–128 characters of [A-Za-z0-9_.-], a
//     prompts/get argument that is not a string, a resources/read uri that
//     is not an absolute URI: -32602, before any handler runs.
//
// It returns (nil, nil) for bytes that are not one JSON object (a parse
// error, an array, a number): mcp-go answers those itself, as before, and
// they cannot name a method to run.
func Inspect(b []byte) (*Message, *Refusal) {
	// Most messages are valid JSON: json.Valid proves the syntax without
	// allocating, and the walk over proven bytes is a plain scan. Anything
	// else takes encoding/json's token walk, which sees a duplicate key or
	// an over-deep nesting before the syntax error that ends it.
	return inspect(b, json.Valid(b))
}

// inspect is Inspect with the walk chosen: valid says b is valid JSON, so
// the scan over proven bytes may read it; otherwise encoding/json's token
// walk reads it. Both give the same answer for valid JSON.
func inspect(b []byte, valid bool) (*Message, *Refusal) {
	s := scan{msg: &Message{}}
	var (
		ref *Refusal
		ok  bool
	)
	if valid {
		ref, ok = s.walkValid(b)
	} else {
		s.dec = json.NewDecoder(bytes.NewReader(b))
		s.dec.UseNumber()
		ref, ok = s.run()
	}
	if !ok {
		return nil, nil
	} else if ref != nil {
		return nil, ref
	}
	return s.finish()
}

// token is one value token of either walk: kind is '{', '[', '"' (a
// string), '0' (a number), 'b' (true or false) or 'n' (null).
type token struct {
	kind byte
	// raw is the literal as written (walkValid): a string with its quotes,
	// or a number; str is the decoded string or number (run).
	raw     []byte
	str     string
	decoded bool
	end     int // offset just past the token
}

// text is a string token's value, or a number token's literal.
func (t *token) text() string {
	if t.decoded {
		return t.str
	}
	if t.kind == '"' {
		return unquote(t.raw)
	}
	return string(t.raw)
}

// unquote decodes a JSON string literal (quotes included) from bytes
// json.Valid accepted, exactly as encoding/json does: escapes resolved,
// invalid UTF-8 replaced by U+FFFD.
func unquote(lit []byte) string {
	body := lit[1 : len(lit)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body)
	}
	var v string
	_ = json.Unmarshal(lit, &v)
	return v
}

// walkValid walks bytes json.Valid accepted, visiting every key and value
// as run does. ok is false when they are not one JSON object.
func (s *scan) walkValid(b []byte) (*Refusal, bool) {
	i := skipSpace(b, 0)
	if b[i] != '{' {
		return nil, false
	}
	i++
	s.stack = append(s.stack, frame{object: true, expectKey: true})
	for len(s.stack) > 0 {
		i = skipSpace(b, i)
		c := b[i]
		if c == ',' || c == ':' {
			i++
			continue
		}
		top := &s.stack[len(s.stack)-1]
		if top.object && top.expectKey {
			if c == '}' {
				i++
				s.pop()
				continue
			}
			end := stringEnd(b, i)
			key := unquote(b[i:end])
			i = end
			if ref := top.add(key); ref != nil {
				return ref, true
			}
			top.key, top.expectKey = key, false
			continue
		}
		if c == ']' {
			i++
			s.pop()
			continue
		}
		t := token{kind: c}
		switch c {
		case '{', '[':
			i++
		case '"':
			end := stringEnd(b, i)
			t.raw, i = b[i:end], end
		case 't', 'n':
			t.kind, i = 'b', i+4
			if c == 'n' {
				t.kind = 'n'
			}
		case 'f':
			t.kind, i = 'b', i+5
		default:
			start := i
			for i < len(b) && strings.IndexByte("+-0123456789.eE", b[i]) >= 0 {
				i++
			}
			t.kind, t.raw = '0', b[start:i]
		}
		t.end = i
		if ref := s.value(&t); ref != nil {
			return ref, true
		}
	}
	// json.Valid proved that only white space follows the object.
	return nil, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string literal at b[i].
func stringEnd(b []byte, i int) int {
	for i++; b[i] != '"'; i++ {
		if b[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// frame is one open object or array.
type frame struct {
	object    bool
	expectKey bool
	key       string            // the key whose value comes next (objects)
	seen      []string          // the keys so far, as written, while few
	seenSet   map[string]string // folded key → key as written, once many
}

type scan struct {
	dec   *json.Decoder
	msg   *Message
	stack []frame

	hasResult bool
	idSeen    bool
	badID     bool
	methodOK  bool
	nameSet   bool
	nameIsStr bool
	uriSet    bool
	uriIsStr  bool
	uri       string
	nonStrArg string // first prompt argument whose value is not a string
}

// at reports whether the value about to be read sits at keys (object keys
// from the top; arrays never match).
func (s *scan) at(keys ...string) bool {
	if len(s.stack) != len(keys) {
		return false
	}
	for i, k := range keys {
		f := &s.stack[i]
		if !f.object || f.key != k {
			return false
		}
	}
	return true
}

// run walks every token. ok is false when the bytes are not one JSON
// object.
func (s *scan) run() (*Refusal, bool) {
	tok, err := s.dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, false
	}
	s.stack = append(s.stack, frame{object: true, expectKey: true})
	for len(s.stack) > 0 {
		tok, err := s.dec.Token()
		if err != nil {
			return nil, false
		}
		top := &s.stack[len(s.stack)-1]
		if top.object && top.expectKey {
			if tok == json.Delim('}') {
				s.pop()
				continue
			}
			key, _ := tok.(string)
			if ref := top.add(key); ref != nil {
				return ref, true
			}
			top.key, top.expectKey = key, false
			continue
		}
		if !top.object && tok == json.Delim(']') {
			s.pop()
			continue
		}
		t := fromToken(tok, int(s.dec.InputOffset()))
		if ref := s.value(&t); ref != nil {
			return ref, true
		}
	}
	// Exactly one value: anything after it is not one message.
	if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return nil, true
}

// fromToken is a value token of encoding/json's walk as a token.
func fromToken(tok json.Token, end int) token {
	t := token{decoded: true, end: end}
	switch v := tok.(type) {
	case json.Delim:
		t.kind = byte(v)
	case string:
		t.kind, t.str = '"', v
	case json.Number:
		t.kind, t.str = '0', string(v)
	case bool:
		t.kind = 'b'
	default:
		t.kind = 'n'
	}
	return t
}

func (s *scan) pop() {
	s.stack = s.stack[:len(s.stack)-1]
	if len(s.stack) > 0 {
		s.stack[len(s.stack)-1].expectKey = true
	}
}

// value handles a value token at the current place.
func (s *scan) value(t *token) *Refusal {
	switch {
	case s.at("id"):
		s.idSeen = true
		s.readID(t, &s.msg.ID, &s.msg.idStart, &s.msg.idEnd, &s.msg.bigID, &s.badID)
	case s.at("method"):
		if s.methodOK = t.kind == '"'; s.methodOK {
			s.msg.Method = t.text()
		}
	case s.at("result"), s.at("error"):
		s.hasResult = true
	case s.at("params", "name"):
		s.nameSet = true
		if s.nameIsStr = t.kind == '"'; s.nameIsStr {
			s.msg.ToolName = t.text()
		} else {
			s.msg.ToolName = ""
		}
	case s.at("params", "uri"):
		s.uriSet, s.uriIsStr, s.uri = true, t.kind == '"', ""
		if s.uriIsStr {
			s.uri = t.text()
		}
	case s.at("params", "requestId"):
		var bad bool
		s.readID(t, &s.msg.CancelID, &s.msg.cancelStart, &s.msg.cancelEnd, &s.msg.bigCancelID, &bad)
	case s.at("params", "_meta", metaProtocolVersion):
		s.msg.ProtocolVersion = ""
		if t.kind == '"' {
			s.msg.ProtocolVersion = t.text()
		}
	case len(s.stack) == 3 && s.at("params", "arguments", s.stack[2].key):
		if t.kind != '"' && s.nonStrArg == "" {
			s.nonStrArg = s.stack[2].key
		}
	}
	switch t.kind {
	case '{', '[':
		if len(s.stack) >= MaxDepth {
			return invalidRequest("the message nests deeper than " + strconv.Itoa(MaxDepth) + " levels")
		}
		s.stack = append(s.stack, frame{object: t.kind == '{', expectKey: true})
		return nil
	}
	if top := &s.stack[len(s.stack)-1]; top.object {
		top.expectKey = true
	}
	return nil
}

// readID reads an id: a string, or an integer literal within int64. An
// object or array id is marked bad; the walk goes on into it and checks
// its keys like any other.
func (s *scan) readID(t *token, raw *[]byte, start, end *int, big, bad *bool) {
	switch t.kind {
	case '"':
		*raw, _ = json.Marshal(t.text())
	case '0':
		lit := t.text()
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			*bad = true // a fraction, an exponent, or past int64
			return
		}
		*raw = []byte(lit)
		*end = t.end
		*start = *end - len(lit)
		// float64 holds every integer up to 2^53 exactly, and mcp-go
		// writes it back as FormatInt would; -0 comes back as 0.
		*big = n > 1<<53 || n < -(1<<53) || strconv.FormatInt(n, 10) != lit
	case 'n':
		*raw = nil
	default:
		*bad = true
	}
}

// add notes a key of this object, refusing one equal to an earlier key, or
// equal ignoring case as encoding/json folds it (strings.EqualFold is the
// same simple Unicode folding). Small objects are searched in order; past
// 16 keys, by a map of folded keys.
func (f *frame) add(key string) *Refusal {
	if f.seenSet != nil {
		folded := foldKey(key)
		if prev, dup := f.seenSet[folded]; dup {
			return duplicate(prev, key)
		}
		f.seenSet[folded] = key
		return nil
	}
	for _, k := range f.seen {
		if strings.EqualFold(k, key) {
			return duplicate(k, key)
		}
	}
	f.seen = append(f.seen, key)
	if len(f.seen) > 16 {
		f.seenSet = make(map[string]string, 32)
		for _, k := range f.seen {
			f.seenSet[foldKey(k)] = k
		}
		f.seen = nil
	}
	return nil
}

func duplicate(first, again string) *Refusal {
	if first == again {
		return invalidRequest("duplicate key " + safetext.ClipBytes(strconv.Quote(again), 64) + ": each key may appear once in an object")
	}
	return invalidRequest("duplicate key " + safetext.ClipBytes(strconv.Quote(again), 64) + " (also written " + safetext.ClipBytes(strconv.Quote(first), 64) +
		"): keys that differ only in case are refused, since readers disagree on which one counts")
}

// foldKey maps a key to one spelling per case-folding class: each rune to
// the smallest rune of its unicode.SimpleFold orbit, the equivalence
// encoding/json's key matching uses (so "ſ" and "s", "K" (Kelvin sign) and
// "k" fold alike).
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// The smallest member of an ASCII letter's orbit is its upper case.
		return strings.ToUpper(k)
	}
	var b strings.Builder
	for _, r := range k {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		b.WriteRune(m)
	}
	return b.String()
}

// finish applies the rules that need the whole message.
func (s *scan) finish() (*Message, *Refusal) {
	m := s.msg
	m.Response = !s.methodOK && s.hasResult
	if m.Response && s.badID {
		// Not the answer to any request of the server's: unsolicited.
		m.ID = nil
		return m, nil
	}
	if s.badID || (s.idSeen && m.ID == nil && s.methodOK) {
		return nil, invalidRequest("id must be a string or an integer (JSON-RPC 2.0, MCP); got another type, a fraction, or an integer past 64 bits")
	}
	if !s.methodOK {
		m.Method = ""
	}
	fail := func(msg string) (*Message, *Refusal) {
		return nil, &Refusal{Code: CodeInvalidParams, Message: msg, ID: m.ID}
	}
	switch m.Method {
	case "tools/call":
		if s.nameSet && (!s.nameIsStr || !validToolName(m.ToolName)) {
			return fail("unknown tool: a tool name is 1 to 128 characters of A-Z, a-z, 0-9, '_', '-' and '.'; tools/list names them")
		}
	case "prompts/get":
		if s.nonStrArg != "" {
			return fail("prompt argument " + safetext.ClipBytes(strconv.Quote(s.nonStrArg), 64) + " must be a string: MCP passes every prompt argument as a string")
		}
	case "resources/read":
		if s.uriSet {
			u := s.uri
			if !s.uriIsStr {
				return fail("uri must be a string, such as telnyx-oauth://clients/{client_id}; resources/list and resources/templates/list name them")
			}
			if p, err := url.Parse(u); err != nil || p.Scheme == "" {
				return fail("uri " + safetext.ClipBytes(strconv.Quote(u), 128) + " is not an absolute URI; resources/list and resources/templates/list name the ones this server has")
			}
		}
	}
	if m.Method != "notifications/cancelled" {
		m.CancelID, m.cancelEnd, m.bigCancelID = nil, 0, false
	}
	return m, nil
}

func validToolName(name string) bool {
	if name == "" || len(name) > maxToolName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
