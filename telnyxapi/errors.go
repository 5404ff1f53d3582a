package telnyxapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// APIError is a non-2xx answer from the Telnyx API. Both error shapes the API
// uses are read into it: the Telnyx envelope {"errors":[{code,title,detail,
// source}]} and the OAuth shape {error, error_description, invalid_fields}. A
// body in neither shape (an HTML page from a proxy, say) is kept only as a
// short, sanitized Excerpt.
type APIError struct {
	Operation string // the API operation, e.g. "GetOAuthClient"
	Status    int
	RequestID string // the X-Request-Id response header, for Telnyx support

	Code   string // errors[0].code, or the OAuth error code
	Title  string // errors[0].title
	Detail string // errors[0].detail, or error_description
	Source string // errors[0].source.pointer or .parameter

	// InvalidFields lists per-field messages (dynamic registration's 400, and
	// every pointer of a Telnyx envelope).
	InvalidFields map[string][]string

	// Excerpt is a sanitized piece of a body that was not an error object.
	Excerpt string

	// ClientAuth: the request authenticated as an OAuth client (its
	// client_id and secret), not with the API key or a bearer token, so a
	// 401 refuses the client's credentials.
	ClientAuth bool

	// RetryAfter is how long the API asked the caller to wait, when it said.
	RetryAfter time.Duration
	// retryAsked: the answer had a Retry-After the client could read (0
	// included: "now").
	retryAsked bool

	// AfterAmbiguousAttempt is set on the 404 that ends a delete whose
	// earlier attempt may have reached the server (a lost connection, a
	// 408 or 5xx): the target is most likely gone because of that attempt.
	// Which operations are deletes is the reportLikelyDone column of the
	// policy table.
	AfterAmbiguousAttempt bool
}

// LikelyDone reports whether err is a DELETE's 404 after an ambiguous
// earlier attempt: the delete most likely took effect.
func LikelyDone(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == http.StatusNotFound && e.AfterAmbiguousAttempt
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Operation, e.Status, http.StatusText(e.Status))
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Second))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	return b.String()
}

// Message is the API's own explanation: code, title and detail, the invalid
// fields, or the excerpt of a body it could not read as an error object.
func (e *APIError) Message() string {
	var parts []string
	switch {
	case e.Title != "" && e.Detail != "" && e.Title != e.Detail:
		parts = append(parts, e.Title+": "+e.Detail)
	case e.Detail != "":
		parts = append(parts, e.Detail)
	case e.Title != "":
		parts = append(parts, e.Title)
	}
	if e.Code != "" {
		parts = append(parts, "(code "+e.Code+")")
	}
	if len(e.InvalidFields) > 0 {
		parts = append(parts, "invalid fields: "+formatFields(e.InvalidFields))
	}
	if len(parts) == 0 && e.Excerpt != "" {
		parts = append(parts, "response body: "+e.Excerpt)
	}
	return strings.Join(parts, " ")
}

func formatFields(fields map[string][]string) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name)
		if msgs := fields[name]; len(msgs) > 0 {
			b.WriteString(" ")
			b.WriteString(strings.Join(msgs, ", "))
		}
	}
	return b.String()
}

// OutcomeUnknownError says that a request which is not safe to repeat failed
// after it may have reached Telnyx: a 5xx, a timeout, or a connection lost
// after the request was written. It was not retried, because a retry could
// create a second client or spend a one-time code twice.
type OutcomeUnknownError struct {
	Operation string
	Err       error
}

func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s: outcome unknown, the request may or may not have taken effect and was not retried: %v",
		e.Operation, e.Err)
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// RedirectError is an unexpected 3xx. Redirects are never followed, so that
// credentials go to the configured host only.
type RedirectError struct {
	Operation string
	Status    int
	Location  string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s: unexpected redirect %d to %q; redirects are not followed", e.Operation, e.Status, e.Location)
}

// ResponseError is a 2xx answer that could not be used: not JSON, truncated,
// of the wrong shape, or larger than the size cap.
type ResponseError struct {
	Operation   string
	Status      int
	RequestID   string
	ContentType string
	Excerpt     string
	Reason      string
}

func (e *ResponseError) Error() string {
	msg := fmt.Sprintf("%s: unusable %d response (%s)", e.Operation, e.Status, e.Reason)
	if e.ContentType != "" {
		msg += ", content type " + e.ContentType
	}
	if e.Excerpt != "" {
		msg += ", body: " + e.Excerpt
	}
	if e.RequestID != "" {
		msg += " [request id " + e.RequestID + "]"
	}
	return msg
}

