// Command charlm trains a character-level transformer language model on
// the Go standard library's own source — the .go files under
// $(go env GOROOT)/src, testdata directories left out — and samples Go from
// it.
//
//	go run ./examples/charlm               # the default run: 10 minutes of batches of 8×128 characters
//	go run ./examples/charlm -steps 6000   # a fixed step count instead of the time budget
//	go run ./examples/charlm -resume charlm.ckpt.safetensors
//
// The files are split into training and validation sets by file, with a
// seeded shuffle (-val of them, at least one, validate). The characters
// are the 95 printable ASCII ones, tab, newline and one token for any
// other byte. The model is GPT-like: token and learned position
// embeddings, -layers pre-LayerNorm blocks (causal nn.MultiHeadAttention
// of -heads heads, then a 4× MLP with GELU, each in a residual branch), a
// final LayerNorm and a linear head, in float32, initialized as PyTorch
// initializes these layers. Training windows of -context characters are
// drawn at random offsets of the training text by a seeded source; AdamW (decoupled weight decay -wd) follows a linear
// warm-up of -warmup steps then a cosine decay to a tenth of -lr, and the
// gradients are clipped to a global norm of -clip.
//
// The length of the run: -steps fixes the schedule's step count. Without
// it, -time (10 minutes by default) fixes it when the warm-up ends, whose
// learning rates do not depend on it: from the wall-clock time a step took
// over the warm-up's second half and the time of an evaluation, as many
// steps as fit in what is left of the budget (counted from the program's
// start, the final evaluation included, 2% spare). The program prints the
// count ("-steps N, to replay this run"), and -steps N replays the run
// bit for bit on any machine; the checkpoints record it, so that -resume
// continues the same schedule. A time budget cannot be replayed as such,
// a step count can: this is why the budget only picks the count. A run
// slowed down after the warm-up overruns its budget rather than ending
// early with its learning rate still high.
//
// Each batch is split into -shards equal parts (2 by default, for 2
// cores) whose losses and gradients are computed at the same time, one
// goroutine each, and averaged in shard order: the result depends on
// -shards, not on the machine or the scheduling. Each part runs eagerly
// (nn.Ctx.ValueAndGrads); -compile records it once with ad.Compile
// (parameters bound with nn.Ctx.Bind, the token ids and targets as one-hot
// inputs) and replays it on each batch, the same step to float32 rounding.
// Which is faster at these sizes changed with the kernels and varies with
// the load (BenchmarkStep: once 35% slower, later 8–16% faster); eager is
// the default, as in the measured runs.
//
// A progress bar on standard error shows the step, the loss and the
// tokens per second; it is quiet when standard error is not a terminal or
// with -q. Every -eval-every steps the validation loss is measured on
// -eval-batches batches of fixed windows, and at the end on
// -final-batches of them (the same windows and more); every -ckpt-every
// steps, and at the end, the program
// writes a checkpoint (atomic: model, AdamW's moments, the step, the data
// source and the curves) and a PNG figure of the training and validation
// loss (-plot). -resume continues from a checkpoint bit for bit. At the
// end it prints a sample of -sample characters from the prompt -prompt at
// temperature -temp.
//
// Bad input — a data directory that does not exist or holds fewer than two
// .go files, an unreadable checkpoint, a checkpoint of another model —
// prints "charlm: " and the error on one line and exits with status 2.
package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/examples/internal/run"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

func main() { run.Main("charlm", charlm) }

type config struct {
	run.Options
	data, prompt, cpuprofile                  string
	steps, batch, shards, warmup              int
	evalEvery, evalBatches, ckptEvery, sample int
	finalBatches                              int
	budget                                    time.Duration
	lr, wd, clip, valFrac, temp               float64
	maxBytes                                  int64
	compile                                   bool
	shape                                     shape
}

// The default model and batch (BenchmarkStep and torch_step.py time this
// step).
var defaultShape = shape{Vocab: vocab, Embed: 64, Heads: 4, Layers: 2, Context: 128}

const defaultBatch = 8

