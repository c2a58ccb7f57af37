package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Result is one `make bench`: everything it measured, written as JSON so that two
// commits (or two machines) can be compared with `loadtest compare`.
type Result struct {
	Schema     int        `json:"schema"`
	Started    time.Time  `json:"started"`
	Seconds    float64    `json:"seconds"`
	Commit     string     `json:"commit"`
	Modified   bool       `json:"modified"` // built from a tree with uncommitted changes
	GoVersion  string     `json:"go_version"`
	GOOS       string     `json:"goos"`
	GOARCH     string     `json:"goarch"`
	GOMAXPROCS int        `json:"gomaxprocs"`
	DriverGOGC int        `json:"driver_gogc,omitempty"` // the driver's GOGC (-1: off); 0: unknown (older runs)
	NumCPU     int        `json:"num_cpu"`
	CPU        string     `json:"cpu"`
	LoadAvg    string     `json:"load_average_at_start"`
	Note       string     `json:"note"`
	Settings   Settings   `json:"settings"`
	ShopBytes  int64      `json:"shop_binary_bytes"`
	HelloBytes int64      `json:"hello_binary_bytes"`
	Baselines  []Measured `json:"baselines"` // hello, measured before, between and after the shop runs
	Runs       []Run      `json:"runs"`
	GoBench    []GoBench  `json:"go_benchmarks"`
	GoBenchErr string     `json:"go_benchmarks_error,omitempty"`
	Targets    []Target   `json:"targets"`
	Problems   []string   `json:"problems,omitempty"` // what went wrong in the harness itself
}

// Settings are the knobs the run used.
type Settings struct {
	ScenarioSeconds float64   `json:"scenario_seconds"`
	BaselineSeconds float64   `json:"baseline_seconds"`
	Connections     int       `json:"connections"`
	OpenWorkers     int       `json:"open_loop_workers"`
	MaxRequests     int       `json:"max_operations_per_scenario"`
	ProductRates    []float64 `json:"product_page_rates"`
	OrderRate       float64   `json:"order_rate"`
	FlashBuyers     int       `json:"flash_buyers"`
	FlashStock      int       `json:"flash_stock"`
	ShopLogLevel    string    `json:"shop_log_level"`
	Mail            string    `json:"mail"` // smtp (the driver's sink) or folder
	AddsPerVisit    int       `json:"adds_per_visit"`
	GoBenchtime     string    `json:"go_benchtime"`
	CapacitySlices  int       `json:"capacity_slices"` // 0: capacity rows are divided by hello before and after
}

// Measured is the hello baseline at one point of the run: a closed loop and the open
// loop rates the shop is measured at.
type Measured struct {
	Label  string     `json:"label"`
	Closed Scenario   `json:"closed"`
	Open   []Scenario `json:"open"`
}

// Run is the shop at one catalogue size.
type Run struct {
	Size        int        `json:"catalogue_size"`
	SeedSeconds float64    `json:"seed_seconds"`
	StartupMS   float64    `json:"startup_to_healthz_ms"`
	GOMAXPROCS  int        `json:"shop_gomaxprocs,omitempty"` // as the shop printed it when it started; 0: unknown
	PeakRSS     int64      `json:"peak_rss_bytes"`            // the highest of every scenario's
	Before      int        `json:"baseline_before"`           // indexes into Result.Baselines
	After       int        `json:"baseline_after"`
	Checkout    string     `json:"checkout"`                 // what the probe found: routes and payment methods
	Mails       int64      `json:"mails_received,omitempty"` // by the driver's SMTP sink
	MailAudit   *MailAudit `json:"mail_audit,omitempty"`     // the shop's outbox once it stopped
	Scenarios   []Scenario `json:"scenarios"`
	// Reference is the catalogue size of the shop run beside this one for the capacity
	// rows (their Reference), 0 when none was.
	Reference int `json:"reference_size,omitempty"`
}

