package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// shopRun runs every scenario against one shop process at one catalogue size.
type shopRun struct {
	opts     *options
	shop     *shop
	srv      *server
	run      *Run
	progress io.Writer
	avail    availability
	prof     *profiler // nil unless -pprof
	debug    string    // the shop's SHOP_PPROF_ADDR, for its writer's counters
	hello    *shop     // hello beside the shop, for the capacity rows' slices; nil: none
	helloPID int
	ref      *shopRun // a shop of referenceSize products beside this one, for the capacity rows' slices; nil: none
}

// settle is the pause between scenarios, so one's tail does not spill into the next.
const settle = 300 * time.Millisecond

// scenarioGroups are the names -only takes, in the order all runs them.
var scenarioGroups = []string{"capacity", "add-to-cart", "checkout", "open", "mix", "flash-sale"}

// all runs the scenarios in a fixed order; the flash sale is last because it is the
// only one that exhausts a product's stock.
func (r *shopRun) all(ctx context.Context) {
	r.warmUp(ctx)
	for _, kind := range []string{pageHome, pageCategory, pageProduct, pageSearch, pageCart} {
		r.measure(ctx, "capacity", func(ctx context.Context) Scenario { return r.capacity(ctx, kind) })
	}
	if r.ref != nil { // only the capacity rows compare with it
		if err := r.ref.srv.stop(); err != nil {
			fmt.Fprintf(r.progress, "  the %d-product shop beside: %v\n", r.ref.shop.cat.size, err)
		}
		r.ref = nil
	}
	r.measure(ctx, "add-to-cart", r.addToCart)
	r.avail = r.probe(ctx)
	r.run.Checkout = r.avail.String()
	r.measure(ctx, "checkout", func(ctx context.Context) Scenario { return r.checkout(ctx, payCard) })
	r.measure(ctx, "checkout", func(ctx context.Context) Scenario { return r.checkout(ctx, payBank) })
	for _, rate := range r.opts.productRates {
		r.measure(ctx, "open", func(ctx context.Context) Scenario { return r.openProduct(ctx, rate) })
	}
	r.measure(ctx, "open", r.openCheckout)
	r.measure(ctx, "mix", r.mix)
	r.measure(ctx, "flash-sale", r.flashSale)
}

// measure runs one scenario of group (what -only names) with its own peak-RSS and CPU
// windows (and profile, with -pprof) and prints a progress line. It starts once the shop
// is idle, and afterwards waits for the work the row left behind (the mails of its
// orders), which it reports with the row.
func (r *shopRun) measure(ctx context.Context, group string, scenario func(context.Context) Scenario) {
	if ctx.Err() != nil || !r.opts.runs(group) {
		return
	}
	_, idle := waitIdle(ctx, r.srv.pid())
	resetOK := r.srv.resetPeakRSS() == nil
	sliced := group == "capacity" && r.hello != nil
	var profileDone func(string) (string, error)
	if r.prof != nil {
		d := r.opts.dur
		if sliced {
			d = r.slicedLength()
		}
		profileDone = r.prof.capture(ctx, d)
	}
	w0, werr := readWriter(ctx, r.debug)
	cpu := startCPU(r.srv.pid())
	stall := startStallMeter()
	sc := scenario(ctx)
	longest := stall.stop()
	sc.DriverStallMs = float64(longest) / float64(time.Millisecond)
	sc.Note = joinNotes(sc.Note, stallNote(longest))
	if use := cpu.stop(); !sliced { // a sliced row measured its own slices' CPU
		sc.CPU = use
	}
	if w1, err := readWriter(ctx, r.debug); werr == nil && err == nil {
		sc.Writer = writerBetween(w0, w1)
		if sc.Unit == "adds/s" || sc.Unit == "orders/s" {
			sc.Note = joinNotes(sc.Note, writerNote(sc.Writer))
		}
		sc.Note = joinNotes(sc.Note, slowWriterNote(sc.Writer))
	}
	if !idle {
		sc.Note = joinNotes(sc.Note, "The shop was still busy with earlier work when this row began.")
	}
	if profileDone != nil {
		if path, err := profileDone(sc.Name); err != nil {
			fmt.Fprintf(r.progress, "  (no profile of %s: %v)\n", sc.Name, err)
		} else {
			sc.Profile = path
		}
	}
	after := startCPU(r.srv.pid())
	busy, _ := waitIdle(ctx, r.srv.pid())
	if busy -= idleWindow; busy > 0 {
		sc.BusyAfter = busy.Seconds()
		if use := after.stop(); use != nil {
			sc.BusyCores = use.Server
		}
	}
	if rss, err := r.srv.peakRSS(); err == nil {
		if resetOK {
			sc.PeakRSS = rss
		}
		r.run.PeakRSS = max(r.run.PeakRSS, rss)
	}
	if sc.Unit == "orders/s" && sc.Loop == "closed" && sc.BusyAfter >= 1 && sc.Seconds > 0 {
		sc.Sustained = sc.Throughput * sc.Seconds / (sc.Seconds + sc.BusyAfter)
		sc.Note = strings.TrimSpace(fmt.Sprintf("Sending the mails these orders queued took the shop %.1f s more: %.0f orders/s with them. %s",
			sc.BusyAfter, sc.Sustained, sc.Note))
	}
	r.run.Scenarios = append(r.run.Scenarios, sc)
	fmt.Fprintf(r.progress, "  %-28s %s\n", sc.Name, progressLine(sc))
	time.Sleep(settle)
}

