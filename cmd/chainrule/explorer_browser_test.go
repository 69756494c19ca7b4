package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium returns the path of a Chromium or Chrome binary: $CHROMIUM, or
// the first of the usual names on PATH.
func chromium() (string, bool) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// browser starts headless Chromium at 1280×800 and returns a chromedp
// context for it; the test is skipped, loudly, without a Chromium.
func browser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser test of the explorer is skipped")
	}
	path, found := chromium()
	if !found {
		t.Skip("SKIPPED: NO CHROMIUM: the explorer's browser test needs Chromium (apt-get install chromium, or set $CHROMIUM); it did not run")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-gpu", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil { // start the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// within runs the actions with a time limit.
func within(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitState waits until the page's body has data-state state.
func waitState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	within(t, ctx, "waiting for the page to be "+state,
		chromedp.Poll[chromedp.Void](`document.body.dataset.state === "`+state+`"`, chromedp.WithPollingTimeout(40*time.Second)))
}

// press sends a key to the page, outside the input boxes.
func press(t *testing.T, ctx context.Context, key string, times int) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `document.activeElement && document.activeElement.blur(), document.getElementById("canvas").focus()`)
	for range times {
		within(t, ctx, "pressing a key", chromedp.KeyEvent(key))
	}
}

// stepInfo returns the current step and the last one, from "step i of n".
func stepInfo(t *testing.T, ctx context.Context) (int, int) {
	t.Helper()
	s := eval[string](t, ctx, `document.getElementById("stepno").textContent`)
	var i, n int
	if _, err := fmt.Sscanf(s, "step %d of %d", &i, &n); err != nil {
		t.Fatalf("step counter %q: %v", s, err)
	}
	return i, n
}

// shownNumber is a number on the page: as shown and in full (on hover).
type shownNumber struct {
	Shown string `json:"shown"`
	Full  string `json:"full"`
}

// checkShown checks a number shown on the page against want: the text to
// 6 significant digits, as Go formats it, and the full value on hover.
func checkShown(t *testing.T, what string, got shownNumber, want float64) {
	t.Helper()
	if w := strconv.FormatFloat(want, 'g', 6, 64); !strings.HasSuffix(got.Shown, w) {
		t.Errorf("%s: shown %q, want it to end in %s", what, got.Shown, w)
	}
	f, err := strconv.ParseFloat(got.Full, 64)
	if err != nil || !close(f, want) {
		t.Errorf("%s: full value %q, want %v", what, got.Full, want)
	}
}

