package telnyxapi

import (
	"errors"
	"net"
	"net/http"
)

// policy is what the client may do when an attempt of one operation fails:
// send it again, and how to report a failure that leaves its outcome in
// doubt.
type policy struct {
	// retry: the operation may be sent again after an answer that says it
	// was not carried out (429 Too Many Requests), and replayed with a
	// fresh client-credentials token after a 401.
	retry bool
	// replay: the operation may be sent again after an attempt that may
	// have reached the server (a connection lost after the request was
	// written, 408, 500, 502, 503, 504), because doing it twice has the
	// effect of doing it once.
	replay bool
	// ambiguous says how a failure is reported when an attempt may have
	// taken effect. Only reportUnknown goes with replay false (policy_test
	// holds the table to that).
	ambiguous report
}

// report is how a failure after an ambiguous attempt is told to the caller.
type report int

const (
	// reportUnknown: the operation is not replayed, so a failure after it
	// may have reached the server is an OutcomeUnknownError. It is the
	// zero value, so that an operation missing from the table is never
	// repeated.
	reportUnknown report = iota
	// reportAsIs: the operation was replayed and the last answer stands.
	reportAsIs
	// reportLikelyDone: a 404 after an ambiguous attempt of a delete says
	// the target is most likely gone because of that attempt (LikelyDone).
	reportLikelyDone
)

// policies holds the policy of every operation, keyed by operationId. A
// request that never left this machine (a failed dial or DNS lookup)
// changed nothing, so it is sent again whatever its row says.
var policies = map[string]policy{
	// Reads.
	"GetOAuthAuthorizationServerMetadata": {retry: true, replay: true, ambiguous: reportAsIs},
	"GetOAuthProtectedResourceMetadata":   {retry: true, replay: true, ambiguous: reportAsIs},
	"GetOAuthJWKS":                        {retry: true, replay: true, ambiguous: reportAsIs},
	"AuthorizeOAuth":                      {retry: true, replay: true, ambiguous: reportAsIs},
	"GetOAuthConsentToken":                {retry: true, replay: true, ambiguous: reportAsIs},
	"ListOAuthClients":                    {retry: true, replay: true, ambiguous: reportAsIs},
	"GetOAuthClient":                      {retry: true, replay: true, ambiguous: reportAsIs},
	"ListOAuthGrants":                     {retry: true, replay: true, ambiguous: reportAsIs},
	"GetOAuthGrant":                       {retry: true, replay: true, ambiguous: reportAsIs},
	// Introspection is a POST that changes nothing (RFC 7662).
	"IntrospectOAuthToken": {retry: true, replay: true, ambiguous: reportAsIs},
	// A PUT sets the same fields however often it is sent.
	"UpdateOAuthClient": {retry: true, replay: true, ambiguous: reportAsIs},
	// Deletes: the second of two leaves the same state, but answers 404.
	"DeleteOAuthClient": {retry: true, replay: true, ambiguous: reportLikelyDone},
	"RevokeOAuthGrant":  {retry: true, replay: true, ambiguous: reportLikelyDone},
	// Sent at most once once they may have reached the server: a second
	// create makes a second client and secret, a code or refresh token is
	// spent by its first use, and a consent is the user's one decision.
	"CreateOAuthClient":   {ambiguous: reportUnknown},
	"RegisterOAuthClient": {ambiguous: reportUnknown},
	"ExchangeOAuthToken":  {ambiguous: reportUnknown},
	"CreateOAuthGrant":    {ambiguous: reportUnknown},
}

// verdict is what the client does after one attempt.
type verdict int

const (
	// finish returns the answer, or the failure as it is.
	finish verdict = iota
	// finishUnknown returns an OutcomeUnknownError: the attempt may have
	// taken effect and the operation must not be sent again.
	finishUnknown
	// retryClean sends again after a pause; the attempt changed nothing.
	retryClean
	// retryAmbiguous sends again after a pause; the attempt may have taken
	// effect.
	retryAmbiguous
	// refresh fetches a new client-credentials token and sends again at
	// once.
	refresh
)

// classify decides what follows an attempt of an operation with policy p,
// from the error check made of it (nil for a usable answer). canRefresh says
// whether a new bearer token could be fetched. Each column of the policy is
// read here: retry for a 429 or a 401, replay for an attempt that may have
// taken effect, and ambiguous for when to stop with an OutcomeUnknownError;
// Client.failure reads ambiguous once more, to mark a delete's final 404 as
// likely done.
func classify(p policy, err error, canRefresh bool) verdict {
	if err == nil {
		return finish
	}
	var send *sendError
	var api *APIError
	var resp *ResponseError
	switch {
	case errors.As(err, &send):
		switch {
		case send.callEnded:
			// The caller's deadline or cancellation: nothing is sent again.
			if p.ambiguous == reportUnknown {
				return finishUnknown
			}
			return finish
		case send.unsent:
			return retryClean
		case p.replay:
			return retryAmbiguous
		case p.ambiguous == reportUnknown:
			return finishUnknown
		}
		return finish
	case errors.As(err, &api):
		switch {
		case api.Status == http.StatusUnauthorized && canRefresh && p.retry:
			// The cached client-credentials token may have been revoked or
			// expired early.
			return refresh
		case api.Status == http.StatusTooManyRequests && p.retry:
			return retryClean
		case ambiguousStatus(api.Status) && p.replay:
			return retryAmbiguous
		case p.ambiguous == reportUnknown && (api.Status == http.StatusRequestTimeout || api.Status >= 500):
			return finishUnknown
		}
		return finish
	case errors.As(err, &resp):
		// The server answered, so the call took effect, but its answer
		// (perhaps the only copy of a secret) is lost.
		if p.ambiguous == reportUnknown {
			return finishUnknown
		}
	}
	return finish
}

// ambiguousStatus reports whether a status leaves open whether the request
// took effect, and is worth sending again: a timeout or a server failure
// that may pass.
func ambiguousStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// sendError is an attempt that got no answer. It never leaves the client:
// the caller sees a TransportError or an OutcomeUnknownError.
type sendError struct {
	err       error // scrubbed of credentials, or the call's context error
	unsent    bool  // the request provably never left: a failed dial or DNS lookup
	callEnded bool  // the call's deadline passed or its caller cancelled it
}

func (e *sendError) Error() string { return e.err.Error() }

// neverSent reports whether err proves the request did not reach the
// server, so that even a non-idempotent call may be tried again.
func neverSent(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}
