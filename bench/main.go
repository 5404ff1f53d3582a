// Command bench measures telnyx-oauth-mcp against its performance goals and
// prints one markdown table: cold start over stdio, peak RSS idle and under
// HTTP load, tools/list size, the per-call overhead over stdio, HTTP
// throughput, the server CPU per stateless HTTP request beside bare
// mcp-go servers' (bench/reference.go) and the memory of a stateful
// session. Optionally it measures
// a peer MCP server (the official telnyx-mcp, launched with npx) the same
// way, side by side.
//
//	go run ./bench                                  # about 30 s
//	go run ./bench -quick                           # a few seconds, for a smoke test
//	go run ./bench -peer 'npx -y telnyx-mcp@7.17.0' # and the peer, side by side
//
// It builds the server into a temporary directory, serves telnyxfake on
// 127.0.0.1 as the upstream, and sends no traffic anywhere else (a peer
// command does whatever it does). Every loop is bounded in count and time.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

type options struct {
	runs        int
	calls       int
	warmup      int
	duration    time.Duration
	loadWarmup  time.Duration
	callers     int
	sessions    int
	peer        string
	peerRuns    int
	peerCalls   int
	peerBudget  time.Duration
	bin         string
	quick       bool
	only        string
	serverEnv   envList
	budgetStart time.Duration
	cpuRequests int
	cpuCallers  int
	cpuRounds   int
}

func main() {
	var o options
	flag.IntVar(&o.runs, "runs", 30, "cold starts over stdio (start → initialize, idle RSS)")
	flag.IntVar(&o.calls, "calls", 1000, "list_oauth_clients calls over stdio for the per-call overhead (plus as many direct requests)")
	flag.IntVar(&o.warmup, "warmup", 50, "calls (and direct requests) made before counting")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "HTTP load: how long the measured window lasts")
	flag.DurationVar(&o.loadWarmup, "load-warmup", time.Second, "HTTP load: warm-up before the measured window")
	flag.IntVar(&o.callers, "callers", 64, "HTTP load: concurrent callers")
	flag.IntVar(&o.cpuRequests, "cpu-requests", 5000, "CPU per request: tools/calls sent to our HTTP server and to both bare mcp-go references (and as many pings to ours and the text one), per round")
	flag.IntVar(&o.cpuCallers, "cpu-callers", 8, "CPU per request: concurrent callers")
	flag.IntVar(&o.cpuRounds, "cpu-rounds", 3, "CPU per request: rounds, rotating which server goes first")
	flag.IntVar(&o.sessions, "sessions", 1000, "stateful sessions opened for the per-session memory")
	flag.StringVar(&o.peer, "peer", "", "a peer stdio MCP server to measure side by side, as a shell command, e.g. 'npx -y telnyx-mcp@7.17.0'")
	flag.IntVar(&o.peerRuns, "peer-runs", 5, "cold starts of the peer")
	flag.IntVar(&o.peerCalls, "peer-calls", 10, "tool calls made through the peer")
	flag.DurationVar(&o.peerBudget, "peer-budget", 120*time.Second, "time allowed for the whole peer measurement")
	flag.StringVar(&o.bin, "bin", "", "use this server binary instead of building one")
	flag.Var(&o.serverEnv, "server-env", "extra NAME=VALUE for our server's environment, repeatable (e.g. GOGC=200, for experiments)")
	flag.StringVar(&o.only, "only", "", "run only these measurements, comma-separated: start, calls, load, cpu, sessions (for profiling; prints no table)")
	serveFake := flag.Bool("serve-fake", false, "internal: serve telnyxfake on 127.0.0.1, print its base URL, exit when stdin closes")
	serveReference := flag.String("serve-reference", "", "internal: serve the bare mcp-go reference on 127.0.0.1 with this upstream base URL, print its URL, exit when stdin closes")
	referenceResult := flag.String("reference-result", referenceText, "internal: with -serve-reference, how its tool returns the answer: text, or structured")
	flag.BoolVar(&o.quick, "quick", false, "a short smoke run: 10 starts, 200 calls, 2 s of load, 200 sessions")
	flag.Parse()
	if *serveFake {
		if err := runFake(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve-fake:", err)
			os.Exit(1)
		}
		return
	}
	if *serveReference != "" {
		if err := runReference(*serveReference, *referenceResult, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench -serve-reference:", err)
			os.Exit(1)
		}
		return
	}
	if o.quick {
		o.runs, o.calls, o.warmup, o.duration, o.loadWarmup, o.sessions = 10, 200, 20, 2*time.Second, 500*time.Millisecond, 200
		o.peerRuns, o.peerCalls = 3, 3
		o.cpuRequests, o.cpuRounds = 300, 1
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(o options, stdout, stderr io.Writer) error {
	began := time.Now()
	tmp, err := os.MkdirTemp("", "telnyx-oauth-mcp-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	os.Setenv("BENCH_TMP", tmp)
	extraServerEnv = o.serverEnv

	progress := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench: %6.1fs "+format+"\n", append([]any{time.Since(began).Seconds()}, args...)...)
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "telnyx-oauth-mcp")
		progress("building the server as a release is built (CGO_ENABLED=0, -trimpath, -ldflags -s -w)")
		build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=bench", "-o", bin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		build.Dir, err = moduleRoot()
		if err != nil {
			return err
		}
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build: %w", err)
		}
	}

	fake, err := startFake()
	if err != nil {
		return err
	}
	defer fake.stop()

	ours := server{
		name: "telnyx-oauth-mcp",
		argv: []string{bin, "--base-url", fake.BaseURL, "--log-level", "warn"},
		env:  cleanEnv("TELNYX_API_KEY=" + fakeAPIKey),
		call: func([]string) (string, any, bool) { return "list_oauth_clients", map[string]any{}, true },
	}
	r := &report{opts: o, goVersion: goVersion(), cpu: cpuModel(), cores: runtime.NumCPU(), loadBefore: loadAverage()}
	if o.only != "" {
		return runOnly(o, ours, bin, fake, progress)
	}

	progress("cold starts over stdio (%d)", o.runs)
	if r.starts, err = measureStarts(ours, o.runs, time.Now().Add(60*time.Second)); err != nil {
		return err
	}
	all := ours
	all.argv = append(append([]string(nil), ours.argv...), "--toolsets", "all")
	if r.startsAll, err = measureStarts(all, 1, time.Now()); err != nil {
		return err
	}
	progress("per-call overhead over stdio (%d calls)", o.calls)
	if r.calls, err = measureCalls(ours, fake, o.calls, o.warmup, time.Now().Add(60*time.Second)); err != nil {
		return err
	}
	progress("HTTP load: %d callers for %s", o.callers, o.duration)
	if r.load, err = measureHTTPLoad(bin, fake, o.callers, o.loadWarmup, o.duration); err != nil {
		return err
	}
	progress("CPU per stateless request, ours and the bare mcp-go references (%s of %d calls and %d pings each)", plural(o.cpuRounds, "round"), o.cpuRequests, o.cpuRequests)
	if r.perRequest, err = measureCPU(bin, fake, o.cpuRequests, o.cpuCallers, o.cpuRounds); err != nil {
		return err
	}
	progress("stateful sessions (%d)", o.sessions)
	if r.sessions, err = measureSessions(fake, o.sessions); err != nil {
		return err
	}
	if o.peer != "" {
		progress("peer: %s", o.peer)
		r.peer = measurePeer(o, fake, progress)
	}
	r.took = time.Since(began)
	progress("done")
	r.write(stdout)
	return nil
}

