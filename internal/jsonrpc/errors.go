package jsonrpc

import "strconv"

// Error is a resource, prompt or completion handler's error with the
// JSON-RPC code the client should see. mcp-go v1.2.1 reports every such
// handler error as -32603 Internal error (server/handler_errors.go), keeping
// only its text; so Error's text carries its code behind a mark, and the
// reply edge (Conn.Reply) puts the code in place and removes the mark.
// This is the one place where a handler's failure becomes a protocol code.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string {
	return codeMark + strconv.Itoa(e.Code) + "\x00" + e.Message
}

// InvalidParams is -32602: the request's parameters are wrong (a malformed
// resource URI, a prompt argument of the wrong form). msg says what to fix.
func InvalidParams(msg string) error {
	return &Error{Code: CodeInvalidParams, Message: msg}
}

// ResourceNotFound is the code each protocol version gives a resource that
// does not exist: -32002 under 2025-11-25
// (https://modelcontextprotocol.io/specification/2025-11-25/server/resources#error-handling),
// -32602 under 2026-07-28, which folded it into Invalid params. modern says
// the request uses 2026-07-28.
func ResourceNotFound(modern bool, msg string) error {
	if modern {
		return &Error{Code: CodeInvalidParams, Message: msg}
	}
	return &Error{Code: CodeResourceNotFound, Message: msg}
}
