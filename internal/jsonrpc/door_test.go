package jsonrpc

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lookAlikes are envelopes that show one tool to a reader that takes keys
// as written, and another to encoding/json, which folds case and lets the
// last key win.
var lookAlikes = map[string]string{
	"Name":                `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","Name":"delete_oauth_client","arguments":{"client_id":"c1","confirm":"c1"}}}`,
	"NAME":                `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","NAME":"delete_oauth_client","arguments":{"client_id":"c1","confirm":"c1"}}}`,
	"Arguments":           `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_oauth_client","arguments":{"client_id":"c1"},"Arguments":{"client_id":"c1","confirm":"c1"}}}`,
	"Method":              `{"jsonrpc":"2.0","id":2,"method":"tools/list","Method":"tools/call","params":{"name":"delete_oauth_client","arguments":{"client_id":"c1","confirm":"c1"}}}`,
	"duplicated name":     `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","name":"delete_oauth_client","arguments":{"client_id":"c1","confirm":"c1"}}}`,
	"duplicated argument": `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_oauth_client","arguments":{"client_id":"c1","confirm":"x","confirm":"c1"}}}`,
	"escaped spelling":    `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","n\u0061me":"delete_oauth_client"}}`,
	"long s":              `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","nameſ":"x","NAMES":"y"}}`,
	"Kelvin sign":         `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_client","arguments":{"k":"1","K":"2"}}}`,
	"in _meta":            `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","IO.modelcontextprotocol/protocolVersion":"2025-11-25"}}}`,
	"deep in an array":    `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","arguments":{"list":[{"a":1},{"b":1,"B":2}]}}}`,
	"invalid UTF-8 twins": "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"x\",\"arguments\":{\"a\xff\":1,\"a\\ufffd\":2}}}",
	"jsonrpc twice":       `{"jsonrpc":"2.0","JSONRPC":"1.0","id":2,"method":"tools/list"}`,
	"many keys":           `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","arguments":{` + manyKeys(40) + `,"k39":0}}}`,
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + itoa(i) + `":0`)
	}
	return b.String()
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestInspectRefusesLookAlikeKeys(t *testing.T) {
	t.Parallel()
	for name, msg := range lookAlikes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m, ref := Inspect([]byte(msg))
			require.Nil(t, m)
			require.NotNil(t, ref, "refused")
			assert.Equal(t, CodeInvalidRequest, ref.Code)
			assert.Nil(t, ref.ID, "answered with id null")
			assert.Contains(t, ref.Message, "duplicate key")
			assert.JSONEq(t, `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":`+quote(ref.Message)+`}}`, string(ref.JSON()))
		})
	}
	_, ref := Inspect([]byte(lookAlikes["Name"]))
	assert.Contains(t, ref.Message, `"Name"`, "the error names the key")
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestInspectReadsTheEnvelope(t *testing.T) {
	t.Parallel()
	m, ref := Inspect([]byte(`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"get_oauth_client","arguments":{"Name":1,"other":{"name":2}}},"id":"abc","method":"tools/call","jsonrpc":"2.0"}` + "\n"))
	require.Nil(t, ref)
	require.NotNil(t, m)
	assert.Equal(t, "tools/call", m.Method)
	assert.Equal(t, `"abc"`, string(m.ID))
	assert.Equal(t, "get_oauth_client", m.ToolName)
	assert.Equal(t, "2026-07-28", m.ProtocolVersion)
	assert.False(t, m.Response)

	m, ref = Inspect([]byte(`{"jsonrpc":"2.0","id":5,"result":{}}`))
	require.Nil(t, ref)
	assert.True(t, m.Response)
	assert.Equal(t, "5", string(m.ID))

	m, ref = Inspect([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9007199254740993}}`))
	require.Nil(t, ref)
	assert.Equal(t, "9007199254740993", string(m.CancelID))

	for _, notOne := range []string{`{bad`, `[]`, `[{"method":"tools/call"}]`, `42`, `"x"`, `{} {}`, ``} {
		m, ref := Inspect([]byte(notOne))
		assert.Nil(t, m, notOne)
		assert.Nil(t, ref, "%s is left to mcp-go, which answers it", notOne)
	}
}

func TestInspectIDs(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{`"abc"`, `0`, `-1`, `9007199254740993`, `-9223372036854775808`, `9223372036854775807`} {
		m, ref := Inspect([]byte(`{"jsonrpc":"2.0","id":` + ok + `,"method":"ping"}`))
		require.Nil(t, ref, ok)
		assert.JSONEq(t, ok, string(m.ID))
	}
	for _, bad := range []string{`true`, `false`, `{}`, `{"a":1}`, `[1]`, `1.5`, `1.0`, `1e3`, `9223372036854775808`, `-9223372036854775809`, `null`} {
		_, ref := Inspect([]byte(`{"jsonrpc":"2.0","id":` + bad + `,"method":"tools/list"}`))
		require.NotNil(t, ref, bad)
		assert.Equal(t, CodeInvalidRequest, ref.Code, bad)
		assert.Nil(t, ref.ID, "%s: answered with id null", bad)
	}
	m, ref := Inspect([]byte(`{"jsonrpc":"2.0","id":true,"error":{"code":1,"message":"x"}}`))
	require.Nil(t, ref, "a response with a strange id is nobody's answer: dropped, not refused")
	assert.True(t, m.Response)
}

func TestInspectRefusesBadParams(t *testing.T) {
	t.Parallel()
	for name, msg := range map[string]string{
		"1 MiB tool name":         `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + strings.Repeat("a", 1<<20) + `"}}`,
		"129-character tool name": `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + strings.Repeat("a", 129) + `"}}`,
		"tool name with a slash":  `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a/b"}}`,
		"tool name not a string":  `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":7}}`,
		"prompt argument number":  `{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"audit_oauth_grants","arguments":{"days":5}}}`,
		"prompt argument object":  `{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"audit_oauth_grants","arguments":{"days":{}}}}`,
		"uri not absolute":        `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"clients/1"}}`,
		"uri unparseable":         `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"::%zz"}}`,
		"uri not a string":        `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, ref := Inspect([]byte(msg))
			require.NotNil(t, ref)
			assert.Equal(t, CodeInvalidParams, ref.Code)
			assert.Equal(t, "7", string(ref.ID), "answered with the request's id")
			assert.Less(t, len(ref.JSON()), 1024, "the answer stays small")
		})
	}
	m, ref := Inspect([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + strings.Repeat("a", 128) + `"}}`))
	assert.Nil(t, ref, "128 characters is a valid name")
	assert.NotNil(t, m)
}

func TestInspectBoundsDepth(t *testing.T) {
	t.Parallel()
	deep := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":` +
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}}}`
	_, ref := Inspect([]byte(deep))
	require.NotNil(t, ref)
	assert.Contains(t, ref.Message, "nests deeper")
}

// FuzzFrontDoor feeds the front door look-alike envelopes (and whatever
// the fuzzer makes of them) and checks the property it exists for: a
// message it lets through reads the same to encoding/json, which mcp-go
// decodes with (case-insensitive keys, the last one winning), as to a
// reader that takes every key exactly as written, in every object. So no
// tool runs unless the envelope has one spelling of each key.
func FuzzFrontDoor(f *testing.F) {
	for _, msg := range lookAlikes {
		f.Add([]byte(msg))
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_oauth_client","arguments":{"client_id":"c1"}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/list"}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":"s","error":{"code":-1,"message":"x"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"delete_oauth_client","name\u0000":"x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return
		}
		requireSameWalks(t, b)
		c := NewConn(true, "")
		pass, m, ref := c.Admit(b)
		if ref != nil {
			out := ref.JSON()
			require.True(t, json.Valid(out), "a refusal is valid JSON: %q", out)
			require.Less(t, len(out), 4096, "a refusal stays small")
			return
		}
		if pass == nil || m == nil {
			return // dropped, or not an object: mcp-go answers it
		}
		// What mcp-go reads.
		var lib struct {
			Method string `json:"method"`
			Params struct {
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			} `json:"params"`
		}
		if json.Unmarshal(pass, &lib) != nil {
			return
		}
		// What an exact reader sees: every object's keys, as written.
		exact, ok := exactKeys(t, pass)
		if !ok {
			return
		}
		if m.Method != "" {
			require.Equal(t, m.Method, lib.Method, "mcp-go would run another method")
		}
		if m.Method == "tools/call" && m.ToolName != "" {
			require.Equal(t, m.ToolName, lib.Params.Name, "mcp-go would run another tool")
		}
		for _, keys := range exact {
			folded := map[string]string{}
			for _, k := range keys {
				prev, dup := folded[strings.ToLower(strings.ToUpper(k))]
				require.False(t, dup && bytes.EqualFold([]byte(prev), []byte(k)), "admitted an object with %q and %q", prev, k)
				folded[strings.ToLower(strings.ToUpper(k))] = k
			}
		}
	})
}

// exactKeys lists the keys of every object in b, in order, as written: an
// oracle written apart from the door's scan (a recursive decode).
func exactKeys(t *testing.T, b []byte) ([][]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var out [][]string
	var walk func(depth int) bool
	walk = func(depth int) bool {
		if depth > 200 {
			return false
		}
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return false
				}
				keys = append(keys, k.(string))
				if !walk(depth + 1) {
					return false
				}
			}
			out = append(out, keys)
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for dec.More() {
				if !walk(depth + 1) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	if !walk(0) {
		return nil, false
	}
	_, err := dec.Token()
	return out, err == io.EOF
}

// requireSameWalks checks that the scan over valid JSON and encoding/json's
// token walk read b alike: the same parts, or the same refusal.
func requireSameWalks(t *testing.T, b []byte) {
	t.Helper()
	if !json.Valid(b) {
		return
	}
	fastMsg, fastRef := inspect(b, true)
	slowMsg, slowRef := inspect(b, false)
	require.Equal(t, slowRef, fastRef, "refusal of %q", b)
	require.Equal(t, slowMsg, fastMsg, "message read from %q", b)
}

func TestWalksAgree(t *testing.T) {
	for _, msg := range []string{
		`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"_meta":{"progressToken":7,"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"list_oauth_clients","arguments":{"page_size":20,"client_type":"confidential"}}}`,
		` {"id":"a\"b\u00e9\ud83d\ude00","method":"ping"} ` + "\n",
		`{"id":9007199254740993,"method":"tools/list"}`,
		`{"id":-0,"method":"tools/list"}`,
		`{"id":1.5e3,"method":"tools/list"}`,
		`{"id":true,"method":"tools/list"}`,
		`{"id":null,"method":"tools/list"}`,
		`{"id":{"a":1,"A":2},"method":"tools/list"}`,
		`{"id":[1,{"x":[]}],"result":{}}`,
		`{"id":1,"method":"notifications/cancelled","params":{"requestId":9007199254740993}}`,
		`{"method":"notifications/cancelled","params":{"requestId":"r\u0031"}}`,
		`{"id":1,"method":"resources/read","params":{"uri":"telnyx-oauth://clients/c1"}}`,
		`{"id":1,"method":"resources/read","params":{"uri":false}}`,
		`{"id":1,"method":"prompts/get","params":{"name":"p","arguments":{"a":"x","b":1,"c":null}}}`,
		`{"id":1,"method":"tools/call","params":{"name":"bad name!"}}`,
		`{"id":1,"method":"tools/call","params":{"name":"ok","n\u0061me":"x"}}`,
		"{\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\xffb\"}}",
		"{\"\xff\":1,\"\xfe\":2}",
		`{"method":7,"params":{"name":["x"],"_meta":{"io.modelcontextprotocol/protocolVersion":3}}}`,
		`[1,2]`, `"x"`, `12`, `{}`,
	} {
		require.True(t, json.Valid([]byte(msg)), "%q", msg)
		requireSameWalks(t, []byte(msg))
	}
	for _, msg := range lookAlikes {
		requireSameWalks(t, []byte(msg))
	}
}

// BenchmarkAdmitToolCall is the front door's cost on every tool call.
func BenchmarkAdmitToolCall(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"_meta":{"progressToken":7},"name":"list_oauth_clients","arguments":{"page_size":20,"client_type":"confidential"}}}` + "\n")
	c := NewConn(true, "")
	b.ReportAllocs()
	for b.Loop() {
		if pass, _, _ := c.Admit(msg); pass == nil {
			b.Fatal("refused")
		}
	}
}

// BenchmarkStatelessRequest is what the door and the reply edge cost one
// stateless HTTP request: a Conn of its own, the tool call in, the
// result out.
func BenchmarkStatelessRequest(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"_meta":{"progressToken":7},"name":"list_oauth_clients","arguments":{"page_size":20,"client_type":"confidential"}}}` + "\n")
	reply := []byte(`{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"{\"clients\":[]}"}],"structuredContent":{"clients":[]}}}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		c := NewConn(false, "")
		if pass, _, _ := c.Admit(msg); pass == nil {
			b.Fatal("refused")
		}
		if out, _ := c.Reply(reply); len(out) != len(reply) {
			b.Fatalf("reply changed: %s", out)
		}
	}
}
