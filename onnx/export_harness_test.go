package onnx_test

// The harness of the export tests: every exported model is validated by
// ONNX's own checker (Debian's python3-onnx, full check) and run on ONNX
// Runtime (onnxruntime-node from npm, driven by testdata/onnx/ort/run.js),
// and ONNX Runtime's outputs are compared with the program's own Run.
// Each check skips loudly, naming the install command, where its tool is
// absent; .ci/run installs both.

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

const ortDir = "../testdata/onnx/ort"

// ortAvailable returns the reason ONNX Runtime cannot run, or "".
func ortAvailable() string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed (apt-get install nodejs npm)"
	}
	if _, err := os.Stat(filepath.Join(ortDir, "node_modules", "onnxruntime-node")); err != nil {
		return "onnxruntime-node is not installed: cd testdata/onnx/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install"
	}
	return ""
}

// checkerAvailable returns the reason ONNX's checker cannot run, or "".
func checkerAvailable() string {
	if err := exec.Command("/usr/bin/python3", "-c", "import onnx").Run(); err != nil {
		return "python3-onnx is not installed (apt-get install python3-onnx; /usr/bin/python3 -c 'import onnx' fails)"
	}
	return ""
}

type wireTensor struct {
	DType string `json:"dtype"`
	Shape []int  `json:"shape"`
	Data  string `json:"data"`
}

