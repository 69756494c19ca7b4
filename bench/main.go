// Command bench runs chainrule's benchmark workloads side by side with other
// implementations of the same computations — plain hand-written Go, PyTorch
// and, where they build, Gorgonia and GoMLX — on one machine in one run.
//
// For each case it first verifies every implementation's result against
// chainrule's, then times them in alternating rounds (A B A B …, the order
// shuffled each round, the heap collected before each run and a pause after
// each peer's), each round running every implementation for a fixed number
// of iterations calibrated to about -roundtime. It prints a table last and
// writes the same data as JSON. See bench/README.md.
//
//	go run ./bench                      # every default workload, all peers
//	go run ./bench -quick               # tiny sizes: a smoke test
//	go run ./bench -workloads W2,GEMM -rounds 5 -peers hand-go,torch
//	go run ./bench -workloads W7        # the memory soak test (not default)
//	go run ./bench -markdown FILE.json  # a report as the README's table
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chainrule/chainrule/internal/atomicfile"
)

// settle is the pause after a run in a peer's process, so that its
// threads are idle before the next implementation starts.
const settle = 20 * time.Millisecond

// config is the parsed command line.
type config struct {
	workloads []string // -workloads, upper-cased; empty for the default set
	all       bool
	rounds    int
	roundTime time.Duration
	quick     bool
	peers     []string
	out       string
	python    string
	benchDir  string // the directory of the bench sources (peer scripts, modules)
	markdown  string // -markdown: a report to print as the README's table instead of running
}

// statusOK marks a row that was verified and timed.
const statusOK = "ok"

// Row is one implementation's result for one case.
type Row struct {
	Case      string             `json:"case"`
	Workload  string             `json:"workload"`
	Impl      string             `json:"impl"`
	Status    string             `json:"status"` // ok, FAILED-VERIFY, error, skipped, GROWING (W7)
	Reason    string             `json:"reason,omitempty"`
	Iters     int                `json:"iters_per_round,omitempty"`
	Rounds    []float64          `json:"ns_per_op_rounds,omitempty"`
	VerifyErr *float64           `json:"verify_rel_err,omitempty"`
	Ratio     float64            `json:"ratio_chainrule_over_impl,omitempty"`
	Metrics   map[string]float64 `json:"metrics,omitempty"`
	Notes     []string           `json:"notes,omitempty"`
	Trace     []memSample        `json:"memory_trace,omitempty"`
	summary
}

// metric records a named number on the row and, if note is not empty, a
// note for the table.
func (r *Row) metric(name string, v float64, note string) {
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	r.Metrics[name] = v
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
}

// caseInfo describes a case in the JSON report.
type caseInfo struct {
	Name     string         `json:"name"`
	Workload string         `json:"workload"`
	Desc     string         `json:"desc"`
	DType    string         `json:"dtype"`
	Params   map[string]any `json:"params,omitempty"`
}

// Report is the JSON document the harness writes.
type Report struct {
	Machine  map[string]any `json:"machine"`
	Started  time.Time      `json:"started"`
	Duration float64        `json:"duration_seconds"`
	Config   map[string]any `json:"config"`
	Peers    []*peer        `json:"peers"`
	Cases    []caseInfo     `json:"cases"`
	Rows     []*Row         `json:"rows"`
}

// start is when the harness started; logf prints times relative to it.
var start = time.Now()

