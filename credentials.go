package main

// Choosing the credential the server uses upstream: the sandbox's, none in
// HTTP key mode (each caller brings its own), or else the environment's,
// and last what `login` stored for the base URL.

import (
	"errors"
	"fmt"
	"io"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/httpserver"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/login"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// newAPIClient builds the Telnyx client from the environment, or starts the
// sandbox. It fails with one clear line when no credential is set.
func newAPIClient(cfg *config, getenv func(string) string, stderr io.Writer) (*telnyxapi.Client, func(), error) {
	apiCfg := telnyxapi.Config{
		BaseURL:        cfg.baseURL,
		UserAgent:      "telnyx-oauth-mcp/" + version,
		CallTimeout:    cfg.timeout,
		AttemptTimeout: cfg.attemptTimeout,
	}
	cleanup := func() {}
	keys := keyMode(cfg)
	switch {
	case cfg.sandbox:
		fake, err := telnyxfake.Listen(telnyxfake.Options{Seed: true})
		if err != nil {
			return nil, nil, fmt.Errorf("starting the sandbox: %w", err)
		}
		cleanup = func() { _ = fake.Close() }
		apiCfg.BaseURL = fake.BaseURL
		apiCfg.ClientID = telnyxfake.DemoClientID
		apiCfg.ClientSecret = telnyxfake.DemoClientSecret
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: SANDBOX: a built-in fake Telnyx API with demo data at %s; nothing reaches Telnyx\n", fake.URL)
		if keys {
			// As over stdio, token and introspection calls default to the
			// sandbox's demo client, whose secret is published; the bearer
			// is each caller's.
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: SANDBOX, key mode: callers send Authorization: Bearer %s (the sandbox's key); token calls default to the demo client %s\n", telnyxfake.DefaultAPIKey, telnyxfake.DemoClientID)
		} else {
			apiCfg.APIKey = telnyxfake.DefaultAPIKey
		}
	case keys:
		// In key mode each caller's own key is the only credential: none of
		// the server's is used, not even the client id and secret.
		if getenv("TELNYX_API_KEY") != "" || getenv("TELNYX_CLIENT_ID") != "" || getenv("TELNYX_CLIENT_SECRET") != "" {
			fmt.Fprintln(stderr, "telnyx-oauth-mcp: --http-auth key: TELNYX_API_KEY, TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET are ignored; each caller's own key is used")
		}
	default:
		apiCfg.APIKey = getenv("TELNYX_API_KEY")
		apiCfg.ClientID = getenv("TELNYX_CLIENT_ID")
		apiCfg.ClientSecret = getenv("TELNYX_CLIENT_SECRET")
		if apiCfg.APIKey != "" || (apiCfg.ClientID != "" && apiCfg.ClientSecret != "") {
			break
		}
		// Last in precedence: what `login` stored for this base URL.
		stored, err := login.LoadStored(getenv, apiCfg, stderr)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the stored Telnyx credential: %w", err)
		}
		if stored == nil {
			return nil, nil, errors.New("no Telnyx credential: set TELNYX_API_KEY (or TELNYX_CLIENT_ID and TELNYX_CLIENT_SECRET), run `telnyx-oauth-mcp login`, or try --sandbox")
		}
		apiCfg.APIKey, apiCfg.Bearer = stored.APIKey, stored.Bearer
		fmt.Fprintf(stderr, "telnyx-oauth-mcp: using the Telnyx credential stored in %s\n", stored.Where)
	}
	// Set last: the client that refreshes a stored login is not the
	// server's upstream, and its attempts are not the server's metrics.
	apiCfg.OnAttempt = cfg.onAttempt
	api, err := telnyxapi.New(apiCfg)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return api, cleanup, nil
}

// keyMode reports whether the server runs over HTTP with callers bringing
// their own Telnyx keys. Other commands (`call`, …) keep the usual
// credentials even when TELNYX_MCP_TRANSPORT=http is set, as in the image.
func keyMode(cfg *config) bool {
	serving := len(cfg.args) == 0 || cfg.args[0] == "serve"
	return serving && cfg.transport == "http" && cfg.httpAuth == httpserver.AuthKey
}
