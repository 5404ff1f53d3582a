// Package telnyxfake is an in-memory, stateful fake of the 17 Telnyx OAuth HTTP operations
// (https://developers.telnyx.com/api-reference/oauth-clients), written from that HTTP
// contract rather than from any client, so that it checks the client instead of mirroring it.
//
// It serves the paths under a prefix (default "/v2") exactly as the live API does, with the
// two well-known documents at the host root. It keeps clients, grants, consent tokens,
// authorization codes, refresh tokens and ES256-signed access tokens in memory, so a whole
// authorization-code flow with PKCE can run against it. It records every request it receives
// (before authentication), and a Gateway set in Options stands between that log and the API:
// tests put a misbehaving one there (package faultinject) to script status codes, HTML error
// pages, hangs, resets, trickling and oversized bodies per operation.
//
// Every test in the repository uses it, and so does the server's --sandbox mode, which is why
// nothing in this package imports net/http/httptest: that package registers global flags in
// the binary that imports it.
package telnyxfake

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultAPIKey is the bearer API key a Fake accepts when Options.APIKey is empty.
const DefaultAPIKey = "KEYfake-test-api-key"

// DefaultIssuer is what Fake.Issuer reports before a Fake that is not run by Listen has seen a
// request carrying a Host header.
const DefaultIssuer = "http://telnyx-fake.invalid"

// FakeOrgID and FakeUserID are the organisation and user that own every client the fake
// creates when no other owner is given. The fake models a single account.
const (
	FakeOrgID  = "0f0e0d0c-0000-4000-8000-00000000a11c"
	FakeUserID = "0f0e0d0c-0000-4000-8000-0000000000b0"
)

// Limits. They keep a long-running sandbox bounded in memory.
const (
	// maxBodyBytes caps how much of a request body is read and recorded; bigger bodies get 413.
	maxBodyBytes = 1 << 20
	// maxRecorded and maxRecordedBytes bound the request log; the oldest entries are dropped.
	maxRecorded      = 4096
	maxRecordedBytes = 64 << 20
)

// Operation names: the SPEC operationIds, used by Request.Operation, RequestsFor and Inject.
const (
	OpGetAuthorizationServerMetadata = "GetOAuthAuthorizationServerMetadata"
	OpGetProtectedResourceMetadata   = "GetOAuthProtectedResourceMetadata"
	OpAuthorize                      = "AuthorizeOAuth"
	OpGetConsentToken                = "GetOAuthConsentToken"
	OpCreateGrant                    = "CreateOAuthGrant"
	OpIntrospect                     = "IntrospectOAuthToken"
	OpGetJWKS                        = "GetOAuthJWKS"
	OpRegister                       = "RegisterOAuthClient"
	OpToken                          = "ExchangeOAuthToken"
	OpListClients                    = "ListOAuthClients"
	OpCreateClient                   = "CreateOAuthClient"
	OpGetClient                      = "GetOAuthClient"
	OpUpdateClient                   = "UpdateOAuthClient"
	OpDeleteClient                   = "DeleteOAuthClient"
	OpListGrants                     = "ListOAuthGrants"
	OpGetGrant                       = "GetOAuthGrant"
	OpRevokeGrant                    = "RevokeOAuthGrant"
	// OpConsentPage is not a Telnyx API operation: it is the fake's stand-in for the consent
	// page of the Telnyx portal that /oauth/authorize redirects a browser to. It is served at
	// the root (GET /oauth/consent?consent_token=...) and returns a small HTML page.
	OpConsentPage = "ConsentPage"
)

// Options configure a Fake. The zero value is usable.
type Options struct {
	// APIKey is the bearer API key accepted on bearer-auth operations; default DefaultAPIKey.
	APIKey string
	// Prefix is the API path prefix; default "/v2". Use "/" to serve the API at the root, as
	// Prism does. The well-known documents are always served at the root, never under Prefix.
	Prefix string
	// Seed loads the demo data set described in seed.go.
	Seed bool
	// Now is the clock; default time.Now. Token expiry, timestamps and seeding all read it.
	Now func() time.Time
	// TokenTTL is the access token lifetime; default 1h.
	TokenTTL time.Duration
	// Gateway, when set, serves every request after it has been recorded and given its
	// X-Request-Id, in place of the API, which it may call. The sandbox leaves it nil.
	Gateway Gateway
}

