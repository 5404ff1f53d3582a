package telnyxfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Client types and grant types, as the SPEC enums spell them.
const (
	ClientTypePublic       = "public"
	ClientTypeConfidential = "confidential"

	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

var (
	clientTypes = []string{ClientTypeConfidential, ClientTypePublic}
	grantTypes  = []string{GrantClientCredentials, GrantAuthorizationCode, GrantRefreshToken}
)

// Client is an OAuth client as the fake stores it. ClientSecret is kept so tests can use it,
// but the API only reveals it in the create (and register) response, as the live API does.
type Client struct {
	ClientID          string
	Name              string
	OrgID             string
	UserID            string
	ClientType        string // ClientTypePublic or ClientTypeConfidential
	RequirePKCE       bool
	AllowedGrantTypes []string
	AllowedScopes     []string
	RedirectURIs      []string
	ClientSecret      string
	LogoURI           string // "" renders as null
	PolicyURI         string // "" renders as null
	TOSURI            string // "" renders as null
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Verified is not part of the OAuthClient object; it feeds filter[verified] and the
	// "verified" flag of the consent details, which the API exposes.
	Verified bool
}

func (c Client) clone() Client {
	c.AllowedGrantTypes = cloneStrings(c.AllowedGrantTypes)
	c.AllowedScopes = cloneStrings(c.AllowedScopes)
	c.RedirectURIs = cloneStrings(c.RedirectURIs)
	return c
}

// cloneStrings copies s and never returns nil, so lists render as [] rather than null.
func cloneStrings(s []string) []string {
	return append(make([]string, 0, len(s)), s...)
}

func (c *Client) allowsGrant(gt string) bool { return slices.Contains(c.AllowedGrantTypes, gt) }

// AddClient stores c as is, without validation, so tests can set up states the API would refuse.
// It fills an empty ClientID (random UUID v4), OrgID, UserID (FakeOrgID, FakeUserID), ClientType
// (confidential), a missing secret of a confidential client, and zero timestamps (now). A client
// with the same ClientID is replaced. It returns the stored copy, secret included.
func (f *Fake) AddClient(c Client) Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addClientLocked(c).clone()
}

func (f *Fake) addClientLocked(c Client) *Client {
	c = c.clone()
	if c.ClientID == "" {
		c.ClientID = newUUID()
	}
	if c.OrgID == "" {
		c.OrgID = FakeOrgID
	}
	if c.UserID == "" {
		c.UserID = FakeUserID
	}
	if c.ClientType == "" {
		c.ClientType = ClientTypeConfidential
	}
	if c.ClientType == ClientTypeConfidential && c.ClientSecret == "" {
		c.ClientSecret = randomToken("", 32)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = f.now()
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	f.clients[c.ClientID] = &c
	return &c
}

// Client returns the stored client with that id, secret included; false if unknown or deleted.
func (f *Fake) Client(id string) (Client, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.clients[id]
	if !ok {
		return Client{}, false
	}
	return c.clone(), true
}

// Clients returns every stored client in list order (created_at, then client_id).
func (f *Fake) Clients() []Client {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Client, 0, len(f.clients))
	for _, c := range f.clients {
		out = append(out, c.clone())
	}
	sortClients(out)
	return out
}

func sortClients(cs []Client) {
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].CreatedAt.Equal(cs[j].CreatedAt) {
			return cs[i].CreatedAt.Before(cs[j].CreatedAt)
		}
		return cs[i].ClientID < cs[j].ClientID
	})
}

