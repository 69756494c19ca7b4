package main

// Implementations as the harness drives them: in-process Go functions, and
// external peers — separate processes (PyTorch, Gorgonia, GoMLX) that stay
// alive for the whole run and answer line-delimited JSON requests on their
// standard input and output, so that rounds can alternate between them and
// chainrule.
//
// The protocol: one JSON object per line each way, one reply per request.
//
//	{"cmd":"hello"}
//	  → {"ok":true,"info":{...}}  or  {"ok":false,"skip":"reason"}
//	{"cmd":"setup","case":"W3/f32","workload":"W3","params":{...},"inputs":{"x":ARRAY,...}}
//	  → {"ok":true,"impls":["torch",...]}  or  {"ok":false,"skip":"unsupported"}
//	{"cmd":"verify","case":"W3/f32","impl":"torch","prefix":"/tmp/…/torch-W3_f32"}
//	  → {"ok":true,"outputs":{"grad":ARRAY,...}}
//	{"cmd":"run","case":"W3/f32","impl":"torch","iters":N}
//	  → {"ok":true,"ns_per_op":123.4}
//	{"cmd":"free","case":"W3/f32"}  → {"ok":true}
//	{"cmd":"quit"}                  → (exits)
//
// ARRAY is {"file":PATH,"dtype":"float64"|"float32","shape":[...]}: raw
// little-endian values in row-major order, so inputs arrive bit for bit.
// A failed request answers {"ok":false,"error":"..."}. The peer times "run"
// itself, around the loop of N operations only.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chainrule/chainrule/tensor"
)

// runner is one implementation of a case as the harness drives it.
type runner interface {
	name() string
	// outputs runs the operation once and returns its results.
	outputs() (outputs, error)
	// run times iters operations and returns nanoseconds per operation.
	run(iters int) (float64, error)
}

// inproc runs an Impl in this process.
type inproc struct{ impl Impl }

// name returns the implementation's name.
func (r inproc) name() string { return r.impl.Name }

// outputs returns the implementation's results, turning a panic into an
// error.
func (r inproc) outputs() (out outputs, err error) {
	err = protect(func() { out = r.impl.Outputs() })
	return out, err
}

// run times iters calls of the operation. The caller collects garbage
// before a round (once: a second collection in a row would also empty
// tensor's storage cache and the sync.Pools, which keep what was put in
// them for one collection, so every round's first call would start cold,
// unlike a training loop's and unlike the PyTorch peer's, whose
// gc.collect leaves its caching allocator alone).
func (r inproc) run(iters int) (float64, error) {
	var ns float64
	err := protect(func() {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			r.impl.Op()
		}
		ns = float64(time.Since(t0).Nanoseconds()) / float64(iters)
	})
	return ns, err
}

// protect runs f and returns a panic as an error.
func protect(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	f()
	return nil
}

