package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// The peer's figures as quoted when no peer is measured (telnyx-mcp 7.17.0 over stdio
// on a 2-core machine; tools/list of its last per-endpoint version, 4.2.0),
// used when no peer is measured.
const (
	quotedPeerStart     = 380 * time.Millisecond
	quotedPeerRSS       = 90e6
	quotedPeerListBytes = 45e3
	quotedPeerCall      = "1.4–3 s"
)

// The performance goals (docs/benchmarks.md). Sizes are decimal: 1 KB = 1,000 bytes, 1 MB =
// 1,000,000 bytes, the stricter reading.
const (
	goalStartFraction = 40   // at most 1/40 of the peer's start
	goalRSSFraction   = 6    // at most 1/6 of the peer's idle RSS
	goalLoadRSS       = 40e6 // bytes, under the HTTP load
	goalListBytes     = 12e3 // tools/list, default toolsets
	goalCallOverhead  = 100 * time.Microsecond
	goalRate          = 5000 // calls/s
	goalP99           = 25 * time.Millisecond
	goalSessionBytes  = 32e3
	// goalCPURatio: server CPU per stateless request, at most the bare
	// mcp-go reference's (what the server adds is paid for by what it
	// does more cheaply than mcp-go alone).
	goalCPURatio = 1.0
)

type report struct {
	opts      options
	goVersion string
	cpu       string
	cores     int
	took      time.Duration
	// loadBefore is /proc/loadavg when the run began: other work on the
	// machine skews every figure.
	loadBefore string

	starts, startsAll *startFigures
	calls             *callFigures
	load              *loadFigures
	perRequest        *cpuFigures
	sessions          *sessionFigures
	peer              *peerFigures
}

