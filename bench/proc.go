package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/internal/safetext"
)

// stdioProc is an MCP server started as a child process and spoken to over
// its stdin and stdout, one JSON-RPC message per line.
type stdioProc struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stdout  *bufio.Reader
	stderr  *limitedBuffer
	started time.Time
	done    chan struct{}
	lines   chan []byte
	readErr error
}

// startStdio starts argv with env added to a clean environment. The first
// message is written before anything is read, as a host does.
func startStdio(argv []string, env []string, first []byte) (*stdioProc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	// Its own process group, so that a peer started through npx or a shell
	// is ended with everything it spawned.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &limitedBuffer{max: 64 << 10}
	cmd.Stderr = stderr
	p := &stdioProc{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<20), stderr: stderr,
		done: make(chan struct{}), lines: make(chan []byte, 16)}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if first != nil {
		if err := p.send(first); err != nil {
			p.stop()
			return nil, err
		}
	}
	go p.readLoop()
	return p, nil
}

func (p *stdioProc) readLoop() {
	defer close(p.lines)
	for {
		line, err := p.stdout.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			p.lines <- line
		}
		if err != nil {
			p.readErr = err
			return
		}
	}
}

func (p *stdioProc) pid() int { return p.cmd.Process.Pid }

func (p *stdioProc) send(msg []byte) error {
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		msg = append(msg[:len(msg):len(msg)], '\n')
	}
	_, err := p.stdin.Write(msg)
	return err
}

// await returns the response line with the given id, skipping
// notifications, requests from the server and anything that is not JSON
// (a peer that logs to stdout).
func (p *stdioProc) await(id int, timeout time.Duration) ([]byte, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	want := strconv.Itoa(id)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return nil, fmt.Errorf("the server closed stdout (%v); stderr: %s", p.readErr, safetext.Clip(strings.TrimSpace(p.stderr.String()), 600))
			}
			var msg struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(line, &msg) != nil || msg.Method != "" || string(msg.ID) != want {
				continue
			}
			return line, nil
		case <-t.C:
			return nil, fmt.Errorf("no answer to request %d within %s; stderr: %s", id, timeout, safetext.Clip(strings.TrimSpace(p.stderr.String()), 600))
		}
	}
}

// call sends a request and returns its response.
func (p *stdioProc) call(id int, method string, params any, timeout time.Duration) ([]byte, error) {
	if err := p.send(request(id, method, params)); err != nil {
		return nil, err
	}
	return p.await(id, timeout)
}

// stop closes stdin (a host's way to end a stdio server), waits a moment,
// then kills the process group.
func (p *stdioProc) stop() {
	_ = p.stdin.Close()
	waited := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(2 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-waited
	}
	// Children of a peer (node under npx) may outlive their parent.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

func request(id int, method string, params any) []byte {
	m := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		m["params"] = params
	}
	b, _ := json.Marshal(m)
	return b
}

func notification(method string) []byte {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method})
	return b
}

// initializeParams is a 2025-11-25 handshake, what the hosts in the wild
// send; servers that know only older revisions negotiate down.
var initializeParams = map[string]any{
	"protocolVersion": "2025-11-25",
	"capabilities":    map[string]any{},
	"clientInfo":      map[string]any{"name": "telnyx-oauth-mcp-bench", "version": "1"},
}

// rpcError returns the JSON-RPC error of a response, if any.
func rpcError(resp []byte) error {
	var r struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if r.Error != nil {
		return fmt.Errorf("JSON-RPC error %d: %s", r.Error.Code, r.Error.Message)
	}
	return nil
}

// toolError returns the text of an isError tool result, if it is one.
func toolError(resp []byte) error {
	if err := rpcError(resp); err != nil {
		return err
	}
	var r struct {
		Result struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	_ = json.Unmarshal(resp, &r)
	if r.Result.IsError {
		text := ""
		if len(r.Result.Content) > 0 {
			text = r.Result.Content[0].Text
		}
		return errors.New("tool error: " + safetext.Clip(strings.TrimSpace(text), 300))
	}
	return nil
}

// memory of a process from /proc/PID/status, in bytes.
type memory struct{ hwm, rss int64 }

func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, _ := strconv.ParseInt(fields[0], 10, 64)
		switch name {
		case "VmHWM":
			m.hwm = kb << 10
		case "VmRSS":
			m.rss = kb << 10
		}
	}
	return m, sc.Err()
}

// treeMemory sums readMemory over pid and its descendants: a peer started
// through npx is npm's process plus node's. The sum of peaks is an upper
// bound of the peak of the sum.
func treeMemory(pid int) (memory, int) {
	total, _ := readMemory(pid)
	n := 1
	for _, child := range children(pid) {
		m, k := treeMemory(child)
		total.hwm += m.hwm
		total.rss += m.rss
		n += k
	}
	return total, n
}

func children(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// limitedBuffer keeps the first max bytes written to it and drops the rest,
// so a chatty child cannot grow the bench's memory.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// processCPU is the user and system CPU seconds pid has used, from
// /proc/PID/stat (fields 14 and 15, in USER_HZ ticks of 1/100 s).
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// selfCPU is the CPU seconds this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
