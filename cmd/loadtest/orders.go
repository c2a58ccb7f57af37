package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// buyers prepares n workers whose every operation is a whole purchase by a new
// shopper, paying with method; states tallies the final payment states they saw.
func (r *shopRun) buyers(scenario string, n int, method string) (workers []worker, states func() map[string]int) {
	workers = make([]worker, n)
	tallies := make([]map[string]int, n)
	for i := range workers {
		rec, rng, tally := newRecorder(), r.rng(scenario, i), map[string]int{}
		tallies[i] = tally
		workers[i] = worker{rec: rec, op: func(ctx context.Context) error {
			state, err := r.shop.buy(ctx, r.shop.newShopper(rec), rng, method)
			if err == nil {
				tally[state]++
			}
			return err
		}}
	}
	return workers, func() map[string]int {
		all := map[string]int{}
		for _, t := range tallies {
			for k, v := range t {
				all[k] += v
			}
		}
		return all
	}
}

func payTitle(method string) string {
	if method == payBank {
		return "checkout, pay at the sandbox bank"
	}
	return "checkout, pay by card"
}

// checkout is a closed loop of whole purchases: orders per second at most.
func (r *shopRun) checkout(ctx context.Context, method string) Scenario {
	sc := r.closedScenario("checkout/"+method, payTitle(method), "orders/s")
	use, status, note := r.avail.payment(method)
	sc.Status, sc.Note = status, note
	if status == statusNA || status == statusError {
		return sc
	}
	workers, states := r.buyers(sc.Name, r.opts.conns, use)
	res := runClosed(ctx, workers, r.opts.dur, r.opts.maxOps)
	sc = fill(sc, res, res.elapsed, opStep)
	sc.States = states()
	return sc
}

// openCheckout is purchases arriving at a fixed rate; a purchase's latency runs from its
// scheduled arrival to the page that ends it.
func (r *shopRun) openCheckout(ctx context.Context) Scenario {
	rate := r.opts.orderRate
	sc := Scenario{Name: fmt.Sprintf("open/checkout@%g", rate), Title: fmt.Sprintf("checkout at %g orders/s", rate),
		Loop: "open", Workers: r.opts.conns, Rate: rate, Unit: "orders/s"}
	use, status, note := r.avail.payment(payCard)
	sc.Status, sc.Note = status, note
	if status == statusNA || status == statusError {
		return sc
	}
	workers, states := r.buyers(sc.Name, r.opts.conns, use)
	res := runOpen(ctx, workers, rate, r.opts.dur)
	sc = fill(sc, res, r.opts.dur, opStep)
	sc.States = states()
	return sc
}

// openProduct is product pages arriving at a fixed rate.
func (r *shopRun) openProduct(ctx context.Context, rate float64) Scenario {
	sc := Scenario{Name: fmt.Sprintf("open/product@%g", rate), Title: fmt.Sprintf("product page at %g/s", rate),
		Loop: "open", Status: statusOK, Workers: r.opts.openWorkers, Rate: rate, Unit: "req/s"}
	workers, err := r.shoppers(ctx, sc.Name, r.opts.openWorkers, func(ctx context.Context, sh *shopper, rng *rand.Rand) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := sh.get(ctx, pageProduct, r.shop.pagePath(pageProduct, rng), http.StatusOK)
			return err
		}
	})
	if err != nil {
		return failed(sc, err)
	}
	res := runOpen(ctx, workers, rate, r.opts.dur)
	return fill(sc, res, r.opts.dur, opStep)
}

// browseWeights is how the mix's browsing divides between pages.
var browseWeights = []struct {
	kind   string
	weight int
}{{pageHome, 20}, {pageCategory, 25}, {pageProduct, 40}, {pageSearch, 15}}

func browseKind(rng *rand.Rand) string {
	n := rng.IntN(100)
	for _, w := range browseWeights {
		if n < w.weight {
			return w.kind
		}
		n -= w.weight
	}
	return pageProduct
}

// mix is a closed loop where 9 operations in 10 are a page and 1 in 10 a whole purchase
// by a new shopper.
func (r *shopRun) mix(ctx context.Context) Scenario {
	sc := r.closedScenario("mix", "mix: 90% browse, 10% buy", "req/s")
	use, status, note := r.avail.payment(payCard)
	canBuy := status == statusOK || status == statusPartial
	sc.Status, sc.Note = status, note
	if !canBuy {
		sc.Status, sc.Note = statusPartial, "buying is add to cart and the cart page: "+note
	}
	workers, err := r.shoppers(ctx, sc.Name, r.opts.conns, func(ctx context.Context, sh *shopper, rng *rand.Rand) func(context.Context) error {
		return func(ctx context.Context) error {
			start := time.Now()
			step, err := "browse", error(nil)
			if rng.IntN(10) == 0 {
				step = "buy"
				buyer := r.shop.newShopper(sh.rec)
				if canBuy {
					_, err = r.shop.buy(ctx, buyer, rng, use)
				} else if err = r.shop.addToCart(ctx, sh, rng.IntN(r.shop.cat.buyable())); err == nil {
					_, err = sh.get(ctx, pageCart, "/cart", http.StatusOK)
				}
			} else {
				kind := browseKind(rng)
				_, err = sh.get(ctx, kind, r.shop.pagePath(kind, rng), http.StatusOK)
			}
			if err != nil {
				sh.rec.fail(step, err)
				return err
			}
			sh.rec.ok(step, time.Since(start))
			return nil
		}
	})
	if err != nil {
		return failed(sc, err)
	}
	res := runClosed(ctx, workers, r.opts.dur, r.opts.maxOps)
	sc = fill(sc, res, res.elapsed, "browse")
	sc.Throughput = sc.ReqPerSec
	if buy, ok := sc.Steps["buy"]; ok && sc.Seconds > 0 {
		sc.Orders = float64(buy.Count) / sc.Seconds
		if canBuy {
			sc.Note = strings.TrimSpace(fmt.Sprintf("%.0f orders/s, purchase p95 %s. %s", sc.Orders, fmtMS(buy.P95MS), sc.Note))
		}
	}
	return sc
}

