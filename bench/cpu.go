package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// The requests of the HTTP measurements: a stateless (2026-07-28) call of
// list_oauth_clients, and a ping, which 2026-07-28 removed, so sent as a
// 2025-11-25 one (stateless servers take it without a session).
var (
	callBody = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_oauth_clients","arguments":{},` + modernMeta + `}}`)
	pingBody = []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)

	callHeader = modernHeader("tools/call", "list_oauth_clients")
	pingHeader = http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {"2025-11-25"},
		"Authorization":        {"Bearer " + fakeAPIKey},
	}
)

const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},` +
	`"io.modelcontextprotocol/clientInfo":{"name":"telnyx-oauth-mcp-bench","version":"1"}}`

func modernHeader(method, name string) http.Header {
	return http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {"2026-07-28"},
		"Mcp-Method":           {method},
		"Mcp-Name":             {name},
		"Authorization":        {"Bearer " + fakeAPIKey},
	}
}

// httpProc is our server, serving streamable HTTP in a process of its own.
type httpProc struct {
	cmd *exec.Cmd
	url string
}

// startOurHTTP starts the built server over streamable HTTP, stateless, in
// key mode (callers send the fake's key), with rate limits off and
// concurrency callers per caller.
func startOurHTTP(bin string, fake *fakeProc, concurrency int) (*httpProc, error) {
	cmd := exec.Command(bin, "--transport", "http", "--stateless", "--listen", "127.0.0.1:0",
		"--base-url", fake.BaseURL, "--rate-limit", "-1", "--rate-limit-mutating", "-1",
		"--caller-concurrency", fmt.Sprint(concurrency), "--log-level", "info")
	cmd.Env = cleanEnv("TELNYX_MCP_STATE_KEY=bench-state-key-0123456789abcdef0123456789abcdef")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &httpProc{cmd: cmd}
	for wait := time.Now().Add(10 * time.Second); p.url == "" && time.Now().Before(wait); time.Sleep(5 * time.Millisecond) {
		if m := listenURL.FindStringSubmatch(stderr.String()); m != nil {
			p.url = m[1]
		}
	}
	if p.url == "" {
		p.stop()
		return nil, fmt.Errorf("the HTTP server did not say where it listens; stderr: %s", safetext.Clip(strings.TrimSpace(stderr.String()), 600))
	}
	return p, nil
}

func (p *httpProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-waited
	}
}

// cpuRound is one round of the CPU comparison: server CPU time per request,
// ours and the bare mcp-go references', for a tools/call and for a ping.
// refCall is the text reference's; structCall the structured one's (a ping
// never reaches a tool, so the text reference stands for both there).
type cpuRound struct {
	oursCall, refCall, structCall, oursPing, refPing time.Duration
}

// cpuFigures compare the CPU our server spends per stateless request with
// a bare mcp-go StreamableHTTPServer's (see runReference).
type cpuFigures struct {
	requests, callers int
	rounds            []cpuRound
}

// ratios are the per-round ratios ours/reference: calls against the text
// reference, calls against the structured one, and pings.
func (f *cpuFigures) ratios() (calls, structCalls, pings []float64) {
	for _, r := range f.rounds {
		calls = append(calls, float64(r.oursCall)/float64(r.refCall))
		structCalls = append(structCalls, float64(r.oursCall)/float64(r.structCall))
		pings = append(pings, float64(r.oursPing)/float64(r.refPing))
	}
	return calls, structCalls, pings
}

// measureCPU starts our server and the two references against the same
// fake, then for each round sends each of them n tools/calls, and ours and
// the text reference n pings, from callers concurrent goroutines (after a
// warm-up of n/10), rotating which goes first, and divides each server
// process's CPU time (user and system, from /proc/PID/stat) by n.
func measureCPU(bin string, fake *fakeProc, n, callers, rounds int) (*cpuFigures, error) {
	ours, err := startOurHTTP(bin, fake, callers)
	if err != nil {
		return nil, err
	}
	defer ours.stop()
	ref, err := startChild("the bare mcp-go reference", "-serve-reference", fake.BaseURL, "-reference-result", referenceText)
	if err != nil {
		return nil, err
	}
	defer ref.stop()
	structRef, err := startChild("the structured mcp-go reference", "-serve-reference", fake.BaseURL, "-reference-result", referenceStructured)
	if err != nil {
		return nil, err
	}
	defer structRef.stop()

	tr := &http.Transport{MaxIdleConns: callers * 4, MaxIdleConnsPerHost: callers * 2, MaxConnsPerHost: callers,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: requestTimeout}

	type target struct {
		url string
		pid int
	}
	targets := []target{{ours.url, ours.cmd.Process.Pid}, {ref.BaseURL, ref.cmd.Process.Pid}, {structRef.BaseURL, structRef.cmd.Process.Pid}}
	names := []string{"ours", "text reference", "structured reference"}
	perRequest := func(t target, body []byte, h http.Header) (time.Duration, error) {
		if err := send(hc, t.url, body, h, max(n/10, 10), callers); err != nil {
			return 0, err
		}
		before := processCPU(t.pid)
		if err := send(hc, t.url, body, h, n, callers); err != nil {
			return 0, err
		}
		return time.Duration((processCPU(t.pid) - before) / float64(n) * float64(time.Second)), nil
	}
	f := &cpuFigures{requests: n, callers: callers}
	for i := range rounds {
		var got [3][2]time.Duration // [server][call, ping]
		for _, kind := range []int{0, 1} {
			body, h := callBody, callHeader
			if kind == 1 {
				body, h = pingBody, pingHeader
			}
			for k := range targets {
				s := (i + k) % len(targets)
				if kind == 1 && s == 2 {
					continue
				}
				if got[s][kind], err = perRequest(targets[s], body, h); err != nil {
					return nil, fmt.Errorf("%s: %w", names[s], err)
				}
			}
		}
		f.rounds = append(f.rounds, cpuRound{oursCall: got[0][0], refCall: got[1][0], structCall: got[2][0], oursPing: got[0][1], refPing: got[1][1]})
	}
	return f, nil
}

// send makes n requests from callers goroutines and fails on the first
// answer that is not a JSON-RPC result.
func send(hc *http.Client, url string, body []byte, h http.Header, n, callers int) error {
	var (
		left     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	left.Store(int64(n))
	for range callers {
		wg.Go(func() {
			buf := bytes.NewBuffer(make([]byte, 0, 8<<10))
			for left.Add(-1) >= 0 {
				err := post(hc, url, body, h.Clone(), buf)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					left.Store(-1)
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// post sends one request and reads its answer into buf; an answer that is
// not a successful JSON-RPC result (or is a tool error) is an error.
func post(hc *http.Client, url string, body []byte, h http.Header, buf *bytes.Buffer) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(buf.Bytes(), []byte(`"result"`)) ||
		bytes.Contains(buf.Bytes(), []byte(`"isError":true`)) {
		return fmt.Errorf("status %d: %s", resp.StatusCode, safetext.Clip(strings.TrimSpace(buf.String()), 300))
	}
	return nil
}
