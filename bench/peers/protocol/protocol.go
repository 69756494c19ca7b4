// Package protocol is the Go peers' side of the benchmark harness's
// protocol (see bench/peers.go in chainrule): line-delimited JSON requests
// on stdin, one reply each on stdout, arrays as raw little-endian files.
// It is a module of its own, with no dependencies, which every Go peer
// module replaces with this directory, so that chainrule's own go.mod never
// depends on it or on a peer.
package protocol

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"time"
)

// Array describes an array that travels through a file.
type Array struct {
	File  string `json:"file"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// Request is a message from the harness.
type Request struct {
	Cmd      string           `json:"cmd"`
	Case     string           `json:"case"`
	Workload string           `json:"workload"`
	Params   map[string]any   `json:"Params"`
	Inputs   map[string]Array `json:"inputs"`
	Impl     string           `json:"Impl"`
	Iters    int              `json:"iters"`
	Prefix   string           `json:"prefix"`
}

// Input is a loaded input array: F64 or F32 holds the values.
type Input struct {
	DType string
	Shape []int
	F64   []float64
	F32   []float32
}

// Impl is one implementation of a case: Op runs one timed operation, Out
// runs it once and returns the named results as float64.
type Impl struct {
	Op  func() error
	Out func() (map[string][]float64, error)
}

// Setup builds a case's implementations by name, or returns a reason
// to skip the case.
type Setup func(workload string, p Params, in map[string]Input) (map[string]Impl, string, error)

// Params are a case's parameters as JSON decoded them.
type Params map[string]any

// Int returns the integer parameter k.
func (p Params) Int(k string) int { v, _ := p[k].(float64); return int(v) }

// Float returns the float parameter k.
func (p Params) Float(k string) float64 { v, _ := p[k].(float64); return v }

// Ints returns the integer-list parameter k.
func (p Params) Ints(k string) []int {
	l, _ := p[k].([]any)
	out := make([]int, len(l))
	for i, v := range l {
		f, _ := v.(float64)
		out[i] = int(f)
	}
	return out
}

// Load reads an input array.
func Load(a Array) (Input, error) {
	b, err := os.ReadFile(a.File)
	if err != nil {
		return Input{}, err
	}
	in := Input{DType: a.DType, Shape: a.Shape}
	switch a.DType {
	case "float64":
		in.F64 = make([]float64, len(b)/8)
		for i := range in.F64 {
			in.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case "float32":
		in.F32 = make([]float32, len(b)/4)
		for i := range in.F32 {
			in.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	default:
		return Input{}, fmt.Errorf("unknown dtype %q", a.DType)
	}
	return in, nil
}

// Save writes values as float64 to prefix.name.bin and describes them.
func Save(prefix, name string, v []float64) (Array, error) {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	path := prefix + "." + name + ".bin"
	return Array{File: path, DType: "float64", Shape: []int{len(v)}}, os.WriteFile(path, b, 0o644)
}

// Serve answers requests until stdin closes or "quit" arrives.
func Serve(info map[string]any, setup Setup) {
	cases := map[string]map[string]Impl{}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 1 {
			var req Request
			var reply map[string]any
			if jerr := json.Unmarshal(line, &req); jerr != nil {
				reply = map[string]any{"ok": false, "error": jerr.Error()}
			} else if req.Cmd == "quit" {
				return
			} else {
				reply = handle(req, cases, info, setup)
			}
			b, _ := json.Marshal(reply)
			out.Write(append(b, '\n'))
			out.Flush()
		}
		if err != nil {
			return
		}
	}
}

// handle answers one request, turning a panic into an error reply.
func handle(req Request, cases map[string]map[string]Impl, info map[string]any, setup Setup) (reply map[string]any) {
	defer func() {
		if p := recover(); p != nil {
			reply = map[string]any{"ok": false, "error": fmt.Sprintf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	fail := func(err error) map[string]any { return map[string]any{"ok": false, "error": err.Error()} }
	switch req.Cmd {
	case "hello":
		return map[string]any{"ok": true, "info": info}
	case "setup":
		ins := map[string]Input{}
		for k, a := range req.Inputs {
			v, err := Load(a)
			if err != nil {
				return fail(err)
			}
			ins[k] = v
		}
		impls, skip, err := setup(req.Workload, Params(req.Params), ins)
		if err != nil {
			return fail(err)
		}
		if skip != "" {
			return map[string]any{"ok": false, "skip": skip}
		}
		cases[req.Case] = impls
		return map[string]any{"ok": true, "impls": sortedNames(impls)}
	case "verify":
		im, ok := cases[req.Case][req.Impl]
		if !ok {
			return fail(fmt.Errorf("no implementation %q of case %q", req.Impl, req.Case))
		}
		res, err := im.Out()
		if err != nil {
			return fail(err)
		}
		outs := map[string]Array{}
		for k, v := range res {
			a, err := Save(req.Prefix, k, v)
			if err != nil {
				return fail(err)
			}
			outs[k] = a
		}
		return map[string]any{"ok": true, "outputs": outs}
	case "run":
		im, ok := cases[req.Case][req.Impl]
		if !ok {
			return fail(fmt.Errorf("no implementation %q of case %q", req.Impl, req.Case))
		}
		runtime.GC()
		t0 := time.Now()
		for i := 0; i < req.Iters; i++ {
			if err := im.Op(); err != nil {
				return fail(err)
			}
		}
		return map[string]any{"ok": true, "ns_per_op": float64(time.Since(t0).Nanoseconds()) / float64(req.Iters)}
	case "free":
		delete(cases, req.Case)
		runtime.GC()
		return map[string]any{"ok": true}
	}
	return fail(fmt.Errorf("unknown command %q", req.Cmd))
}

// sortedNames returns the implementation names in order, so that the
// peer's own name comes before its variants ("gorgonia", "gorgonia/primal").
func sortedNames(impls map[string]Impl) []string {
	names := make([]string, 0, len(impls))
	for n := range impls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
