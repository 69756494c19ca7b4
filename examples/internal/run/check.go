package run

import (
	"strings"
	"testing"
)

// CheckError is for the examples' tests: it reports on t unless err is a
// one-line error containing want; args name the run that returned it.
func CheckError(t testing.TB, args []string, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%v: no error", args)
	case !strings.Contains(err.Error(), want):
		t.Errorf("%v: error %q, want it to contain %q", args, err, want)
	case strings.Contains(err.Error(), "\n"):
		t.Errorf("%v: error of several lines: %q", args, err)
	}
}