// warmUp browses for a second, unmeasured, so that the first scenario does not pay
// for cold caches and connection set-up.
func (r *shopRun) warmUp(ctx context.Context) {
	kinds := []string{pageHome, pageCategory, pageProduct, pageSearch}
	workers, err := r.shoppers(ctx, "warm-up", 16, func(ctx context.Context, sh *shopper, rng *rand.Rand) func(context.Context) error {
		return func(ctx context.Context) error {
			kind := kinds[rng.IntN(len(kinds))]
			_, err := sh.get(ctx, kind, r.shop.pagePath(kind, rng), http.StatusOK)
			return err
		}
	})
	if err == nil {
		runClosed(ctx, workers, time.Second, r.opts.maxOps)
	}
}

// rng is a worker's random source: the same sequence on every run of a scenario.
func (r *shopRun) rng(scenario string, i int) *rand.Rand {
	h := fnv.New64a()
	io.WriteString(h, scenario)
	return rand.New(rand.NewPCG(h.Sum64()^uint64(r.shop.cat.size), uint64(i)))
}

// shoppers prepares n workers, each a shopper that has entered the shop (cookies and a
// token) before the clock starts; their set-up requests are not recorded.
func (r *shopRun) shoppers(ctx context.Context, scenario string, n int,
	op func(ctx context.Context, sh *shopper, rng *rand.Rand) func(context.Context) error) ([]worker, error) {
	workers := make([]worker, n)
	for i := range workers {
		rng := r.rng(scenario, i)
		sh := r.shop.newShopper(newRecorder())
		if err := r.shop.enter(ctx, sh, rng.IntN(r.shop.cat.buyable())); err != nil {
			return nil, fmt.Errorf("set-up: %w", err)
		}
		workers[i] = worker{op: op(ctx, sh, rng)}
		sh.rec = newRecorder() // what set-up did is not part of the figures
		workers[i].rec = sh.rec
	}
	return workers, nil
}

func (r *shopRun) closedScenario(name, title, unit string) Scenario {
	return Scenario{Name: name, Title: title, Loop: "closed", Status: statusOK, Workers: r.opts.conns, Unit: unit}
}

// capacity is a closed loop of one page kind: how many the shop serves at most.
func (r *shopRun) capacity(ctx context.Context, kind string) Scenario {
	sc := r.closedScenario("capacity/"+strings.Fields(kind)[0], kind, "req/s")
	workers, err := r.capacityWorkers(ctx, sc.Name, kind)
	if err != nil {
		return failed(sc, err)
	}
	if r.hello == nil {
		res := runClosed(ctx, workers, r.opts.dur, r.opts.maxOps)
		return fill(sc, res, res.elapsed, opStep)
	}
	var ref []worker
	if r.ref != nil {
		if ref, err = r.ref.capacityWorkers(ctx, sc.Name, kind); err != nil {
			sc.Note = fmt.Sprintf("The %d-product shop beside could not be set up (%v): no reference.", r.ref.shop.cat.size, err)
			ref = nil
		}
	}
	return r.sliced(ctx, sc, workers, ref)
}

// capacityWorkers are the row's virtual shoppers, each asking for pages of that kind.
func (r *shopRun) capacityWorkers(ctx context.Context, name, kind string) ([]worker, error) {
	return r.shoppers(ctx, name, r.opts.conns, func(ctx context.Context, sh *shopper, rng *rand.Rand) func(context.Context) error {
		if kind == pageCart {
			// A cart page with something in it: three lines.
			for j := 0; j < 3; j++ {
				if err := r.shop.addToCart(ctx, sh, rng.IntN(r.shop.cat.buyable())); err != nil {
					return func(context.Context) error { return err }
				}
			}
		}
		return func(ctx context.Context) error {
			_, err := sh.get(ctx, kind, r.shop.pagePath(kind, rng), http.StatusOK)
			return err
		}
	})
}