// state is the loop's own part of a checkpoint.
type state struct {
	Step      int       `json:"step"`    // optimizer steps done
	Steps     int       `json:"steps"`   // the schedule's length, 0 until -time fixes it
	Seconds   float64   `json:"seconds"` // training time so far (evaluations and checkpoints excluded)
	EvalSteps []int     `json:"eval_steps"`
	TrainLoss []float64 `json:"train_loss"` // mean training loss since the previous evaluation
	ValLoss   []float64 `json:"val_loss"`
}

func charlm(args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	var c config
	fs := run.Flags("charlm", stderr)
	c.Register(fs, "charlm.ckpt.safetensors", "charlm.png", "steps", "every -ckpt-every steps and at the end")
	fs.StringVar(&c.data, "data", "", "directory of .go files (default: $(go env GOROOT)/src)")
	fs.StringVar(&c.prompt, "prompt", "func ", "prompt of the sample")
	fs.IntVar(&c.steps, "steps", 0, "optimizer steps in all, a resumed run included (0: fixed by -time, or the checkpoint's)")
	fs.DurationVar(&c.budget, "time", 10*time.Minute, "wall-clock budget that fixes -steps when -steps is 0: the speed over the warm-up's second half sets the step count, printed to replay")
	fs.IntVar(&c.batch, "batch", defaultBatch, "windows per batch")
	fs.IntVar(&c.shards, "shards", 2, "parts of each batch computed in parallel, one goroutine each (a divisor of -batch)")
	fs.IntVar(&c.shape.Context, "context", defaultShape.Context, "characters per window")
	fs.IntVar(&c.shape.Embed, "embed", defaultShape.Embed, "width of the model")
	fs.IntVar(&c.shape.Heads, "heads", defaultShape.Heads, "attention heads")
	fs.IntVar(&c.shape.Layers, "layers", defaultShape.Layers, "transformer blocks")
	fs.IntVar(&c.warmup, "warmup", 100, "steps of linear warm-up")
	fs.Float64Var(&c.lr, "lr", 1e-2, "peak learning rate")
	fs.Float64Var(&c.wd, "wd", 0.01, "AdamW's weight decay")
	fs.Float64Var(&c.clip, "clip", 1, "maximum global norm of the gradients")
	fs.Float64Var(&c.valFrac, "val", 0.05, "fraction of the files held out for validation")
	fs.Int64Var(&c.maxBytes, "max-bytes", 0, "read at most this many bytes of source (0: all)")
	fs.IntVar(&c.evalEvery, "eval-every", 250, "steps between validation losses")
	fs.IntVar(&c.evalBatches, "eval-batches", 8, "batches of fixed validation windows per evaluation")
	fs.IntVar(&c.finalBatches, "final-batches", 64, "batches of fixed validation windows of the last evaluation")
	fs.IntVar(&c.ckptEvery, "ckpt-every", 500, "steps between checkpoints")
	fs.IntVar(&c.sample, "sample", 500, "characters to sample at the end")
	fs.Float64Var(&c.temp, "temp", 0.8, "sampling temperature")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the training loop to this file")
	fs.BoolVar(&c.compile, "compile", false, "compile the training step (ad.Compile) instead of running it eagerly")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.shape.Vocab = vocab
	s := c.shape
	switch {
	case c.steps < 0, c.batch < 1, c.StopAfter < 0, c.warmup < 2, c.steps > 0 && c.warmup >= c.steps, c.budget < 0:
		return errors.New("-batch must be at least 1, -warmup at least 2 and below -steps, -steps, -time and -stop-after not negative")
	case c.steps == 0 && c.budget == 0 && c.Resume == "":
		return errors.New("-steps or -time must be given")
	case c.shards < 1, c.batch%c.shards != 0:
		return errors.New("-shards must be at least 1 and divide -batch")
	case s.Context < 2, s.Embed < 1, s.Heads < 1, s.Layers < 1, s.Embed%s.Heads != 0:
		return errors.New("-context must be at least 2, -embed, -heads and -layers at least 1, -embed a multiple of -heads")
	case c.evalEvery < 1, c.evalBatches < 1, c.finalBatches < 1, c.ckptEvery < 1, c.sample < 0:
		return errors.New("-eval-every, -eval-batches, -final-batches and -ckpt-every must be at least 1, -sample not negative")
	case !(c.lr > 0), !(c.wd >= 0), !(c.clip > 0), !(c.valFrac > 0 && c.valFrac < 1), !(c.temp > 0):
		return errors.New("-lr, -clip and -temp must be positive, -wd not negative, -val in (0, 1)")
	}

	if c.data == "" {
		root, err := goroot()
		if err != nil {
			return err
		}
		c.data = root + "/src"
	}
	loadStart := time.Now()
	corp, err := readCorpus(c.data, c.valFrac, c.Seed, c.maxBytes)
	if err != nil {
		return err
	}
	if len(corp.Train) <= s.Context || len(corp.Val) <= s.Context {
		return fmt.Errorf("%s: %d training and %d validation characters, too few for windows of %d", c.data, len(corp.Train), len(corp.Val), s.Context)
	}
	if !c.Quiet {
		fmt.Fprintf(stdout, "data: %s, %d files (%.1f MB) to train on, %d (%.1f MB) to validate, read in %.1f s\n",
			c.data, corp.TrainFiles, float64(len(corp.Train))/1e6, corp.ValFiles, float64(len(corp.Val))/1e6, time.Since(loadStart).Seconds())
	}

	m := newModel(rand.New(rand.NewPCG(c.Seed, 2)), s)
	params := nn.Params(m)
	opt := optim.NewAdamW(params)
	opt.LR, opt.WeightDecay = c.lr, c.wd
	src := rand.NewPCG(c.Seed, 3) // the training windows' source, saved in the checkpoints
	var st state
	kind := fmt.Sprintf("chainrule examples/charlm: vocab %d, embed %d, heads %d, layers %d, context %d, float32",
		s.Vocab, s.Embed, s.Heads, s.Layers, s.Context)
	ck := &run.Checkpoint{Kind: kind, Model: m, Optim: opt, Rand: src, State: &st}
	if c.Resume != "" {
		if err := ck.Load(c.Resume); err != nil {
			return err
		}
	}
	switch {
	case c.steps > 0:
		st.Steps = c.steps
	case st.Steps == 0 && c.budget == 0:
		return fmt.Errorf("checkpoint %s has no step count fixed yet: give -steps or -time", c.Resume)
	}
	if st.Steps > 0 && (st.Step > st.Steps || c.warmup >= st.Steps) {
		return fmt.Errorf("%d steps in all, fewer than the %d done or the warm-up of %d", st.Steps, st.Step, c.warmup)
	}
	nParams := 0
	for _, p := range params {
		nParams += p.T.Size()
	}
	if !c.Quiet {
		fmt.Fprintf(stdout, "model: %d blocks of width %d, %d heads, context %d, %d parameters\n", s.Layers, s.Embed, s.Heads, s.Context, nParams)
	}

	step := newStepper(m, params, c.batch, s.Context, c.shards, c.compile)
	rng := rand.New(src)
	n, l := c.batch, s.Context
	x, y := make([]int, n*l), make([]int, n*l)
	first, last := st.Step, st.Steps
	if last == 0 { // fixed when the warm-up ends; until then, the budget's worth at the warm-up's pace
		last = math.MaxInt
	}
	if c.StopAfter > 0 {
		last = min(last, st.Step+c.StopAfter)
	}
	bar := run.NewBar(stderr, c.Quiet, int64(min(last, st.Step+10*c.warmup)-st.Step)*int64(n*l), "tok")
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	sum, count := 0.0, 0
	runStart, runSeconds, evalStart := time.Now(), 0.0, 0.0 // this run's training time, and at the last evaluation
	halfway := 0.0                                          // runSeconds at the warm-up's midpoint
	for st.Step < last {
		t0 := time.Now()
		batch(corp.Train, n, l, rng, x, y)
		opt.SetLearningRate(lr(c, st.Steps, st.Step))
		loss, grads := step(x, y)
		optim.ClipGradNorm(grads, c.clip, 2)
		opt.Step(grads)
		st.Step++
		dt := time.Since(t0).Seconds()
		st.Seconds += dt
		runSeconds += dt
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return fmt.Errorf("step %d: the loss is %g: training diverged (try a smaller -lr)", st.Step, loss)
		}
		sum += loss
		count++
		if st.Step == c.warmup/2 {
			halfway = runSeconds
		}
		if st.Step == c.warmup && st.Steps == 0 {
			// The warm-up does not depend on the step count: fix it now
			// from the pace of its second half (the first has the
			// allocator's start), with an evaluation's cost.
			perStep := (runSeconds - halfway) / float64(c.warmup-max(first, c.warmup/2))
			t := time.Now()
			evaluate(m, corp.Val, c.evalBatches, c, rand.New(rand.NewPCG(c.Seed, 5)))
			perEval := time.Since(t).Seconds()
			left := c.budget.Seconds() - time.Since(start).Seconds() - perEval*float64(c.finalBatches)/float64(c.evalBatches)
			st.Steps = st.Step + int(0.98*left/(perStep+perEval/float64(c.evalEvery)))
			if st.Steps <= c.warmup {
				return fmt.Errorf("-time %v: not enough for more than the warm-up (%.3f s a step)", c.budget, perStep)
			}
			if c.StopAfter == 0 || first+c.StopAfter > st.Steps {
				last = st.Steps
			}
			bar.SetTotal(int64(last-first) * int64(n*l))
			if !c.Quiet {
				bar.Clear()
				fmt.Fprintf(stdout, "-time %v: %.1f ms a step over the warm-up, %.0f ms an evaluation: -steps %d (to replay this run)\n",
					c.budget, 1e3*perStep, 1e3*perEval, st.Steps)
			}
		}
		bar.Add(n*l, fmt.Sprintf("step %d/%d loss %.3f", st.Step, st.Steps, sum/float64(count)))
		if st.Step%c.evalEvery == 0 || st.Step == last {
			k := c.evalBatches
			if st.Step == st.Steps {
				k = max(k, c.finalBatches)
			}
			val := evaluate(m, corp.Val, k, c, rand.New(rand.NewPCG(c.Seed, 5)))
			st.EvalSteps = append(st.EvalSteps, st.Step)
			st.TrainLoss = append(st.TrainLoss, sum/float64(count))
			st.ValLoss = append(st.ValLoss, val)
			if !c.Quiet {
				bar.Clear()
				fmt.Fprintf(stdout, "step %5d/%d  train loss %.4f  val loss %.4f  lr %.2e  %.0f tok/s  %s\n",
					st.Step, st.Steps, sum/float64(count), val, opt.LearningRate(), float64(count*n*l)/(runSeconds-evalStart),
					time.Since(runStart).Round(time.Second))
			}
			sum, count, evalStart = 0, 0, runSeconds
		}
		if c.Ckpt != "" && (st.Step%c.ckptEvery == 0 || st.Step == last) {
			if err := ck.Save(c.Ckpt); err != nil {
				return err
			}
			if c.Plot != "" {
				if err := figure(c.Plot, &st); err != nil {
					return err
				}
			}
		}
	}
	bar.Finish()
	if c.Plot != "" && c.Ckpt == "" {
		if err := figure(c.Plot, &st); err != nil {
			return err
		}
	}
	val := math.NaN()
	if k := len(st.ValLoss); k > 0 {
		val = st.ValLoss[k-1]
	}
	fmt.Fprintf(stdout, "charlm: %d steps, validation loss %.4f nats/char, %.0f tokens/s over %.0f s of training (%s, -shards %d), %s since the start\n",
		st.Step, val, float64(st.Step*n*l)/st.Seconds, st.Seconds, map[bool]string{true: "compiled", false: "eager"}[c.compile], c.shards,
		time.Since(start).Round(time.Second))
	if c.sample > 0 {
		txt := sample(m, c.prompt, c.sample, c.temp, rand.New(rand.NewPCG(c.Seed, 6)))
		fmt.Fprintf(stdout, "sample (temperature %g):\n%s\n", c.temp, txt)
	}
	return nil
}

