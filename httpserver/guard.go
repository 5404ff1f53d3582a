package httpserver

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/jsonrpc"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/loopback"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// The guard (serveMCP) runs before mcp-go sees a request, in this order:
// Host, Origin, credentials in the query, authentication, method,
// Content-Type, announced body size, in key mode the check of the key with
// Telnyx, reading the body, the front door (jsonrpc.Conn.Admit), then the
// session checks. Nothing creates state (a session, a rate-limit entry)
// before authentication succeeds, and no body is read before it either.
// While mcp-go answers, replyWriter passes what it writes through the
// reply edge (jsonrpc.Conn.Reply), and discard swallows its answer to a
// client's response.

// corsAllowHeaders are the request headers a browser client may send.
const corsAllowHeaders = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID"

// serveMCP is the /mcp endpoint.
func (s *Server) serveMCP(w http.ResponseWriter, r *http.Request) {
	// No global ReadTimeout (it would cancel long calls and streams): a
	// deadline for the body alone, set before anything can refuse the
	// request, since net/http drains an unread body of a refused request
	// before it answers; lifted once a POST body is read. A request without
	// a body gets none: it would end a GET stream.
	rc := http.NewResponseController(w)
	if r.ContentLength != 0 {
		_ = rc.SetReadDeadline(time.Now().Add(s.cfg.ReadBodyTimeout))
	}
	if !s.hostAllowed(r) {
		s.reject(w, r, http.StatusForbidden, "host", "Host not allowed")
		return
	}
	origin, ok := s.originAllowed(r)
	if !ok {
		s.reject(w, r, http.StatusForbidden, "origin", "Origin not allowed")
		return
	}
	if origin != "" {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "POST, GET, DELETE")
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if credentialInQuery(r) {
		s.unauthorized(w, r, "query_credential", "credentials are accepted only in the Authorization header, never in the URL", true)
		return
	}
	c, err := s.auth.authenticate(r)
	if err != nil {
		s.unauthorized(w, r, "unauthorized", "a valid bearer credential is required (Authorization: Bearer …)", !errors.Is(err, errNoCredential))
		return
	}
	switch r.Method {
	case http.MethodPost, http.MethodGet, http.MethodDelete:
	default:
		w.Header().Set("Allow", "POST, GET, DELETE")
		s.reject(w, r, http.StatusMethodNotAllowed, "method", "method not allowed")
		return
	}
	if r.Method == http.MethodPost {
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			s.reject(w, r, http.StatusUnsupportedMediaType, "content_type", "Content-Type must be application/json")
			return
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "request body too large")
			return
		}
	}
	// The key check asks Telnyx about a key it does not know yet: last of
	// the checks, so that a request refused for what it says itself costs
	// neither a round trip nor one of its address's checks.
	if s.keys != nil && !s.keyKnown(w, r, c) {
		return
	}

	var body []byte
	if r.Method == http.MethodPost {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		if err == nil {
			_ = rc.SetReadDeadline(time.Time{}) // net/http also lifts it at EOF
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				s.reject(w, r, http.StatusRequestEntityTooLarge, "body_too_large", "request body too large")
			} else {
				s.reject(w, r, http.StatusBadRequest, "body_read", "could not read the request body")
			}
			return
		}
	}

	// The front door reads the body once, refuses look-alike keys and ids
	// of the wrong type before mcp-go decodes anything, and tells the
	// session checks the method and protocol version.
	var (
		msg  *jsonrpc.Message
		door *jsonrpc.Conn // the reply edge too: set for a POST, the one request with a body
	)
	method, modern := "", mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion))
	if body != nil {
		door = jsonrpc.NewConn(false, r.Header.Get(server.HeaderKeySessionID))
		pass, m, refusal := door.Admit(body)
		if refusal != nil {
			s.refuse(w, r, refusal, modern)
			return
		}
		body, msg = pass, m
	}
	if msg != nil {
		method = msg.Method
		modern = modern || mcp.IsModernProtocol(msg.ProtocolVersion)
	}

	ctx := tools.WithPrincipal(withCaller(r.Context(), c), c.principal)
	var reserved string
	if s.sessions != nil && !modern {
		if r.Method == http.MethodPost && method == string(mcp.MethodInitialize) {
			id, ok := s.sessions.create(c.principal)
			if !ok {
				w.Header().Set("Retry-After", "60")
				s.reject(w, r, http.StatusServiceUnavailable, "session_cap", "too many live sessions; retry later")
				return
			}
			reserved = id
			ctx = withReservedSession(ctx, id)
		} else {
			id := r.Header.Get(server.HeaderKeySessionID)
			if id == "" {
				s.reject(w, r, http.StatusBadRequest, "session_missing", "Mcp-Session-Id header required: initialize first")
				return
			}
			switch err := s.sessions.check(id, c.principal); {
			case errors.Is(err, errSessionForeign):
				s.reject(w, r, http.StatusForbidden, "session_foreign", "this session belongs to another caller")
				return
			case err != nil:
				s.reject(w, r, http.StatusNotFound, "session_unknown", "unknown or expired session: initialize again")
				return
			}
			ctx = withCheckedSession(ctx, id)
		}
	}

	if msg != nil && s.cfg.Stateless {
		// For the direct path (direct.go), which only a stateless server has.
		ctx = withAdmitted(ctx, &admitted{msg: msg, body: body})
	}
	r = r.WithContext(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	target := s.mcpWrite
	if c.role == RoleRead {
		target = s.mcpRead
	}
	if msg != nil && msg.Response {
		// A client's response goes to mcp-go, which delivers it to the
		// request of the server's that waits for it. mcp-go answers one
		// that nothing waits for with an error (400 "No pending sampling
		// request", or -32600 under 2026-07-28); answering a response
		// makes two such peers loop, so the caller gets 202 and nothing
		// else either way.
		target.ServeHTTP(discard{header: http.Header{}}, r)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if door != nil {
		rw := &replyWriter{ResponseWriter: w, door: door, modern: modern}
		defer rw.finish()
		w = rw
	}
	target.ServeHTTP(w, r)
	if reserved != "" && w.Header().Get(server.HeaderKeySessionID) != reserved {
		s.sessions.remove(reserved) // initialize failed: nothing to keep
	}
}

// keyKnown lets a key-mode request on only once Telnyx has accepted its
// key (see keycheck.go); otherwise it answers and returns false.
func (s *Server) keyKnown(w http.ResponseWriter, r *http.Request, c *caller) bool {
	verdict, err := s.keys.verify(r.Context(), c.apiKey, s.remoteIP(r))
	var limited *keyChecksLimitedError
	switch {
	case errors.As(err, &limited):
		// 401, not 429: the credential is not accepted (yet); Retry-After
		// says when this address may present a new one.
		w.Header().Set("Retry-After", strconv.Itoa(limited.secs()))
		s.unauthorized(w, r, "key_checks_limited", limited.Error(), false)
	case err != nil:
		level := slog.LevelWarn
		if r.Context().Err() != nil {
			level = slog.LevelDebug // the client stopped waiting
		}
		s.log.Log(r.Context(), level, "could not check a caller's Telnyx API key", "error", err, "remote", s.remoteIP(r))
		w.Header().Set("Retry-After", "5")
		s.reject(w, r, http.StatusServiceUnavailable, "key_check_unavailable", "could not check your Telnyx API key with Telnyx just now; retry shortly")
	case verdict != keyAccepted:
		s.unauthorized(w, r, "key_refused", "Telnyx refused the API key sent as the bearer: send a valid Telnyx API key (Authorization: Bearer <key>)", true)
	default:
		return true
	}
	return false
}

// refuse answers a message the front door refused. A message that is not
// a valid request (-32600, id null, which the spec allows for refusals)
// gets 400. A valid request with bad parameters (-32602, with its id) gets
// 200 under 2025-11-25 and 400 under 2026-07-28, which gives errors HTTP
// statuses. A notification with bad parameters gets 400 under both, with
// -32602 and id null: JSON-RPC answers no notification, and MCP's
// Streamable HTTP transport wants an HTTP error status for one the server
// does not accept, whose body may be a JSON-RPC error without an id
// (https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#sending-messages-to-the-server).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, ref *jsonrpc.Refusal, modern bool) {
	if ref.Code == jsonrpc.CodeInvalidRequest {
		s.reject(w, r, http.StatusBadRequest, "invalid_request", ref.Message)
		return
	}
	s.metrics.reject("invalid_params")
	status := http.StatusOK
	if modern || ref.Notification() {
		status = http.StatusBadRequest
	}
	writeRefusal(w, status, ref)
}

