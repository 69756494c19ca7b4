package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/examples/internal/run"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/safetensors"
)

// corpusDir returns a directory holding this package's own .go files: real
// Go source, small.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"main.go", "model.go", "data.go", "main_test.go"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var tiny = []string{"-q", "-plot", "", "-sample", "0", "-embed", "8", "-heads", "2", "-layers", "1", "-context", "8",
	"-batch", "4", "-warmup", "2", "-eval-every", "3", "-eval-batches", "1", "-ckpt-every", "3", "-val", "0.3"}

func train(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := charlm(append(append([]string(nil), tiny...), args...), &out, &errb); err != nil {
		t.Fatalf("charlm %v: %v (stderr %q)", args, err, errb.String())
	}
	return out.String()
}

// checkpoint returns a checkpoint's tensors' bytes and its metadata, the
// training time taken out of the state.
func checkpoint(t *testing.T, path string) (map[string][]byte, map[string]string) {
	t.Helper()
	f, err := safetensors.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ts := map[string][]byte{}
	for _, e := range f.Entries {
		ts[e.Name] = e.Data
	}
	var st state
	if err := json.Unmarshal([]byte(f.Metadata["state"]), &st); err != nil {
		t.Fatal(err)
	}
	st.Seconds = 0
	b, _ := json.Marshal(st)
	f.Metadata["state"] = string(b)
	return ts, f.Metadata
}

// TestResume checks that 6 steps straight and 3 steps, a checkpoint, and 3
// more resumed from it end with the same weights, AdamW state, data source
// and curves, bit for bit.
func TestResume(t *testing.T) {
	data := corpusDir(t)
	dir := t.TempDir()
	straight, half, resumed := filepath.Join(dir, "a"), filepath.Join(dir, "h"), filepath.Join(dir, "r")
	train(t, "-data", data, "-steps", "6", "-ckpt", straight)
	train(t, "-data", data, "-steps", "6", "-ckpt", half, "-stop-after", "3")
	train(t, "-data", data, "-steps", "6", "-ckpt", resumed, "-resume", half)
	ta, ma := checkpoint(t, straight)
	th, _ := checkpoint(t, half)
	tr, mr := checkpoint(t, resumed)
	if bytes.Equal(ta["model.head.weight"], th["model.head.weight"]) {
		t.Fatal("the last 3 steps did not change the head's weights")
	}
	sameCheckpoint(t, ta, ma, tr, mr, "straight", "resumed")
}

// sameCheckpoint checks that two checkpoints' tensors and metadata are
// the same, bit for bit.
func sameCheckpoint(t *testing.T, ta map[string][]byte, ma map[string]string, tb map[string][]byte, mb map[string]string, a, b string) {
	t.Helper()
	if len(ta) != len(tb) {
		t.Fatalf("%d tensors %s, %d %s", len(ta), a, len(tb), b)
	}
	for name, x := range ta {
		if !bytes.Equal(x, tb[name]) {
			t.Errorf("%s differs, %s and %s", name, a, b)
		}
	}
	for k, v := range ma {
		if mb[k] != v {
			t.Errorf("metadata %s: %q %s, %q %s", k, v, a, mb[k], b)
		}
	}
}

// TestTime checks that -time fixes a step count, reports it, and that
// -steps with that count replays the run bit for bit.
func TestTime(t *testing.T) {
	data := corpusDir(t)
	dir := t.TempDir()
	timed, replay := filepath.Join(dir, "t"), filepath.Join(dir, "r")
	out := train(t, "-data", data, "-time", "3s", "-warmup", "4", "-ckpt", timed)
	var steps int
	if _, err := fmt.Sscanf(out, "charlm: %d steps", &steps); err != nil {
		t.Fatalf("no step count in %q: %v", out, err)
	}
	if steps <= 4 {
		t.Fatalf("-time 3s fixed %d steps, no more than the warm-up", steps)
	}
	train(t, "-data", data, "-steps", strconv.Itoa(steps), "-warmup", "4", "-ckpt", replay)
	ta, ma := checkpoint(t, timed)
	tr, mr := checkpoint(t, replay)
	sameCheckpoint(t, ta, ma, tr, mr, "with -time", "replayed")
}

// TestSteps checks the compiled training step (one-hot inputs) and the
// steps split into shards computed in parallel against the eager step on
// the whole batch (Embedding lookups and SoftmaxCrossEntropy).
func TestSteps(t *testing.T) {
	s := shape{Vocab: vocab, Embed: 16, Heads: 2, Layers: 2, Context: 8}
	m := newModel(rand.New(rand.NewPCG(1, 2)), s)
	params := nn.Params(m)
	n, l := 4, s.Context
	rng := rand.New(rand.NewPCG(3, 4))
	text := make([]uint8, 200)
	for i := range text {
		text[i] = uint8(rng.IntN(vocab))
	}
	x, y := make([]int, n*l), make([]int, n*l)
	eager := newStepper(m, params, n, l, 1, false)
	type variant struct {
		compile bool
		shards  int
	}
	variants := []variant{{true, 1}, {false, 2}, {false, 4}, {true, 2}, {true, 4}}
	steps := make([]stepper, len(variants))
	for i, v := range variants {
		steps[i] = newStepper(m, params, n, l, v.shards, v.compile)
	}
	for range 2 { // the second run replays the programs on other data
		batch(text, n, l, rng, x, y)
		le, ge := eager(x, y)
		for k, step := range steps {
			v := variants[k]
			lv, gv := step(x, y)
			if math.Abs(le-lv) > 1e-5*math.Abs(le) {
				t.Errorf("compile %v, %d shards: loss %g, eager %g", v.compile, v.shards, lv, le)
			}
			for i, g := range ge {
				for j := range g.Size() {
					a, b := g.AtFlat(j), gv[i].AtFlat(j)
					if math.Abs(a-b) > 1e-4*(1e-3+math.Abs(a)) {
						t.Fatalf("compile %v, %d shards: %s[%d] = %g, eager %g", v.compile, v.shards, params[i].Name, j, b, a)
					}
				}
			}
		}
	}
}