// logf prints a progress line to standard error.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.markdown != "" {
		if err := writeMarkdownFile(cfg.markdown, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		return
	}
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// parseFlags parses the command line into a config.
func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	workloadsFlag := fs.String("workloads", "", "comma-separated workloads or cases to run (W1,…,W7,H100,GEMM or e.g. W3/f32); default: all but W7")
	all := fs.Bool("all", false, "run every workload, W7's soak test included")
	rounds := fs.Int("rounds", 7, "alternating rounds per case (3 with -quick unless set)")
	roundTime := fs.Duration("roundtime", 300*time.Millisecond, "target time of one implementation's run in one round (20ms with -quick unless set)")
	quick := fs.Bool("quick", false, "tiny sizes, few short rounds: a smoke test")
	peers := fs.String("peers", "hand-go,torch,gorgonia,gomlx", "comma-separated implementations to compare with chainrule: hand-go, torch, gorgonia, gomlx")
	out := fs.String("o", "", "JSON output file (default bench/results/latest.json; quick.json with -quick)")
	python := fs.String("python", "/usr/bin/python3", "the Python with Debian's python3-torch")
	markdown := fs.String("markdown", "", "print the report in this JSON file as the README's Markdown table, and run nothing")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg := &config{all: *all, rounds: *rounds, roundTime: *roundTime, quick: *quick, out: *out, python: *python, benchDir: benchDir(), markdown: *markdown}
	if cfg.quick && !set["rounds"] {
		cfg.rounds = 3
	}
	if cfg.quick && !set["roundtime"] {
		cfg.roundTime = 20 * time.Millisecond
	}
	if cfg.rounds < 1 {
		return nil, fmt.Errorf("-rounds must be at least 1")
	}
	for _, w := range splitList(*workloadsFlag) {
		cfg.workloads = append(cfg.workloads, strings.ToUpper(w))
	}
	for _, w := range cfg.workloads {
		if !slices.ContainsFunc(workloads, func(x Workload) bool { return x.Name == strings.SplitN(w, "/", 2)[0] }) {
			return nil, fmt.Errorf("unknown workload %q", w)
		}
	}
	for _, p := range splitList(*peers) {
		if p != "hand-go" && p != "chainrule" && !slices.Contains(externalPeers, p) {
			return nil, fmt.Errorf("unknown peer %q (want hand-go, torch, gorgonia, gomlx)", p)
		}
		cfg.peers = append(cfg.peers, p)
	}
	if cfg.out == "" {
		name := "latest.json"
		if cfg.quick {
			name = "quick.json"
		}
		cfg.out = filepath.Join(cfg.benchDir, "results", name)
	}
	return cfg, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// benchDir returns the directory holding the bench sources: this file's
// directory when it still exists (go run), else ./bench, else ".".
func benchDir() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		if _, err := os.Stat(filepath.Join(filepath.Dir(file), "peers")); err == nil {
			return filepath.Dir(file)
		}
	}
	if _, err := os.Stat(filepath.Join("bench", "peers")); err == nil {
		return "bench"
	}
	return "."
}

// selected reports whether a workload is to run, and the case filter for it
// (nil: every case).
func (cfg *config) selected(w Workload) (bool, []string) {
	if len(cfg.workloads) == 0 {
		return w.Default || cfg.all, nil
	}
	var cases []string
	found := false
	for _, s := range cfg.workloads {
		name, sub, hasSub := strings.Cut(s, "/")
		if name != w.Name {
			continue
		}
		found = true
		if !hasSub {
			return true, nil
		}
		cases = append(cases, w.Name+"/"+strings.ToLower(sub))
	}
	return found, cases
}

// wants reports whether the in-process implementation named impl runs:
// chainrule's always, hand-go's when hand-go is among the peers.
func (cfg *config) wants(impl string) bool {
	base, _, _ := strings.Cut(impl, "/")
	return base == "chainrule" || slices.Contains(cfg.peers, base)
}