// runOnly runs single measurements and prints their raw figures, for
// profiling the server while one of them runs.
func runOnly(o options, ours server, bin string, fake *fakeProc, progress func(string, ...any)) error {
	for _, what := range strings.Split(o.only, ",") {
		switch strings.TrimSpace(what) {
		case "start":
			f, err := measureStarts(ours, o.runs, time.Now().Add(60*time.Second))
			if err != nil {
				return err
			}
			progress("start: median %s p99 %s, idle VmHWM %s, tools/list %d B", median(f.start), p99(f.start), mb(float64(median(f.idleHWM))), f.listBytes)
		case "calls":
			f, err := measureCalls(ours, fake, o.calls, o.warmup, time.Now().Add(60*time.Second))
			if err != nil {
				return err
			}
			progress("calls: stdio median %s p99 %s, direct median %s, overhead %s", median(f.stdio), p99(f.stdio), median(f.direct), median(f.stdio)-median(f.direct))
		case "load":
			f, err := measureHTTPLoad(bin, fake, o.callers, o.loadWarmup, o.duration)
			if err != nil {
				return err
			}
			progress("load: %.0f calls/s, p99 %s, median %s, %d errors (%s), VmHWM %s; CPU s: server %.1f, fake %.1f, generator %.1f",
				f.rate(), p99(f.latencies), median(f.latencies), f.errors, f.firstErr, mb(float64(f.hwm)), f.cpuServer, f.cpuFake, f.cpuGenerator)
		case "cpu":
			f, err := measureCPU(bin, fake, o.cpuRequests, o.cpuCallers, o.cpuRounds)
			if err != nil {
				return err
			}
			calls, structCalls, pings := f.ratios()
			for i, r := range f.rounds {
				progress("cpu round %d: tools/call ours %s, text ref %s (%.2fx), structured ref %s (%.2fx); ping ours %s ref %s (%.2fx)", i+1,
					us(r.oursCall), us(r.refCall), calls[i], us(r.structCall), structCalls[i], us(r.oursPing), us(r.refPing), pings[i])
			}
		case "sessions":
			f, err := measureSessions(fake, o.sessions)
			if err != nil {
				return err
			}
			progress("sessions: %s per session", kb(f.bytesPerSess))
		default:
			return fmt.Errorf("-only: unknown measurement %q", what)
		}
	}
	return nil
}

