package httpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/jsonrpc"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// mcpHandler serves what the guard admits: mcp-go's StreamableHTTPServer,
// and on a stateless server the direct path below for tool calls.
type mcpHandler struct {
	*server.StreamableHTTPServer
	direct *directCalls // nil unless stateless
}

func (t mcpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a := admittedFrom(r.Context()); t.direct != nil && a != nil && t.direct.takes(r, a.msg) {
		t.direct.serve(w, r, a.body)
		return
	}
	t.StreamableHTTPServer.ServeHTTP(w, r)
}

// directCalls serves a stateless server's 2026-07-28 tools/call requests
// by handing them to MCPServer.HandleMessage, the entry point mcp-go gives
// transports of their own, rather than through StreamableHTTPServer.
//
// For such a request the transport's work is small: check the protocol
// version and the standard headers, give the call an ephemeral session,
// write the answer. mcp-go v1.2.1's handlePost does it at a cost that
// was a fifth of the server's CPU per call: it decodes the body three more
// times, starts a goroutine to forward notifications, and on every call
// re-marshals the called tool's input schema to look for x-mcp-header
// annotations (MCPServer.validateStandardHeadersForMessage calls
// mcp.ValidateParamHeadersLookup, which calls mcp.ExtractParamHeaderBindings).
// Here the bindings are read once, when the server is built, and the
// body was already read by the front door.
//
// Only a request that passes every check is taken (takes); anything else,
// a header that disagrees with the body, a version this server does not
// serve, Last-Event-ID, a tool whose schema binds a header, goes to
// mcp-go, so that every refusal is mcp-go's own. On a stateless server
// mcp-go streams nothing (WithDisableStreaming), so a notification sent
// during a call is dropped on both paths. One difference no answer shows:
// HandleMessage finds no HTTP headers in the context (mcp-go's key for
// them is unexported), so CallToolRequest.Header is empty here; no
// handler or middleware of this server reads it. TestDirectCallsAnswerAsMCPGo
// holds the two paths to the same answers.
type directCalls struct {
	mcp       *server.MCPServer
	http      *server.StreamableHTTPServer
	versions  []string        // the protocol versions the transport serves
	headerArg map[string]bool // tools whose input schema binds an argument to a header
}

func newDirectCalls(srv *server.MCPServer, h *server.StreamableHTTPServer, selected []tools.Tool) *directCalls {
	d := &directCalls{mcp: srv, http: h, versions: server.FilterSupportedVersions(h), headerArg: map[string]bool{}}
	for _, t := range selected {
		if len(mcp.ExtractParamHeaderBindings(&t.Definition)) > 0 {
			d.headerArg[t.Name()] = true
		}
	}
	return d
}

// takes reports whether the direct path serves r, a POST whose body the
// front door read as msg: a tools/call request of protocol version
// 2026-07-28 or later, stated alike in the Mcp-Protocol-Version header and
// in _meta, that this server serves, with Mcp-Method and Mcp-Name
// matching the body (as mcp.ValidateStandardHeaders checks them, the name
// plain or Base64-wrapped) and no Last-Event-ID.
func (d *directCalls) takes(r *http.Request, msg *jsonrpc.Message) bool {
	if msg.ID == nil || msg.Method != string(mcp.MethodToolsCall) || msg.ToolName == "" || d.headerArg[msg.ToolName] {
		return false
	}
	version := r.Header.Get(mcp.HeaderProtocolVersion)
	if version == "" || version != msg.ProtocolVersion || !mcp.IsModernProtocol(version) ||
		!d.http.SupportsProtocolVersion(version) || r.Header.Get(mcp.HeaderLastEventID) != "" {
		return false
	}
	if !mcp.RequiresStandardHeaders(version) {
		return true
	}
	header := r.Header.Get(mcp.HeaderName)
	name, ok := mcp.DecodeHeaderValue(header)
	return r.Header.Get(mcp.HeaderMethod) == string(mcp.MethodToolsCall) && header != "" && ok && name == msg.ToolName
}

