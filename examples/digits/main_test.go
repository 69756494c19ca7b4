package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/examples/internal/run"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/safetensors"
)

// train runs the program with args and returns its standard output, failing
// the test on an error.
func train(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := digits(append([]string{"-q", "-plot", ""}, args...), &out, &errb); err != nil {
		t.Fatalf("digits %v: %v (stderr %q)", args, err, errb.String())
	}
	return out.String()
}

// TestResume checks that 2 epochs straight and 1 epoch, a checkpoint,
// and 1 more epoch resumed from it end in byte-identical checkpoints:
// weights, Adam's moments and step, the data order's source and the
// curves.
func TestResume(t *testing.T) {
	dir := t.TempDir()
	straight := filepath.Join(dir, "straight.safetensors")
	half := filepath.Join(dir, "half.safetensors")
	resumed := filepath.Join(dir, "resumed.safetensors")
	common := []string{"-epochs", "2", "-batch", "64"}
	train(t, append(common, "-ckpt", straight)...)
	train(t, append(common, "-ckpt", half, "-stop-after", "1")...)
	train(t, append(common, "-ckpt", resumed, "-resume", half)...)
	a, err := os.ReadFile(straight)
	if err != nil {
		t.Fatal(err)
	}
	h, err := os.ReadFile(half)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, h) {
		t.Fatal("the checkpoint after 1 epoch equals the one after 2: the second epoch changed nothing")
	}
	if !bytes.Equal(a, b) {
		fa, _ := safetensors.Parse(a)
		fb, _ := safetensors.Parse(b)
		for _, e := range fa.Entries {
			if eb, ok := fb.Entry(e.Name); !ok || !bytes.Equal(e.Data, eb.Data) {
				t.Errorf("tensor %s differs after resuming", e.Name)
			}
		}
		t.Fatalf("resumed checkpoint differs from the straight run's; metadata %v vs %v", fa.Metadata, fb.Metadata)
	}
	// A checkpoint that has done all epochs resumes to nothing more.
	out := train(t, append(common, "-ckpt", "", "-resume", straight)...)
	if !strings.Contains(out, "2 epochs") {
		t.Errorf("resuming a finished run: %q", out)
	}
}

// TestAgainstPyTorch trains the default 20 epochs and compares with the
// curves of torch_digits.py (testdata/torch_curves.json, same weights, data
// order and hyperparameters): at least 97% test accuracy, within 1 point
// of PyTorch's, and the loss curves close to PyTorch's.
func TestAgainstPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for 20 epochs (about 15 s)")
	}
	b, err := os.ReadFile("testdata/torch_curves.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref curves
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "c.safetensors")
	train(t, "-ckpt", ckpt)
	f, err := safetensors.Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	var st state
	if err := json.Unmarshal([]byte(f.Metadata["state"]), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.TestAcc) != len(ref.TestAcc) {
		t.Fatalf("%d epochs, PyTorch %d", len(st.TestAcc), len(ref.TestAcc))
	}
	n := len(st.TestAcc) - 1
	if st.TestAcc[n] < 0.97 {
		t.Errorf("test accuracy %.4f, want at least 0.97", st.TestAcc[n])
	}
	if d := math.Abs(st.TestAcc[n] - ref.TestAcc[n]); d > 0.01 {
		t.Errorf("test accuracy %.4f, PyTorch %.4f: more than 1 point apart", st.TestAcc[n], ref.TestAcc[n])
	}
	for e := range st.TrainLoss {
		// float32 rounding differs between the two; the curves may drift
		// apart slowly, but not by much.
		if d := math.Abs(st.TestLoss[e]-ref.TestLoss[e]) / ref.TestLoss[e]; d > 0.1 {
			t.Errorf("epoch %d: test loss %.5f, PyTorch %.5f", e+1, st.TestLoss[e], ref.TestLoss[e])
		}
		if d := math.Abs(st.TrainLoss[e]-ref.TrainLoss[e]) / ref.TrainLoss[e]; d > 0.1 {
			t.Errorf("epoch %d: training loss %.5f, PyTorch %.5f", e+1, st.TrainLoss[e], ref.TrainLoss[e])
		}
	}
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestBadInput checks that bad files give one-line errors naming the
// problem.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	row := strings.Repeat("0,", 64)
	notGzip := write("plain.csv", []byte(row+"3\n"))
	badPixel := write("pixel.csv.gz", gz(t, row+"3\n"+strings.Repeat("0,", 10)+"17,"+strings.Repeat("0,", 53)+"3\n"))
	badLabel := write("label.csv.gz", gz(t, row+"3\n"+row+"x\n"))
	short := write("short.csv.gz", gz(t, row+"3\n0,1\n"))
	garbage := write("garbage.safetensors", []byte("not a checkpoint at all"))
	// A safetensors file of another model, and a digits checkpoint of
	// other shapes under the right kind.
	other := filepath.Join(dir, "other.safetensors")
	if err := nn.Save(other, nn.NewLinear(rand.New(rand.NewPCG(1, 2)), 3, 4, true), nil); err != nil {
		t.Fatal(err)
	}
	wrongKind := filepath.Join(dir, "kind.safetensors")
	train(t, "-epochs", "1", "-batch", "256", "-ckpt", wrongKind)
	f, err := safetensors.Load(wrongKind)
	if err != nil {
		t.Fatal(err)
	}
	ts := f.Tensors()
	f.Metadata["kind"] = "chainrule examples/charlm"
	if err := safetensors.Save(wrongKind, ts, f.Metadata); err != nil {
		t.Fatal(err)
	}
	f.Metadata["kind"] = kind
	delete(ts, "model.6.bias")
	wrongShape := filepath.Join(dir, "shape.safetensors")
	if err := safetensors.Save(wrongShape, ts, f.Metadata); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-data", filepath.Join(dir, "missing.csv.gz")}, "missing.csv.gz: no such file"},
		{[]string{"-data", notGzip}, "plain.csv: gzip: invalid header"},
		{[]string{"-data", badPixel}, `pixel.csv.gz:2: pixel 11 is "17"`},
		{[]string{"-data", badLabel}, `label.csv.gz:2: label "x" is not a digit`},
		{[]string{"-data", short}, "short.csv.gz: record on line 2: wrong number of fields"},
		{[]string{"-resume", filepath.Join(dir, "missing.safetensors")}, "no such file"},
		{[]string{"-resume", garbage}, "garbage.safetensors"},
		{[]string{"-resume", other}, `not a training checkpoint`},
		{[]string{"-resume", wrongKind}, `is of model "chainrule examples/charlm"`},
		{[]string{"-resume", wrongShape}, `"model.6.bias"`},
		{[]string{"-epochs", "0"}, "-epochs"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errb bytes.Buffer
		err := digits(append([]string{"-q", "-plot", "", "-ckpt", ""}, tc.args...), &out, &errb)
		run.CheckError(t, tc.args, err, tc.want)
	}
}

