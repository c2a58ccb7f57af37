package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// sharedNote is printed with every result: the figures are only comparable with this in mind.
const sharedNote = "the driver and the server under load share this machine's CPUs, so every figure includes the " +
	"driver's own cost; compare ratios to the same-run hello baseline rather than absolute figures across machines"

// runBench is `make bench`: build, Go benchmarks, hello, the shop at each size, hello again
// after each, then the table and the JSON file.
func runBench(ctx context.Context, o *options, gogc int, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	res := &Result{Schema: 1, Started: time.Now().UTC(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), DriverGOGC: gogc, NumCPU: runtime.NumCPU(), CPU: cpuModel(), LoadAvg: loadAvg(), Note: sharedNote,
		Settings: o.settings()}

	fmt.Fprintf(stderr, "building %s/shop and %s/hello\n", o.binDir, o.binDir)
	shopBin, helloBin, err := build(ctx, o)
	if err != nil {
		return err
	}
	res.ShopBytes, res.HelloBytes = fileSize(shopBin), fileSize(helloBin)
	res.Commit, res.Modified, res.GoVersion = buildInfo(ctx, o.goCmd, shopBin)

	if o.goBench {
		fmt.Fprintf(stderr, "go test -bench %s\n", strings.Join(o.benchPkgs, " "))
		res.GoBench, err = goBench(ctx, o)
		if err != nil {
			res.GoBenchErr = err.Error()
			fmt.Fprintln(stderr, "  Go benchmarks:", err)
		}
	}

	tmp, err := os.MkdirTemp("", "shop-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "data directories and logs kept in", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	tr := newTransport()
	baseline := func(label string) int {
		fmt.Fprintf(stderr, "hello baseline (%s)\n", label)
		m, err := measureHello(ctx, o, tr, helloBin, tmp, label)
		if err != nil {
			res.Problems = append(res.Problems, "hello "+label+": "+err.Error())
		}
		res.Baselines = append(res.Baselines, m)
		return len(res.Baselines) - 1
	}
	prev := baseline("before the shop")
	for _, size := range o.sizes {
		if ctx.Err() != nil {
			break
		}
		run := Run{Size: size, Before: prev}
		fmt.Fprintf(stderr, "shop with %d products\n", size)
		if err := runShop(ctx, o, tr, shopBin, helloBin, tmp, res.Started, &run, stderr); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("shop with %d products: %v", size, err))
		}
		prev = baseline(fmt.Sprintf("after %d products", size))
		run.After = prev
		res.Runs = append(res.Runs, run)
	}
	if ctx.Err() != nil {
		res.Problems = append(res.Problems, "stopped early: "+ctx.Err().Error())
	}
	res.Seconds = time.Since(res.Started).Seconds()
	applyRatios(res)
	res.Targets = judge(res)
	printReport(stdout, res)
	path, err := res.write(o.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nresults written to %s\n", path)
	if len(res.Problems) > 0 {
		return fmt.Errorf("the benchmark itself had problems: %s", strings.Join(res.Problems, "; "))
	}
	return nil
}