// goroot returns $(go env GOROOT), or the GOROOT this program was built
// with if the go command is not at hand.
func goroot() (string, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if root := strings.TrimSpace(string(out)); err == nil && root != "" {
		return root, nil
	}
	//lint:ignore SA1019 the fallback when the go command is missing
	if root := runtime.GOROOT(); root != "" {
		return root, nil
	}
	return "", errors.New("cannot find GOROOT (no go command): give -data")
}

// stepper returns the loss of a batch and the gradients of the
// parameters.
type stepper func(x, y []int) (float64, []*tensor.Tensor)

// newStepper returns the training step on batches of n windows of l
// tokens, split into shards equal parts whose losses and gradients are
// computed at the same time, one goroutine each, and averaged in shard
// order: data parallelism over the cores, with results that depend on the
// number of shards but not on the scheduling. Each part runs eagerly
// (Ctx.ValueAndGrads), or compiled once with the parameters and one-hot
// inputs and targets as the program's inputs (Embedding's lookup and
// SoftmaxCrossEntropy's labels would be baked into a program; a one-hot
// matrix times the table is the same lookup as an input), one program run
// by all the goroutines.
func newStepper(m *model, params []optim.Param, n, l, shards int, compile bool) stepper {
	k := n / shards // windows per shard
	parts := make([]stepper, shards)
	if compile {
		prog, in := compileStep(m, params, k, l)
		for i := range parts {
			parts[i] = compiledPart(m, prog, in, k, l)
		}
	} else {
		train := &nn.Ctx{Train: true}
		for i := range parts {
			parts[i] = func(x, y []int) (float64, []*tensor.Tensor) {
				return train.ValueAndGrads(params, func(c *nn.Ctx) ad.Value { return m.lossIDs(c, x, y, k, l) })
			}
		}
	}
	if shards == 1 {
		return parts[0]
	}
	losses := make([]float64, shards)
	grads := make([][]*tensor.Tensor, shards)
	return func(x, y []int) (float64, []*tensor.Tensor) {
		var wg sync.WaitGroup
		for i, part := range parts {
			wg.Go(func() {
				losses[i], grads[i] = part(x[i*k*l:(i+1)*k*l], y[i*k*l:(i+1)*k*l])
			})
		}
		wg.Wait()
		loss, g := losses[0], grads[0]
		for i := 1; i < shards; i++ {
			loss += losses[i]
			for j, t := range g {
				t.AddInPlace(grads[i][j])
			}
		}
		for _, t := range g {
			scale(t, 1/float64(shards))
		}
		return loss / float64(shards), g
	}
}