func (r *report) write(w io.Writer) {
	t := &table{}
	peerMeasured := r.peer != nil && r.peer.starts != nil

	// Start → initialize.
	ourStart := median(r.starts.start)
	peerStart, peerStartText := quotedPeerStart, "380 ms (quoted)"
	if peerMeasured {
		peerStart = median(r.peer.starts.start)
		peerStartText = fmt.Sprintf("%s (p99 %s, %d runs)", ms(peerStart), ms(p99(r.peer.starts.start)), r.peer.starts.runs)
	}
	limit := peerStart / goalStartFraction
	t.row(fmt.Sprintf("start → initialize reply over stdio, median of %d", r.starts.runs),
		fmt.Sprintf("%s (p99 %s)", ms(ourStart), ms(p99(r.starts.start))), peerStartText,
		ratio(float64(peerStart), float64(ourStart)),
		met(ourStart <= limit, "≤ 1/40 of the peer: "+ms(limit)))

	// Idle RSS.
	ourRSS := median(r.starts.idleHWM)
	peerRSS, peerRSSText := float64(quotedPeerRSS), "90 MB (quoted)"
	if peerMeasured {
		peerRSS = float64(median(r.peer.starts.idleHWM))
		peerRSSText = mb(peerRSS) + " (process tree)"
	}
	t.row(fmt.Sprintf("peak RSS idle over stdio (VmHWM after initialize, tools/list, one call), median of %d", r.starts.runs),
		mb(float64(ourRSS)), peerRSSText, ratio(peerRSS, float64(ourRSS)),
		met(float64(ourRSS) <= peerRSS/goalRSSFraction, "≤ 1/6 of the peer: "+mb(peerRSS/goalRSSFraction)))

	t.row("peak RSS under the HTTP load below (VmHWM)", mb(float64(r.load.hwm)), "–", "–",
		met(float64(r.load.hwm) <= goalLoadRSS, "≤ "+mb(goalLoadRSS)))

	// tools/list.
	// The ratio is against telnyx-mcp's last per-endpoint version, the one
	// with a tool per operation as here; a code-mode version's list (one
	// execute tool) is shown when measured, but is not the same thing.
	peerList, peerListText := float64(quotedPeerListBytes), "45,000 B (quoted: 4.2.0, 17 tools)"
	if peerMeasured {
		peerListText = fmt.Sprintf("%s B measured (%s); 45,000 B quoted for 4.2.0's 17 tools", thousands(r.peer.starts.listBytes), plural(r.peer.starts.tools, "tool"))
	}
	t.row(fmt.Sprintf("tools/list bytes, default toolsets (%d tools)", r.starts.tools),
		thousands(r.starts.listBytes)+" B", peerListText, ratio(peerList, float64(r.starts.listBytes)),
		met(r.starts.listBytes <= goalListBytes, "≤ 12,000 B"))
	t.row(fmt.Sprintf("tools/list bytes, --toolsets all (%d tools)", r.startsAll.tools),
		thousands(r.startsAll.listBytes)+" B", "–", "–", "no goal")

	// Per call.
	stdioMed, directMed := median(r.calls.stdio), median(r.calls.direct)
	overhead := stdioMed - directMed
	peerCallText, peerCallRatio := quotedPeerCall+" per call (quoted)", "–"
	if r.peer != nil && r.peer.calls != nil && r.peer.calls.calls > 0 {
		pm := median(r.peer.calls.stdio)
		peerCallText = fmt.Sprintf("%s per call (median of %d %s calls)", ms(pm), r.peer.calls.calls, r.peer.tool)
		peerCallRatio = ratio(float64(pm), float64(stdioMed))
	} else if peerMeasured {
		peerCallText = "not measured (see notes)"
	}
	t.row(fmt.Sprintf("per-call overhead over stdio: median of %s list_oauth_clients calls minus the median of the same GET sent straight to the upstream", thousands(r.calls.calls)),
		fmt.Sprintf("%s (call %s, p99 %s; direct %s, p99 %s)", us(overhead), us(stdioMed), us(p99(r.calls.stdio)), us(directMed), us(p99(r.calls.direct))),
		peerCallText, peerCallRatio, met(overhead <= goalCallOverhead, "≤ 100 µs"))

	// HTTP load.
	rate := r.load.rate()
	t.row(fmt.Sprintf("HTTP stateless, %d callers for %s, load generator included: tool calls/s", r.load.callers, r.load.duration),
		thousands(int(rate)), "–", "–", met(rate >= goalRate && r.load.errors == 0, "≥ 5,000, no errors"))
	t.row(fmt.Sprintf("HTTP stateless, %d callers: p99 latency", r.load.callers),
		fmt.Sprintf("%s (median %s)", ms(p99(r.load.latencies)), ms(median(r.load.latencies))), "–", "–",
		met(p99(r.load.latencies) <= goalP99, "≤ 25 ms"))
	if f := r.perRequest; f != nil {
		calls, structCalls, pings := f.ratios()
		var oursCall, refCall, structCall, oursPing, refPing []time.Duration
		for _, x := range f.rounds {
			oursCall, refCall, structCall = append(oursCall, x.oursCall), append(refCall, x.refCall), append(structCall, x.structCall)
			oursPing, refPing = append(oursPing, x.oursPing), append(refPing, x.refPing)
		}
		what := fmt.Sprintf("%s, %d callers, median of %s of %s", "%s", f.callers, plural(len(f.rounds), "round"), thousands(f.requests))
		t.row(fmt.Sprintf(what, "server CPU per stateless tools/call of list_oauth_clients"),
			us(median(oursCall)), us(median(refCall))+" (bare mcp-go, text result)", fmt.Sprintf("%.2f× (ours/reference; rounds %s)", median(calls), floats(calls)),
			met(median(calls) <= goalCPURatio, "≤ 1.0× the reference"))
		t.row(fmt.Sprintf(what, "the same, beside a bare mcp-go tool returning the same structured result"),
			us(median(oursCall)), us(median(structCall))+" (bare mcp-go, structured result)", fmt.Sprintf("%.2f× (ours/reference; rounds %s)", median(structCalls), floats(structCalls)),
			"no goal: shows what our server adds")
		t.row(fmt.Sprintf(what, "server CPU per stateless ping"),
			us(median(oursPing)), us(median(refPing))+" (bare mcp-go)", fmt.Sprintf("%.2f× (ours/reference; rounds %s)", median(pings), floats(pings)),
			met(median(pings) <= goalCPURatio, "≤ 1.0× the reference"))
	}
	t.row(fmt.Sprintf("memory per live stateful session (live heap after %s sessions / %s)", thousands(r.sessions.sessions), thousands(r.sessions.sessions)),
		kb(r.sessions.bytesPerSess), "–", "–", met(r.sessions.bytesPerSess <= goalSessionBytes, "≤ 32 KB"))

	fmt.Fprintf(w, "| goal | ours | peer | ratio (peer/ours) | met? |\n| --- | --- | --- | --- | --- |\n")
	for _, row := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "- Machine: %s, %d cores; %s. Load average (1, 5, 15 min) before the run: %s; after: %s.\n",
		r.cpu, r.cores, r.goVersion, r.loadBefore, loadAverage())
	fmt.Fprintf(w, "- Runs: %d cold starts (+1 with --toolsets all); %s stdio calls and as many direct requests after %d warm-up pairs; HTTP load %s after a %s warm-up, %s calls counted, %d errors; %s sessions. Whole run: %.0f s.\n",
		r.starts.runs, thousands(r.calls.calls), r.opts.warmup, r.load.duration, r.opts.loadWarmup, thousands(r.load.calls), r.load.errors,
		thousands(r.sessions.sessions), r.took.Seconds())
	if total := r.load.cpuServer + r.load.cpuFake + r.load.cpuGenerator; total > 0 {
		fmt.Fprintf(w, "- CPU during the measured HTTP load (%s, %d cores = %.0f core-seconds): server %.1f s (%.0f µs a call), upstream fake %.1f s, load generator %.1f s.\n",
			r.load.duration, r.cores, r.load.duration.Seconds()*float64(r.cores), r.load.cpuServer,
			r.load.cpuServer/float64(max(r.load.calls, 1))*1e6, r.load.cpuFake, r.load.cpuGenerator)
	}
	if r.load.errors > 0 {
		fmt.Fprintf(w, "- First HTTP load error: %s\n", r.load.firstErr)
	}
	if r.calls.stdioErrors > 0 {
		fmt.Fprintf(w, "- %d stdio calls failed; first: %s\n", r.calls.stdioErrors, r.calls.firstStdioNote)
	}
	if r.perRequest != nil {
		fmt.Fprintf(w, "- CPU per request: each server's process CPU time (user + system, /proc/PID/stat) over %s requests from %d callers after %s warm-up ones, in %s rotating which server goes first. The references are bare mcp-go StreamableHTTPServers, stateless, each with one tool making the same upstream GET: one returns the body as text, the other decodes it into the same API types and returns it as structured content, as mcp-go's typed tools do (bench/reference.go); their ratio column is ours/reference, not peer/ours.\n",
			thousands(r.perRequest.requests), r.perRequest.callers, thousands(max(r.perRequest.requests/10, 10)), plural(len(r.perRequest.rounds), "round"))
	}
	fmt.Fprintf(w, "- Upstream: telnyxfake over HTTP on 127.0.0.1, seeded, in a process of its own. KB = 1,000 bytes, MB = 1,000,000 bytes. RSS is VmHWM from /proc/PID/status.\n")
	if r.peer == nil {
		fmt.Fprintf(w, "- Peer: not measured; its figures are quoted ones (telnyx-mcp 7.17.0 over stdio on 2 cores; tools/list of 4.2.0), marked \"quoted\".\n")
	} else {
		fmt.Fprintf(w, "- Peer: `%s`, with TELNYX_API_KEY and TELNYX_BASE_URL pointing at the same fake; its RSS is the sum over its process tree.\n", r.peer.command)
		for _, n := range r.peer.notes {
			fmt.Fprintf(w, "- Peer note: %s\n", strings.ReplaceAll(n, "\n", " "))
		}
	}
}

// loadAverage is the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

type table struct{ rows [][]string }

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func met(ok bool, goal string) string {
	if ok {
		return "yes (" + goal + ")"
	}
	return "**no** (" + goal + ")"
}

func ratio(peer, ours float64) string {
	if ours <= 0 || peer <= 0 {
		return "–"
	}
	r := peer / ours
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func mb(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }
func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1e3) }

func thousands[T int | int64](n T) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func floats(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}
