package run

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

// Main runs f with the command-line arguments and exits: with status 0 if
// it returns nil or flag.ErrHelp, and otherwise with status 2 after
// printing "prog: " and the error on one line to standard error. A
// chainrule programmer error (a *tensor.Error panic) raised inside f is
// reported the same way, without a stack trace; any other panic is a bug
// and propagates.
func Main(prog string, f func(args []string, stdout, stderr io.Writer) error) {
	os.Exit(Exit(prog, os.Stderr, func() error { return f(os.Args[1:], os.Stdout, os.Stderr) }))
}

// Exit runs f and returns the exit status Main would use, writing the
// error line, if any, to stderr.
func Exit(prog string, stderr io.Writer, f func() error) int {
	var err error
	if perr := tensor.Maybe(func() { err = f() }); perr != nil {
		err = perr
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	}
	msg := strings.TrimPrefix(err.Error(), "chainrule: ")
	msg = strings.Join(strings.Fields(msg), " ") // one line
	fmt.Fprintf(stderr, "%s: %s\n", prog, msg)
	return 2
}

// Flags returns a flag set for prog that reports its errors instead of
// exiting, with its usage going to stderr.
func Flags(prog string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