// scale multiplies the elements of t, float32, by a in place.
func scale(t *tensor.Tensor, a float64) {
	d, f := t.Data32(), float32(a)
	for i := range d {
		d[i] *= f
	}
}

// compileStep records the loss and gradients of a batch of n windows of l
// tokens given as one-hot matrices, and returns the program with its
// inputs: the parameters, then the inputs' and targets' one-hot matrices
// (placeholders, n·l × Vocab).
func compileStep(m *model, params []optim.Param, n, l int) (*ad.Program, []ad.Value) {
	train := &nn.Ctx{Train: true}
	np := len(params)
	in := make([]ad.Value, np+2)
	for i, p := range params {
		in[i] = ad.From(p.T)
	}
	in[np] = ad.From(tensor.Float32.Zeros(n*l, m.Vocab))
	in[np+1] = ad.From(tensor.Float32.Zeros(n*l, m.Vocab))
	prog := ad.Compile(func(in []ad.Value) []ad.Value {
		v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value {
			c := train.Bind(params, ps)
			e := ad.Reshape(ad.MatMul(in[np], c.Value(m.Tok.Weight)), n, l, m.Embed)
			logits := ad.Reshape(m.logits(c, e), n*l, m.Vocab)
			nll := ad.Mul(ad.LogSoftmax(logits, 1), in[np+1])
			return ad.Div(ad.Neg(ad.SumAll(nll)), float64(n*l))
		}, in[:np]...)
		return append([]ad.Value{v}, gs...)
	}, in...)
	return prog, in
}

