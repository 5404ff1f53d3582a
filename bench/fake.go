package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/telnyx-oauth-mcp/telnyx-oauth-mcp/telnyxapi/telnyxfake"
)

// fakeAPIKey is the key the upstream fake accepts.
const fakeAPIKey = telnyxfake.DefaultAPIKey

// fakeProc is the upstream: telnyxfake, seeded, served over HTTP on
// 127.0.0.1 by a copy of this program in its own process, so that the
// upstream's work is neither the server's nor the load generator's, and a
// request sent straight to it crosses a process boundary as the server's do.
type fakeProc struct {
	BaseURL string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
}

func startFake() (*fakeProc, error) { return startChild("the fake", "-serve-fake") }

// startChild starts a copy of this program in a serving mode (the fake, or
// the bare mcp-go reference), and reads the base URL it prints.
func startChild(what string, args ...string) (*fakeProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f := &fakeProc{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case f.BaseURL = <-line:
	case <-time.After(10 * time.Second):
	}
	if !strings.HasPrefix(f.BaseURL, "http://127.0.0.1:") {
		f.stop()
		return nil, fmt.Errorf("%s did not start (said %q)", what, f.BaseURL)
	}
	return f, nil
}

func (f *fakeProc) stop() {
	_ = f.stdin.Close()
	waited := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		_ = f.cmd.Process.Signal(syscall.SIGKILL)
		<-waited
	}
}

// runFake is the -serve-fake mode: serve until stdin ends.
func runFake(stdin io.Reader, stdout io.Writer) error {
	fake, err := telnyxfake.Listen(telnyxfake.Options{Seed: true})
	if err != nil {
		return err
	}
	defer fake.Close()
	fmt.Fprintln(stdout, fake.BaseURL)
	_, _ = io.Copy(io.Discard, stdin)
	return nil
}
