package run

import "flag"

// Options are the flags both examples share.
type Options struct {
	Ckpt, Resume, Plot string
	StopAfter          int
	Seed               uint64
	Quiet              bool
}

// Register defines the shared flags on fs with the given defaults of
// -ckpt and -plot; unit names what -stop-after counts ("epochs", "steps")
// and when says when -ckpt is written.
func (o *Options) Register(fs *flag.FlagSet, ckpt, plot, unit, when string) {
	fs.StringVar(&o.Ckpt, "ckpt", ckpt, "checkpoint written "+when+" (empty: none)")
	fs.StringVar(&o.Resume, "resume", "", "checkpoint to resume from")
	fs.StringVar(&o.Plot, "plot", plot, "PNG figure of the curves (empty: none)")
	fs.IntVar(&o.StopAfter, "stop-after", 0, "stop after this many "+unit+" of this run, as an interruption would (0: run to the end)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the split, the initial weights and the data order")
	fs.BoolVar(&o.Quiet, "q", false, "quiet: no progress bar and no progress lines")
}