// Gateway stands between the fake's request log and its API, as a proxy or load balancer
// stands in front of the live API: it can answer in the API's place, delay it, or break the
// connection. Package faultinject provides the one tests use.
type Gateway interface {
	// Serve answers one request for operation op ("" for a path the API does not have). The
	// request body is still unread; api is the fake's real behaviour.
	Serve(op string, w http.ResponseWriter, r *http.Request, api http.Handler)
}

// Request is one recorded request, captured on arrival before authentication and the Gateway.
type Request struct {
	Operation string // SPEC operationId, e.g. "ListOAuthClients"; "" for unknown routes and wrong methods
	Method    string
	Path      string // r.URL.Path
	RawPath   string // r.URL.EscapedPath(), what was really on the wire
	RawQuery  string
	Query     url.Values
	Header    http.Header // cloned
	// Body holds up to 1 MiB of the request body. It is nil when the request had no body, and
	// when the Gateway reset the connection before the body was read.
	Body []byte
}

// Fake is the in-memory Telnyx OAuth API. It is an http.Handler that expects full paths
// (prefix included) and is safe for concurrent use.
type Fake struct {
	apiKey   string
	prefix   string   // "" or "/v2"-like, no trailing slash
	prefixes []string // prefix split into escaped path segments
	now      func() time.Time
	ttl      time.Duration
	key      *ecdsa.PrivateKey
	kid      string
	jwk      jwk

	mu        sync.Mutex
	issuer    string // pinned by Listen; otherwise the one derived from the latest request
	pinned    bool
	clients   map[string]*Client
	grants    map[string]*Grant
	consents  map[string]*consentState
	codes     map[string]*codeState
	refreshes map[string]*refreshState
	tokens    map[string]*tokenState // by jti
	issued    int                    // insertions since the last sweep of expired state
	requests  []*recorded
	reqBytes  int // body bytes held by requests
	gateway   Gateway
}

// New builds a Fake. It generates a fresh P-256 signing key (ES256; fast, unlike RSA) and, with
// Options.Seed, loads the demo data set. It panics only if the system random source fails.
func New(opts Options) *Fake {
	f := &Fake{
		apiKey:    opts.APIKey,
		now:       opts.Now,
		ttl:       opts.TokenTTL,
		issuer:    DefaultIssuer,
		clients:   map[string]*Client{},
		grants:    map[string]*Grant{},
		consents:  map[string]*consentState{},
		codes:     map[string]*codeState{},
		refreshes: map[string]*refreshState{},
		tokens:    map[string]*tokenState{},
		gateway:   opts.Gateway,
	}
	if f.apiKey == "" {
		f.apiKey = DefaultAPIKey
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.ttl <= 0 {
		f.ttl = time.Hour
	}
	f.prefix = normalizePrefix(opts.Prefix)
	if f.prefix != "" {
		f.prefixes = strings.Split(strings.TrimPrefix(f.prefix, "/"), "/")
	}
	if err := f.initKey(); err != nil {
		panic("telnyxfake: generating the signing key: " + err.Error())
	}
	if opts.Seed {
		f.seed()
	}
	return f
}

// normalizePrefix turns "" into "/v2", "/" into "" (root) and makes any other value start with
// a slash and end without one.
func normalizePrefix(p string) string {
	switch p {
	case "":
		return "/v2"
	case "/":
		return ""
	}
	return "/" + strings.Trim(p, "/")
}

// Issuer returns the issuer URL the fake writes into the authorization server metadata, the
// "iss" claim of access tokens and the consent redirect: a root URL with no prefix.
//
// A Server pins it to Server.URL. A Fake mounted on another listener (for example an httptest
// server) derives it from each request as "http://" + r.Host ("https://" over TLS), and Issuer
// then reports the one derived from the most recent request, or DefaultIssuer before any.
// Tokens minted by IssueAccessToken carry the value Issuer returns at that moment.
func (f *Fake) Issuer() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.issuer
}