// TestSample checks the sample's form after a short training run, and the
// vocabulary's round trip.
func TestSample(t *testing.T) {
	out := train(t, "-data", corpusDir(t), "-steps", "4", "-ckpt", "", "-sample", "40", "-prompt", "func ")
	i := strings.Index(out, "sample (temperature 0.8):\nfunc ")
	if i < 0 {
		t.Fatalf("no sample from the prompt in %q", out)
	}
	if got := len(strings.TrimSuffix(out[i+len("sample (temperature 0.8):\n"):], "\n")); got != 45 {
		t.Errorf("sample of %d characters, want 5 + 40", got)
	}
	for b := range 256 {
		d := decode(int(encode(byte(b))))
		if want := byte(b); (b >= 32 && b < 127) || b == '\t' || b == '\n' {
			if d != want {
				t.Errorf("byte %d decodes to %d", b, d)
			}
		} else if d != '?' {
			t.Errorf("byte %d decodes to %q, want '?'", b, d)
		}
	}
}

// TestBadInput checks one-line errors for bad data and checkpoints.
func TestBadInput(t *testing.T) {
	data := corpusDir(t)
	dir := t.TempDir()
	one := t.TempDir()
	os.WriteFile(filepath.Join(one, "a.go"), []byte("package a\n"), 0o644)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{}"), 0o644)
	// A checkpoint of another model (a digits-like one) and one of this
	// model with other sizes.
	lin := nn.NewLinear(rand.New(rand.NewPCG(1, 1)), 2, 2, true)
	other := filepath.Join(dir, "other")
	ck := &run.Checkpoint{Kind: "chainrule examples/digits", Model: lin, Optim: optim.NewAdam(nn.Params(lin)), Rand: rand.NewPCG(1, 1), State: &state{}}
	if err := ck.Save(other); err != nil {
		t.Fatal(err)
	}
	wider := filepath.Join(dir, "wider")
	train(t, "-data", data, "-steps", "3", "-ckpt", wider, "-embed", "12")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", filepath.Join(dir, "nope")}, "nope: no such file"},
		{[]string{"-data", garbage}, "garbage is not a directory"},
		{[]string{"-data", one}, "1 .go files, need at least 2"},
		{[]string{"-data", data, "-resume", filepath.Join(dir, "missing")}, "missing: no such file"},
		{[]string{"-data", data, "-resume", garbage}, "garbage"},
		{[]string{"-data", data, "-resume", other}, `is of model "chainrule examples/digits"`},
		{[]string{"-data", data, "-resume", wider}, "embed 12"},
		{[]string{"-data", data, "-embed", "9"}, "multiple of -heads"},
		{[]string{"-data", data, "-steps", "2"}, "-warmup at least 2 and below -steps"},
		{[]string{"-data", data, "-shards", "3"}, "divide -batch"},
		{[]string{"-data", data, "-steps", "0", "-time", "0"}, "-steps or -time must be given"},
		{[]string{"-data", data, "-steps", "0", "-time", "1ns"}, "not enough for more than the warm-up"},
	} {
		var out, errb bytes.Buffer
		err := charlm(append(append([]string{"-steps", "4", "-ckpt", ""}, tiny...), tc.args...), &out, &errb)
		run.CheckError(t, tc.args, err, tc.want)
	}
}

// BenchmarkStep times charlm's training step at the default sizes
// (defaultShape, defaultBatch): loss and gradients, clipping and AdamW,
// eager and compiled, the batch in 1 and 2 shards; torch_step.py times the
// same step in PyTorch. It reports tokens/s.
func BenchmarkStep(b *testing.B) {
	s := defaultShape
	n, l := defaultBatch, s.Context
	rng := rand.New(rand.NewPCG(1, 1))
	text := make([]uint8, 10000)
	for i := range text {
		text[i] = uint8(rng.IntN(vocab))
	}
	for _, shards := range []int{1, 2} {
		for _, compile := range []bool{false, true} {
			name := fmt.Sprintf("%s/shards=%d", map[bool]string{false: "eager", true: "compiled"}[compile], shards)
			b.Run(name, func(b *testing.B) {
				m := newModel(rand.New(rand.NewPCG(1, 2)), s)
				params := nn.Params(m)
				opt := optim.NewAdamW(params)
				step := newStepper(m, params, n, l, shards, compile)
				x, y := make([]int, n*l), make([]int, n*l)
				for b.Loop() {
					batch(text, n, l, rng, x, y)
					_, grads := step(x, y)
					optim.ClipGradNorm(grads, 1, 2)
					opt.Step(grads)
				}
				b.ReportMetric(float64(b.N*n*l)/b.Elapsed().Seconds(), "tok/s")
			})
		}
	}
}

func TestMain(m *testing.M) {
	run.MainForTest(main)
	os.Exit(m.Run())
}

// TestExitStatus runs the program as a process: bad input prints one line
// "charlm: ..." and exits with status 2, -h exits with 0.
func TestExitStatus(t *testing.T) { run.CheckExitStatus(t, "charlm") }