// checkSweepsInPage steps through both sweeps with the keyboard, checking
// what the page shows against chainrule grad --json for expr at at, and
// returns after a screenshot in the middle of the backward sweep.
func checkSweepsInPage(t *testing.T, ctx context.Context, expr, at string) []byte {
	t.Helper()
	want := okJSON(t, "grad", expr, "--at", at)
	vars := strs(t, want["variables"])
	grad := nums(t, want["gradient"])
	press(t, ctx, kb.Home, 1)
	if i, _ := stepInfo(t, ctx); i != 0 {
		t.Fatalf("Home: step %d", i)
	}
	nodes := eval[int](t, ctx, `document.querySelectorAll("#graph .node").length`)
	_, last := stepInfo(t, ctx)
	// The forward sweep: a step per node, each node's value appearing.
	for k := 1; k <= nodes; k++ {
		press(t, ctx, kb.ArrowRight, 1)
		if i, _ := stepInfo(t, ctx); i != k {
			t.Fatalf("→: step %d, want %d", i, k)
		}
		phase := eval[string](t, ctx, `document.getElementById("phase").textContent`)
		if !strings.HasPrefix(phase, "Forward sweep") {
			t.Fatalf("step %d: phase %q", k, phase)
		}
		shown := eval[int](t, ctx, `[...document.querySelectorAll("#graph .node text.val")].length`)
		if shown != k {
			t.Fatalf("step %d: %d values shown", k, shown)
		}
	}
	// The output's tangent for input x is ∂f/∂x (forward mode).
	out := eval[shownNumber](t, ctx, `(() => { const t = document.querySelector("#graph .node.output text.tan"); return {shown: t.firstChild.textContent, full: t.getAttribute("data-value")}; })()`)
	checkShown(t, "the output's tangent for "+vars[0], out, grad[0])
	// The backward sweep: the seed, then an edge per step, highlighted.
	press(t, ctx, kb.ArrowRight, 1)
	if p := eval[string](t, ctx, `document.getElementById("phase").textContent`); p != "Backward sweep: the seed" {
		t.Fatalf("after the forward sweep: phase %q", p)
	}
	var shot []byte
	for i, _ := stepInfo(t, ctx); i < last-1; i, _ = stepInfo(t, ctx) {
		press(t, ctx, kb.ArrowRight, 1)
		if n := eval[int](t, ctx, `document.querySelectorAll("#graph .edge.back").length`); n != 2 { // the edge and its label
			t.Fatalf("backward step: %d highlighted edge parts, want 2", n)
		}
		if eval[int](t, ctx, `document.querySelectorAll("#graph .node.recv").length`) != 1 {
			t.Fatalf("backward step: no node receiving the product")
		}
		if shot == nil && strings.Contains(eval[string](t, ctx, `document.getElementById("caption").textContent`), "more to come") {
			c, cancel := context.WithTimeout(ctx, 60*time.Second)
			var err error
			shot, err = chromedp.Run(c, chromedp.CaptureScreenshot())
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	press(t, ctx, kb.ArrowRight, 1)
	if p := eval[string](t, ctx, `document.getElementById("phase").textContent`); p != "Done" {
		t.Fatalf("at the end: phase %q", p)
	}
	// The inputs' adjoints and the gradient shown, against chainrule grad.
	for k, name := range vars {
		adj := eval[shownNumber](t, ctx, fmt.Sprintf(`(() => { const t = document.querySelector('#graph .node[data-name=%q] text.adj'); return {shown: t.firstChild.textContent, full: t.getAttribute("data-value")}; })()`, name))
		checkShown(t, "adjoint of "+name, adj, grad[k])
		g := eval[shownNumber](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('#result .grad[data-var=%q] .gradv'); return {shown: s.textContent, full: s.title}; })()`, name))
		checkShown(t, "gradient for "+name, g, grad[k])
	}
	// The tangents for another input: the output's is that input's partial.
	for k, name := range vars {
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById("dir"); s.value = "%d"; s.dispatchEvent(new Event("change")); })()`, k))
		tan := eval[shownNumber](t, ctx, `(() => { const t = document.querySelector("#graph .node.output text.tan"); return {shown: t.firstChild.textContent, full: t.getAttribute("data-value")}; })()`)
		if !strings.Contains(tan.Shown, "/d"+name+" = ") {
			t.Errorf("tangents for input %s: the output shows %q", name, tan.Shown)
		}
		checkShown(t, "the output's tangent for "+name, tan, grad[k])
	}
	eval[chromedp.Void](t, ctx, `(() => { const s = document.getElementById("dir"); s.value = "0"; s.dispatchEvent(new Event("change")); })()`)
	press(t, ctx, kb.Home, 1)
	if i, _ := stepInfo(t, ctx); i != 0 {
		t.Errorf("Home: step %d", i)
	}
	press(t, ctx, kb.End, 1)
	if i, _ := stepInfo(t, ctx); i != last {
		t.Errorf("End: step %d, want %d", i, last)
	}
	press(t, ctx, kb.ArrowLeft, 1)
	if i, _ := stepInfo(t, ctx); i != last-1 {
		t.Errorf("←: step %d, want %d", i, last-1)
	}
	return shot
}

// typeInto replaces the text of an input box by typing.
func typeInto(t *testing.T, ctx context.Context, id, text string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `document.getElementById("`+id+`").value = ""`)
	within(t, ctx, "typing into #"+id, chromedp.SendKeys(chromedp.ID(id), text))
}

