package jsonrpc

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echo is what mcp-go v1.2.1 writes back for a request id: it decodes the
// id into mcp.RequestId, whose numbers are float64.
func echo(t *testing.T, pass []byte) []byte {
	t.Helper()
	var req struct {
		ID mcp.RequestId `json:"id"`
	}
	require.NoError(t, json.Unmarshal(pass, &req))
	b, err := json.Marshal(mcp.NewJSONRPCResultResponse(req.ID, mcp.EmptyResult{}))
	require.NoError(t, err)
	return append(b, '\n')
}

// replied is what Reply sends for p.
func replied(c *Conn, p []byte) []byte {
	out, _ := c.Reply(p)
	return out
}

// TestMCPGoRoundsLargeIDs pins the library behaviour the id substitution
// works around: mcp-go answers 9007199254740993 as 9007199254740992. If a
// new mcp-go echoes ids exactly, this fails and the substitution can go.
func TestMCPGoRoundsLargeIDs(t *testing.T) {
	t.Parallel()
	got := echo(t, []byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`))
	assert.Contains(t, string(got), `"id":9007199254740992`)
}

func TestConnEchoesIDsByteForByte(t *testing.T) {
	t.Parallel()
	for _, id := range []string{`9007199254740993`, `-9223372036854775808`, `9223372036854775807`, `"abc"`, `7`, `-0`, `"jsonrpc-id-0000000000000000-1"`} {
		c := NewConn(true, "")
		pass, m, ref := c.Admit([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}` + "\n"))
		require.Nil(t, ref, id)
		require.NotNil(t, m)
		out, code := c.Reply(echo(t, pass))
		assert.Zero(t, code)
		assert.Equal(t, `{"jsonrpc":"2.0","id":`+id+`,"result":{}}`+"\n", string(out), "id %s", id)
	}
}

func TestConnSubstitutionIsPerScope(t *testing.T) {
	t.Parallel()
	a, b := NewConn(true, "session-a"), NewConn(true, "session-b")
	passA, _, _ := a.Admit([]byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`))
	passB, _, _ := b.Admit([]byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`))
	assert.NotEqual(t, string(echo(t, passA)), string(echo(t, passB)), "private ids differ between sessions")
	// Another session's private id means nothing here: it passes as is.
	replyA := echo(t, passA)
	assert.Equal(t, string(replyA), string(replied(b, replyA)))
	assert.Contains(t, string(replied(a, replyA)), `"id":9007199254740993`)
	// A string id that only looks private is a string id.
	fake := []byte(`{"jsonrpc":"2.0","id":"jsonrpc-id-0000000000000000-5","result":{}}`)
	assert.Equal(t, string(fake), string(replied(a, fake)))
}

// TestConnCancelOfASubstitutedID: a cancel names the request as mcp-go
// knows it, also when it comes in another request of the same session
// (HTTP), which has a Conn of its own.
func TestConnCancelOfASubstitutedID(t *testing.T) {
	t.Parallel()
	call, cancel := NewConn(false, "session-a"), NewConn(false, "session-a")
	pass, m, _ := call.Admit([]byte(`{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"x"}}`))
	private := string(m.ID)
	require.True(t, strings.HasPrefix(private, `"jsonrpc-id-`))
	assert.Contains(t, string(pass), `"id":`+private)
	pass, m, _ = cancel.Admit([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9007199254740993,"reason":"x"}}`))
	assert.Equal(t, private, string(m.CancelID))
	assert.Equal(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":`+private+`,"reason":"x"}}`, string(pass))
}

func TestConnDropsUnsolicitedResponses(t *testing.T) {
	t.Parallel()
	c := NewConn(true, "")
	pass, m, ref := c.Admit([]byte(`{"jsonrpc":"2.0","id":"s","error":{"code":-32601,"message":"x"}}`))
	assert.Nil(t, pass)
	assert.Nil(t, ref, "no reply")
	assert.True(t, m.Response)

	// The server asks; the answer is let in, once.
	c.Reply([]byte(`{"jsonrpc":"2.0","id":3,"method":"elicitation/create","params":{}}` + "\n"))
	pass, _, _ = c.Admit([]byte(`{"jsonrpc":"2.0","id":3,"result":{"action":"accept"}}`))
	assert.NotNil(t, pass, "a solicited response passes")
	pass, _, _ = c.Admit([]byte(`{"jsonrpc":"2.0","id":3,"result":{"action":"accept"}}`))
	assert.Nil(t, pass, "a second answer to the same request is unsolicited")

	// Without tracking (HTTP), responses pass for mcp-go to route.
	pass, _, _ = NewConn(false, "").Admit([]byte(`{"jsonrpc":"2.0","id":"s","result":{}}`))
	assert.NotNil(t, pass)
}