// compiledPart returns a step that runs prog, compiled by compileStep for
// n windows of l tokens, on one-hot matrices of its own.
func compiledPart(m *model, prog *ad.Program, in []ad.Value, n, l int) stepper {
	np := len(in) - 2
	in = slices.Clone(in)
	xh := tensor.Float32.Zeros(n*l, m.Vocab)
	yh := tensor.Float32.Zeros(n*l, m.Vocab)
	in[np], in[np+1] = ad.From(xh), ad.From(yh)
	xd, yd := xh.Data32(), yh.Data32()
	var out []ad.Value
	return func(x, y []int) (float64, []*tensor.Tensor) {
		clear(xd)
		clear(yd)
		for i := range x {
			xd[i*m.Vocab+x[i]] = 1
			yd[i*m.Vocab+y[i]] = 1
		}
		out = prog.AppendRun(out[:0], in...)
		grads := make([]*tensor.Tensor, np)
		for i := range grads {
			grads[i] = out[1+i].Tensor()
		}
		return out[0].Item(), grads
	}
}

// evaluate returns the mean loss on k batches of validation windows drawn
// from rng (the same windows each time for the same rng; the first k of
// a larger evaluation's).
func evaluate(m *model, val []uint8, k int, c config, rng *rand.Rand) float64 {
	n, l := c.batch, c.shape.Context
	x, y := make([]int, n*l), make([]int, n*l)
	sum := 0.0
	for range k {
		batch(val, n, l, rng, x, y)
		sum += m.lossIDs(nil, x, y, n, l).Item()
	}
	return sum / float64(k)
}

