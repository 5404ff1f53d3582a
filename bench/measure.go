package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/httpserver"
	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi"
)

// requestTimeout bounds every single request the bench makes.
const requestTimeout = 10 * time.Second

// startFigures are what one series of cold starts over stdio shows.
type startFigures struct {
	runs          int
	start         []time.Duration // process start → initialize reply
	idleHWM       []int64         // VmHWM after initialize, tools/list and one call
	listBytes     int             // the tools/list response line, bytes
	tools         int
	callWorked    bool
	firstCallNote string
}

// server is how to start one stdio server: ours, or the peer.
type server struct {
	name string
	argv []string
	env  []string
	// call is the tool call made once per start (and repeatedly for the
	// per-call figure); nil when the server has none we can make.
	call func(tools []string) (name string, args any, ok bool)
}

// measureStarts starts srv runs times. Each run: start the process and
// write initialize at once (as a host does), time the reply, then list the
// tools, make one call, let the process settle and read its peak RSS.
func measureStarts(srv server, runs int, deadline time.Time) (*startFigures, error) {
	f := &startFigures{}
	for i := 0; i < runs && (i == 0 || time.Now().Before(deadline)); i++ {
		p, err := startStdio(srv.argv, srv.env, request(1, "initialize", initializeParams))
		if err != nil {
			return nil, err
		}
		resp, err := p.await(1, 60*time.Second)
		took := time.Since(p.started)
		if err == nil {
			err = rpcError(resp)
		}
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("%s: initialize: %w", srv.name, err)
		}
		f.start = append(f.start, took)
		_ = p.send(notification("notifications/initialized"))
		list, err := p.call(2, "tools/list", map[string]any{}, 60*time.Second)
		if err == nil {
			err = rpcError(list)
		}
		if err != nil {
			p.stop()
			return nil, fmt.Errorf("%s: tools/list: %w", srv.name, err)
		}
		names := toolNames(list)
		if i == 0 {
			f.listBytes = len(bytes.TrimRight(list, "\n"))
			f.tools = len(names)
		}
		if name, args, ok := srv.call(names); ok {
			resp, err := p.call(3, "tools/call", map[string]any{"name": name, "arguments": args}, 60*time.Second)
			if err == nil {
				err = toolError(resp)
			}
			if i == 0 {
				f.callWorked = err == nil
				if err != nil {
					f.firstCallNote = err.Error()
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
		m, _ := treeMemory(p.pid())
		f.idleHWM = append(f.idleHWM, m.hwm)
		p.stop()
		f.runs++
	}
	return f, nil
}

func toolNames(list []byte) []string {
	var r struct {
		Result struct {
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
		} `json:"result"`
	}
	_ = json.Unmarshal(list, &r)
	var out []string
	for _, t := range r.Result.Tools {
		out = append(out, t.Name)
	}
	return out
}

// callFigures compare a tool call over stdio with the same HTTP request
// sent straight to the upstream.
type callFigures struct {
	calls          int
	stdio, direct  []time.Duration
	stdioErrors    int
	firstStdioNote string
}

// measureCalls makes calls sequential list_oauth_clients calls through the
// stdio server, each paired with the same GET sent straight to the fake
// over a kept-alive connection; the two alternate, so that drift in the
// machine's speed hits both alike.
func measureCalls(srv server, fake *fakeProc, calls, warmup int, deadline time.Time) (*callFigures, error) {
	p, err := startStdio(srv.argv, srv.env, request(1, "initialize", initializeParams))
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if _, err := p.await(1, 60*time.Second); err != nil {
		return nil, err
	}
	_ = p.send(notification("notifications/initialized"))

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2}, Timeout: requestTimeout}
	defer hc.CloseIdleConnections()
	direct := func() (time.Duration, error) {
		start := time.Now()
		req, _ := http.NewRequest(http.MethodGet, fake.BaseURL+"/oauth_clients", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "telnyx-oauth-mcp/bench")
		req.Header.Set("Authorization", "Bearer "+fakeAPIKey)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("direct request: status %d", resp.StatusCode)
		}
		return time.Since(start), err
	}
	args := map[string]any{"name": "list_oauth_clients", "arguments": map[string]any{}}
	id := 10
	overStdio := func() (time.Duration, error) {
		id++
		start := time.Now()
		resp, err := p.call(id, "tools/call", args, requestTimeout)
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		return took, toolError(resp)
	}

	f := &callFigures{}
	for i := 0; i < warmup+calls && time.Now().Before(deadline); i++ {
		d, err := direct()
		if err != nil {
			return nil, err
		}
		s, err := overStdio()
		if err != nil {
			if f.stdioErrors == 0 {
				f.firstStdioNote = err.Error()
			}
			f.stdioErrors++
			if f.stdioErrors > 10 && len(f.stdio) == 0 {
				return nil, fmt.Errorf("%s: tool calls fail: %s", srv.name, f.firstStdioNote)
			}
			continue
		}
		if i >= warmup {
			f.direct = append(f.direct, d)
			f.stdio = append(f.stdio, s)
			f.calls++
		}
	}
	return f, nil
}

// loadFigures are the HTTP throughput run's.
type loadFigures struct {
	callers   int
	duration  time.Duration
	calls     int
	errors    int
	firstErr  string
	latencies []time.Duration
	hwm       int64
	// CPU seconds spent during the measured window by the server, the
	// upstream fake and the load generator (this process).
	cpuServer, cpuFake, cpuGenerator float64
}

func (l *loadFigures) rate() float64 { return float64(l.calls) / l.duration.Seconds() }

var listenURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/mcp)`)

// measureHTTPLoad starts the built server over streamable HTTP, stateless,
// in key mode with the fake's key, and rate limits off; then callers
// goroutines call list_oauth_clients back to back for warmup+duration. Only
// calls started after the warm-up count.
func measureHTTPLoad(bin string, fake *fakeProc, callers int, warmup, duration time.Duration) (*loadFigures, error) {
	srv, err := startOurHTTP(bin, fake, callers)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	cmd, url := srv.cmd, srv.url

	body, header := callBody, callHeader
	tr := &http.Transport{MaxIdleConns: callers * 2, MaxIdleConnsPerHost: callers * 2, MaxConnsPerHost: callers,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: requestTimeout}

	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	type result struct {
		lat      []time.Duration
		errs     int
		firstErr string
	}
	results := make([]result, callers)
	var cpuAt [3]float64 // server, fake, generator at the start of the window
	cpuTimer := time.AfterFunc(warmup, func() {
		cpuAt = [3]float64{processCPU(cmd.Process.Pid), processCPU(fake.cmd.Process.Pid), selfCPU()}
	})
	defer cpuTimer.Stop()
	var wg sync.WaitGroup
	for w := range callers {
		wg.Go(func() {
			r := &results[w]
			r.lat = make([]time.Duration, 0, 1<<14)
			h := header.Clone()
			buf := bytes.NewBuffer(make([]byte, 0, 8<<10))
			for {
				began := time.Now()
				if !began.Before(end) {
					return
				}
				err := post(hc, url, body, h, buf)
				took := time.Since(began)
				if began.Before(measureFrom) {
					continue
				}
				if err != nil {
					if r.errs == 0 {
						r.firstErr = err.Error()
					}
					r.errs++
					continue
				}
				r.lat = append(r.lat, took)
			}
		})
	}
	wg.Wait()
	f := &loadFigures{callers: callers, duration: duration,
		cpuServer:    processCPU(cmd.Process.Pid) - cpuAt[0],
		cpuFake:      processCPU(fake.cmd.Process.Pid) - cpuAt[1],
		cpuGenerator: selfCPU() - cpuAt[2]}
	for _, r := range results {
		f.latencies = append(f.latencies, r.lat...)
		f.errors += r.errs
		if f.firstErr == "" {
			f.firstErr = r.firstErr
		}
	}
	f.calls = len(f.latencies)
	m, err := readMemory(cmd.Process.Pid)
	if err != nil {
		return nil, err
	}
	f.hwm = m.hwm
	return f, nil
}

// sessionFigures is the live heap a stateful session costs.
type sessionFigures struct {
	sessions     int
	bytesPerSess float64
}

// measureSessions builds the HTTP server in this process (stateful, key
// mode), opens n 2025-11-25 sessions (initialize, then
// notifications/initialized) and divides the live heap they add, after
// garbage collection, by n. The sessions stay open while the heap is read.
func measureSessions(fake *fakeProc, n int) (*sessionFigures, error) {
	api, err := telnyxapi.New(telnyxapi.Config{BaseURL: fake.BaseURL})
	if err != nil {
		return nil, err
	}
	srv, err := httpserver.New(httpserver.Config{
		Version: "bench", Client: api, Auth: httpserver.AuthKey,
		Logger: slog.New(slog.DiscardHandler), Audit: io.Discard,
		// One caller opens them all: its share of the cap must allow that.
		MaxSessions: n + 64, MaxSessionsPerCaller: n + 64, RateLimit: -1, RateLimitMutating: -1,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	url := "http://" + ln.Addr().String() + "/mcp"
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: requestTimeout}
	post := func(body, session string) (string, error) {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Authorization", "Bearer "+fakeAPIKey)
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
			req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
		}
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			return "", fmt.Errorf("status %d", resp.StatusCode)
		}
		return resp.Header.Get("Mcp-Session-Id"), nil
	}
	initBody := string(request(1, "initialize", initializeParams))
	initialized := string(notification("notifications/initialized"))
	open := func() error {
		id, err := post(initBody, "")
		if err != nil {
			return fmt.Errorf("initialize: %w", err)
		}
		if id == "" {
			return errors.New("initialize: no Mcp-Session-Id: the server is not stateful")
		}
		if _, err := post(initialized, id); err != nil {
			return fmt.Errorf("notifications/initialized: %w", err)
		}
		return nil
	}
	// Warm up: lazily built state (the first session, connection buffers)
	// is not a per-session cost.
	for range 16 {
		if err := open(); err != nil {
			return nil, err
		}
	}
	before := liveHeap()
	for range n {
		if err := open(); err != nil {
			return nil, err
		}
	}
	after := liveHeap()
	runtime.KeepAlive(srv)
	return &sessionFigures{sessions: n, bytesPerSess: float64(int64(after)-int64(before)) / float64(n)}, nil
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// extraServerEnv is what -server-env adds to our server's environment.
var extraServerEnv []string

// cleanEnv is the environment of our server: nothing inherited (no stray
// TELNYX_MCP_* setting, no real credential), a throwaway config directory.
func cleanEnv(extra ...string) []string {
	dir := os.Getenv("BENCH_TMP")
	env := []string{"HOME=" + dir, "TELNYX_MCP_CONFIG_DIR=" + dir, "TELNYX_MCP_CREDENTIAL_STORE=file"}
	env = append(env, extraServerEnv...)
	return append(env, extra...)
}

// stats

func p99(d []time.Duration) time.Duration { return quantile(d, 0.99) }

// quantile is the nearest-rank quantile of d.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s))*q+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// median is the middle of v, the lower of the two middle values when there
// is an even number of them (quantile's nearest rank at 0.5), so that every
// median in the report, durations and ratios alike, is taken the same way.
func median[T cmp.Ordered](v []T) T {
	if len(v) == 0 {
		var zero T
		return zero
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
