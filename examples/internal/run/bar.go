package run

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Bar is a progress bar over a number of examples (or tokens) on standard
// error. A nil *Bar is a quiet one: its methods do nothing.
type Bar struct {
	pb *progressbar.ProgressBar
}

// IsTerminal reports whether w is a terminal (a character device).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewBar returns a bar over total units (named unit, such as "ex" or
// "tok", shown per second) writing to w, or nil — a quiet bar — if quiet
// is set or w is not a terminal.
func NewBar(w io.Writer, quiet bool, total int64, unit string) *Bar {
	if quiet || !IsTerminal(w) {
		return nil
	}
	return &Bar{progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(24),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add advances the bar by n units and shows desc before it (the epoch, the
// loss, …).
func (b *Bar) Add(n int, desc string) {
	if b == nil {
		return
	}
	b.pb.Describe(desc)
	b.pb.Add(n)
}

// Clear erases the bar so that a line can be printed; the next Add draws
// it again.
func (b *Bar) Clear() {
	if b == nil {
		return
	}
	b.pb.Clear()
}

// Finish completes and erases the bar.
func (b *Bar) Finish() {
	if b == nil {
		return
	}
	b.pb.Finish()
}

// SetTotal changes the number of units the bar runs to (once it is known,
// as when a time budget fixes a run's length).
func (b *Bar) SetTotal(total int64) {
	if b == nil {
		return
	}
	b.pb.ChangeMax64(total)
}