// build compiles both servers with the same go command, so they share a toolchain.
func build(ctx context.Context, o *options) (shop, hello string, err error) {
	shop, hello = filepath.Join(o.binDir, "shop"), filepath.Join(o.binDir, "hello")
	for _, b := range []struct{ out, pkg string }{{shop, "./cmd/shop"}, {hello, "./cmd/hello"}} {
		cmd := exec.CommandContext(ctx, o.goCmd, "build", "-o", b.out, b.pkg)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return shop, hello, nil
}

// buildInfo reads the toolchain and the commit stamped into the shop binary by go
// build; when stamping is off (GOFLAGS=-buildvcs=false), it asks git, read-only.
func buildInfo(ctx context.Context, goCmd, bin string) (commit string, modified bool, goVersion string) {
	commit, goVersion = "unknown", runtime.Version()
	defer func() {
		if commit != "unknown" {
			return
		}
		if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
			commit = strings.TrimSpace(string(out))
			st, err := exec.CommandContext(ctx, "git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no").Output()
			modified = err == nil && len(bytes.TrimSpace(st)) > 0
		}
	}()
	out, err := exec.CommandContext(ctx, goCmd, "version", "-m", bin).Output()
	if err != nil {
		return commit, false, goVersion
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			// "bin/shop: go1.26.8"
			if _, v, ok := strings.Cut(line, ": "); ok {
				goVersion = strings.TrimSpace(v)
			}
			first = false
			continue
		}
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "build" {
			switch k, v, _ := strings.Cut(f[1], "="); k {
			case "vcs.revision":
				commit = v
			case "vcs.modified":
				modified = v == "true"
			}
		}
	}
	return commit, modified, goVersion
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// loadAvg is /proc/loadavg's first three figures: a busy machine before the run starts
// explains noisy figures.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// measureHello starts hello and measures it in the loop shapes the shop is measured in:
// a closed loop of as many connections, and an open loop at each rate.
func measureHello(ctx context.Context, o *options, tr *http.Transport, bin, tmp, label string) (Measured, error) {
	m := Measured{Label: label}
	addr, err := freeAddr()
	if err != nil {
		return m, err
	}
	logPath := filepath.Join(tmp, "hello-"+strings.ReplaceAll(label, " ", "-")+".log")
	srv, err := startServer(ctx, "hello", bin, []string{"-addr", addr}, nil, addr, logPath)
	if err != nil {
		return m, err
	}
	defer tr.CloseIdleConnections()
	defer srv.stop()
	target := &shop{base: srv.base, transport: tr}
	workers := func(n int) []worker { return helloWorkers(target, n) }
	cpu := startCPU(srv.pid())
	res := runClosed(ctx, workers(o.conns), o.baseDur, o.maxOps)
	m.Closed = fill(Scenario{Name: "hello/closed", Title: "hello", Loop: "closed", Status: statusOK, Workers: o.conns,
		Unit: "req/s"}, res, res.elapsed, opStep)
	m.Closed.CPU = cpu.stop()
	for _, rate := range append(append([]float64{}, o.productRates...), o.orderRate) {
		time.Sleep(settle)
		cpu := startCPU(srv.pid())
		res := runOpen(ctx, workers(o.openWorkers), rate, o.baseOpenDur)
		sc := fill(Scenario{Name: fmt.Sprintf("hello/open@%g", rate), Title: "hello", Loop: "open",
			Status: statusOK, Workers: o.openWorkers, Rate: rate, Unit: "req/s"}, res, o.baseOpenDur, opStep)
		sc.CPU = cpu.stop()
		m.Open = append(m.Open, sc)
	}
	return m, srv.stop()
}

// helloWorkers are n clients of hello, each asking for its one page.
func helloWorkers(hello *shop, n int) []worker {
	ws := make([]worker, n)
	for i := range ws {
		sh := hello.newShopper(newRecorder())
		ws[i] = worker{rec: sh.rec, op: func(ctx context.Context) error {
			_, err := sh.get(ctx, "hello", "/", http.StatusOK)
			return err
		}}
	}
	return ws
}

// shopEnv is the shop's configuration under load: demo mode for the payment methods
// (sandbox bank, development card key; it seeds nothing, the catalogue being there),
// and mails to the driver's SMTP sink when there is one (smtpPort > 0).
func shopEnv(o *options, addr, dataDir, pprofAddr string, smtpPort int) []string {
	env := []string{"SHOP_ADDR=" + addr, "SHOP_BASE_URL=http://" + addr, "SHOP_DATA_DIR=" + dataDir,
		"SHOP_DEMO=1", "SHOP_LOG_LEVEL=" + o.logLevel}
	if smtpPort > 0 {
		env = append(env, "SHOP_SMTP_HOST=127.0.0.1", "SHOP_SMTP_PORT="+strconv.Itoa(smtpPort), "SHOP_SMTP_TLS=none",
			"SHOP_MAIL_FROM=shop@example.com", "SHOP_MERCHANT_EMAIL=merchant@example.com")
	}
	if pprofAddr != "" {
		env = append(env, "SHOP_PPROF_ADDR="+pprofAddr)
	}
	return env
}

