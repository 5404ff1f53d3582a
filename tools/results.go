package tools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// maxStringRunes caps every string in a result. API data is untrusted: a
// client named with two megabytes of text would otherwise fill the model's
// context.
const maxStringRunes = 8192

// maxResultBytes caps a whole result. Capped strings alone still allow a
// page of a hundred clients with long fields to run to megabytes, all of
// it paid for in the model's context (twice: as structuredContent and as
// text). A full page of ordinary clients is about a tenth of this.
const maxResultBytes = 256 << 10

// structured returns out as structuredContent plus the same JSON as text,
// after sanitizing every string in it and masking secrets as the policy
// says. Output fields tagged `secret:"true"` hold secrets.
//
// structuredContent is out itself, not the JSON encoded here: mcp-go
// encodes the result again as it writes the response, and encoding/json
// re-validates pre-encoded JSON (a json.RawMessage) byte by byte, which
// costs more than encoding the value (BenchmarkStructuredResponse).
func (d Deps) structured(out any) *mcp.CallToolResult {
	shape(reflect.ValueOf(out), d.Secrets == SecretsRedact, false)
	b, err := json.Marshal(out)
	if err != nil {
		return mcp.NewToolResultError("internal error: encoding the result: " + err.Error())
	}
	if len(b) > maxResultBytes {
		return mcp.NewToolResultError(fmt.Sprintf("the result is %d KiB, more than the %d KiB a tool result may be; "+
			"ask for less, for example a smaller page_size or a narrower filter.", len(b)>>10, maxResultBytes>>10))
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.TextContent{Type: mcp.ContentTypeText, Text: string(b)}},
		StructuredContent: out,
	}
}

// shape walks v in place: strings are sanitized (control, zero-width, bidi
// and tag characters removed) and capped; secret strings are masked when
// redact is set.
func shape(v reflect.Value, redact, secret bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Interface {
			// Values inside interfaces are not addressable: rebuild them.
			inner := v.Elem()
			switch inner.Kind() {
			case reflect.String:
				if v.CanSet() {
					v.Set(reflect.ValueOf(cleanString(inner.String(), redact && secret)))
				}
			case reflect.Map, reflect.Slice, reflect.Pointer:
				shape(inner, redact, secret)
			}
			return
		}
		shape(v.Elem(), redact, secret)
	case reflect.Struct:
		for _, f := range shapedFields(v.Type()) {
			shape(v.Field(f.index), redact, secret || f.secret)
		}
	case reflect.Slice:
		if !mayHoldStrings(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			shape(v.Index(i), redact, secret)
		}
	case reflect.Map:
		// Keys come from the API too (a JWKS member, a token claim). They are
		// cleaned after the walk: a key added while a map is walked may be
		// visited again, and cleaning twice would truncate twice.
		var renames [][2]reflect.Value
		iter := v.MapRange()
		for iter.Next() {
			if k := iter.Key(); k.Kind() == reflect.String {
				if clean := cleanString(k.String(), false); clean != k.String() {
					renames = append(renames, [2]reflect.Value{k, reflect.ValueOf(clean).Convert(k.Type())})
				}
			}
			val := iter.Value()
			switch val.Kind() {
			case reflect.Interface:
				if val.IsNil() {
					continue
				}
				inner := val.Elem()
				if inner.Kind() == reflect.String {
					v.SetMapIndex(iter.Key(), reflect.ValueOf(cleanString(inner.String(), redact && secret)))
				} else {
					shape(inner, redact, secret)
				}
			case reflect.String:
				v.SetMapIndex(iter.Key(), reflect.ValueOf(cleanString(val.String(), redact && secret)).Convert(val.Type()))
			default:
				shape(val, redact, secret)
			}
		}
		for _, r := range renames {
			val := v.MapIndex(r[0])
			v.SetMapIndex(r[0], reflect.Value{})
			v.SetMapIndex(r[1], val)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(cleanString(v.String(), redact && secret))
		}
	}
}

// shapedField is a struct field that shape visits: exported, of a type
// that may hold a string.
type shapedField struct {
	index  int
	secret bool // tagged `secret:"true"`
}

// shapedFieldsOf caches shapedFields per struct type: reading a field's
// reflect.StructField and tag on every value was most of what shaping a
// page of results cost.
var shapedFieldsOf sync.Map // reflect.Type → []shapedField

// shapedFields are the fields of struct type t that shape visits.
func shapedFields(t reflect.Type) []shapedField {
	if fs, ok := shapedFieldsOf.Load(t); ok {
		return fs.([]shapedField)
	}
	var fs []shapedField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && mayHoldStrings(f.Type) {
			fs = append(fs, shapedField{index: i, secret: f.Tag.Get("secret") == "true"})
		}
	}
	shapedFieldsOf.Store(t, fs)
	return fs
}

