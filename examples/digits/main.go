// Command digits trains a small convolutional network on the UCI
// optical-digits set (1797 handwritten digits of 8×8 pixels, bundled as
// digits.csv.gz; see DATA.md for its source and licence) with packages nn
// and optim, and reports the test accuracy.
//
//	go run ./examples/digits                 # 20 epochs, about 98% test accuracy
//	go run ./examples/digits -resume digits.ckpt.safetensors -epochs 30
//
// The data are split into train and test sets, stratified by class, with
// a seeded source; each epoch shuffles the training set with another
// seeded source and takes mini-batches of -batch examples. The model is
//
//	conv 3×3, 1→16, pad 1 → ReLU → conv 3×3, 16→32, pad 1 → ReLU →
//	max-pool 2×2 → flatten → linear 512→10
//
// in float32 (PyTorch's nn.Sequential of the same layers, so the tensors
// have PyTorch's state_dict names), trained with Adam and a cosine
// schedule of the learning rate over all steps, on the softmax
// cross-entropy of the labels.
//
// A progress bar on standard error shows the epoch, the running training
// loss and accuracy, and the examples per second; it is quiet when standard error is not a terminal
// or with -q. After each epoch the program writes a checkpoint (-ckpt,
// atomic: model, Adam's moments, the schedule's step, the data order's
// random source and the curves so far), which -resume continues from bit
// for bit, and a PNG figure of the training loss and the test accuracy per
// epoch (-plot). -export writes the initial weights and the data order for
// torch_digits.py, the same training in PyTorch; -compare adds that
// script's curves to the figure.
//
// Bad input — an unreadable data file or checkpoint, a checkpoint of
// another model — prints "digits: " and the error on one line and exits
// with status 2.
package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/examples/internal/run"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

//go:embed digits.csv.gz
var bundled []byte

func main() { run.Main("digits", digits) }

// config is what a run is made of; the checkpoint's Kind holds the parts
// that fix the model's shapes.
type config struct {
	run.Options
	data, export, compare string
	epochs, batch         int
	lr, testFrac          float64
}

// state is the loop's own part of a checkpoint.
type state struct {
	Epoch     int       `json:"epoch"`      // epochs done
	Step      int       `json:"step"`       // optimizer steps done
	TrainLoss []float64 `json:"train_loss"` // mean training loss of each epoch
	TestLoss  []float64 `json:"test_loss"`
	TestAcc   []float64 `json:"test_acc"` // fraction correct
}

const kind = "chainrule examples/digits: conv3x3(1,16) relu conv3x3(16,32) relu maxpool2 linear(512,10) float32"

