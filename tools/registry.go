package tools

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// All returns every tool, grouped by toolset (tools/list sorts them by
// name). It panics when a tool's schema was never generated: a programming
// error that `go generate ./...` fixes.
func All(d Deps) []Tool {
	all := registered(d)
	if err := generated(all); err != nil {
		panic(err)
	}
	return all
}

// generated reports the first tool whose schema schemas_generated.go lacks.
func generated(all []Tool) error {
	for _, t := range all {
		for _, s := range []struct {
			role schemaRole
			typ  reflect.Type
		}{{inputRole, t.inType}, {outputRole, t.outType}} {
			if schemaOf(s.role, s.typ) == nil {
				return fmt.Errorf("the %s schema of %s (%s) was never generated: run go generate ./...", s.role, t.Name(), s.typ)
			}
		}
	}
	return nil
}

// registered builds every tool, whether or not its schemas were generated
// (the generator reflects them from these tools). Adding a tool means one
// line here.
func registered(d Deps) []Tool {
	return []Tool{
		GetOAuthServerMetadata(d),
		GetOAuthProtectedResourceMetadata(d),
		GetOAuthJWKS(d),

		BuildOAuthAuthorizeURL(d),
		ExchangeOAuthToken(d),
		IntrospectOAuthToken(d),
		VerifyOAuthAccessToken(d),
		RegisterOAuthClient(d),
		GetOAuthConsent(d),

		SubmitOAuthConsent(d),

		ListOAuthClients(d),
		CreateOAuthClient(d),
		GetOAuthClient(d),
		UpdateOAuthClient(d),
		DeleteOAuthClient(d),

		ListOAuthGrants(d),
		GetOAuthGrant(d),
		RevokeOAuthGrant(d),
	}
}

// Toolsets lists every toolset; DefaultToolsets those on when --toolsets is
// not given. The consent toolset holds the user's consent button, so it is
// on only when named.
var (
	Toolsets        = []string{ToolsetDiscovery, ToolsetProtocol, ToolsetClients, ToolsetGrants, ToolsetConsent}
	DefaultToolsets = []string{ToolsetDiscovery, ToolsetProtocol, ToolsetClients, ToolsetGrants}
)

// Selection says which tools a server exposes.
type Selection struct {
	// Toolsets switches tools on by group; DefaultToolsets when empty.
	// "all" names every toolset.
	Toolsets []string
	// Tools, when set, exposes exactly these tools, whatever Toolsets says.
	Tools []string
	// ReadOnly keeps only tools that change nothing. It wins over both
	// lists.
	ReadOnly bool
}

// Select returns the tools sel exposes, in registry order. An unknown
// toolset or tool name is an error, so that a typo does not silently expose
// less (or more) than meant.
func Select(all []Tool, sel Selection) ([]Tool, error) {
	sets := sel.Toolsets
	if len(sets) == 0 {
		sets = DefaultToolsets
	}
	if slices.Contains(sets, "all") {
		sets = Toolsets
	}
	for _, s := range sets {
		if !slices.Contains(Toolsets, s) {
			return nil, fmt.Errorf("unknown toolset %q (known: %s, all)", s, strings.Join(Toolsets, ", "))
		}
	}
	for _, name := range sel.Tools {
		if !slices.ContainsFunc(all, func(t Tool) bool { return t.Name() == name }) {
			return nil, fmt.Errorf("unknown tool %q (telnyx-oauth-mcp tools lists them)", name)
		}
	}
	var out []Tool
	for _, t := range all {
		on := slices.Contains(sets, t.Toolset)
		if len(sel.Tools) > 0 {
			on = slices.Contains(sel.Tools, t.Name())
		}
		if on && (!sel.ReadOnly || t.ReadOnly()) {
			out = append(out, t)
		}
	}
	return out, nil
}