// lr returns the learning rate of step i (from 0) of steps: a linear
// warm-up over c.warmup steps from c.lr/c.warmup to c.lr, then a cosine
// decay to c.lr/10 at the end. The warm-up does not depend on steps, which
// -time fixes when it ends.
func lr(c config, steps, i int) float64 {
	return optim.SequentialLR{
		Schedules: []optim.Schedule{
			optim.LinearLR{Base: c.lr, StartFactor: 1 / float64(c.warmup), EndFactor: 1, TotalIters: c.warmup},
			optim.CosineAnnealingLR{Base: c.lr, TMax: max(steps-c.warmup, 1), EtaMin: c.lr / 10},
		},
		Milestones: []int{c.warmup},
	}.LR(i)
}

// sample returns prompt followed by k characters drawn one at a time from
// the model's distribution at temperature temp, each given the last
// Context characters.
func sample(m *model, prompt string, k int, temp float64, rng *rand.Rand) string {
	ids := make([]int, 0, len(prompt)+k)
	for i := range len(prompt) {
		ids = append(ids, int(encode(prompt[i])))
	}
	if len(ids) == 0 {
		ids = append(ids, lineID)
	}
	out := []byte(prompt)
	p := make([]float64, m.Vocab)
	for range k {
		ctx := ids[max(0, len(ids)-m.Context):]
		logits := m.logits(nil, m.Tok.Lookup(nil, ctx, 1, len(ctx))).Tensor().Data32()
		row := logits[(len(ctx)-1)*m.Vocab:]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		total := 0.0
		for i, v := range row {
			p[i] = math.Exp((float64(v) - mx) / temp)
			total += p[i]
		}
		u, next := rng.Float64()*total, m.Vocab-1
		for i, q := range p {
			if u < q {
				next = i
				break
			}
			u -= q
		}
		ids = append(ids, next)
		out = append(out, decode(next))
	}
	return string(out)
}

// figure draws the training and validation loss against the step.
func figure(path string, st *state) error {
	steps := make([]float64, len(st.EvalSteps))
	for i, s := range st.EvalSteps {
		steps[i] = float64(s)
	}
	return run.Figure(path, run.Panel{
		Title: "charlm: loss on Go's source", XLabel: "step", YLabel: "cross-entropy (nats/char)",
		Series: []run.Series{
			{Name: "train", X: steps, Y: st.TrainLoss},
			{Name: "validation", X: steps, Y: st.ValLoss},
			{Name: "1.5 nats (target)", X: []float64{0, float64(cmp.Or(st.Step, 1))}, Y: []float64{1.5, 1.5}, Dashed: true},
		},
	})
}