func digits(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := run.Flags("digits", stderr)
	c.Register(fs, "digits.ckpt.safetensors", "digits.png", "epochs", "after each epoch")
	fs.StringVar(&c.data, "data", "", "the digits CSV, gzipped (default: the bundled copy of digits.csv.gz)")
	fs.StringVar(&c.export, "export", "", "directory to write the initial weights and the data order for torch_digits.py")
	fs.StringVar(&c.compare, "compare", "", "torch_digits.py's curves (JSON) to draw beside this run's")
	fs.IntVar(&c.epochs, "epochs", 20, "number of epochs in all (a resumed run included)")
	fs.IntVar(&c.batch, "batch", 32, "mini-batch size")
	fs.Float64Var(&c.lr, "lr", 3e-3, "Adam's learning rate at the start of the cosine schedule")
	fs.Float64Var(&c.testFrac, "test", 0.2, "fraction of each class held out for testing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.epochs < 1 || c.batch < 1 || c.StopAfter < 0 || !(c.lr > 0) || !(c.testFrac > 0 && c.testFrac < 1) {
		return errors.New("-epochs and -batch must be at least 1, -lr positive and -test in (0, 1)")
	}

	raw := bundled
	if c.data != "" {
		var err error
		if raw, err = os.ReadFile(c.data); err != nil {
			return err
		}
	}
	name := c.data
	if name == "" {
		name = "digits.csv.gz"
	}
	ds, err := readDigits(name, raw)
	if err != nil {
		return err
	}
	train, test := split(ds, c.testFrac, rand.New(rand.NewPCG(c.Seed, 1)))
	if len(train) < c.batch {
		return fmt.Errorf("%d training examples, fewer than a batch of %d", len(train), c.batch)
	}

	model := newModel(rand.New(rand.NewPCG(c.Seed, 2)))
	params := nn.Params(model)
	opt := optim.NewAdam(params)
	order := rand.NewPCG(c.Seed, 3) // the data order's source, saved in the checkpoints
	var st state
	ck := &run.Checkpoint{Kind: kind, Model: model, Optim: opt, Rand: order, State: &st}
	if c.Resume != "" {
		if err := ck.Load(c.Resume); err != nil {
			return err
		}
		if st.Epoch > c.epochs {
			return fmt.Errorf("checkpoint %s has done %d epochs, more than -epochs %d", c.Resume, st.Epoch, c.epochs)
		}
	}
	stepsPerEpoch := len(train) / c.batch // the last partial batch is dropped, as with drop_last=True
	sched := optim.CosineAnnealingLR{Base: c.lr, TMax: c.epochs * stepsPerEpoch}
	if c.export != "" {
		if c.Resume != "" {
			return errors.New("-export writes the initial weights: use it without -resume")
		}
		if err := export(c.export, model, train, test, order, c, stepsPerEpoch); err != nil {
			return err
		}
	}

	xTest, yTest := batchOf(ds, test)
	rng := rand.New(order)
	perm := make([]int, len(train))
	ctx := &nn.Ctx{Train: true}
	bar := run.NewBar(stderr, c.Quiet, int64((min(c.epochs-st.Epoch, cmp.Or(c.StopAfter, c.epochs)) * stepsPerEpoch * c.batch)), "ex")
	start := time.Now()
	seen := 0
	last := c.epochs
	if c.StopAfter > 0 {
		last = min(last, st.Epoch+c.StopAfter)
	}
	for epoch := st.Epoch; epoch < last; epoch++ {
		copy(perm, train)
		rng.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		sum, right := 0.0, 0
		for b := range stepsPerEpoch {
			x, y := batchOf(ds, perm[b*c.batch:(b+1)*c.batch])
			opt.SetLearningRate(sched.LR(st.Step))
			var out *tensor.Tensor // the logits, for the training accuracy
			loss, grads := ctx.ValueAndGrads(params, func(c *nn.Ctx) ad.Value {
				logits := model.Forward(c, ad.From(x))
				out = logits.Tensor()
				return ad.SoftmaxCrossEntropy(logits, y)
			})
			opt.Step(grads)
			st.Step++
			sum += loss
			right += correct(out, y)
			seen += c.batch
			bar.Add(c.batch, fmt.Sprintf("epoch %d/%d loss %.4f train accuracy %.1f%%", epoch+1, c.epochs,
				sum/float64(b+1), 100*float64(right)/float64((b+1)*c.batch)))
		}
		testLoss, testAcc := evaluate(model, xTest, yTest)
		st.Epoch = epoch + 1
		st.TrainLoss = append(st.TrainLoss, sum/float64(stepsPerEpoch))
		st.TestLoss = append(st.TestLoss, testLoss)
		st.TestAcc = append(st.TestAcc, testAcc)
		if c.Ckpt != "" {
			if err := ck.Save(c.Ckpt); err != nil {
				return err
			}
		}
		if !c.Quiet {
			bar.Clear()
			fmt.Fprintf(stdout, "epoch %2d/%d  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.0f ex/s\n",
				st.Epoch, c.epochs, st.TrainLoss[epoch], testLoss, 100*testAcc, float64(seen)/time.Since(start).Seconds())
		}
	}
	bar.Finish()
	elapsed := time.Since(start)
	if c.Plot != "" {
		if err := figure(c.Plot, &st, c.compare); err != nil {
			return err
		}
	}
	acc := 0.0
	if n := len(st.TestAcc); n > 0 {
		acc = st.TestAcc[n-1]
	}
	fmt.Fprintf(stdout, "digits: %d epochs, test accuracy %.2f%% (%d of %d), trained in %.1f s\n",
		st.Epoch, 100*acc, int(math.Round(acc*float64(len(test)))), len(test), elapsed.Seconds())
	return nil
}

// dataset is the digits: Images holds 64 pixels of 0–16 per image.
type dataset struct {
	Images [][64]float32
	Labels []int
}

// readDigits parses the gzipped CSV of the digits: one row per image of 64
// pixel values (integers 0–16) and the label (0–9).
func readDigits(name string, raw []byte) (*dataset, error) {
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r := csv.NewReader(zr)
	r.FieldsPerRecord = 65
	r.ReuseRecord = true
	ds := &dataset{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		var img [64]float32
		for i, f := range rec[:64] {
			v, err := strconv.Atoi(f)
			if err != nil || v < 0 || v > 16 {
				return nil, fmt.Errorf("%s:%d: pixel %d is %q, not an integer in 0–16", name, line, i+1, f)
			}
			img[i] = float32(v)
		}
		y, err := strconv.Atoi(rec[64])
		if err != nil || y < 0 || y > 9 {
			return nil, fmt.Errorf("%s:%d: label %q is not a digit 0–9", name, line, rec[64])
		}
		ds.Images = append(ds.Images, img)
		ds.Labels = append(ds.Labels, y)
	}
	if len(ds.Labels) < 2 {
		return nil, fmt.Errorf("%s: %d images, too few to split", name, len(ds.Labels))
	}
	return ds, nil
}