// Scenario is one row of the table.
type Scenario struct {
	Name          string             `json:"name"` // stable key for comparisons, e.g. "capacity/product"
	Title         string             `json:"title"`
	Loop          string             `json:"loop"` // closed, open or burst
	Status        string             `json:"status"`
	Note          string             `json:"note,omitempty"`
	Workers       int                `json:"workers"`
	Rate          float64            `json:"target_rate,omitempty"`
	Seconds       float64            `json:"seconds"`
	Unit          string             `json:"unit"`       // what Throughput counts: req/s, adds/s, orders/s
	Throughput    float64            `json:"throughput"` // successful operations per second
	Requests      int                `json:"requests"`   // every HTTP request sent, of every step
	ReqPerSec     float64            `json:"requests_per_second"`
	Errors        int                `json:"errors"`  // failed operations
	Latency       Latency            `json:"latency"` // of one operation
	Steps         map[string]Latency `json:"steps,omitempty"`
	Scheduled     int                `json:"scheduled,omitempty"` // open loop
	Dropped       int                `json:"dropped,omitempty"`
	PeakRSS       int64              `json:"peak_rss_bytes,omitempty"`
	BusyAfter     float64            `json:"busy_after_seconds,omitempty"`   // the shop finishing the row's work (its orders' mails)
	BusyCores     float64            `json:"busy_after_cores,omitempty"`     // the shop's CPU meanwhile (its last idle window included)
	Sustained     float64            `json:"sustained_throughput,omitempty"` // orders/s counting BusyAfter
	CPU           *CPUUse            `json:"cpu,omitempty"`
	Writer        *WriterUse         `json:"writer,omitempty"`                  // the shop's database writer meanwhile
	DriverStallMs float64            `json:"driver_longest_stall_ms,omitempty"` // the stall meter: the driver standing still
	Profile       string             `json:"cpu_profile,omitempty"`             // with -pprof: the shop's CPU profile of this row
	Ratio         *Ratio             `json:"ratio_to_baseline,omitempty"`
	Orders        float64            `json:"orders_per_second,omitempty"` // the mix's purchases
	States        map[string]int     `json:"final_payment_states,omitempty"`
	Placed        int                `json:"orders_placed,omitempty"`
	SoldOut       int                `json:"sold_out_answers,omitempty"`
	StockShown    string             `json:"stock_shown_after,omitempty"`
	// Beside is hello measured in slices alternating with this row's (capacity rows):
	// the row's ratios are to it rather than to hello before and after the shop.
	Beside *Scenario `json:"hello_beside,omitempty"`
	// Reference is the same row on a shop of Run.Reference products, measured in slices
	// alternating with this row's: the catalogue sizes are compared by it (judgeScaling).
	Reference *Scenario `json:"reference_beside,omitempty"`
}

// Scenario statuses.
const (
	statusOK      = "ok"
	statusPartial = "partial" // ran, but without a step the shop lacks (see Note)
	statusNA      = "n/a"     // the shop lacks what the scenario needs
	statusError   = "error"   // the scenario could not run
)

// Ratio is a row against hello's figures in the same loop shape (see applyRatios).
type Ratio struct {
	Throughput float64 `json:"throughput"`
	P50        float64 `json:"p50"`
	P95        float64 `json:"p95"`
	P99        float64 `json:"p99"`
}

// GoBench is one `go test -bench` line.
type GoBench struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Iterations  int64   `json:"iterations"`
	NsPerOp     float64 `json:"ns_per_op"`
	BytesPerOp  int64   `json:"bytes_per_op"`
	AllocsPerOp int64   `json:"allocs_per_op"`
	// Metrics are the benchmark's own figures by unit (b.ReportMetric).
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// Target is one line of the targets, judged on this run.
type Target struct {
	Name   string  `json:"name"`
	Size   int     `json:"catalogue_size,omitempty"`
	Want   string  `json:"want"`
	Got    string  `json:"got"`
	Value  float64 `json:"value"`
	Status string  `json:"status"` // PASS, FAIL or n/a
}

func (r *Result) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, r.Started.UTC().Format("20060102T150405Z")+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}

func readResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// find is the row of that name in a run, nil if absent.
func (r *Run) find(name string) *Scenario {
	for i := range r.Scenarios {
		if r.Scenarios[i].Name == name {
			return &r.Scenarios[i]
		}
	}
	return nil
}
