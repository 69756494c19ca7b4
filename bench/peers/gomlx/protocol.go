package main

// The harness protocol (see bench/peers.go in chainrule): line-delimited
// JSON requests on stdin, one reply each on stdout, arrays as raw
// little-endian files. This file is the same in every Go peer.

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

// array describes an array that travels through a file.
type array struct {
	File  string `json:"file"`
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
}

// request is a message from the harness.
type request struct {
	Cmd      string           `json:"cmd"`
	Case     string           `json:"case"`
	Workload string           `json:"workload"`
	Params   map[string]any   `json:"params"`
	Inputs   map[string]array `json:"inputs"`
	Impl     string           `json:"impl"`
	Iters    int              `json:"iters"`
	Prefix   string           `json:"prefix"`
}

// input is a loaded input array: F64 or F32 holds the values.
type input struct {
	DType string
	Shape []int
	F64   []float64
	F32   []float32
}

// impl is one implementation of a case: op runs one timed operation, out
// runs it once and returns the named results as float64.
type impl struct {
	op  func() error
	out func() (map[string][]float64, error)
}

// setupFunc builds a case's implementations by name, or returns a reason
// to skip the case.
type setupFunc func(workload string, p params, in map[string]input) (map[string]impl, string, error)

// params are a case's parameters as JSON decoded them.
type params map[string]any

// int returns the integer parameter k.
func (p params) int(k string) int { v, _ := p[k].(float64); return int(v) }

// float returns the float parameter k.
func (p params) float(k string) float64 { v, _ := p[k].(float64); return v }

// ints returns the integer-list parameter k.
func (p params) ints(k string) []int {
	l, _ := p[k].([]any)
	out := make([]int, len(l))
	for i, v := range l {
		f, _ := v.(float64)
		out[i] = int(f)
	}
	return out
}

// load reads an input array.
func load(a array) (input, error) {
	b, err := os.ReadFile(a.File)
	if err != nil {
		return input{}, err
	}
	in := input{DType: a.DType, Shape: a.Shape}
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
		return input{}, fmt.Errorf("unknown dtype %q", a.DType)
	}
	return in, nil
}

// save writes values as float64 to prefix.name.bin and describes them.
func save(prefix, name string, v []float64) (array, error) {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	path := prefix + "." + name + ".bin"
	return array{File: path, DType: "float64", Shape: []int{len(v)}}, os.WriteFile(path, b, 0o644)
}

// serve answers requests until stdin closes or "quit" arrives.
func serve(info map[string]any, setup setupFunc) {
	cases := map[string]map[string]impl{}
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	out := bufio.NewWriter(os.Stdout)
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 1 {
			var req request
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
func handle(req request, cases map[string]map[string]impl, info map[string]any, setup setupFunc) (reply map[string]any) {
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
		ins := map[string]input{}
		for k, a := range req.Inputs {
			v, err := load(a)
			if err != nil {
				return fail(err)
			}
			ins[k] = v
		}
		impls, skip, err := setup(req.Workload, params(req.Params), ins)
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
		res, err := im.out()
		if err != nil {
			return fail(err)
		}
		outs := map[string]array{}
		for k, v := range res {
			a, err := save(req.Prefix, k, v)
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
			if err := im.op(); err != nil {
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
func sortedNames(impls map[string]impl) []string {
	names := make([]string, 0, len(impls))
	for n := range impls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