// mayHoldStrings reports whether a value of type t can contain a string
// that shape would clean: numbers and booleans cannot.
func mayHoldStrings(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

func cleanString(s string, mask bool) string {
	if mask {
		return safetext.Mask(s)
	}
	s = safetext.Sanitize(s)
	if len(s) > maxStringRunes && utf8.RuneCountInString(s) > maxStringRunes {
		r := []rune(s)
		s = string(r[:maxStringRunes]) + fmt.Sprintf("…[truncated %d characters]", len(r)-maxStringRunes)
	}
	return s
}

func invalidArgs(err error) *mcp.CallToolResult {
	return mcp.NewToolResultError("invalid arguments: " + err.Error() + ". Nothing was sent to Telnyx; fix the arguments and call again.")
}

// CredentialSource says where the credentials of Telnyx calls come from.
// Errors about a missing or refused credential name what the reader can
// change, which differs: a stdio user sets the environment, an HTTP caller
// in key mode sends another bearer, and nobody but the operator changes a
// token-mode server's own credential. In every case the OAuth client of a
// token or introspection call can be named in the call's arguments.
type CredentialSource int

const (
	// CredentialsFromEnvironment: the process's environment or stored
	// login (stdio, `call`). The zero value.
	CredentialsFromEnvironment CredentialSource = iota
	// CredentialsFromCaller: each HTTP caller's own Telnyx API key, sent as
	// its bearer (key mode).
	CredentialsFromCaller
	// CredentialsFromOperator: a shared server's own credential (token
	// mode).
	CredentialsFromOperator
)

// keyRefused is the hint given when Telnyx refuses the API key.
func (c CredentialSource) keyRefused() string {
	switch c {
	case CredentialsFromCaller:
		return "Telnyx refused the API key sent as this connection's bearer (Authorization: Bearer <key>): reconnect with a valid Telnyx API key."
	case CredentialsFromOperator:
		return "Telnyx refused this server's own credential: only the server's operator can change it."
	}
	return "the credential was refused: check TELNYX_API_KEY (or the stored login)."
}

// clientAuth says how to name the OAuth client of a token or
// introspection call.
func (c CredentialSource) clientAuth() string {
	if c == CredentialsFromEnvironment {
		return "pass client_id (and client_secret for a confidential client), or set TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET"
	}
	return "pass client_id (and client_secret for a confidential client)"
}

// errorResult maps any failure to an isError result with what happened and
// what to do next.
func (d Deps) errorResult(s *spec, err error) *mcp.CallToolResult {
	var (
		invalid  *telnyxapi.InvalidArgumentError
		unknown  *telnyxapi.OutcomeUnknownError
		apiErr   *telnyxapi.APIError
		redirect *telnyxapi.RedirectError
		respErr  *telnyxapi.ResponseError
		netErr   *telnyxapi.TransportError
	)
	var msg string
	switch {
	case errors.As(err, &invalid):
		return invalidArgs(invalid)
	case errors.As(err, &unknown):
		verify := "check whether it took effect before trying again"
		if s.verify != "" {
			verify = "check with " + s.verify + " whether it took effect before trying again"
		}
		msg = fmt.Sprintf("%s failed and its outcome is unknown: the request may have reached Telnyx, so it was not retried (a retry could act twice). Cause: %v. Next: %s.",
			s.name, unknown.Err, verify)
	case errors.As(err, &apiErr):
		msg = fmt.Sprintf("Telnyx API error: %v.", apiErr)
		if hint := statusHint(s, d.Credentials, apiErr); hint != "" {
			msg += " Hint: " + hint
		}
	case errors.As(err, &redirect):
		msg = fmt.Sprintf("Telnyx answered %d with a redirect, which this server never follows (credentials go to the configured host only). %v", redirect.Status, redirect)
	case errors.As(err, &respErr):
		msg = fmt.Sprintf("Telnyx sent a response that could not be used: %v. Try again later; if it persists, a proxy may be in the way.", respErr)
	case errors.Is(err, context.Canceled):
		msg = "the call was cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		msg = "the call timed out (see --timeout and --attempt-timeout); try again, or raise the limits."
	case errors.As(err, &netErr):
		msg = fmt.Sprintf("%v. Check the network and --base-url, then try again.", netErr)
	case errors.Is(err, telnyxapi.ErrNoClientAuth):
		msg = err.Error() + ": " + d.Credentials.clientAuth() + "."
	case errors.Is(err, telnyxapi.ErrNoCredential) && d.Credentials == CredentialsFromEnvironment:
		msg = err.Error() + ": set TELNYX_API_KEY (or TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET), or run `telnyx-oauth-mcp login`."
	case telnyxapi.IsCredentialError(err):
		msg = err.Error() + "."
	default:
		msg = err.Error()
	}
	return mcp.NewToolResultError(safetext.Sanitize(msg))
}

func statusHint(s *spec, creds CredentialSource, e *telnyxapi.APIError) string {
	switch {
	case e.Status == http.StatusUnauthorized && e.ClientAuth:
		return "Telnyx refused the OAuth client's credentials: check them, or " + creds.clientAuth() + "."
	case e.Status == http.StatusUnauthorized:
		return creds.keyRefused()
	case e.Status == http.StatusForbidden:
		return "the credential is valid but not allowed to do this."
	case e.Status == http.StatusNotFound:
		if s.notFound != "" {
			return "nothing has that id; " + s.notFound + "."
		}
		return "not found."
	case e.Status == http.StatusUnprocessableEntity || e.Status == http.StatusBadRequest:
		if len(e.InvalidFields) > 0 || e.Source != "" {
			return "fix the fields named above and call again."
		}
		return "the request was refused as invalid; check the arguments."
	case e.Status == http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("rate limited; wait %s before retrying.", e.RetryAfter.Round(1e9))
		}
		return "rate limited; wait a little before retrying."
	case e.Status >= 500:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("Telnyx is unavailable; try again in %s.", e.RetryAfter.Round(1e9))
		}
		return "Telnyx had a problem; try again later."
	}
	return ""
}

// newRef is a short random reference that ties an error result to its log
// line.
func newRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// joinLines joins the lines of a message the model reads.
func joinLines(lines ...string) string { return strings.Join(lines, "\n") }