// runShop seeds a fresh data directory, starts the shop and runs every scenario. Hello
// runs beside the shop while it does, for the capacity rows' slices (see -slices).
func runShop(ctx context.Context, o *options, tr *http.Transport, bin, helloBin, tmp string, started time.Time, run *Run,
	progress io.Writer) error {
	dir := filepath.Join(tmp, fmt.Sprintf("shop-%d", run.Size))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cat := catalogue{size: run.Size, flashStock: o.flashStock}
	t := time.Now()
	if err := cat.seed(ctx, dir); err != nil {
		return fmt.Errorf("seed the catalogue: %w", err)
	}
	run.SeedSeconds = time.Since(t).Seconds()
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	// The shop's debug server always runs: make bench reads its writer's counters around
	// each row; with -pprof it also takes the profiles.
	debugAddr, err := freeAddr()
	if err != nil {
		return err
	}
	var prof *profiler
	if o.pprof {
		prof = &profiler{addr: debugAddr, dir: o.out, prefix: fmt.Sprintf("%s-%d", started.Format("20060102T150405Z"), run.Size)}
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
	}
	logPath := filepath.Join(tmp, fmt.Sprintf("shop-%d.log", run.Size))
	smtpPort := 0
	if o.mail == "smtp" {
		sink, err := startMailSink()
		if err != nil {
			return fmt.Errorf("mail sink: %w", err)
		}
		defer func() { run.Mails = sink.received.Load() }()
		defer sink.close() // after the shop has stopped: it may still be sending
		smtpPort = sink.port()
	}
	env := shopEnv(o, addr, dir, debugAddr, smtpPort)
	srv, err := startServer(ctx, "shop", bin, nil, env, addr, logPath)
	if err != nil {
		return fmt.Errorf("%w%s", err, logTail(logPath))
	}
	defer tr.CloseIdleConnections()
	defer srv.stop()
	run.StartupMS = ms(srv.ready)
	run.GOMAXPROCS = shopProcs(logPath)
	fmt.Fprintf(progress, "  seeded in %.1fs, first 200 on /healthz %.0f ms after start\n", run.SeedSeconds, run.StartupMS)
	sr := &shopRun{opts: o, shop: &shop{base: srv.base, transport: tr, cat: cat}, srv: srv, run: run, progress: progress,
		prof: prof, debug: debugAddr}
	if o.interleave > 0 && o.runs("capacity") {
		haddr, err := freeAddr()
		if err != nil {
			return err
		}
		hs, err := startServer(ctx, "hello", helloBin, []string{"-addr", haddr}, nil, haddr,
			filepath.Join(tmp, fmt.Sprintf("hello-beside-%d.log", run.Size)))
		if err == nil {
			defer hs.stop()
			sr.hello, sr.helloPID = &shop{base: hs.base, transport: tr}, hs.pid()
		} else {
			// The rows can still be measured, in one piece against hello before and after.
			fmt.Fprintf(progress, "  hello beside the shop did not start (%v): capacity rows run in one piece\n", err)
		}
	}
	if sr.hello != nil && run.Size > referenceSize {
		ref, err := startReference(ctx, o, tr, bin, tmp, run.Size, progress)
		if err == nil {
			defer ref.srv.stop()
			sr.ref, run.Reference = ref, referenceSize
		} else {
			fmt.Fprintf(progress, "  the %d-product shop beside did not start (%v): sizes compared across runs\n", referenceSize, err)
		}
	}
	sr.all(ctx)
	if rss, err := srv.peakRSS(); err == nil {
		run.PeakRSS = max(run.PeakRSS, rss)
	}
	dbPath := filepath.Join(dir, "shop.db")
	waitOutboxEmpty(ctx, dbPath)
	if err := srv.stop(); err != nil {
		return fmt.Errorf("the shop did not exit cleanly: %w%s", err, logTail(logPath))
	}
	audit, err := auditMails(ctx, dbPath)
	if err != nil {
		return err
	}
	run.MailAudit = &audit
	return nil
}

// referenceSize is the catalogue the scaling targets compare a larger one's latency with.
const referenceSize = 100

// startReference starts a shop of referenceSize products beside the one of size, on a
// fresh data directory of its own, and browses it for a second.
//
// The two catalogues' capacity rows used to be compared across runs minutes apart,
// each median divided by that of hello beside it. Hello's own median moves by up to a
// third between rows (1.10 against 1.44 ms in one run, the shop's 3.06 against 3.09),
// so the comparison inherited hello's noise. Slices of both shops in alternation (a
// second or half a second each, by default) see the same machine, and need no
// correction.
func startReference(ctx context.Context, o *options, tr *http.Transport, bin, tmp string, size int, progress io.Writer) (*shopRun, error) {
	dir := filepath.Join(tmp, fmt.Sprintf("shop-%d-reference-%d", size, referenceSize))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cat := catalogue{size: referenceSize, flashStock: o.flashStock}
	if err := cat.seed(ctx, dir); err != nil {
		return nil, fmt.Errorf("seed the catalogue: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := dir + ".log"
	srv, err := startServer(ctx, "shop", bin, nil, shopEnv(o, addr, dir, "", 0), addr, logPath)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, logTail(logPath))
	}
	ref := &shopRun{opts: o, shop: &shop{base: srv.base, transport: tr, cat: cat}, srv: srv,
		run: &Run{Size: referenceSize}, progress: progress}
	ref.warmUp(ctx)
	return ref, nil
}

// logTail is the end of a server's log, for an error message.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return "\n--- end of " + path + " ---\n" + string(b)
}