// serve answers a request takes accepted, as handlePost answers a
// stateless 2026-07-28 request: HandleMessage with an ephemeral session,
// then the JSON-RPC answer with the HTTP status 2026-07-28 gives its
// error code.
func (d *directCalls) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	ctx := d.mcp.WithContext(r.Context(), &callSession{})
	ctx = server.WithSupportedProtocolVersions(ctx, d.versions)
	response := d.mcp.HandleMessage(ctx, body)
	if response == nil { // never for a request with an id
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	status := http.StatusOK
	if e, ok := response.(mcp.JSONRPCError); ok {
		status = statusForError(e.Error.Code)
	}
	w.WriteHeader(status)
	if b, ok := encodeToolResponse(response); ok {
		_, _ = w.Write(b)
		return
	}
	_ = json.NewEncoder(w).Encode(response)
}

// encodeToolResponse writes a tool result's response as json.Encoder
// would (mcp-go's StreamableHTTPServer encodes with one), from the bytes
// of CallToolResult.MarshalJSON as they are: json.Encoder validates and
// compacts a json.Marshaler's output once more, which for a page of
// clients was a tenth of a call's CPU (BenchmarkToolResponse). ok is false
// for any other message.
func encodeToolResponse(response mcp.JSONRPCMessage) (b []byte, ok bool) {
	r, ok := response.(mcp.JSONRPCResponse)
	if !ok {
		return nil, false
	}
	res, ok := r.Result.(*mcp.CallToolResult) // as MCPServer.HandleMessage returns it
	if !ok || res == nil {
		return nil, false
	}
	version, err1 := json.Marshal(r.JSONRPC)
	id, err2 := r.ID.MarshalJSON()
	result, err3 := res.MarshalJSON()
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, false
	}
	b = make([]byte, 0, len(version)+len(id)+len(result)+32)
	b = append(append(b, `{"jsonrpc":`...), version...)
	b = append(append(b, `,"id":`...), id...)
	b = append(append(b, `,"result":`...), result...)
	return append(b, "}\n"...), true
}

// statusForError is the HTTP status protocol version 2026-07-28 gives a
// JSON-RPC error code, as mcp-go's StreamableHTTPServer maps it
// (httpStatusForJSONRPCError, unexported in v1.2.1).
func statusForError(code int) int {
	switch code {
	case mcp.METHOD_NOT_FOUND:
		return http.StatusNotFound
	case mcp.HEADER_MISMATCH, mcp.MISSING_REQUIRED_CLIENT_CAPABILITY, mcp.UNSUPPORTED_PROTOCOL_VERSION,
		mcp.INVALID_REQUEST, mcp.INVALID_PARAMS, mcp.PARSE_ERROR:
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// callSession is the session of one direct call. HandleMessage fills in
// the client's identity and capabilities from the request's _meta
// (2026-07-28 has no initialize); notifications go nowhere, as on a
// stateless StreamableHTTPServer.
type callSession struct {
	mu   sync.Mutex
	info mcp.Implementation
	caps mcp.ClientCapabilities
	init bool
}

var _ server.SessionWithClientInfo = (*callSession)(nil)

func (s *callSession) SessionID() string { return "" }

func (s *callSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return discardNotifications
}

func (s *callSession) Initialize() { s.mu.Lock(); s.init = true; s.mu.Unlock() }

func (s *callSession) Initialized() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.init }

func (s *callSession) GetClientInfo() mcp.Implementation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

func (s *callSession) SetClientInfo(info mcp.Implementation) {
	s.mu.Lock()
	s.info = info
	s.mu.Unlock()
}

func (s *callSession) GetClientCapabilities() mcp.ClientCapabilities {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caps
}

func (s *callSession) SetClientCapabilities(caps mcp.ClientCapabilities) {
	s.mu.Lock()
	s.caps = caps
	s.mu.Unlock()
}

// discardNotifications is every call session's notification channel: a
// channel nobody reads, which mcp-go's senders skip when it is full (a nil
// channel would block them).
var discardNotifications = make(chan mcp.JSONRPCNotification)

// admitted is what the front door read of a request, handed on to the
// transport in the request's context.
type admitted struct {
	msg  *jsonrpc.Message
	body []byte
}

type admittedKey struct{}

func withAdmitted(ctx context.Context, a *admitted) context.Context {
	return context.WithValue(ctx, admittedKey{}, a)
}

func admittedFrom(ctx context.Context) *admitted {
	a, _ := ctx.Value(admittedKey{}).(*admitted)
	return a
}