// peerFigures are the peer's, or why they are missing.
type peerFigures struct {
	command string
	starts  *startFigures
	calls   *callFigures
	tool    string
	notes   []string
}

// measurePeer measures the peer with the same client code as ours. Its
// environment is the bench's own (npx needs PATH, HOME and npm's cache)
// plus the fake's key and base URL.
func measurePeer(o options, fake *fakeProc, progress func(string, ...any)) *peerFigures {
	pf := &peerFigures{command: o.peer}
	deadline := time.Now().Add(o.peerBudget)
	env := append(os.Environ(), "TELNYX_API_KEY="+fakeAPIKey, "TELNYX_BASE_URL="+fake.BaseURL)
	peer := server{
		name: "peer",
		argv: []string{"/bin/sh", "-c", "exec " + o.peer},
		env:  env,
		call: func(tools []string) (string, any, bool) { return peerCall(tools, &pf.tool) },
	}
	var err error
	if pf.starts, err = measureStarts(peer, o.peerRuns, deadline); err != nil {
		pf.notes = append(pf.notes, "the peer did not start: "+safetext.Clip(strings.TrimSpace(err.Error()), 400))
		return pf
	}
	if !pf.starts.callWorked {
		note := "no tool call worked"
		if pf.starts.firstCallNote != "" {
			note += ": " + safetext.Clip(strings.TrimSpace(pf.starts.firstCallNote), 400)
		}
		pf.notes = append(pf.notes, note)
		return pf
	}
	progress("peer: %d calls of %s", o.peerCalls, pf.tool)
	pf.calls, err = measurePeerCalls(peer, pf, o.peerCalls, deadline)
	if err != nil {
		pf.notes = append(pf.notes, "per-call: "+safetext.Clip(strings.TrimSpace(err.Error()), 400))
	}
	return pf
}

// peerCall picks the call that lists OAuth clients on the peer: the
// per-endpoint tool of telnyx-mcp 4.x, or code for the execute tool of the
// code-mode versions (7.x), which runs it in a Deno sandbox.
func peerCall(tools []string, chosen *string) (string, any, bool) {
	for _, t := range tools {
		if t == "list_oauth_clients" {
			*chosen = t
			return t, map[string]any{}, true
		}
	}
	for _, t := range tools {
		if t == "execute" {
			*chosen = t
			return t, map[string]any{
				"code":   "async function run(client) { return await client.oauthClients.list(); }",
				"intent": "List the account's OAuth clients",
			}, true
		}
	}
	return "", nil, false
}

// measurePeerCalls makes n sequential calls of the chosen tool through one
// peer process.
func measurePeerCalls(peer server, pf *peerFigures, n int, deadline time.Time) (*callFigures, error) {
	p, err := startStdio(peer.argv, peer.env, request(1, "initialize", initializeParams))
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if _, err := p.await(1, 60*time.Second); err != nil {
		return nil, err
	}
	_ = p.send(notification("notifications/initialized"))
	name, args, _ := peerCall([]string{pf.tool}, &pf.tool)
	f := &callFigures{}
	for i := 0; i < n && time.Now().Before(deadline); i++ {
		start := time.Now()
		resp, err := p.call(10+i, "tools/call", map[string]any{"name": name, "arguments": args}, time.Until(deadline)+time.Second)
		if err == nil {
			err = toolError(resp)
		}
		if err != nil {
			return f, err
		}
		f.stdio = append(f.stdio, time.Since(start))
		f.calls++
	}
	return f, nil
}

// envList is a repeatable NAME=VALUE flag.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

func (e *envList) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q is not NAME=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the bench from inside the module (go run ./bench)")
	}
	return filepath.Dir(gomod), nil
}

func goVersion() string {
	out, err := exec.Command("go", "version").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}
