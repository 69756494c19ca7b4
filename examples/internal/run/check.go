package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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

const selfEnv = "CHAINRULE_EXAMPLE_ARGS"

// MainForTest is for an example's TestMain: when the test binary was
// started by RunMain, it runs main with the arguments RunMain gave (and
// main exits); otherwise it returns and the tests run.
func MainForTest(main func()) {
	a, ok := os.LookupEnv(selfEnv)
	if !ok {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(a), &args); err != nil {
		panic(err)
	}
	os.Args = append(os.Args[:1], args...)
	main()
	os.Exit(0)
}

// RunMain runs the example's main as a process — the test binary itself,
// whose TestMain calls MainForTest — with args, and returns its standard
// error and exit status.
func RunMain(t testing.TB, args ...string) (stderr string, status int) {
	t.Helper()
	b, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), selfEnv+"="+string(b))
	var eb bytes.Buffer
	cmd.Stderr = &eb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		status = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return eb.String(), status
}

// CheckExitStatus is for an example's tests (with MainForTest in its
// TestMain): run as a process with a missing -data path, the program must
// print one line "prog: ..." naming the path and exit with status 2, and
// with -h exit with status 0.
func CheckExitStatus(t testing.TB, prog string) {
	t.Helper()
	missing := filepath.Join(t.TempDir(), "missing")
	stderr, status := RunMain(t, "-q", "-data", missing)
	if status != 2 || !strings.HasPrefix(stderr, prog+": ") || !strings.Contains(stderr, "missing") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("a missing data path: status %d, stderr %q; want 2 and one line %q", status, stderr, prog+": ...")
	}
	if _, status := RunMain(t, "-h"); status != 0 {
		t.Errorf("-h: status %d, want 0", status)
	}
}