// TestSplit checks the stratified split on the bundled data: disjoint,
// complete, and round(20%) of each class in the test set.
func TestSplit(t *testing.T) {
	ds, err := readDigits("digits.csv.gz", bundled)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Labels) != 1797 {
		t.Fatalf("%d images, want 1797", len(ds.Labels))
	}
	train, test := split(ds, 0.2, rand.New(rand.NewPCG(1, 1)))
	seen := map[int]bool{}
	for _, i := range append(append([]int(nil), train...), test...) {
		if seen[i] {
			t.Fatalf("image %d in both sets", i)
		}
		seen[i] = true
	}
	if len(seen) != 1797 {
		t.Fatalf("%d images in the sets, want 1797", len(seen))
	}
	var all, held [10]int
	for _, y := range ds.Labels {
		all[y]++
	}
	for _, i := range test {
		held[ds.Labels[i]]++
	}
	for c := range 10 {
		if want := int(math.Round(0.2 * float64(all[c]))); held[c] != want {
			t.Errorf("class %d: %d of %d held out, want %d", c, held[c], all[c], want)
		}
	}
	_, test2 := split(ds, 0.2, rand.New(rand.NewPCG(2, 1)))
	if slices.Equal(test, test2) {
		t.Error("another seed gives the same split")
	}
}

// FuzzReadDigits checks that any input gives a dataset or an error, never a
// panic, and that a dataset has valid pixels and labels.
func FuzzReadDigits(f *testing.F) {
	f.Add(bundled[:200])
	f.Add(gz(f, strings.Repeat("0,", 64)+"3\n"+strings.Repeat("16,", 64)+"9\n"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := readDigits("fuzz", b)
		if err != nil {
			return
		}
		for i, img := range ds.Images {
			for _, v := range img {
				if v < 0 || v > 16 {
					t.Fatalf("image %d: pixel %g", i, v)
				}
			}
			if ds.Labels[i] < 0 || ds.Labels[i] > 9 {
				t.Fatalf("image %d: label %d", i, ds.Labels[i])
			}
		}
	})
}

func TestMain(m *testing.M) {
	run.MainForTest(main)
	os.Exit(m.Run())
}

// TestExitStatus runs the program as a process: bad input prints one line
// "digits: ..." and exits with status 2, -h exits with 0.
func TestExitStatus(t *testing.T) { run.CheckExitStatus(t, "digits") }