// pinIssuer fixes the issuer, so requests with another Host do not change it.
func (f *Fake) pinIssuer(iss string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issuer, f.pinned = iss, true
}

// observeIssuer returns the issuer for r and remembers it as the latest one.
func (f *Fake) observeIssuer(r *http.Request) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pinned || r.Host == "" {
		return f.issuer
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	f.issuer = scheme + "://" + r.Host
	return f.issuer
}

// ServeHTTP records the request, then hands it to the Gateway or, when there is none, to the
// real behaviour. Every response carries a unique X-Request-Id.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := f.match(r)
	w.Header().Set("X-Request-Id", newUUID())
	issuer := f.observeIssuer(r)
	rec := f.record(r, m.op)

	body := &capturedBody{src: r.Body, onLoad: func(b []byte) { f.setRecordedBody(rec, b) }}
	r2 := r.WithContext(r.Context())
	r2.Body = body
	tw := &trackingWriter{rw: w, body: body}
	real := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.serve(m, issuer, w, r)
	})
	if f.gateway != nil {
		f.gateway.Serve(m.op, tw, r2, real)
	} else {
		real.ServeHTTP(tw, r2)
	}
	if !tw.hijacked {
		body.load()
	}
}

// recorded is a log entry; gone marks one dropped from the log, so a body that arrives late is
// not counted against the log's byte budget.
type recorded struct {
	Request
	gone bool
}

// record appends r to the request log and returns the entry so its body can be filled in later.
func (f *Fake) record(r *http.Request, op string) *recorded {
	rec := &recorded{Request: Request{
		Operation: op,
		Method:    r.Method,
		Path:      r.URL.Path,
		RawPath:   r.URL.EscapedPath(),
		RawQuery:  r.URL.RawQuery,
		Query:     r.URL.Query(),
		Header:    r.Header.Clone(),
	}}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, rec)
	for len(f.requests) > maxRecorded || (f.reqBytes > maxRecordedBytes && len(f.requests) > 1) {
		f.requests[0].gone = true
		f.reqBytes -= len(f.requests[0].Body)
		f.requests[0] = nil
		f.requests = f.requests[1:]
	}
	return rec
}

func (f *Fake) setRecordedBody(rec *recorded, b []byte) {
	if len(b) == 0 {
		return
	}
	if len(b) > maxBodyBytes {
		b = b[:maxBodyBytes]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rec.Body = bytes.Clone(b)
	if !rec.gone {
		f.reqBytes += len(b)
	}
}

// Requests returns a copy of the request log, in arrival order.
func (f *Fake) Requests() []Request {
	return f.requestsWhere(func(*Request) bool { return true })
}

// RequestsFor returns the recorded requests for one operation ("" for unknown routes).
func (f *Fake) RequestsFor(operation string) []Request {
	return f.requestsWhere(func(r *Request) bool { return r.Operation == operation })
}

func (f *Fake) requestsWhere(keep func(*Request) bool) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Request, 0, len(f.requests))
	for _, rec := range f.requests {
		r := &rec.Request
		if !keep(r) {
			continue
		}
		c := *r
		c.Query = cloneValues(r.Query)
		c.Header = r.Header.Clone()
		c.Body = bytes.Clone(r.Body)
		out = append(out, c)
	}
	return out
}

// ResetRequests empties the request log.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rec := range f.requests {
		rec.gone = true
	}
	f.requests, f.reqBytes = nil, 0
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// capturedBody stands in for the request body. On its first use it reads the whole body (up
// to maxBodyBytes+1 bytes) and records it, so the log holds the body even when a fault answers
// without reading it. It loads lazily so that a Gateway can hang up before the body is read, as
// a real gateway's reset would.
type capturedBody struct {
	src    io.ReadCloser
	onLoad func([]byte)
	once   sync.Once
	buf    []byte
	err    error
	rd     *bytes.Reader
}

