package main

// The commands for people and scripts: `tools` prints the tool table and
// `call` runs one tool and prints its result.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/tools"
)

// printTools writes the tool table: every tool, and whether the current
// flags expose it.
func printTools(stdout, stderr io.Writer, sel tools.Selection, confirming bool) int {
	all := tools.All(tools.Deps{})
	on, err := tools.Select(all, sel)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 2
	}
	exposed := map[string]bool{}
	for _, t := range on {
		exposed[t.Name()] = true
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOOL\tTOOLSET\tKIND\tEXPOSED\tTITLE")
	for _, t := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name(), t.Toolset, tools.Kind(t, confirming), yesNo(exposed[t.Name()]), t.Definition.Title)
	}
	_ = tw.Flush()
	return 0
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// callRequest is one `call`: the tool and its arguments.
type callRequest struct {
	name      string
	arguments map[string]any
}

// parseCall checks `call TOOL [JSON]` before anything else runs: the
// usage, the arguments, and that the flags expose the tool (selected is
// what sel picks of all). A tool that does not exist or is hidden gets the
// same JSON error object as a failed call, saying which. It returns nil
// and the exit status on failure.
func parseCall(cfg *config, sel tools.Selection, all, selected []tools.Tool, stdout, stderr io.Writer) (*callRequest, int) {
	args := cfg.args[1:]
	if len(args) == 0 || len(args) > 2 {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp: usage: call TOOL ['{\"json\":\"arguments\"}'] [flags]")
		return nil, 2
	}
	req := &callRequest{name: args[0]}
	if len(args) == 2 && strings.TrimSpace(args[1]) != "" {
		dec := json.NewDecoder(strings.NewReader(args[1]))
		dec.UseNumber()
		if err := dec.Decode(&req.arguments); err != nil {
			fmt.Fprintf(stderr, "telnyx-oauth-mcp: the arguments must be one JSON object: %v\n", err)
			return nil, 2
		}
	}
	if containsTool(selected, req.name) {
		return req, 0
	}
	i := slices.IndexFunc(all, func(t tools.Tool) bool { return t.Name() == req.name })
	if i < 0 {
		var names []string
		for _, t := range all {
			names = append(names, t.Name())
		}
		msg := fmt.Sprintf("unknown tool %q", req.name)
		if s := nearest(req.name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		printCallError(stdout, msg+"; `telnyx-oauth-mcp tools` lists every tool")
		return nil, 1
	}
	printCallError(stdout, hiddenReason(cfg, sel, all, all[i]))
	return nil, 1
}

func containsTool(ts []tools.Tool, name string) bool {
	return slices.ContainsFunc(ts, func(t tools.Tool) bool { return t.Name() == name })
}

// hiddenReason says which setting hides t, one of all that sel leaves
// out: --read-only when sel without it picks t, else --tools (or
// --toolsets when no --tools is given).
func hiddenReason(cfg *config, sel tools.Selection, all []tools.Tool, t tools.Tool) string {
	picking := sel
	picking.ReadOnly = false
	if picked, err := tools.Select(all, picking); err == nil && containsTool(picked, t.Name()) {
		return fmt.Sprintf("tool %q exists but is hidden by %s: it changes things", t.Name(), cfg.origin("read-only"))
	}
	if len(sel.Tools) > 0 {
		return fmt.Sprintf("tool %q exists but is hidden by %s, which exposes only %s", t.Name(), cfg.origin("tools"), strings.Join(sel.Tools, ", "))
	}
	sets := sel.Toolsets
	if len(sets) == 0 {
		sets = tools.DefaultToolsets
	}
	list := strings.Join(sets, ",")
	return fmt.Sprintf("tool %q exists but is hidden by %s (%s): it is in the %s toolset; add it, as in --toolsets %s,%s",
		t.Name(), cfg.origin("toolsets"), list, t.Toolset, list, t.Toolset)
}

// printCallError writes a failed call's result: {"error": "..."}.
func printCallError(stdout io.Writer, msg string) {
	out, _ := json.MarshalIndent(map[string]string{"error": msg}, "", "  ")
	fmt.Fprintln(stdout, string(out))
}

// callTool runs one tool through the same server a host would talk to, over
// mcp-go's in-process transport, and prints the result.
func callTool(ctx context.Context, srv *server.MCPServer, call *callRequest, stdout, stderr io.Writer) int {
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "telnyx-oauth-mcp-cli", Version: version}
	if _, err := c.Initialize(ctx, init); err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = call.name
	req.Params.Arguments = call.arguments
	res, err := c.CallTool(ctx, req)
	if err != nil {
		fmt.Fprintln(stderr, "telnyx-oauth-mcp:", err)
		return 1
	}
	text := resultText(res)
	if res.IsError {
		printCallError(stdout, text)
		return 1
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(text), "", "  ") == nil {
		fmt.Fprintln(stdout, pretty.String())
	} else {
		fmt.Fprintln(stdout, text)
	}
	return 0
}

func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
