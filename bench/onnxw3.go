package main

// W3-ORT: W3's training step exported with package onnx and run on ONNX
// Runtime (CPU, 2 threads, driven by testdata/onnx/ort/run.js), beside
// chainrule's eager and compiled steps on the same inputs. ONNX Runtime
// times session.run alone, its inputs already made into ONNX Runtime
// tensors (outputs are allocated on each run); chainrule's rows time the
// step as W3 does. Not a target: a row telling users what each path costs.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

func buildW3ORT(quick bool) []*Case {
	var cases []*Case
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64} {
		name := "W3-ORT/" + dtypeName(d)
		cases = append(cases, &Case{Name: name, Workload: "W3-ORT", DType: d, NoPeers: true,
			Desc:    "W3's training step exported to ONNX: ONNX Runtime (CPU, 2 threads) beside chainrule eager and compiled, " + d.String(),
			Special: func() []*Row { return w3ORT(quick, d, name) }})
	}
	return cases
}

// ortDir finds testdata/onnx/ort from the module root or bench/.
func ortDir() (string, error) {
	for _, dir := range []string{"testdata/onnx/ort", "../testdata/onnx/ort"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node")); err == nil {
			return dir, nil
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", fmt.Errorf("node is not installed")
	}
	return "", fmt.Errorf("onnxruntime-node is not installed: cd testdata/onnx/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install")
}

// timeRounds returns the ns per call of op in rounds of iters calls.
func timeRounds(op func(), rounds, iters int) []float64 {
	op() // warm up
	out := make([]float64, rounds)
	for r := range out {
		t0 := time.Now()
		for range iters {
			op()
		}
		out[r] = float64(time.Since(t0).Nanoseconds()) / float64(iters)
	}
	return out
}

func w3ORT(quick bool, d tensor.DType, name string) []*Row {
	s := newMLPSetup(quick, d)
	rounds, iters := pick(quick, 7, 2), pick(quick, 50, 3)
	row := func(impl string, ns []float64) *Row {
		sm := summarize(ns)
		return &Row{Case: name, Workload: "W3-ORT", Impl: impl, Status: statusOK, Iters: iters, Rounds: ns, summary: sm}
	}
	eager, _ := s.chainruleStep()
	rows := []*Row{row("chainrule", timeRounds(func() { eager() }, rounds, iters))}

	// the step as a pure function: (params, x) → (loss, new params)
	n := len(s.params)
	step := func(in []ad.Value) []ad.Value {
		v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value {
			h := ad.Tanh(ad.Add(ad.MatMul(in[n], ps[0]), ps[1]))
			return ad.SoftmaxCrossEntropy(ad.Add(ad.MatMul(h, ps[2]), ps[3]), s.labels)
		}, in[:n]...)
		out := []ad.Value{v}
		for i, g := range gs {
			out = append(out, ad.Sub(in[i], ad.Mul(s.lr, g)))
		}
		return out
	}
	ins := []*tensor.Tensor{s.params[0], s.params[1], s.params[2], s.params[3], s.x}
	vals := make([]ad.Value, len(ins))
	for i, t := range ins {
		vals[i] = ad.From(t)
	}
	prog := ad.Compile(step, vals...)
	rows = append(rows, row("chainrule/compiled", timeRounds(func() { prog.Run(vals...) }, rounds, iters)))

	fail := func(err error) []*Row {
		return append(rows, &Row{Case: name, Workload: "W3-ORT", Impl: "onnxruntime-cpu-2t", Status: "skipped", Reason: err.Error()})
	}
	dir, err := ortDir()
	if err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp("", "w3ort")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	names := []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "x"}
	model := filepath.Join(tmp, "w3.onnx")
	if err := onnx.Save(model, prog, &onnx.Options{Inputs: names}); err != nil {
		return fail(err)
	}
	type wire struct {
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
		Data  string `json:"data"`
	}
	feeds := map[string]wire{}
	for i, t := range ins {
		var b []byte
		w := wire{DType: "float64", Shape: t.Shape()}
		for _, f := range t.Float64s() {
			if d == tensor.Float32 {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
			} else {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
			}
		}
		if d == tensor.Float32 {
			w.DType = "float32"
		}
		w.Data = base64.StdEncoding.EncodeToString(b)
		feeds[names[i]] = w
	}
	req, _ := json.Marshal(map[string]any{"inputs": feeds, "threads": 2, "repeat": rounds * iters})
	cmd := exec.Command("node", "run.js", model)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(req)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fail(fmt.Errorf("onnxruntime: %v: %s", err, stderr.String()))
	}
	var res struct {
		Seconds []float64 `json:"seconds"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return fail(err)
	}
	ns := make([]float64, rounds)
	for r := range ns {
		for _, sec := range res.Seconds[r*iters : (r+1)*iters] {
			ns[r] += sec * 1e9 / float64(iters)
		}
	}
	ort := row("onnxruntime-cpu-2t", ns)
	ort.Notes = append(ort.Notes, "exported with package onnx (opset 17); ONNX Runtime 1.30 CPU, intra-op 2 threads, session.run timed in Node")
	rows = append(rows, ort)
	for _, r := range rows[1:] {
		r.Ratio = rows[0].Median / r.Median
	}
	return rows
}