// run runs the selected workloads and writes the report.
func run(cfg *config, stdout io.Writer) error {
	rep := &Report{Started: start, Machine: machine(), Config: map[string]any{
		"rounds": cfg.rounds, "round_time_seconds": cfg.roundTime.Seconds(), "quick": cfg.quick,
		"workloads": cfg.workloads, "all": cfg.all, "peers": cfg.peers, "python": cfg.python}}
	tmp, err := os.MkdirTemp("", "chainrule-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var todo []Workload
	needPeers := false
	for _, w := range workloads {
		if ok, _ := cfg.selected(w); ok {
			todo = append(todo, w)
			needPeers = needPeers || w.Name != "W7"
		}
	}
	var peers []*peer
	if needPeers {
		peers = startPeers(cfg, tmp)
		defer func() {
			for _, p := range peers {
				p.stop()
			}
		}()
	}
	rep.Peers = peers

	for _, w := range todo {
		_, only := cfg.selected(w)
		for _, c := range w.Build(cfg.quick) {
			if only != nil && !slices.Contains(only, strings.ToLower(c.Name)) && !slices.Contains(only, c.Name) {
				continue
			}
			logf("%s: %s", c.Name, c.Desc)
			rep.Cases = append(rep.Cases, caseInfo{Name: c.Name, Workload: c.Workload, Desc: c.Desc, DType: c.DType.String(), Params: c.Params})
			rep.Rows = append(rep.Rows, runCase(c, cfg, peers, tmp)...)
			runtime.GC()
		}
	}
	rep.Duration = time.Since(start).Seconds()
	if err := writeReport(cfg.out, rep); err != nil {
		return err
	}
	logf("wrote %s", cfg.out)
	printTable(stdout, rep)
	return nil
}

// startPeers launches the requested external peers in order. The Go peers
// are tried only once the PyTorch peer is running (or was not requested).
func startPeers(cfg *config, tmp string) []*peer {
	var peers []*peer
	for _, name := range externalPeers {
		if !slices.Contains(cfg.peers, name) {
			continue
		}
		logf("starting the %s peer", name)
		p := launchPeer(name, cfg, tmp)
		if p.Status == "ok" {
			logf("%s peer: ok %v", name, p.Info)
		} else {
			logf("%s peer: %s: %s", name, p.Status, p.Reason)
		}
		peers = append(peers, p)
	}
	return peers
}

// runCase verifies and times every implementation of c and returns their
// rows, chainrule's first.
func runCase(c *Case, cfg *config, peers []*peer, tmp string) []*Row {
	if c.Special != nil {
		return c.Special()
	}
	var rs []runner
	var notes [][]string
	var held []func() uint64
	for _, im := range c.Impls {
		if cfg.wants(im.Name) {
			rs = append(rs, inproc{im})
			held = append(held, im.Held)
			var n []string
			if im.Note != nil {
				n = im.Note()
			}
			notes = append(notes, n)
		}
	}
	var extra []*Row // peers that declined the case or failed to set it up
	if !c.NoPeers && slices.ContainsFunc(peers, func(p *peer) bool { return p.Status == "ok" }) {
		inputs, err := writeInputs(c, tmp)
		defer func() {
			for _, a := range inputs {
				os.Remove(a.File)
			}
		}()
		for _, p := range peers {
			if p.Status != "ok" {
				continue
			}
			if err != nil {
				extra = append(extra, &Row{Case: c.Name, Workload: c.Workload, Impl: p.Name, Status: "error", Reason: "writing inputs: " + err.Error()})
				continue
			}
			prs, skip, err := p.setup(c, inputs, tmp)
			switch {
			case err != nil:
				extra = append(extra, &Row{Case: c.Name, Workload: c.Workload, Impl: p.Name, Status: "error", Reason: err.Error()})
			case skip != "":
				extra = append(extra, &Row{Case: c.Name, Workload: c.Workload, Impl: p.Name, Status: "skipped", Reason: skip})
			}
			for _, r := range prs {
				rs = append(rs, r)
				held = append(held, nil)
				notes = append(notes, nil)
			}
			defer p.free(c)
		}
	}

	rows := make([]*Row, len(rs))
	for i, r := range rs {
		rows[i] = &Row{Case: c.Name, Workload: c.Workload, Impl: r.name(), Status: statusOK, Notes: notes[i]}
	}
	want, err := rs[0].outputs()
	if err != nil {
		for _, row := range rows {
			row.Status, row.Reason = "error", "chainrule (the reference) failed: "+err.Error()
		}
		return append(rows, extra...)
	}
	tol := tolerance(c.DType)
	for i, r := range rs[1:] {
		row := rows[i+1]
		got, err := r.outputs()
		if err != nil {
			row.Status, row.Reason = "error", err.Error()
			continue
		}
		e, err := compare(got, want)
		if !math.IsInf(e, 0) {
			row.VerifyErr = &e
		}
		switch {
		case err != nil:
			row.Status, row.Reason = "FAILED-VERIFY", err.Error()
		case !(e <= tol):
			row.Status, row.Reason = "FAILED-VERIFY", fmt.Sprintf("relative error %.3g > %g", e, tol)
		}
		logf("  verify %-22s %s (rel err %.2g)", r.name(), row.Status, e)
	}
	for i, h := range held {
		if h != nil && rows[i].Status == statusOK {
			b := float64(h())
			rows[i].metric("held_bytes", b, "held "+fmtBytes(b))
		}
	}

	iters := make([]int, len(rs))
	for i, r := range rs {
		if rows[i].Status != statusOK {
			continue
		}
		n, err := calibrate(r, cfg.roundTime)
		if err != nil {
			rows[i].Status, rows[i].Reason = "error", err.Error()
			continue
		}
		iters[i] = n
		rows[i].Iters = n
	}
	shuffle := rand.New(rand.NewPCG(uint64(len(c.Name)), 7))
	for round := 0; round < cfg.rounds; round++ {
		// a new order each round (seeded), so that no implementation
		// always runs first or right after the same neighbour: a
		// neighbour's garbage or a peer's still-spinning threads (OpenMP
		// workers spin for a while after a parallel region) would tax it
		for _, i := range shuffle.Perm(len(rs)) {
			r := rs[i]
			if rows[i].Status != statusOK {
				continue
			}
			runtime.GC() // start clean: collect the garbage of whatever ran before
			ns, err := r.run(iters[i])
			if err != nil {
				rows[i].Status, rows[i].Reason = "error", err.Error()
				continue
			}
			rows[i].Rounds = append(rows[i].Rounds, ns)
			if _, ok := r.(*remote); ok {
				time.Sleep(settle) // let the peer's threads go idle
			}
		}
	}
	for _, row := range rows {
		if row.Status == statusOK {
			row.summary = summarize(row.Rounds)
			if c.Flops > 0 {
				g := c.Flops / row.Median
				row.metric("gflops", g, fmt.Sprintf("%.1f GFLOP/s", g))
			}
		}
	}
	if rows[0].Status == statusOK {
		for _, row := range rows {
			if row.Status == statusOK {
				row.Ratio = rows[0].Median / row.Median
			}
		}
	}
	if c.Finish != nil {
		c.Finish(rows)
	}
	for _, row := range rows {
		if row.Status == statusOK {
			logf("  %-22s %10s/op  (%d iters × %d rounds)", row.Impl, fmtDuration(row.Median), row.Iters, len(row.Rounds))
		}
	}
	return append(rows, extra...)
}

// calibrate returns how many iterations of r take about target: a first
// run of one iteration warms up, a second measures (with more iterations
// when one is much shorter than the target).
func calibrate(r runner, target time.Duration) (int, error) {
	ns, err := r.run(1)
	if err != nil {
		return 0, err
	}
	t := float64(target.Nanoseconds())
	probe := max(1, int(t/10/ns))
	if ns2, err := r.run(probe); err != nil {
		return 0, err
	} else if probe > 1 || ns2 < ns {
		ns = ns2
	}
	return max(1, int(math.Round(t/ns))), nil
}

// writeInputs writes c's input arrays to files under dir for the external
// peers.
func writeInputs(c *Case, dir string) (map[string]array, error) {
	out := map[string]array{}
	for name, t := range c.Inputs {
		a, err := writeArray(filepath.Join(dir, safeName(c.Name+"-"+name)+".bin"), t)
		if err != nil {
			return out, err
		}
		out[name] = a
	}
	return out, nil
}

// machine describes the machine the run is on.
func machine() map[string]any {
	m := map[string]any{"cpu": cpuModel(), "cpus": runtime.NumCPU(), "gomaxprocs": runtime.GOMAXPROCS(0),
		"go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH}
	if h, err := os.Hostname(); err == nil {
		m["host"] = h
	}
	return m
}

// cpuModel returns the processor's model name from /proc/cpuinfo (as
// lscpu shows it), or "unknown".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// writeReport writes rep as indented JSON to path, creating its directory.
func writeReport(path string, rep *Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o644, append(b, '\n'))
}

// printTable prints the run's context, then the table of results: one line
// per case and implementation.
func printTable(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "\nmachine: %v, %v CPUs, %v; total runtime %.0f s\n", rep.Machine["cpu"], rep.Machine["cpus"], rep.Machine["go"], rep.Duration)
	for _, p := range rep.Peers {
		line := p.Status
		if p.Reason != "" {
			line += ": " + p.Reason
		}
		if p.Status == "ok" && p.Info != nil {
			b, _ := json.Marshal(p.Info)
			line += " " + string(b)
		}
		fmt.Fprintf(w, "peer %-9s %s\n", p.Name, line)
	}
	fmt.Fprintf(w, "time/op is the median over %v rounds; ratio = chainrule's median / this row's median (below 1: chainrule is faster)\n\n",
		rep.Config["rounds"])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tIMPLEMENTATION\tTIME/OP\tMIN – MAX\tCHAINRULE/IMPL\tNOTES")
	prev := ""
	for _, r := range rep.Rows {
		name := r.Case
		if name == prev {
			name = ""
		}
		prev = r.Case
		notes := strings.Join(r.Notes, "; ")
		if r.Status != statusOK && r.Status != "GROWING" {
			reason := r.Reason
			if len(reason) > 100 {
				reason = reason[:100] + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t%s\n", name, r.Impl, r.Status, reason)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s – %s\t%s\t%s\n", name, r.Impl, fmtDuration(r.Median),
			fmtDuration(r.Min), fmtDuration(r.Max), fmtRatio(r.Ratio), notes)
	}
	tw.Flush()
}