func (c *capturedBody) load() {
	c.once.Do(func() {
		if c.src != nil && c.src != http.NoBody {
			c.buf, c.err = io.ReadAll(io.LimitReader(c.src, maxBodyBytes+1))
		}
		c.rd = bytes.NewReader(c.buf)
		c.onLoad(c.buf)
	})
}

func (c *capturedBody) Read(p []byte) (int, error) {
	c.load()
	n, _ := c.rd.Read(p)
	if c.rd.Len() == 0 {
		if c.err != nil {
			return n, c.err
		}
		return n, io.EOF
	}
	return n, nil
}

func (c *capturedBody) Close() error { return nil }

// trackingWriter loads the request body before the first byte of the response goes out (so the
// recorded body is complete by the time a client sees an answer) and notes whether the
// connection was hijacked.
type trackingWriter struct {
	rw       http.ResponseWriter
	body     *capturedBody
	hijacked bool
}

func (t *trackingWriter) Header() http.Header { return t.rw.Header() }

func (t *trackingWriter) WriteHeader(code int) {
	t.body.load()
	t.rw.WriteHeader(code)
}

func (t *trackingWriter) Write(p []byte) (int, error) {
	t.body.load()
	return t.rw.Write(p)
}

// Flush lets a Gateway push bytes out as they go.
func (t *trackingWriter) Flush() {
	t.body.load()
	_ = http.NewResponseController(t.rw).Flush()
}

// Hijack hands the raw connection to a Gateway that breaks it.
func (t *trackingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, b, err := http.NewResponseController(t.rw).Hijack()
	if err == nil {
		t.hijacked = true
	}
	return c, b, err
}

// Unwrap lets http.ResponseController reach the server's writer (deadlines and the like).
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.rw }

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	mustRandom(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// randomToken returns n random bytes as lowercase hex, prefixed: opaque tokens and secrets.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	mustRandom(b)
	return prefix + hex.EncodeToString(b)
}

func mustRandom(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("telnyxfake: crypto/rand: " + err.Error())
	}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, ErrorBody(codeUnexpected, titleUnexpected, "")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// telnyxError is one entry of the Telnyx v2 error envelope {"errors":[...]}.
type telnyxError struct {
	Code   string        `json:"code"`
	Title  string        `json:"title"`
	Detail string        `json:"detail,omitempty"`
	Source *errorSource  `json:"source,omitempty"`
	Meta   *telnyxErrMet `json:"meta,omitempty"`
}

type errorSource struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
}

type telnyxErrMet struct {
	URL string `json:"url"`
}

// Telnyx error codes used by the fake, with their titles.
const (
	codeNotFound      = "10005"
	codeUnexpected    = "10007"
	codeAuthFailed    = "10009"
	codeInvalidParam  = "10015"
	titleNotFound     = "Resource not found"
	titleUnexpected   = "Unexpected error"
	titleAuthFailed   = "Authentication failed"
	titleInvalidParam = "Invalid parameter"
)

func newTelnyxError(code, title, detail string) telnyxError {
	return telnyxError{Code: code, Title: title, Detail: detail,
		Meta: &telnyxErrMet{URL: "https://developers.telnyx.com/docs/overview/errors/" + code}}
}

// ErrorBody is the Telnyx v2 error envelope with one error, {"errors":[{"code",...}]}, as the
// fake writes it: for a gateway in front of the fake that answers in the API's shape.
func ErrorBody(code, title, detail string) []byte {
	b, err := json.Marshal(map[string]any{"errors": []telnyxError{newTelnyxError(code, title, detail)}})
	if err != nil {
		panic("telnyxfake: ErrorBody: " + err.Error()) // strings always encode
	}
	return b
}

// writeTelnyxErrors answers with the Telnyx v2 error envelope, used by the oauth_clients and
// oauth_grants operations and for failed bearer authentication.
func writeTelnyxErrors(w http.ResponseWriter, status int, errs ...telnyxError) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

// oauthError is the RFC 6749 style error body (SPEC oauth_Error) of the protocol endpoints.
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{Error: code, Description: desc})
}