// clientView is the OAuthClient JSON object.
type clientView struct {
	RecordType        string   `json:"record_type"`
	ClientID          string   `json:"client_id"`
	Name              string   `json:"name"`
	OrgID             string   `json:"org_id"`
	UserID            string   `json:"user_id"`
	ClientType        string   `json:"client_type"`
	RequirePKCE       bool     `json:"require_pkce"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AllowedGrantTypes []string `json:"allowed_grant_types"`
	AllowedScopes     []string `json:"allowed_scopes"`
	RedirectURIs      []string `json:"redirect_uris"`
	ClientSecret      *string  `json:"client_secret"`
	LogoURI           *string  `json:"logo_uri"`
	PolicyURI         *string  `json:"policy_uri"`
	TOSURI            *string  `json:"tos_uri"`
}

// view renders c; the secret only when withSecret (the create response of a confidential client).
func (c *Client) view(withSecret bool) clientView {
	v := clientView{
		RecordType:        "oauth_client",
		ClientID:          c.ClientID,
		Name:              c.Name,
		OrgID:             c.OrgID,
		UserID:            c.UserID,
		ClientType:        c.ClientType,
		RequirePKCE:       c.RequirePKCE,
		CreatedAt:         formatTime(c.CreatedAt),
		UpdatedAt:         formatTime(c.UpdatedAt),
		AllowedGrantTypes: cloneStrings(c.AllowedGrantTypes),
		AllowedScopes:     cloneStrings(c.AllowedScopes),
		RedirectURIs:      cloneStrings(c.RedirectURIs),
		LogoURI:           nullable(c.LogoURI),
		PolicyURI:         nullable(c.PolicyURI),
		TOSURI:            nullable(c.TOSURI),
	}
	if withSecret && c.ClientType == ClientTypeConfidential {
		v.ClientSecret = nullable(c.ClientSecret)
	}
	return v
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// pageMeta is oauth_PaginationMeta.
type pageMeta struct {
	PageNumber   int `json:"page_number"`
	PageSize     int `json:"page_size"`
	TotalPages   int `json:"total_pages"`
	TotalResults int `json:"total_results"`
}

// parsePage reads page[number] (default 1, min 1) and page[size] (default 20, 1..100). A bad
// value is a 400 with the Telnyx envelope naming the parameter.
func parsePage(q url.Values) (number, size int, terr *telnyxError) {
	number, size = 1, 20
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"page[number]", &number, 1, 1 << 30}, {"page[size]", &size, 1, 100}} {
		if !q.Has(p.name) {
			continue
		}
		n, err := strconv.Atoi(q.Get(p.name))
		if err != nil || n < p.min || n > p.max {
			e := newTelnyxError(codeInvalidParam, titleInvalidParam,
				p.name+" must be an integer between "+strconv.Itoa(p.min)+" and "+strconv.Itoa(p.max)+".")
			if p.max == 1<<30 {
				e.Detail = p.name + " must be an integer of at least " + strconv.Itoa(p.min) + "."
			}
			e.Source = &errorSource{Parameter: p.name}
			return 0, 0, &e
		}
		*p.dst = n
	}
	return number, size, nil
}

// paginate returns the page of items and its meta; total_pages is 0 when there are no items.
func paginate[T any](items []T, number, size int) ([]T, pageMeta) {
	meta := pageMeta{PageNumber: number, PageSize: size, TotalResults: len(items),
		TotalPages: (len(items) + size - 1) / size}
	start := min((number-1)*size, len(items))
	end := min(start+size, len(items))
	return items[start:end], meta
}

func badParameter(w http.ResponseWriter, name, detail string) {
	e := newTelnyxError(codeInvalidParam, titleInvalidParam, detail)
	e.Source = &errorSource{Parameter: name}
	writeTelnyxErrors(w, http.StatusBadRequest, e)
}

// handleListClients is GET /oauth_clients with pagination and the SPEC filters. filter[name] is
// an exact match, filter[name][contains] a case-insensitive substring match.
func (f *Fake) handleListClients(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	number, size, terr := parsePage(q)
	if terr != nil {
		writeTelnyxErrors(w, http.StatusBadRequest, *terr)
		return
	}
	keep := []func(*Client) bool{}
	if q.Has("filter[client_type]") {
		v := q.Get("filter[client_type]")
		if !slices.Contains(clientTypes, v) {
			badParameter(w, "filter[client_type]", "filter[client_type] must be one of: confidential, public.")
			return
		}
		keep = append(keep, func(c *Client) bool { return c.ClientType == v })
	}
	if q.Has("filter[verified]") {
		v, err := strconv.ParseBool(q.Get("filter[verified]"))
		if err != nil || (q.Get("filter[verified]") != "true" && q.Get("filter[verified]") != "false") {
			badParameter(w, "filter[verified]", "filter[verified] must be true or false.")
			return
		}
		keep = append(keep, func(c *Client) bool { return c.Verified == v })
	}
	if q.Has("filter[allowed_grant_types][contains]") {
		v := q.Get("filter[allowed_grant_types][contains]")
		if !slices.Contains(grantTypes, v) {
			badParameter(w, "filter[allowed_grant_types][contains]",
				"filter[allowed_grant_types][contains] must be one of: client_credentials, authorization_code, refresh_token.")
			return
		}
		keep = append(keep, func(c *Client) bool { return c.allowsGrant(v) })
	}
	if q.Has("filter[name]") {
		v := q.Get("filter[name]")
		keep = append(keep, func(c *Client) bool { return c.Name == v })
	}
	if q.Has("filter[name][contains]") {
		v := strings.ToLower(q.Get("filter[name][contains]"))
		keep = append(keep, func(c *Client) bool { return strings.Contains(strings.ToLower(c.Name), v) })
	}
	if q.Has("filter[client_id]") {
		v := q.Get("filter[client_id]")
		keep = append(keep, func(c *Client) bool { return c.ClientID == v })
	}

	f.mu.Lock()
	var matched []Client
	for _, c := range f.clients {
		ok := true
		for _, k := range keep {
			ok = ok && k(c)
		}
		if ok {
			matched = append(matched, c.clone())
		}
	}
	f.mu.Unlock()
	sortClients(matched)
	pageItems, meta := paginate(matched, number, size)
	data := make([]clientView, 0, len(pageItems))
	for i := range pageItems {
		data = append(data, pageItems[i].view(false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": meta})
}

// handleCreateClient is POST /oauth_clients: 201 {data: client} with the secret of a
// confidential client, the only time the API shows it.
func (f *Fake) handleCreateClient(w http.ResponseWriter, r *http.Request) {
	obj, ok := readTelnyxJSON(w, r)
	if !ok {
		return
	}
	in, errs := parseClientFields(obj, true)
	var c Client
	if len(errs) == 0 {
		c = Client{Name: *in.name, ClientType: *in.clientType}
		in.apply(&c)
		errs = checkClient(&c)
	}
	if len(errs) > 0 {
		writeFieldErrors(w, errs)
		return
	}
	f.mu.Lock()
	stored := f.addClientLocked(c).clone()
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": stored.view(true)})
}

func (f *Fake) handleGetClient(w http.ResponseWriter, c route) {
	cl, ok := f.Client(c.param)
	if !ok {
		clientNotFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": cl.view(false)})
}

// handleUpdateClient is PUT /oauth_clients/{id}. All fields are optional and omitted fields
// keep their value (the contract's assumption for this PATCH-like PUT); client_type is refused.
func (f *Fake) handleUpdateClient(w http.ResponseWriter, r *http.Request, c route) {
	if _, ok := f.Client(c.param); !ok {
		clientNotFound(w)
		return
	}
	obj, ok := readTelnyxJSON(w, r)
	if !ok {
		return
	}
	in, errs := parseClientFields(obj, false)
	if len(errs) > 0 {
		writeFieldErrors(w, errs)
		return
	}
	f.mu.Lock()
	stored, ok := f.clients[c.param]
	if !ok { // deleted meanwhile
		f.mu.Unlock()
		clientNotFound(w)
		return
	}
	updated := stored.clone()
	in.apply(&updated)
	if errs = checkClient(&updated); len(errs) == 0 {
		updated.UpdatedAt = f.now()
		f.clients[c.param] = &updated
	}
	f.mu.Unlock()
	if len(errs) > 0 {
		writeFieldErrors(w, errs)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": updated.view(false)})
}

// handleDeleteClient is DELETE /oauth_clients/{id}: 204 with no body. The client's grants are
// revoked with it, so its access and refresh tokens stop working too.
func (f *Fake) handleDeleteClient(w http.ResponseWriter, c route) {
	f.mu.Lock()
	_, ok := f.clients[c.param]
	if ok {
		delete(f.clients, c.param)
		for _, g := range f.grants {
			if g.ClientID == c.param {
				g.Revoked = true
			}
		}
	}
	f.mu.Unlock()
	if !ok {
		clientNotFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// clientNotFound is the 404 of the client operations. The fake uses the Telnyx envelope with
// code 10005 for every 404 (the SPEC declares oauth_Error, the gateway uses the envelope; a
// client must parse both anyway).
func clientNotFound(w http.ResponseWriter) {
	writeTelnyxErrors(w, http.StatusNotFound, newTelnyxError(codeNotFound, titleNotFound, "OAuth client not found."))
}

// clientFields holds the fields present in a create or update body.
type clientFields struct {
	name, clientType, logo, policy, tos *string
	scopes, grantTypes, redirects       *[]string
	requirePKCE                         *bool
}

func (in clientFields) apply(c *Client) {
	if in.name != nil {
		c.Name = *in.name
	}
	if in.scopes != nil {
		c.AllowedScopes = cloneStrings(*in.scopes)
	}
	if in.grantTypes != nil {
		c.AllowedGrantTypes = cloneStrings(*in.grantTypes)
	}
	if in.redirects != nil {
		c.RedirectURIs = cloneStrings(*in.redirects)
	}
	if in.requirePKCE != nil {
		c.RequirePKCE = *in.requirePKCE
	}
	if in.logo != nil {
		c.LogoURI = *in.logo
	}
	if in.policy != nil {
		c.PolicyURI = *in.policy
	}
	if in.tos != nil {
		c.TOSURI = *in.tos
	}
}

// fieldError is one validation failure, located by a JSON pointer into the body.
type fieldError struct {
	pointer string
	msg     string
}

// parseClientFields validates a create (create=true) or update body against
// OAuthClientCreateRequest / OAuthClientUpdateRequest: additionalProperties false, the JSON
// types, the enums, the supported scopes and absolute URIs.
func parseClientFields(obj jsonObject, create bool) (clientFields, []fieldError) {
	var in clientFields
	var errs []fieldError
	add := func(ptr, msg string) { errs = append(errs, fieldError{ptr, msg}) }

	str := func(key string, dst **string, check func(string) string) {
		raw, ok := obj[key]
		if !ok {
			return
		}
		v, msg := asString(raw)
		if msg == "" && check != nil {
			msg = check(v)
		}
		if msg != "" {
			add("/"+key, key+" "+msg)
			return
		}
		*dst = &v
	}
	list := func(key string, dst **[]string, check func(string) string, nonEmpty bool) {
		raw, ok := obj[key]
		if !ok {
			return
		}
		v, msg := asStrings(raw)
		if msg == "" && nonEmpty && len(v) == 0 {
			msg = "must contain at least one item"
		}
		if msg != "" {
			add("/"+key, key+" "+msg)
			return
		}
		bad := false
		for i, item := range v {
			if m := check(item); m != "" {
				add("/"+key+"/"+strconv.Itoa(i), key+"["+strconv.Itoa(i)+"] "+m)
				bad = true
			}
		}
		if !bad {
			*dst = &v
		}
	}

	str("name", &in.name, func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "must not be blank"
		}
		return ""
	})
	list("allowed_scopes", &in.scopes, checkScope, false)
	if create {
		str("client_type", &in.clientType, enumCheck(clientTypes))
	}
	list("allowed_grant_types", &in.grantTypes, enumCheck(grantTypes), true)
	list("redirect_uris", &in.redirects, checkURI, false)
	if raw, ok := obj["require_pkce"]; ok {
		if v, msg := asBool(raw); msg != "" {
			add("/require_pkce", "require_pkce "+msg)
		} else {
			in.requirePKCE = &v
		}
	}
	str("logo_uri", &in.logo, checkURI)
	str("policy_uri", &in.policy, checkURI)
	str("tos_uri", &in.tos, checkURI)

	known := map[string]bool{"name": true, "allowed_scopes": true, "allowed_grant_types": true,
		"redirect_uris": true, "require_pkce": true, "logo_uri": true, "policy_uri": true, "tos_uri": true}
	if create {
		known["client_type"] = true
	}
	for _, k := range sortedKeys(obj) {
		switch {
		case known[k]:
		case k == "client_type":
			add("/client_type", "client_type cannot be changed after creation")
		default:
			add("/"+k, k+" is not a recognised field")
		}
	}
	if create {
		for _, req := range []struct {
			key     string
			present bool
		}{{"name", obj["name"] != nil}, {"allowed_scopes", obj["allowed_scopes"] != nil},
			{"client_type", obj["client_type"] != nil}, {"allowed_grant_types", obj["allowed_grant_types"] != nil}} {
			if !req.present {
				add("/"+req.key, req.key+" is required")
			}
		}
	}
	return in, errs
}

// checkClient applies the rules that span fields: the authorization_code flow needs a
// redirect URI.
func checkClient(c *Client) []fieldError {
	if c.allowsGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		return []fieldError{{"/redirect_uris", "redirect_uris must contain at least one URI when allowed_grant_types contains authorization_code"}}
	}
	return nil
}

// writeFieldErrors answers 422 with one Telnyx error per failed field.
func writeFieldErrors(w http.ResponseWriter, errs []fieldError) {
	out := make([]telnyxError, 0, len(errs))
	for _, e := range errs {
		te := newTelnyxError(codeInvalidParam, titleInvalidParam, e.msg)
		te.Source = &errorSource{Pointer: e.pointer}
		out = append(out, te)
	}
	writeTelnyxErrors(w, http.StatusUnprocessableEntity, out...)
}

// readTelnyxJSON reads a JSON object body for a Telnyx-style operation: 415 for another
// content type, 413 over 1 MiB, 400 for a body that is not one JSON object.
func readTelnyxJSON(w http.ResponseWriter, r *http.Request) (jsonObject, bool) {
	if !isJSON(r) {
		writeTelnyxErrors(w, http.StatusUnsupportedMediaType, newTelnyxError(codeInvalidParam, "Unsupported media type",
			"The request body must be sent with Content-Type: application/json."))
		return nil, false
	}
	b, status := readBody(r)
	if status != 0 {
		writeTelnyxErrors(w, status, newTelnyxError(codeInvalidParam, "Invalid request body", http.StatusText(status)+"."))
		return nil, false
	}
	obj, err := decodeObject(b)
	if err != nil {
		writeTelnyxErrors(w, http.StatusBadRequest, newTelnyxError(codeInvalidParam, "Invalid request body", err.Error()))
		return nil, false
	}
	return obj, true
}

func isJSON(r *http.Request) bool {
	mt := mediaType(r)
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// jsonObject is a decoded JSON object whose values are checked one field at a time, so that an
// unknown or mistyped field can be reported by name.
type jsonObject map[string]json.RawMessage

// decodeObject parses b as exactly one JSON object. Keys are matched case-sensitively.
func decodeObject(b []byte) (jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var obj jsonObject
	if err := dec.Decode(&obj); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("the request body is not valid JSON")
		}
		return nil, errors.New("the request body must be a JSON object")
	}
	if obj == nil {
		return nil, errors.New("the request body must be a JSON object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the request body has data after the JSON object")
	}
	return obj, nil
}

func sortedKeys(obj jsonObject) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// asString, asStrings and asBool decode one field; the second result is the complaint, if any.
// A JSON null is a type error: no field of these schemas is nullable.
func asString(raw json.RawMessage) (string, string) {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", "must be a string"
	}
	return s, ""
}

func asStrings(raw json.RawMessage) ([]string, string) {
	var s []string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return nil, "must be an array of strings"
	}
	return cloneStrings(s), ""
}

func asBool(raw json.RawMessage) (bool, string) {
	var b bool
	if isNull(raw) || json.Unmarshal(raw, &b) != nil {
		return false, "must be a boolean"
	}
	return b, ""
}

func enumCheck(allowed []string) func(string) string {
	return func(s string) string {
		if slices.Contains(allowed, s) {
			return ""
		}
		return "must be one of: " + strings.Join(allowed, ", ")
	}
}

func checkScope(s string) string {
	if scopeByID(s) == nil {
		return "is not a supported scope: " + strconv.Quote(s)
	}
	return ""
}

// checkURI enforces the SPEC "format: uri" (an absolute URI) plus RFC 6749's rule that a
// redirect URI has no fragment; http and https URIs need a host.
func checkURI(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "":
		return "must be an absolute URI"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "must not contain a fragment"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return "must include a host"
	}
	return ""
}