// sliced runs a closed row as -slices slices of the shop, between slices of hello half
// as long (hello first and last, so that each shop slice has hello on both sides), and
// keeps hello's figures with the row (Beside), which its ratios then divide by.
//
// This machine's speed wanders by 15-30 % over seconds (other tenants of the host):
// hello measured a minute before and after a row was often in another phase than the
// row, and the product page's ratio to it spread over 0.37-0.47 in twelve runs of the
// same commit. Alternating second by second, both see the same machine: over five full
// runs the product page read 0.438-0.449 x hello beside (100 products) and 0.377-0.393
// (100,000), while the same rows against hello before and after read 0.399-0.505 and
// 0.395-0.521.
//
// With ref (the same row's shoppers of the reference shop), each shop slice also has a
// slice of the reference shop half as long beside it, after it and before it in turn,
// kept with the row (Reference): judgeScaling compares the catalogue sizes by it.
//
// The row's own figures (throughput, latency, CPU) come from its slices alone. A short
// pause before each slice lets what the last one left (the shop's or the driver's
// garbage collection, a log flush) finish outside both; hello's CPU over its slices
// shows in its "other" whatever still spilled over.
func (r *shopRun) sliced(ctx context.Context, sc Scenario, workers, ref []worker) Scenario {
	n := r.opts.interleave
	slice := r.opts.dur / time.Duration(n)
	budget := r.opts.maxOps / n
	hello := helloWorkers(r.hello, r.opts.conns)
	warm := func(ws []worker) { // connections and a warm server, unmeasured
		runClosed(ctx, ws, sliceGap, budget)
		for _, w := range ws {
			*w.rec = *newRecorder()
		}
	}
	warm(hello)
	if ref != nil {
		warm(ref)
	}
	shop := side{pid: r.srv.pid(), workers: workers, d: slice, cpuOK: true}
	helloSide := side{pid: r.helloPID, workers: hello, d: slice / 2, cpuOK: true}
	var refSide side
	if ref != nil {
		refSide = side{pid: r.ref.srv.pid(), workers: ref, d: slice / 2, cpuOK: true}
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		helloSide.measure(ctx, budget)
		// The reference goes first every other time, so that neither shop always
		// follows the other and inherits what it left behind.
		if ref != nil && i%2 == 1 {
			refSide.measure(ctx, budget)
		}
		shop.measure(ctx, budget)
		if ref != nil && i%2 == 0 {
			refSide.measure(ctx, budget)
		}
	}
	helloSide.measure(ctx, budget)
	page := strings.TrimPrefix(sc.Name, "capacity/")
	out := shop.row(sc)
	base := helloSide.row(Scenario{Name: "hello/beside-" + page, Title: "hello", Loop: "closed", Status: statusOK,
		Workers: r.opts.conns, Unit: "req/s"})
	if out.CPU == nil || base.CPU == nil {
		out.Note = joinNotes(out.Note, "CPU not measured: /proc could not be read during its slices or hello's.")
	}
	if base.Latency.Count == 0 {
		out.Note = joinNotes(out.Note, "Hello beside answered nothing: ×hello is to hello before and after the shop.")
	}
	out.Beside = &base
	if ref != nil {
		row := refSide.row(Scenario{Name: "reference/" + page, Title: fmt.Sprintf("%d products", r.ref.shop.cat.size),
			Loop: "closed", Status: statusOK, Workers: r.opts.conns, Unit: "req/s"})
		out.Reference = &row
	}
	return out
}

// side is one server of a sliced row: its workers, its slices' length, and what its
// slices took, in time and in CPU.
type side struct {
	pid     int
	workers []worker
	d       time.Duration
	took    time.Duration
	use     cpuTimes
	cpuOK   bool // /proc was read around every slice
}

// measure runs one slice of the side, after a pause.
func (s *side) measure(ctx context.Context, budget int) {
	time.Sleep(sliceGap)
	a, errA := readCPU(s.pid)
	s.took += runClosed(ctx, s.workers, s.d, budget).elapsed
	b, errB := readCPU(s.pid)
	if s.cpuOK = s.cpuOK && errA == nil && errB == nil; s.cpuOK {
		s.use = s.use.plus(a, b)
	}
}

