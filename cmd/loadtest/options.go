package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// options are the benchmark's knobs; the defaults are what `make bench` runs.
type options struct {
	sizes        []int
	out          string
	goCmd        string
	binDir       string
	dur          time.Duration
	baseDur      time.Duration
	baseOpenDur  time.Duration
	interleave   int // capacity rows alternate with hello in this many slices (0: they do not)
	conns        int
	openWorkers  int
	maxOps       int
	productRates []float64
	orderRate    float64
	flashBuyers  int
	flashStock   int
	addsPerVisit int
	logLevel     string
	mail         string // smtp or folder
	goBench      bool
	benchtime    string
	benchPkgs    []string
	keep         bool
	pprof        bool
	driverPprof  string
	only         []string
	timeout      time.Duration
}

type intList []int

func (l *intList) String() string { return fmt.Sprint(*l) }
func (l *intList) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(part), "_", ""))
		if err != nil || n < 2 {
			return fmt.Errorf("%q is not a catalogue size of at least 2", part)
		}
		*l = append(*l, n)
	}
	return nil
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sizes intList
	fs.Var(&sizes, "size", "catalogue size; repeat or separate with commas (default 100)")
	fs.StringVar(&o.out, "out", "bench/results", "directory for the JSON result")
	fs.StringVar(&o.goCmd, "go", "go", "the go command that builds the shop, hello and the Go benchmarks")
	fs.StringVar(&o.binDir, "bin", "bin", "where the shop and hello binaries are built")
	fs.DurationVar(&o.dur, "d", 5*time.Second, "length of each shop scenario")
	fs.DurationVar(&o.baseDur, "baseline-d", 5*time.Second, "length of hello's closed loop")
	fs.DurationVar(&o.baseOpenDur, "baseline-open-d", 2*time.Second, "length of each of hello's open loops")
	fs.IntVar(&o.interleave, "slices", 5, "capacity rows run in this many slices between slices of hello half as long, and are divided by those; 0: by hello before and after the shop")
	fs.IntVar(&o.conns, "c", 64, "connections (virtual shoppers) of the closed loops")
	fs.IntVar(&o.openWorkers, "open-workers", 256, "most requests in flight in the product page's open loops; more arrivals are dropped")
	fs.IntVar(&o.maxOps, "max-ops", 500_000, "most operations one scenario starts, whatever its length")
	rates := fs.String("rates", "1000,5000", "product page arrival rates of the open loops, per second")
	fs.Float64Var(&o.orderRate, "order-rate", 100, "purchase arrival rate of the checkout open loop, per second")
	fs.IntVar(&o.flashBuyers, "flash-buyers", 200, "buyers in the flash sale")
	fs.IntVar(&o.flashStock, "flash-stock", 50, "stock of the flash-sale product")
	fs.IntVar(&o.addsPerVisit, "adds-per-visit", 5, "adds to cart per visit in the add-to-cart scenario")
	fs.StringVar(&o.logLevel, "shop-log-level", "info", "SHOP_LOG_LEVEL of the shop under load (its log goes to a file)")
	fs.StringVar(&o.mail, "mail", "smtp", "where the shop's mails go: smtp (a sink the driver runs on 127.0.0.1) or folder (.eml files in its data directory)")
	fs.BoolVar(&o.goBench, "gobench", true, "also run the Go benchmarks of the hot paths")
	fs.StringVar(&o.benchtime, "benchtime", "500ms", "-benchtime of the Go benchmarks")
	pkgs := fs.String("bench-pkgs", "./templates/ ./cart/ ./checkout/ ./payment/... ./cmd/shop/", "packages whose Go benchmarks run")
	fs.BoolVar(&o.keep, "keep", false, "keep the data directories and server logs (their path is printed)")
	fs.BoolVar(&o.pprof, "pprof", false, "save a CPU profile of the shop per scenario next to the JSON (SHOP_PPROF_ADDR)")
	only := fs.String("only", "", "run only these groups of scenarios, comma-separated: capacity, add-to-cart, checkout, open, mix, flash-sale (targets of the others read n/a)")
	fs.StringVar(&o.driverPprof, "driver-pprof", "", "write a CPU profile of the load driver itself to this file")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "stop everything after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (compare is `loadtest compare OLD.json NEW.json`)", fs.Arg(0))
	}
	o.sizes = sizes
	if len(o.sizes) == 0 {
		o.sizes = []int{100}
	}
	for _, part := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("-rates: %q is not a positive rate", part)
		}
		o.productRates = append(o.productRates, r)
	}
	o.benchPkgs = strings.Fields(*pkgs)
	for _, g := range strings.Split(*only, ",") {
		if g = strings.TrimSpace(g); g == "" {
			continue
		}
		if !slices.Contains(scenarioGroups, g) {
			return nil, fmt.Errorf("-only: %q is not one of %s", g, strings.Join(scenarioGroups, ", "))
		}
		o.only = append(o.only, g)
	}
	switch {
	case o.dur <= 0 || o.baseDur <= 0 || o.baseOpenDur <= 0:
		return nil, fmt.Errorf("durations must be positive")
	case o.interleave < 0 || o.interleave > o.maxOps:
		return nil, fmt.Errorf("-slices must be between 0 and -max-ops")
	case o.conns < 1 || o.openWorkers < 1 || o.maxOps < 1 || o.addsPerVisit < 1 || o.orderRate <= 0:
		return nil, fmt.Errorf("-c, -open-workers, -max-ops, -adds-per-visit and -order-rate must be positive")
	case o.mail != "smtp" && o.mail != "folder":
		return nil, fmt.Errorf("-mail: %q is neither smtp nor folder", o.mail)
	case o.flashStock < 1 || o.flashBuyers < o.flashStock:
		return nil, fmt.Errorf("the flash sale needs a stock of at least 1 and at least as many buyers")
	}
	return o, nil
}

// runs says whether the scenarios of group run (-only).
func (o *options) runs(group string) bool {
	return len(o.only) == 0 || slices.Contains(o.only, group)
}

func (o *options) settings() Settings {
	return Settings{ScenarioSeconds: o.dur.Seconds(), BaselineSeconds: o.baseDur.Seconds(), Connections: o.conns,
		OpenWorkers: o.openWorkers, MaxRequests: o.maxOps, ProductRates: o.productRates, OrderRate: o.orderRate,
		FlashBuyers: o.flashBuyers, FlashStock: o.flashStock, ShopLogLevel: o.logLevel, Mail: o.mail, AddsPerVisit: o.addsPerVisit,
		GoBenchtime: o.benchtime, CapacitySlices: o.interleave}
}