// TransportError is a failure to get any answer from Telnyx: a refused
// connection, a reset, a timeout. Safe calls were already retried.
type TransportError struct {
	Operation string
	Attempts  int
	Err       error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s: could not reach the Telnyx API after %d attempt(s): %v", e.Operation, e.Attempts, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// InvalidArgumentError is an argument refused before any request was built.
type InvalidArgumentError struct {
	Field  string
	Reason string
}

func (e *InvalidArgumentError) Error() string { return e.Field + ": " + e.Reason }

// errorBody is the union of the two error shapes.
type errorBody struct {
	Errors []struct {
		Code   json.RawMessage `json:"code"`
		Title  string          `json:"title"`
		Detail string          `json:"detail"`
		Source struct {
			Pointer   string `json:"pointer"`
			Parameter string `json:"parameter"`
		} `json:"source"`
	} `json:"errors"`
	Error            string              `json:"error"`
	ErrorDescription string              `json:"error_description"`
	InvalidFields    map[string][]string `json:"invalid_fields"`
}

// requestID is an answer's X-Request-Id, for Telnyx support, made safe to
// show: it comes from the network like any other header.
func requestID(h http.Header) string {
	return safetext.Clip(safetext.Sanitize(h.Get("X-Request-Id")), 100)
}

// parseAPIError builds the APIError of a non-2xx response body.
func parseAPIError(op string, status int, header http.Header, body []byte, scrub func(string) string) *APIError {
	e := &APIError{Operation: op, Status: status, RequestID: requestID(header)}
	var eb errorBody
	if isJSON(header.Get("Content-Type"), body) && json.Unmarshal(body, &eb) == nil && (len(eb.Errors) > 0 || eb.Error != "") {
		if len(eb.Errors) > 0 {
			first := eb.Errors[0]
			e.Code = codeString(first.Code)
			e.Title = first.Title
			e.Detail = first.Detail
			e.Source = first.Source.Pointer
			if e.Source == "" {
				e.Source = first.Source.Parameter
			}
			for _, item := range eb.Errors {
				field := item.Source.Pointer
				if field == "" {
					field = item.Source.Parameter
				}
				if field == "" {
					continue
				}
				if e.InvalidFields == nil {
					e.InvalidFields = map[string][]string{}
				}
				field = strings.TrimPrefix(field, "/")
				msg := item.Detail
				if msg == "" {
					msg = item.Title
				}
				e.InvalidFields[field] = append(e.InvalidFields[field], msg)
			}
		} else {
			e.Code = eb.Error
			e.Detail = eb.ErrorDescription
			e.InvalidFields = eb.InvalidFields
		}
	} else {
		e.Excerpt = excerpt(header.Get("Content-Type"), body, scrub)
	}
	e.Code = safetext.Clip(scrub(safetext.Sanitize(e.Code)), 64)
	e.Title = safetext.Clip(scrub(safetext.Sanitize(e.Title)), 200)
	e.Detail = safetext.Clip(scrub(safetext.Sanitize(e.Detail)), 500)
	e.Source = safetext.Clip(scrub(safetext.Sanitize(e.Source)), 200)
	if len(e.InvalidFields) > 0 {
		clean := make(map[string][]string, len(e.InvalidFields))
		n := 0
		for k, msgs := range e.InvalidFields {
			if n++; n > 20 {
				break
			}
			key := safetext.Clip(scrub(safetext.Sanitize(k)), 100)
			for i, m := range msgs {
				if i >= 5 {
					break
				}
				clean[key] = append(clean[key], safetext.Clip(scrub(safetext.Sanitize(m)), 200))
			}
		}
		e.InvalidFields = clean
	}
	return e
}

// codeString reads an error code that the API sends as a string ("10009")
// and that other gateways send as a number.
func codeString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

const excerptLimit = 300

// The HTML patterns are compiled on first use: only an error page needs
// them, and start-up should not pay for it.
var (
	// An unclosed script or style (a page cut at the read limit) runs to
	// the end of the text.
	reScript = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?is)<(script|style)\b[^>]*>.*?(</(script|style)\s*>|\z)`)
	})
	reTitle = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`) })
	reTag   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)<[^>]*(>|\z)`) }) // a tag cut at the read limit too
)

// excerpt turns a body that is not an error object into at most 300
// characters of plain text, with control and invisible characters removed.
// Of an HTML page (a proxy's or a firewall's error page, or the authorize
// endpoint's) the title and the start of its visible text are kept, each
// cut at htmlTextLimit and quoted: enough to say what went wrong, while a
// page's body is text a third party wrote, so the model reading this error
// is never handed paragraphs of it. Anything else keeps its start.
func excerpt(contentType string, body []byte, scrub func(string) string) string {
	if len(body) > 64<<10 {
		body = body[:64<<10]
	}
	text := string(body)
	if strings.Contains(strings.ToLower(contentType), "html") || looksLikeHTML(text) {
		title := ""
		if m := reTitle().FindStringSubmatch(text); m != nil {
			title = plainText(m[1])
			text = strings.Replace(text, m[0], " ", 1)
		}
		text = reScript().ReplaceAllString(text, " ")
		visible := plainText(text)
		text = "HTML page"
		if title != "" {
			text += " " + strconv.Quote(safetext.Clip(title, htmlTextLimit))
		}
		if visible != "" {
			text += ": " + strconv.Quote(safetext.Clip(visible, htmlTextLimit))
		}
	}
	text = safetext.OneLine(text)
	// Scrub before cutting, so that a secret straddling the cut cannot
	// survive as a prefix.
	return safetext.Clip(scrub(text), excerptLimit)
}

// plainText is the text of an HTML fragment: tags removed, entities
// decoded, invisible characters dropped, white space folded.
func plainText(fragment string) string {
	fragment = reTag().ReplaceAllString(fragment, " ")
	return safetext.OneLine(html.UnescapeString(fragment))
}

// htmlTextLimit caps what is kept of an HTML page.
const htmlTextLimit = 120

func looksLikeHTML(s string) bool {
	head := strings.ToLower(strings.TrimSpace(s))
	if len(head) > 100 {
		head = head[:100]
	}
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

func isJSON(contentType string, body []byte) bool {
	ct := strings.ToLower(contentType)
	if strings.Contains(ct, "json") {
		return true
	}
	if ct == "" {
		trimmed := strings.TrimSpace(string(body))
		return strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")
	}
	return false
}