// array describes an array that travels through a file.
type array struct {
	File  string `json:"file"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// writeArray writes t's elements to path as raw little-endian values of
// its dtype and returns their description.
func writeArray(path string, t *tensor.Tensor) (array, error) {
	var buf bytes.Buffer
	var err error
	if t.DType() == tensor.Float32 {
		err = binary.Write(&buf, binary.LittleEndian, t.Data32())
	} else {
		err = binary.Write(&buf, binary.LittleEndian, t.Data())
	}
	if err != nil {
		return array{}, err
	}
	shape := append([]int{}, t.Shape()...)
	return array{File: path, DType: t.DType().String(), Shape: shape}, os.WriteFile(path, buf.Bytes(), 0o644)
}

// readArray reads an array's values as float64.
func readArray(a array) ([]float64, error) {
	b, err := os.ReadFile(a.File)
	if err != nil {
		return nil, err
	}
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	switch a.DType {
	case "float64":
		if len(b) != 8*n {
			return nil, fmt.Errorf("%s: %d bytes for %d float64", a.File, len(b), n)
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		return out, nil
	case "float32":
		if len(b) != 4*n {
			return nil, fmt.Errorf("%s: %d bytes for %d float32", a.File, len(b), n)
		}
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unknown dtype %q", a.File, a.DType)
}

// request is a message to an external peer.
type request struct {
	Cmd      string           `json:"cmd"`
	Case     string           `json:"case,omitempty"`
	Workload string           `json:"workload,omitempty"`
	Params   map[string]any   `json:"params,omitempty"`
	Inputs   map[string]array `json:"inputs,omitempty"`
	Impl     string           `json:"impl,omitempty"`
	Iters    int              `json:"iters,omitempty"`
	Prefix   string           `json:"prefix,omitempty"`
}

// response is an external peer's reply.
type response struct {
	OK      bool             `json:"ok"`
	Error   string           `json:"error,omitempty"`
	Skip    string           `json:"skip,omitempty"`
	Info    map[string]any   `json:"info,omitempty"`
	Impls   []string         `json:"impls,omitempty"`
	Outputs map[string]array `json:"outputs,omitempty"`
	NsPerOp float64          `json:"ns_per_op,omitempty"`
}

// callTimeout bounds every request to an external peer.
const callTimeout = 10 * time.Minute

// peer is an external implementation: a process speaking the protocol.
type peer struct {
	Name   string         `json:"name"`
	Status string         `json:"status"` // "ok", "skipped" or "failed"
	Reason string         `json:"reason,omitempty"`
	Info   map[string]any `json:"info,omitempty"`

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte
	stderr *tail
}

// tail keeps the last few KiB written to it (a peer's standard error).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

// Write appends p, keeping the last 4 KiB.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

// String returns the last lines kept, trimmed.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return lastLines(string(t.buf), 6)
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var ls []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ls = append(ls, l)
		}
	}
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}

// skipped returns a peer that will not run, with the reason.
func skipped(name, reason string) *peer {
	return &peer{Name: name, Status: "skipped", Reason: reason}
}

// startPeer starts argv as the named peer and greets it; a peer that cannot
// start or declines the greeting is returned skipped.
func startPeer(name string, argv []string, env []string) *peer {
	p := &peer{Name: name, stderr: &tail{}, lines: make(chan []byte, 1)}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = p.stderr
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return skipped(name, err.Error())
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return skipped(name, err.Error())
	}
	if err := p.cmd.Start(); err != nil {
		return skipped(name, err.Error())
	}
	p.stdin = stdin
	go func() {
		r := bufio.NewReaderSize(stdout, 1<<16)
		for {
			line, err := r.ReadBytes('\n')
			if len(bytes.TrimSpace(line)) > 0 {
				p.lines <- line
			}
			if err != nil {
				close(p.lines)
				return
			}
		}
	}()
	resp, err := p.call(request{Cmd: "hello"}, 2*time.Minute)
	switch {
	case err != nil:
		p.stop()
		return skipped(name, err.Error())
	case resp.Skip != "":
		p.stop()
		return skipped(name, resp.Skip)
	}
	p.Status, p.Info = "ok", resp.Info
	return p
}

// call sends req and waits up to timeout for the reply. A peer that dies
// or times out is stopped and marked failed; later calls fail at once.
func (p *peer) call(req request, timeout time.Duration) (response, error) {
	if p.Status == "failed" || p.Status == "skipped" {
		return response{}, fmt.Errorf("%s peer is %s: %s", p.Name, p.Status, p.Reason)
	}
	b, err := json.Marshal(req)
	if err != nil {
		return response{}, err
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		return response{}, p.fail("write: " + err.Error())
	}
	select {
	case line, ok := <-p.lines:
		if !ok {
			return response{}, p.fail("exited")
		}
		var resp response
		if err := json.Unmarshal(line, &resp); err != nil {
			return response{}, fmt.Errorf("bad reply %.200q: %v", line, err)
		}
		if !resp.OK && resp.Skip == "" {
			return resp, errors.New(resp.Error)
		}
		return resp, nil
	case <-time.After(timeout):
		return response{}, p.fail(fmt.Sprintf("no reply to %q within %s", req.Cmd, timeout))
	}
}

// fail stops the peer, marks it failed and returns an error with the end
// of its standard error.
func (p *peer) fail(why string) error {
	p.stop()
	p.Status = "failed"
	p.Reason = why
	if s := p.stderr.String(); s != "" {
		p.Reason += ": " + s
	}
	return errors.New(p.Reason)
}

// stop ends the peer's process: politely, then by killing it.
func (p *peer) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	if p.stdin != nil {
		b, _ := json.Marshal(request{Cmd: "quit"})
		p.stdin.Write(append(b, '\n'))
		p.stdin.Close()
	}
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

// setup sends a case to the peer and returns runners for the
// implementations it offers, or the reason it offers none. The runners
// have the peer write their verification outputs under outDir.
func (p *peer) setup(c *Case, inputs map[string]array, outDir string) ([]runner, string, error) {
	resp, err := p.call(request{Cmd: "setup", Case: c.Name, Workload: c.Workload, Params: c.Params, Inputs: inputs}, callTimeout)
	if err != nil {
		return nil, "", err
	}
	if resp.Skip != "" {
		return nil, resp.Skip, nil
	}
	var rs []runner
	for _, impl := range resp.Impls {
		rs = append(rs, &remote{p: p, c: c.Name, impl: impl, dir: outDir})
	}
	return rs, "", nil
}

// free tells the peer to drop a case's state.
func (p *peer) free(c *Case) {
	if p.Status == "ok" {
		p.call(request{Cmd: "free", Case: c.Name}, time.Minute)
	}
}

// remote is one implementation offered by an external peer for one case.
type remote struct {
	p    *peer
	c    string
	impl string
	dir  string // where verify outputs are written
}

// name returns the implementation's name as the peer gave it.
func (r *remote) name() string { return r.impl }

// outputs asks the peer to run the operation once and reads back the
// arrays it wrote.
func (r *remote) outputs() (outputs, error) {
	prefix := filepath.Join(r.dir, safeName(r.impl+"-"+r.c))
	resp, err := r.p.call(request{Cmd: "verify", Case: r.c, Impl: r.impl, Prefix: prefix}, callTimeout)
	if err != nil {
		return nil, err
	}
	out := outputs{}
	for name, a := range resp.Outputs {
		v, err := readArray(a)
		os.Remove(a.File)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

// run asks the peer to time iters operations.
func (r *remote) run(iters int) (float64, error) {
	resp, err := r.p.call(request{Cmd: "run", Case: r.c, Impl: r.impl, Iters: iters}, callTimeout)
	if err != nil {
		return 0, err
	}
	if resp.NsPerOp <= 0 {
		return 0, fmt.Errorf("peer reported %g ns/op", resp.NsPerOp)
	}
	return resp.NsPerOp, nil
}

// safeName replaces the characters of s that do not belong in a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == ':' {
			return '_'
		}
		return r
	}, s)
}

// torchEnv returns the PyTorch peer's extra environment: two OpenMP
// threads and, unless the caller's environment says otherwise, passive
// OpenMP waiting. Debian's torch runs its OpenMP pool beside the BLAS's own
// threads (OpenBLAS's pthreads build, when that is the libblas.so.3
// alternative); threads spinning after each parallel region starve the
// BLAS threads on a small machine and made torch's matrix products several
// times slower.
func torchEnv() []string {
	env := []string{"OMP_NUM_THREADS=2", "PYTHONDONTWRITEBYTECODE=1"}
	if _, ok := os.LookupEnv("OMP_WAIT_POLICY"); !ok {
		env = append(env, "OMP_WAIT_POLICY=PASSIVE")
	}
	return env
}

// externalPeers are the known external peers, in report order.
var externalPeers = []string{"torch", "gorgonia", "gomlx"}

// launchPeer starts the named external peer: the PyTorch script under the
// configured Python, or a Go peer built from its own module under
// bench/peers/NAME. It returns the peer skipped when its requirements are
// missing.
func launchPeer(name string, cfg *config, tmp string) *peer {
	src := filepath.Join(cfg.benchDir, "peers")
	if name == "torch" {
		if _, err := os.Stat(cfg.python); err != nil {
			return skipped(name, fmt.Sprintf("%s not found (install python3-torch)", cfg.python))
		}
		return startPeer(name, []string{cfg.python, "-u", filepath.Join(src, "torch_peer.py")}, torchEnv())
	}
	dir := filepath.Join(src, name)
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return skipped(name, "no module at "+dir)
	}
	bin := filepath.Join(tmp, name+"-peer")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off")
	logf("building the %s peer (go build in %s)", name, dir)
	if out, err := build.CombinedOutput(); err != nil {
		return skipped(name, "build failed: "+lastLines(string(out)+"\n"+err.Error(), 4))
	}
	return startPeer(name, []string{bin}, nil)
}