// split returns the indices of a training and a test set, stratified: of
// each class's images, in a random order from rng, the first
// round(frac·n) go to the test set. Both are in increasing order.
func split(ds *dataset, frac float64, rng *rand.Rand) (train, test []int) {
	byClass := make([][]int, 10)
	for i, y := range ds.Labels {
		byClass[y] = append(byClass[y], i)
	}
	inTest := make([]bool, len(ds.Labels))
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		for _, i := range idx[:int(math.Round(frac*float64(len(idx))))] {
			inTest[i] = true
		}
	}
	for i, t := range inTest {
		if t {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}

// batchOf returns the images idx scaled to [0, 1] as an N×1×8×8 float32
// tensor, and their labels.
func batchOf(ds *dataset, idx []int) (*tensor.Tensor, []int) {
	x := make([]float32, 0, 64*len(idx))
	y := make([]int, len(idx))
	for k, i := range idx {
		for _, v := range ds.Images[i] {
			x = append(x, v/16)
		}
		y[k] = ds.Labels[i]
	}
	return tensor.New32(x, len(idx), 1, 8, 8), y
}

// newModel returns the CNN, float32, initialized as PyTorch initializes
// its layers, from rng.
func newModel(rng *rand.Rand) nn.Sequential {
	same := ad.ConvConfig{Padding: [2][2]int{{1, 1}, {1, 1}}}
	m := nn.Sequential{
		nn.NewConv2D(rng, 1, 16, [2]int{3, 3}, same, true),
		nn.Func(ad.Relu),
		nn.NewConv2D(rng, 16, 32, [2]int{3, 3}, same, true),
		nn.Func(ad.Relu),
		&nn.MaxPool2D{Kernel: [2]int{2, 2}},
		nn.Flatten{},
		nn.NewLinear(rng, 32*4*4, 10, true),
	}
	nn.To(m, tensor.Float32)
	return m
}

// evaluate returns the mean cross-entropy and the accuracy of the model on
// the images x with labels y, in evaluation mode.
func evaluate(model nn.Layer, x *tensor.Tensor, y []int) (loss, acc float64) {
	logits := model.Forward(nil, ad.From(x))
	return ad.SoftmaxCrossEntropy(logits, y).Item(), float64(correct(logits.Tensor(), y)) / float64(len(y))
}

// correct returns how many rows of logits (N×10) have their largest
// element at the label.
func correct(logits *tensor.Tensor, y []int) int {
	l := logits.Data32()
	right := 0
	for i, want := range y {
		row := l[10*i : 10*i+10]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == want {
			right++
		}
	}
	return right
}

// export writes dir/init.safetensors, the initial weights under their
// PyTorch names, and dir/order.json: the split, each epoch's order of the
// training set and the hyperparameters, drawn from a copy of the data
// order's source so that the training that follows is unchanged.
func export(dir string, model nn.Layer, train, test []int, order *rand.PCG, c config, stepsPerEpoch int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := nn.Save(filepath.Join(dir, "init.safetensors"), model, nil); err != nil {
		return err
	}
	cp := *order
	rng := rand.New(&cp)
	epochs := make([][]int, c.epochs)
	for e := range epochs {
		p := append([]int(nil), train...)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		epochs[e] = p[:stepsPerEpoch*c.batch]
	}
	b, err := json.Marshal(map[string]any{
		"train": train, "test": test, "epochs": epochs,
		"batch": c.batch, "lr": c.lr, "steps_per_epoch": stepsPerEpoch,
	})
	if err != nil {
		return err
	}
	return run.WriteFile(filepath.Join(dir, "order.json"), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// curves is the JSON that torch_digits.py writes.
type curves struct {
	TrainLoss []float64 `json:"train_loss"`
	TestLoss  []float64 `json:"test_loss"`
	TestAcc   []float64 `json:"test_acc"`
}

// figure draws the training loss and the test accuracy per epoch, with
// the PyTorch run's from the JSON file compare if it is not empty.
func figure(path string, st *state, compare string) error {
	epochs := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i + 1)
		}
		return x
	}
	pct := func(a []float64) []float64 {
		p := make([]float64, len(a))
		for i, v := range a {
			p[i] = 100 * v
		}
		return p
	}
	loss := run.Panel{Title: "digits: loss", XLabel: "epoch", YLabel: "cross-entropy (nats)", LogY: true, Series: []run.Series{
		{Name: "chainrule train", X: epochs(len(st.TrainLoss)), Y: st.TrainLoss},
		{Name: "chainrule test", X: epochs(len(st.TestLoss)), Y: st.TestLoss},
	}}
	acc := run.Panel{Title: "digits: test accuracy", XLabel: "epoch", YLabel: "accuracy (%)", LegendBottom: true, Series: []run.Series{
		{Name: "chainrule", X: epochs(len(st.TestAcc)), Y: pct(st.TestAcc)},
	}}
	if compare != "" {
		b, err := os.ReadFile(compare)
		if err != nil {
			return err
		}
		var t curves
		if err := json.Unmarshal(b, &t); err != nil {
			return fmt.Errorf("%s: %w", compare, err)
		}
		loss.Series = append(loss.Series,
			run.Series{Name: "PyTorch train", X: epochs(len(t.TrainLoss)), Y: t.TrainLoss, Dashed: true},
			run.Series{Name: "PyTorch test", X: epochs(len(t.TestLoss)), Y: t.TestLoss, Dashed: true})
		acc.Series = append(acc.Series, run.Series{Name: "PyTorch", X: epochs(len(t.TestAcc)), Y: pct(t.TestAcc), Dashed: true})
	}
	return run.Figure(path, loss, acc)
}