// writeRefusal sends ref with status: the one JSON-RPC error envelope of
// every refusal the guard writes itself.
func writeRefusal(w http.ResponseWriter, status int, ref *jsonrpc.Refusal) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(ref.JSON())
}

// hostChecked serves h only to a request whose Host is allowed, as /mcp
// does: a rebound page must not read the metrics either.
func (s *Server) hostChecked(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r) {
			s.reject(w, r, http.StatusForbidden, "host", "Host not allowed")
			return
		}
		h(w, r)
	})
}

// replyWriter passes every message mcp-go writes through the reply edge:
// a JSON body (one message per Write, from a json.Encoder) or an SSE event
// ("event: message\ndata: {…}\n\n", one per Write). The status waits for
// the first Write: under 2026-07-28 an error whose code the edge put in
// (a handler's, see jsonrpc.Error) is sent with the status that version
// gives the code (statusForError), as mcp-go sends its own errors.
type replyWriter struct {
	http.ResponseWriter
	door    *jsonrpc.Conn
	modern  bool
	status  int
	started bool
}

var ssePrefix = []byte("event: message\ndata: ")

func (rw *replyWriter) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
}

func (rw *replyWriter) start(status int) {
	if rw.started {
		return
	}
	rw.started = true
	if status == 0 {
		status = http.StatusOK
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *replyWriter) Write(p []byte) (int, error) {
	out := p
	if rest, ok := bytes.CutPrefix(p, ssePrefix); ok {
		if msg, ok := bytes.CutSuffix(rest, []byte("\n\n")); ok {
			if edited, _ := rw.door.Reply(msg); !bytes.Equal(edited, msg) {
				out = append(append(append([]byte(nil), ssePrefix...), edited...), "\n\n"...)
			}
		}
	} else {
		var code int
		out, code = rw.door.Reply(p)
		if code != 0 && !rw.started && rw.modern {
			rw.status = statusForError(code)
		}
	}
	rw.start(rw.status)
	if _, err := rw.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush keeps SSE streaming through the wrapper.
func (rw *replyWriter) Flush() {
	rw.start(rw.status)
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (rw *replyWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// finish sends the status of a response that wrote no body.
func (rw *replyWriter) finish() {
	if rw.status != 0 {
		rw.start(rw.status)
	}
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// hostAllowed checks the Host header (or, behind a trusted proxy,
// X-Forwarded-Host) against the allow-list: loopback names on any port,
// plus --allowed-hosts. Its job is DNS rebinding: a page on an attacker's
// domain that resolves to this server carries the attacker's name in Host.
func (s *Server) hostAllowed(r *http.Request) bool {
	host := r.Host
	if s.cfg.TrustProxyHeaders {
		if xf := r.Header.Get("X-Forwarded-Host"); xf != "" {
			host, _, _ = strings.Cut(xf, ",")
			host = strings.TrimSpace(host)
		}
	}
	host = strings.ToLower(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if name == "" {
		return false
	}
	if loopback.IsHost(name) {
		return true
	}
	for _, a := range s.allowedHosts {
		if a == host || a == name {
			return true
		}
	}
	return false
}

// originAllowed checks Origin: absent (native clients) is allowed, a
// loopback origin is allowed, anything else must be listed in
// --allowed-origins. It returns the origin to echo in CORS headers.
func (s *Server) originAllowed(r *http.Request) (string, bool) {
	values := r.Header.Values("Origin")
	if len(values) == 0 {
		return "", true
	}
	if len(values) > 1 {
		return "", false
	}
	o := strings.ToLower(strings.TrimSpace(values[0]))
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil {
		return "", false // includes "null"
	}
	if loopback.IsHost(u.Hostname()) {
		return values[0], true
	}
	for _, a := range s.allowedOrigins {
		if a == o {
			return values[0], true
		}
	}
	return "", false
}

// reject answers with status and a JSON-RPC error without id, which the
// spec allows for transport-level refusals, and counts the reason.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	s.metrics.reject(reason)
	s.log.Debug("request refused", "reason", reason, "status", status, "method", r.Method, "remote", s.remoteIP(r))
	writeRefusal(w, status, &jsonrpc.Refusal{Code: jsonrpc.CodeInvalidRequest, Message: msg})
}

// unauthorized answers 401 with the Bearer challenge; invalid says a
// credential was presented and refused.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, reason, msg string, invalid bool) {
	challenge := `Bearer realm="telnyx-oauth-mcp"`
	if invalid {
		challenge += `, error="invalid_token"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	s.reject(w, r, http.StatusUnauthorized, reason, msg)
}

// normalizeHosts lower-cases the --allowed-hosts entries; an entry with a
// port matches only that port.
func normalizeHosts(in []string) []string {
	var out []string
	for _, h := range in {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			h = h[1 : len(h)-1] // a bracketed IPv6 literal without a port: compared as a name
		}
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// normalizeOrigins checks and lower-cases the --allowed-origins entries:
// scheme://host[:port], nothing more.
func normalizeOrigins(in []string) ([]string, error) {
	var out []string
	for _, o := range in {
		o = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, errors.New("allowed origin " + strconv.Quote(o) + ": want scheme://host[:port], e.g. https://app.example.com")
		}
		out = append(out, o)
	}
	return out, nil
}

func hasPublicHost(hosts []string) bool {
	for _, h := range hosts {
		name := h
		if n, _, err := net.SplitHostPort(h); err == nil {
			name = n
		}
		if !loopback.IsHost(strings.Trim(name, "[]")) {
			return true
		}
	}
	return false
}