// row fills sc with the side's figures: the workers' recorders hold every slice's
// samples; its CPU is nil if /proc failed once.
func (s *side) row(sc Scenario) Scenario {
	sc = fill(sc, loopResult{rec: mergeWorkers(s.workers)}, s.took, opStep)
	if s.cpuOK {
		sc.CPU = cpuBetween(cpuTimes{}, s.use)
	}
	return sc
}

// sliceGap is the pause before each slice of a sliced row, and its warm-up's length.
const sliceGap = 20 * time.Millisecond

// slicedLength is how long a sliced row takes: its slices, hello's and the pauses.
// A reference shop beside adds its slices, their pauses and its warm-up.
func (r *shopRun) slicedLength() time.Duration {
	n := time.Duration(r.opts.interleave)
	slice := r.opts.dur / n
	d := r.opts.dur + (n+1)*slice/2 + (2*n+2)*sliceGap
	if r.ref != nil {
		d += n*slice/2 + (n+1)*sliceGap
	}
	return d
}

// addToCart is a closed loop of POST /cart/add, every virtual shopper with a session of
// its own. A shopper's visit is one product page (it brings the CSRF token) and then
// addsPerVisit adds; each add's redirect is not followed. Without new visits, the
// "added" flash messages, kept in the session cookie until a page shows them, would
// grow every shopper's cookie to its 4 KB limit, which no real visitor has.
func (r *shopRun) addToCart(ctx context.Context) Scenario {
	sc := r.closedScenario("add-to-cart", "add to cart", "adds/s")
	sc.Note = fmt.Sprintf("%d adds per visit, each visit opening with a product page.", r.opts.addsPerVisit)
	workers := make([]worker, r.opts.conns)
	for i := range workers {
		rec, rng := newRecorder(), r.rng(sc.Name, i)
		var sh *shopper
		n := 0
		workers[i] = worker{rec: rec, op: func(ctx context.Context) error {
			p := rng.IntN(r.shop.cat.buyable())
			if n%r.opts.addsPerVisit == 0 {
				sh = r.shop.newShopper(rec)
				if err := r.shop.enter(ctx, sh, p); err != nil {
					return err
				}
			}
			n++
			return r.shop.addToCart(ctx, sh, p)
		}}
	}
	res := runClosed(ctx, workers, r.opts.dur, r.opts.maxOps)
	return fill(sc, res, res.elapsed, "add to cart")
}

// availability is what the probe found the shop able to do.
type availability struct {
	checkout   error // the order form and placing an order
	card, bank error // paying, once an order is placed
}

func (a availability) String() string {
	word := func(err error) string {
		if err == nil {
			return "ok"
		}
		return err.Error()
	}
	if a.checkout != nil {
		return "checkout: " + word(a.checkout)
	}
	return "checkout: ok; card: " + word(a.card) + "; bank: " + word(a.bank)
}

// payment is how a checkout scenario can pay given what the probe found: the method
// to use, or a status and note explaining why the row is partial or n/a.
func (a availability) payment(method string) (use, status, note string) {
	var missing *missingError
	switch {
	case a.checkout != nil && errors.As(a.checkout, &missing):
		return "", statusNA, "n/a (" + a.checkout.Error() + ")"
	case a.checkout != nil:
		return "", statusError, "checkout failed in the probe: " + a.checkout.Error()
	}
	err := a.card
	if method == payBank {
		err = a.bank
	}
	switch {
	case err == nil:
		return method, statusOK, ""
	case errors.As(err, &missing) && method == payCard:
		return payNone, statusPartial, "without payment (" + err.Error() + "): the flow ends at the payment page"
	case errors.As(err, &missing):
		return "", statusNA, "n/a (" + err.Error() + ")"
	default:
		return method, statusOK, "the probe's payment failed: " + err.Error()
	}
}

// probe places two orders, paying one by card and one at the bank, to find which of
// the checkout routes exist before the scenarios that need them.
func (r *shopRun) probe(ctx context.Context) availability {
	var a availability
	rng := r.rng("probe", 0)
	for _, method := range []string{payCard, payBank} {
		sh := r.shop.newShopper(newRecorder())
		payURL, err := r.shop.order(ctx, sh, rng.IntN(r.shop.cat.buyable()), rng.Uint64())
		if err != nil {
			a.checkout = err
			return a
		}
		_, err = r.shop.pay(ctx, sh, payURL, method)
		if method == payCard {
			a.card = err
		} else {
			a.bank = err
		}
	}
	return a
}