func toWire(x *tensor.Tensor) wireTensor {
	var b []byte
	shape := append([]int{}, x.Shape()...) // [] for a scalar, not null
	if x.DType() == tensor.Float32 {
		for _, f := range x.Float64s() {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
		}
		return wireTensor{"float32", shape, base64.StdEncoding.EncodeToString(b)}
	}
	for _, f := range x.Float64s() {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return wireTensor{"float64", shape, base64.StdEncoding.EncodeToString(b)}
}

func fromWire(t *testing.T, w wireTensor) (shape []int, data []float64) {
	b, err := base64.StdEncoding.DecodeString(w.Data)
	if err != nil {
		t.Fatal(err)
	}
	switch w.DType {
	case "float32":
		for i := 0; i+4 <= len(b); i += 4 {
			data = append(data, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
	case "float64":
		for i := 0; i+8 <= len(b); i += 8 {
			data = append(data, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
		}
	default:
		t.Fatalf("ONNX Runtime returned dtype %s", w.DType)
	}
	return w.Shape, data
}

// runORT runs the model file on ONNX Runtime and returns its outputs by
// name, and the seconds of repeat further runs.
func runORT(t testing.TB, model string, inputs map[string]*tensor.Tensor, providers []string, threads, repeat int) (map[string]wireTensor, []float64) {
	req := map[string]any{"threads": threads, "repeat": repeat, "providers": providers}
	in := map[string]wireTensor{}
	for name, x := range inputs {
		in[name] = toWire(x)
	}
	req["inputs"] = in
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(model)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", "run.js", abs)
	cmd.Dir = ortDir
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ONNX Runtime on %s: %v\n%s", filepath.Base(model), err, stderr.String())
	}
	var res struct {
		Outputs map[string]wireTensor `json:"outputs"`
		Seconds []float64             `json:"seconds"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res.Outputs, res.Seconds
}

// tolerance is the comparison's: 1e-12 in float64, 1e-5 in float32.
func tolerance(d tensor.DType) float64 {
	if d == tensor.Float32 {
		return 1e-5
	}
	return 1e-12
}

// close reports whether got matches want to tol relative to max(|want|, 1)
// (numpy.allclose with rtol = atol = tol); NaN matches NaN and an
// infinity itself.
func close(got, want, tol float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) && math.IsNaN(want) || got == want
	}
	return math.Abs(got-want) <= tol*max(math.Abs(want), 1)
}

// exportAndCheck exports p with opts to dir/name.onnx, validates it with
// ONNX's checker and runs it on ONNX Runtime at the inputs xs, comparing
// every output with p.Run(xs). It returns the model's path.
func exportAndCheck(t *testing.T, name string, p *ad.Program, opts *onnx.Options, xs ...*tensor.Tensor) string {
	t.Helper()
	return exportAndCheckOn(t, []string{"cpu"}, name, p, opts, xs...)
}

// exportAndCheckOn is exportAndCheck with ONNX Runtime's execution
// providers.
func exportAndCheckOn(t *testing.T, providers []string, name string, p *ad.Program, opts *onnx.Options, xs ...*tensor.Tensor) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".onnx")
	if err := onnx.Save(path, p, opts); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	m, err := onnx.Export(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("checker", func(t *testing.T) {
		if why := checkerAvailable(); why != "" {
			t.Skip("SKIPPED, ONNX checker unavailable: " + why)
		}
		script := "import onnx, sys\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\n"
		out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("onnx.checker rejects %s: %v\n%s", name, err, out)
		}
	})
	t.Run("reimport", func(t *testing.T) { reimport(t, m, p, opts, xs) })
	t.Run("onnxruntime", func(t *testing.T) {
		if why := ortAvailable(); why != "" {
			t.Skip("SKIPPED, ONNX Runtime unavailable: " + why)
		}
		vals := make([]ad.Value, len(xs))
		feeds := map[string]*tensor.Tensor{}
		for i, x := range xs {
			vals[i] = ad.From(x)
			name := "input" + strconv.Itoa(i)
			if opts != nil && opts.Inputs != nil {
				name = opts.Inputs[i]
			}
			if opts == nil || opts.Frozen[name] == nil {
				feeds[name] = x
			}
		}
		want := p.Run(vals...)
		got, _ := runORT(t, path, feeds, providers, 1, 0)
		names := make([]string, 0, len(got))
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(got) != len(want) {
			t.Fatalf("%d outputs from ONNX Runtime (%v), %d from Run", len(got), names, len(want))
		}
		for i, w := range want {
			oname := m.Graph.Outputs[i].Name
			shape, data := fromWire(t, got[oname])
			wt := w.Tensor()
			if len(shape) != wt.Rank() {
				t.Fatalf("output %s: shape %v from ONNX Runtime, %v from Run", oname, shape, wt.Shape())
			}
			for k, s := range shape {
				if s != wt.Shape()[k] {
					t.Fatalf("output %s: shape %v from ONNX Runtime, %v from Run", oname, shape, wt.Shape())
				}
			}
			compareOutput(t, oname, "ONNX Runtime", data, wt.Float64s(), tolerance(w.DType()))
		}
	})
	return path
}

// reimport checks the round trip through chainrule's own reader: the
// model, marshalled and decoded, is imported and called on the non-frozen
// inputs, and each output must match the program's Run. Both sides are
// chainrule, but the imported side runs the ONNX operators the exporter
// wrote (its lowerings and decompositions), through onnx.Import's
// kernels, so the check fails if either the export or the import of an
// operator is wrong.
func reimport(t *testing.T, m *onnx.Model, p *ad.Program, opts *onnx.Options, xs []*tensor.Tensor) {
	t.Helper()
	dm, err := onnx.Decode(onnx.Marshal(m))
	if err != nil {
		t.Fatalf("decoding the exported model: %v", err)
	}
	im, err := onnx.Import(dm)
	for _, n := range dm.Graph.Nodes {
		if n.OpType == "MaxPool" && len(n.Outputs) > 1 {
			// a known limitation, checked to be reported as such
			if err == nil || !strings.Contains(err.Error(), "Indices output is not supported") {
				t.Fatalf("importing a model with MaxPool's Indices output: err = %v, want the documented refusal", err)
			}
			t.Skip("NOT CHECKED: Import does not read MaxPool's Indices output (data-dependent integers), which the export of a max-pooling gradient uses; the refusal is checked instead")
		}
	}
	if err != nil {
		t.Fatalf("importing the exported model: %v", err)
	}
	vals := make([]ad.Value, len(xs))
	var feeds []ad.Value
	for i, x := range xs {
		vals[i] = ad.From(x)
		name := "input" + strconv.Itoa(i)
		if opts != nil && opts.Inputs != nil {
			name = opts.Inputs[i]
		}
		if opts == nil || opts.Frozen[name] == nil {
			feeds = append(feeds, vals[i])
		}
	}
	want := p.Run(vals...)
	got := im.Call(feeds...)
	if len(got) != len(want) {
		t.Fatalf("%d outputs from the imported model, %d from Run", len(got), len(want))
	}
	for i, w := range want {
		oname := m.Graph.Outputs[i].Name
		gt, wt := got[i].Tensor(), w.Tensor()
		if !slices.Equal(gt.Shape(), wt.Shape()) {
			t.Fatalf("output %s: shape %v imported, %v from Run", oname, gt.Shape(), wt.Shape())
		}
		if gt.DType() != wt.DType() {
			t.Fatalf("output %s: dtype %v imported, %v from Run", oname, gt.DType(), wt.DType())
		}
		compareOutput(t, oname, "imported", gt.Float64s(), wt.Float64s(), tolerance(w.DType()))
	}
}

// compareOutput reports the elements of output name where got (from
// source) and want (from Run) differ beyond tol, the first five in full.
func compareOutput(t *testing.T, name, source string, got, want []float64, tol float64) {
	t.Helper()
	bad := 0
	for k := range want {
		if !close(got[k], want[k], tol) {
			if bad < 5 {
				t.Errorf("output %s[%d]: %s %v, Run %v (tolerance %g)", name, k, source, got[k], want[k], tol)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("output %s: %d of %d elements differ", name, bad, len(want))
	}
}