// TestExplorerInBrowser drives the explorer in headless Chromium: through
// chainrule serve (typing the expression and the point, stepping both
// sweeps with the keyboard, comparing the adjoints and the gradient shown
// with chainrule grad --json, a syntax error shown inline, the 200-node
// limit) and through the file of graph --format html opened from disk.
// CHAINRULE_SCREENSHOT=1 writes docs/explorer.png.
func TestExplorerInBrowser(t *testing.T) {
	ctx := browser(t)
	url, stop := startServe(t, "127.0.0.1:0")
	defer stop()

	within(t, ctx, "opening "+url, chromedp.Navigate(url))
	waitState(t, ctx, "ready")
	const expr, at = "x*y + sin(x)", "x=2,y=3"
	typeInto(t, ctx, "expr", expr)
	typeInto(t, ctx, "at", at+kb.Enter)
	waitState(t, ctx, "ready")
	within(t, ctx, "waiting for the graph of "+expr, chromedp.Poll[chromedp.Void](
		`document.getElementById("caption").textContent.includes("f = x*y + sin(x) at x=2, y=3")`, chromedp.WithPollingTimeout(40*time.Second)))
	shot := checkSweepsInPage(t, ctx, expr, at)
	// The address holds the expression and the point: opening it again
	// shows the same graph.
	within(t, ctx, "reopening the page", chromedp.Navigate(eval[string](t, ctx, `location.href`)), chromedp.Reload())
	waitState(t, ctx, "ready")
	if got := eval[string](t, ctx, `document.getElementById("expr").value + " @ " + document.getElementById("at").value`); got != expr+" @ "+at {
		t.Errorf("after reopening the address, the boxes show %q", got)
	}
	if os.Getenv("CHAINRULE_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "explorer.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		os.WriteFile(filepath.Join(t.TempDir(), "explorer.png"), shot, 0o644)
	}

	// A syntax error: the CLI's message, position and caret, inline.
	const bad = "x + * y"
	typeInto(t, ctx, "expr", bad+kb.Enter)
	waitState(t, ctx, "error")
	_, stderr, _ := cli(t, "grad", bad, "--at", at)
	wantErr := strings.TrimSuffix(strings.TrimPrefix(stderr, "chainrule: "), "\n")
	if got := eval[string](t, ctx, `document.getElementById("errtext").textContent`); got != wantErr {
		t.Errorf("inline error %q, want the CLI's %q", got, wantErr)
	}
	if !eval[bool](t, ctx, `!document.getElementById("error").hidden && document.getElementById("expr").classList.contains("bad")`) {
		t.Errorf("the error is not shown at the expression box")
	}
	// Past 200 nodes the page says so.
	typeInto(t, ctx, "expr", strings.Repeat("sin(", 250)+"x"+strings.Repeat(")", 250)+kb.Enter)
	waitState(t, ctx, "error")
	if got := eval[string](t, ctx, `document.getElementById("errtext").textContent`); !strings.Contains(got, "limit of 200") {
		t.Errorf("250 nodes: the page says %q", got)
	}
	// A nested derivative, at the level of the user's expression.
	typeInto(t, ctx, "expr", "d(x^3, x)*y + sin(x)"+kb.Enter)
	waitState(t, ctx, "ready")
	within(t, ctx, "waiting for d(x^3, x)", chromedp.Poll[chromedp.Void](
		`[...document.querySelectorAll("#graph .node .head")].some(t => t.firstChild.textContent === "v1 = d(x ^ 3, x)")`, chromedp.WithPollingTimeout(40*time.Second)))
	checkSweepsInPage(t, ctx, "d(x^3, x)*y + sin(x)", at)
	// The same with the steps inside d(…) shown.
	before := eval[int](t, ctx, `document.querySelectorAll("#graph .node").length`)
	within(t, ctx, "showing the steps", chromedp.Click(chromedp.ID("showsteps")))
	if after := eval[int](t, ctx, `document.querySelectorAll("#graph .node").length`); after <= before {
		t.Errorf("show the steps: %d nodes, before %d", after, before)
	}
	checkSweepsInPage(t, ctx, "d(x^3, x)*y + sin(x)", at)
	within(t, ctx, "hiding the steps", chromedp.Click(chromedp.ID("showsteps")))
	// The page's number format is Go's strconv.FormatFloat(x, 'g', 6, 64).
	var xs []float64
	for _, x := range []float64{0, 1, -1, 2.5838531634528574, 1e-5, 1.234565e-4, 9.999995, 999999.5, 1e6, 123456.7, 1e21, 5e-324, 1.7976931348623157e308, -0.00012345678, 0.1 + 0.2, 100, 1e-4} {
		xs = append(xs, x, -x, x*3.7, x/7)
	}
	xs = slices.DeleteFunc(xs, func(x float64) bool { return math.IsInf(x, 0) })
	js, err := json.Marshal(xs)
	if err != nil {
		t.Fatal(err)
	}
	shown := eval[[]string](t, ctx, `(`+string(js)+`).map(window.chainruleFormat)`)
	for i, x := range xs {
		if want := strconv.FormatFloat(x, 'g', 6, 64); shown[i] != want && !(x == 0 && shown[i] == "0") {
			t.Errorf("the page formats %v as %q, Go as %q", x, shown[i], want)
		}
	}
	// The output an input, and a constant without variables: nothing to
	// step backward through, and no script error.
	eval[chromedp.Void](t, ctx, `window.__errors = [], window.addEventListener("error", e => window.__errors.push(e.message))`)
	for _, c := range []struct{ expr, at, result string }{
		{"x", "x=1", "∂x/∂x = 1= 1 (the output itself)"},
		{"2+3", "", "No variables: nothing to differentiate by."},
	} {
		typeInto(t, ctx, "expr", c.expr)
		typeInto(t, ctx, "at", c.at+kb.Enter)
		within(t, ctx, "waiting for "+c.expr, chromedp.Poll[chromedp.Void](
			`document.body.dataset.state === "ready" && document.getElementById("caption").textContent.startsWith("f = `+c.expr+`")`, chromedp.WithPollingTimeout(40*time.Second)))
		press(t, ctx, kb.End, 1)
		got := eval[string](t, ctx, `document.getElementById("result").textContent`)
		if !strings.Contains(got, c.result) {
			t.Errorf("%s at %s: the result says %q, want %q", c.expr, c.at, got, c.result)
		}
		press(t, ctx, kb.Home, 1)
		press(t, ctx, kb.ArrowRight, 2)
	}
	if errs := eval[[]string](t, ctx, `window.__errors`); len(errs) > 0 {
		t.Errorf("script errors: %q", errs)
	}

	// The same on the file written by graph --format html, from disk.
	file := filepath.Join(t.TempDir(), "graph.html")
	ok(t, "graph", expr, "--at", at, "--format", "html", "-o", file)
	within(t, ctx, "opening the file", chromedp.Navigate("file://"+file))
	waitState(t, ctx, "ready")
	if got := eval[string](t, ctx, `document.getElementById("expr").value + " @ " + document.getElementById("at").value`); got != expr+" @ "+at {
		t.Errorf("the file's boxes show %q", got)
	}
	checkSweepsInPage(t, ctx, expr, at)
	// Editing the expression explains that it needs chainrule serve.
	typeInto(t, ctx, "expr", bad+kb.Enter)
	notice := eval[string](t, ctx, `document.getElementById("notice").hidden ? "" : document.getElementById("notice").textContent`)
	if !strings.Contains(notice, "chainrule serve") || !strings.Contains(notice, "chainrule graph '"+bad+"' --at '"+at+"' --format html") {
		t.Errorf("the file's notice for a new expression: %q", notice)
	}
	var data map[string]any
	raw := eval[string](t, ctx, `document.getElementById("data").textContent`)
	if err := json.Unmarshal([]byte(raw), &data); err != nil || data["expr"] != expr {
		t.Errorf("the file's data: %v %v", data["expr"], err)
	}
}
