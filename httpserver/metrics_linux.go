package httpserver

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// processFamilies are the process metrics client_golang's process
// collector writes, from /proc; none where there is no /proc.
func processFamilies() []family {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return nil
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15, starttime 22,
	// vsize 23 and rss 24.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 22 {
		return nil
	}
	field := func(n int) float64 { v, _ := strconv.ParseFloat(f[n-3], 64); return v }
	const userHZ = 100 // USER_HZ, as procfs assumes
	fams := []family{
		counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (field(14)+field(15))/userHZ),
		gauge("process_resident_memory_bytes", "Resident memory size in bytes.", field(24)*float64(os.Getpagesize())),
		gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23)),
	}
	if boot := bootTime(); boot > 0 {
		fams = append(fams, gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", boot+field(22)/userHZ))
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		fams = append(fams, gauge("process_open_fds", "Number of open file descriptors.", float64(len(fds))))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		fams = append(fams, gauge("process_max_fds", "Maximum number of open file descriptors.", float64(lim.Cur)))
	}
	return fams
}

var (
	bootOnce sync.Once
	boot     float64
)

// bootTime is the system's boot time from /proc/stat, in Unix seconds.
func bootTime() float64 {
	bootOnce.Do(func() {
		f, err := os.Open("/proc/stat")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
				if t, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && t > 0 && t < time.Now().Unix() {
					boot = float64(t)
				}
				return
			}
		}
	})
	return boot
}