// TestConnDropsCancelledAnswers: with track set, the answer mcp-go writes
// to a request the client cancelled is dropped, once, whatever the id (an
// integer, a string written with escapes, an id past 2^53 behind its
// private id) and whether the answer is a result or an error; the answers
// to other requests, a cancel of an unknown id, and the server's own
// requests pass. Without track (HTTP) nothing is dropped.
func TestConnDropsCancelledAnswers(t *testing.T) {
	t.Parallel()
	c := NewConn(true, "")
	admit := func(line string) []byte {
		t.Helper()
		pass, _, ref := c.Admit([]byte(line + "\n"))
		require.Nil(t, ref, line)
		require.NotNil(t, pass, line)
		return pass
	}
	errorFor := func(pass []byte) []byte {
		var req struct {
			ID mcp.RequestId `json:"id"`
		}
		require.NoError(t, json.Unmarshal(pass, &req))
		b, err := json.Marshal(mcp.NewJSONRPCError(req.ID, CodeInternal, "the call was cancelled", nil))
		require.NoError(t, err)
		return append(b, '\n')
	}
	call := func(id string) []byte {
		return admit(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"x"}}`)
	}
	cancel := func(id string) {
		admit(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":` + id + `}}`)
	}

	seven, str, big, kept := call(`7`), call(`"c\u0041ll"`), call(`9007199254740993`), call(`8`)
	cancel(`7`)
	cancel(`"c\u0041ll"`)
	cancel(`9007199254740993`)
	cancel(`"unknown"`)

	server := []byte(`{"jsonrpc":"2.0","id":7,"method":"ping"}` + "\n")
	assert.Equal(t, server, replied(c, server), "the server's own request passes")
	for name, answer := range map[string][]byte{"integer id": echo(t, seven), "string id": errorFor(str), "id past 2^53": echo(t, big)} {
		out, _ := c.Reply(answer)
		assert.Nil(t, out, "%s: the answer to a cancelled request is dropped", name)
		assert.NotNil(t, replied(c, answer), "%s: dropped once", name)
	}
	assert.Equal(t, `{"jsonrpc":"2.0","id":8,"result":{}}`+"\n", string(replied(c, echo(t, kept))), "another request's answer passes")

	untracked := NewConn(false, "")
	pass, _, _ := untracked.Admit([]byte(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}`))
	_, _, _ = untracked.Admit([]byte(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}}`))
	assert.NotNil(t, replied(untracked, echo(t, pass)), "without track nothing is dropped")
}

func TestReplyMapsHandlerErrors(t *testing.T) {
	t.Parallel()
	c := NewConn(false, "")
	marked := func(err error) []byte {
		b, _ := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(int64(4)), CodeInternal, err.Error(), nil))
		return append(b, '\n')
	}
	for _, tc := range []struct {
		err  error
		code int
	}{
		{InvalidParams("uri: bad id"), CodeInvalidParams},
		{ResourceNotFound(false, "no such client"), CodeResourceNotFound},
		{ResourceNotFound(true, "no such client"), CodeInvalidParams},
	} {
		var got struct {
			ID    int `json:"id"`
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		out, code := c.Reply(marked(tc.err))
		require.NoError(t, json.Unmarshal(out, &got), "%s", out)
		assert.Equal(t, tc.code, got.Error.Code)
		assert.Equal(t, tc.code, code, "Reply reports the code it put in")
		assert.Equal(t, 4, got.ID)
		assert.NotContains(t, got.Error.Message, "\x00", "the mark is gone")
		assert.True(t, strings.HasSuffix(string(out), "}\n"))
	}

	// Only mcp-go's -32603 carries a handler's mark: text echoed into
	// another error cannot pick its code.
	b, _ := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(int64(4)), mcp.METHOD_NOT_FOUND, InvalidParams("x").Error(), nil))
	out, code := c.Reply(b)
	assert.Contains(t, string(out), `"code":-32601`)
	assert.Zero(t, code, "no code put in")
}

func TestReplyClipsErrors(t *testing.T) {
	t.Parallel()
	c := NewConn(false, "")
	long := "tool '" + strings.Repeat("a", 1<<20) + "' not found"
	b, _ := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(int64(4)), mcp.INVALID_PARAMS, long, strings.Repeat("d", 1<<20)))
	out, code := c.Reply(b)
	assert.Zero(t, code, "the code is mcp-go's")
	assert.Less(t, len(out), 2048, "a 1 MiB echo becomes a small error")
	assert.Contains(t, string(out), "clipped")
	assert.Contains(t, string(out), `"code":-32602`)
	assert.NotContains(t, string(out), `"data"`)

	ok := []byte(`{"jsonrpc":"2.0","id":4,"result":{"big":"` + strings.Repeat("r", 1<<20) + `"}}`)
	assert.Equal(t, ok, replied(c, ok), "results pass untouched")
}

// TestMCPGoReportsHandlerErrorsAsInternal pins the library behaviour Error
// and the reply edge work around: mcp-go v1.2.1 answers any resource
// handler error with -32603, keeping only its text. If a new mcp-go keeps
// a handler's code, this fails and the mark can go.
func TestMCPGoReportsHandlerErrorsAsInternal(t *testing.T) {
	t.Parallel()
	s := server.NewMCPServer("t", "1", server.WithResourceCapabilities(false, false))
	s.AddResource(mcp.NewResource("test://r", "r"), func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return nil, InvalidParams("uri: fix it")
	})
	out := s.HandleMessage(t.Context(), []byte(`{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://r"}}`))
	b, err := json.Marshal(out)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"code":-32603`)

	mapped := replied(NewConn(false, ""), b)
	assert.Contains(t, string(mapped), `"code":-32602`)
	assert.Contains(t, string(mapped), `"message":"uri: fix it"`)
}

// TestMCPGoFoldsKeys pins why the front door exists: mcp-go decodes the
// envelope with encoding/json, where "Name" after "name" wins.
func TestMCPGoFoldsKeys(t *testing.T) {
	t.Parallel()
	var req mcp.CallToolRequest
	require.NoError(t, json.Unmarshal([]byte(lookAlikes["Name"]), &req))
	assert.Equal(t, "delete_oauth_client", req.Params.Name)
}