// formatTime renders a timestamp the way the API does: RFC 3339 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// routeDef is one operation: a method and a path pattern of escaped segments, "{}" marking the
// path parameter.
type routeDef struct {
	method  string
	op      string
	root    bool // served at the host root rather than under the prefix
	pattern []string
}

var routes = []routeDef{
	{http.MethodGet, OpGetAuthorizationServerMetadata, true, []string{".well-known", "oauth-authorization-server"}},
	{http.MethodGet, OpGetProtectedResourceMetadata, true, []string{".well-known", "oauth-protected-resource"}},
	{http.MethodGet, OpConsentPage, true, []string{"oauth", "consent"}},
	{http.MethodGet, OpAuthorize, false, []string{"oauth", "authorize"}},
	{http.MethodGet, OpGetConsentToken, false, []string{"oauth", "consent", "{}"}},
	{http.MethodPost, OpCreateGrant, false, []string{"oauth", "grants"}},
	{http.MethodPost, OpIntrospect, false, []string{"oauth", "introspect"}},
	{http.MethodGet, OpGetJWKS, false, []string{"oauth", "jwks"}},
	{http.MethodPost, OpRegister, false, []string{"oauth", "register"}},
	{http.MethodPost, OpToken, false, []string{"oauth", "token"}},
	{http.MethodGet, OpListClients, false, []string{"oauth_clients"}},
	{http.MethodPost, OpCreateClient, false, []string{"oauth_clients"}},
	{http.MethodGet, OpGetClient, false, []string{"oauth_clients", "{}"}},
	{http.MethodPut, OpUpdateClient, false, []string{"oauth_clients", "{}"}},
	{http.MethodDelete, OpDeleteClient, false, []string{"oauth_clients", "{}"}},
	{http.MethodGet, OpListGrants, false, []string{"oauth_grants"}},
	{http.MethodGet, OpGetGrant, false, []string{"oauth_grants", "{}"}},
	{http.MethodDelete, OpRevokeGrant, false, []string{"oauth_grants", "{}"}},
}

// Operations lists, sorted, the operation names the fake routes: the names RequestsFor and a
// Gateway are given.
func Operations() []string {
	ops := make([]string, 0, len(routes))
	for _, rd := range routes {
		ops = append(ops, rd.op)
	}
	slices.Sort(ops)
	return ops
}

// match is the routing result: the operation and its unescaped path parameter, or, for a known
// path requested with the wrong method, the methods it allows.
type match struct {
	op    string
	param string
	allow []string
}

// match routes on r.URL.EscapedPath() split into segments, so an encoded slash inside an id
// stays inside that id, and "." or ".." segments are neither cleaned nor resolved: they are
// looked up literally, as ids, or miss every route.
func (f *Fake) match(r *http.Request) match {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	if len(segs) < 2 || segs[0] != "" {
		return match{}
	}
	segs = segs[1:]
	var m match
	for _, rd := range routes {
		rest := segs
		if !rd.root {
			if len(segs) < len(f.prefixes) {
				continue
			}
			for i, p := range f.prefixes {
				if segs[i] != p {
					rest = nil
					break
				}
			}
			if rest == nil {
				continue
			}
			rest = segs[len(f.prefixes):]
		}
		param, ok := matchPattern(rest, rd.pattern)
		if !ok {
			continue
		}
		if rd.method != r.Method {
			m.allow = append(m.allow, rd.method)
			continue
		}
		return match{op: rd.op, param: param}
	}
	return m
}

func matchPattern(segs, pattern []string) (string, bool) {
	if len(segs) != len(pattern) {
		return "", false
	}
	var param string
	for i, p := range pattern {
		if p != "{}" {
			if segs[i] != p {
				return "", false
			}
			continue
		}
		v, err := url.PathUnescape(segs[i])
		if err != nil || v == "" {
			return "", false
		}
		param = v
	}
	return param, true
}

// route is what a handler needs beyond the request: the issuer (root URL) and the path parameter.
type route struct {
	issuer string
	param  string
}

