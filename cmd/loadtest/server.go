package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a shop or hello process started by the benchmark on a free 127.0.0.1 port.
type server struct {
	name    string
	cmd     *exec.Cmd
	base    *url.URL
	ready   time.Duration // from starting the process to the first 200 on /healthz
	exited  chan struct{} // closed once the process has exited and been waited for
	waitErr error         // the exit status; read only after exited is closed
}

// freeAddr asks the kernel for a free loopback port. Another process could take it
// before the server binds it; on this machine, during a run, nothing else does.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer runs bin with env added to a minimal environment, its output going to
// logPath, and waits for /healthz to answer 200 (at most healthTimeout).
func startServer(ctx context.Context, name, bin string, args, env []string, addr, logPath string) (*server, error) {
	base, _ := url.Parse("http://" + addr)
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Stdout, cmd.Stderr = log, log
	s := &server{name: name, cmd: cmd, base: base, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		log.Close()
		close(s.exited)
	}()
	if err := s.waitHealthy(ctx, start); err != nil {
		s.stop()
		return nil, fmt.Errorf("%s did not become healthy: %w (log: %s)", name, err, logPath)
	}
	return s, nil
}

const healthTimeout = 30 * time.Second

// waitHealthy polls /healthz every millisecond on fresh connections, so the figure is
// the time a load balancer would wait, not the poll interval.
func (s *server) waitHealthy(ctx context.Context, start time.Time) error {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	deadline := start.Add(healthTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return fmt.Errorf("the process exited: %v", s.waitErr)
		default:
		}
		resp, err := c.Get(s.base.String() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("no 200 on /healthz within %s", healthTimeout)
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// peakRSS is the process's high-water mark of resident memory (VmHWM), in bytes.
func (s *server) peakRSS() (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(s.pid()) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/<pid>/status")
}

// resetPeakRSS starts a new high-water mark (Linux: "5" to clear_refs), so the next
// peakRSS is the peak of what ran in between.
func (s *server) resetPeakRSS() error {
	return os.WriteFile("/proc/"+strconv.Itoa(s.pid())+"/clear_refs", []byte("5"), 0)
}

// stop sends SIGTERM and waits for a clean exit; after 20 s it kills. Calling it
// again returns the same result.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return s.waitErr
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return s.waitErr
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("%s did not stop within 20 s of SIGTERM: killed", s.name)
	}
}

// shopProcsLine is how the shop's start line ends: the GOMAXPROCS it runs with, which
// need not be the driver's (the shop sets its own).
var shopProcsLine = regexp.MustCompile(`^shop: serving .*, GOMAXPROCS (\d+)\)$`)

// shopProcs is the GOMAXPROCS the shop's log at logPath says it runs with; 0 when it
// does not say.
func shopProcs(logPath string) int {
	data, err := os.ReadFile(logPath)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if m := shopProcsLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}