var stockRe = regexp.MustCompile(`data-testid="stock">([^<]*)<`)

// flashSale lets flashBuyers shoppers, each with the flash product in the cart and the
// order form open, place their orders at the same instant for flashStock units: the
// shop must place exactly flashStock orders and refuse the rest cleanly.
func (r *shopRun) flashSale(ctx context.Context) Scenario {
	n, k := r.opts.flashBuyers, r.opts.flashStock
	sc := Scenario{Name: "flash-sale", Title: fmt.Sprintf("flash sale: %d buyers, stock %d", n, k), Loop: "burst",
		Status: statusOK, Workers: n, Unit: "orders/s"}
	if _, status, note := r.avail.payment(payCard); status == statusNA || status == statusError {
		sc.Status, sc.Note = status, note
		return sc
	}
	type buyer struct {
		sh   *shopper
		form htmlForm
	}
	buyers := make([]buyer, n)
	prepErr := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	flash := r.shop.cat.flash()
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			sh := r.shop.newShopper(newRecorder())
			if err := r.shop.enter(ctx, sh, flash); err != nil {
				prepErr[i] = err
				return
			}
			if err := r.shop.addToCart(ctx, sh, flash); err != nil {
				prepErr[i] = err
				return
			}
			f, err := r.shop.orderForm(ctx, sh, uint64(i))
			prepErr[i] = err
			buyers[i] = buyer{sh: sh, form: f}
		}()
	}
	wg.Wait()
	prep := newRecorder()
	recs := []*recorder{prep}
	var mu sync.Mutex
	start := make(chan struct{})
	for i, b := range buyers {
		if prepErr[i] != nil {
			prep.fail(opStep, fmt.Errorf("before the sale: %w", prepErr[i]))
			continue
		}
		b.sh.rec = newRecorder()
		recs = append(recs, b.sh.rec)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Both answers are expected: an order, or "sold out" (409).
			p, err := b.sh.submit(ctx, "place order", b.form, http.StatusSeeOther, http.StatusConflict)
			switch {
			case err != nil:
			case p.status == http.StatusConflict:
				mu.Lock()
				sc.SoldOut++
				mu.Unlock()
			case strings.Contains(p.location, "/orders/"):
				mu.Lock()
				sc.Placed++
				mu.Unlock()
			default:
				err = fmt.Errorf("POST /checkout: redirected to %q", p.location)
			}
			if err != nil {
				b.sh.rec.fail(opStep, err)
			}
		}()
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(t0)
	sc = fill(sc, loopResult{elapsed: elapsed, rec: merge(recs)}, elapsed, "place order")
	sc.Throughput = float64(sc.Placed) / elapsed.Seconds()
	sh := r.shop.newShopper(newRecorder())
	if p, err := sh.get(ctx, pageProduct, "/products/"+r.shop.cat.slug(flash), http.StatusOK); err == nil {
		if m := stockRe.FindSubmatch(p.body); m != nil {
			sc.StockShown = string(m[1])
		}
	}
	sc.Note = fmt.Sprintf("%d placed (want %d), %d refused as sold out, %d errors; the product page then says %q",
		sc.Placed, k, sc.SoldOut, sc.Errors, sc.StockShown)
	return sc
}

// fill turns a loop's recordings into a row: main is the step the row's latency and
// throughput are about; window is the time the throughput divides by.
func fill(sc Scenario, res loopResult, window time.Duration, main string) Scenario {
	sc.Seconds = window.Seconds()
	sc.Steps = map[string]Latency{}
	for name, s := range res.rec.steps {
		l := summarize(s)
		if name == main {
			sc.Latency = l
		}
		if name != opStep {
			sc.Steps[name] = l
		}
	}
	if op := res.rec.steps[opStep]; op != nil {
		sc.Errors = op.failures
	}
	sc.Requests = res.rec.requests
	if secs := window.Seconds(); secs > 0 {
		sc.ReqPerSec = float64(sc.Requests) / secs
		sc.Throughput = float64(sc.Latency.Count) / secs
	}
	sc.Scheduled, sc.Dropped = res.scheduled, res.dropped
	return sc
}

// failed is a row whose set-up failed: the scenario did not run.
func failed(sc Scenario, err error) Scenario {
	sc.Status, sc.Note = statusError, err.Error()
	return sc
}