// serve is the real behaviour: authentication per operation, then the operation itself. An
// unknown route is a 404 and a known path with the wrong method a 405 (with Allow), both in the
// Telnyx envelope with code 10005: the contract documents no code for a wrong method.
func (f *Fake) serve(m match, issuer string, w http.ResponseWriter, r *http.Request) {
	c := route{issuer: issuer, param: m.param}
	if m.op == "" {
		if len(m.allow) > 0 {
			w.Header().Set("Allow", strings.Join(m.allow, ", "))
			writeTelnyxErrors(w, http.StatusMethodNotAllowed, newTelnyxError(codeNotFound, "Method not allowed",
				"The method "+r.Method+" is not allowed on this resource."))
			return
		}
		writeTelnyxErrors(w, http.StatusNotFound, newTelnyxError(codeNotFound, titleNotFound,
			"The requested resource or URL could not be found."))
		return
	}
	if bearerOperations[m.op] && !f.checkBearer(w, r) {
		return
	}
	switch m.op {
	case OpGetAuthorizationServerMetadata:
		f.handleASMetadata(w, c)
	case OpGetProtectedResourceMetadata:
		f.handleResourceMetadata(w, c)
	case OpConsentPage:
		f.handleConsentPage(w, r)
	case OpAuthorize:
		f.handleAuthorize(w, r, c)
	case OpGetConsentToken:
		f.handleGetConsent(w, c)
	case OpCreateGrant:
		f.handleCreateGrant(w, r)
	case OpIntrospect:
		f.handleIntrospect(w, r)
	case OpGetJWKS:
		f.handleJWKS(w)
	case OpRegister:
		f.handleRegister(w, r)
	case OpToken:
		f.handleToken(w, r, c)
	case OpListClients:
		f.handleListClients(w, r)
	case OpCreateClient:
		f.handleCreateClient(w, r)
	case OpGetClient:
		f.handleGetClient(w, c)
	case OpUpdateClient:
		f.handleUpdateClient(w, r, c)
	case OpDeleteClient:
		f.handleDeleteClient(w, c)
	case OpListGrants:
		f.handleListGrants(w, r)
	case OpGetGrant:
		f.handleGetGrant(w, c)
	case OpRevokeGrant:
		f.handleRevokeGrant(w, c)
	}
}

// bearerOperations are the operations whose SPEC security is bearerAuth.
var bearerOperations = map[string]bool{
	OpGetConsentToken: true, OpCreateGrant: true,
	OpListClients: true, OpCreateClient: true, OpGetClient: true, OpUpdateClient: true, OpDeleteClient: true,
	OpListGrants: true, OpGetGrant: true, OpRevokeGrant: true,
}

// checkBearer accepts "Authorization: Bearer <API key>" or a live access token the fake issued,
// and otherwise answers 401 with the Telnyx envelope and WWW-Authenticate, as the gateway does.
func (f *Fake) checkBearer(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := bearerToken(r)
	detail := "The API key or access token is invalid or expired."
	if ok {
		if secretsEqual(f.apiKey, tok) {
			return true
		}
		f.mu.Lock()
		_, active := f.activeTokenLocked(tok)
		f.mu.Unlock()
		if active {
			return true
		}
	} else {
		detail = "Missing credentials: send \"Authorization: Bearer <API key>\"."
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="telnyx"`)
	writeTelnyxErrors(w, http.StatusUnauthorized, newTelnyxError(codeAuthFailed, titleAuthFailed, detail))
	return false
}

// bearerToken returns the token of an "Authorization: Bearer" header (scheme case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// readBody reads the (already captured) request body. It returns 0 with the body, 413 when the
// body is over 1 MiB (refused after it was recorded, so tests still see what was sent), or 400
// when reading failed.
func readBody(r *http.Request) ([]byte, int) {
	b, err := io.ReadAll(r.Body)
	switch {
	case len(b) > maxBodyBytes:
		return nil, http.StatusRequestEntityTooLarge
	case err != nil:
		return nil, http.StatusBadRequest
	}
	return b, 0
}

// mediaType returns the lowercased media type of the request's Content-Type, without parameters.
func mediaType(r *http.Request) string {
	mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
