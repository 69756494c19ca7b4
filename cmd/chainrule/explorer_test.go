package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// post sends body to the explorer's API and decodes the JSON answer.
func post(t testing.TB, h http.Handler, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/graph", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("POST %.60q: status %d, not JSON: %q", body, rec.Code, rec.Body.String())
	}
	return rec.Code, m
}

// request returns the JSON body of a POST for expr at the point at.
func request(expr, at string) string {
	b, _ := json.Marshal(map[string]string{"expr": expr, "at": at})
	return string(b)
}

// explorerNode is a node of the API's graph.
type explorerNode struct {
	name, def string
	value     float64
	tangents  []float64
	adjoint   float64
	args      []map[string]any
}

func explorerNodes(t testing.TB, g map[string]any) []explorerNode {
	var out []explorerNode
	for _, n := range g["nodes"].([]any) {
		n := n.(map[string]any)
		nd := explorerNode{name: n["name"].(string), def: n["def"].(string), value: num(t, n["value"]), tangents: nums(t, n["tangents"]), adjoint: num(t, n["adjoint"])}
		for _, a := range n["args"].([]any) {
			nd.args = append(nd.args, a.(map[string]any))
		}
		out = append(out, nd)
	}
	return out
}

// checkSweeps checks a graph of the API against the gradient of chainrule
// grad --json: the inputs' adjoints, the output's tangents (forward mode),
// and the backward steps, whose sums must end at each node's adjoint.
func checkSweeps(t *testing.T, what string, g map[string]any, vars []string, grad []float64) {
	t.Helper()
	nodes := explorerNodes(t, g)
	out := int(g["output"].(float64))
	for k, name := range vars {
		found := false
		for _, nd := range nodes {
			if nd.name == name {
				found = true
				checkNums(t, what+": adjoint of "+name, []float64{nd.adjoint}, []float64{grad[k]})
			}
		}
		if !found {
			t.Errorf("%s: no node %s", what, name)
		}
		checkNums(t, what+": tangent of the output for "+name, []float64{nodes[out].tangents[k]}, []float64{grad[k]})
	}
	last := map[int]float64{}
	for _, s := range g["backward"].([]any) {
		s := s.(map[string]any)
		from, to := int(s["from"].(float64)), int(s["to"].(float64))
		// The step multiplies the complete adjoint of from by the edge's
		// local gradient.
		local := num(t, nodes[from].args[int(s["arg"].(float64))]["local"])
		checkNums(t, what+": step's adjoint", []float64{num(t, s["adjoint"])}, []float64{nodes[from].adjoint})
		checkNums(t, what+": step's product", []float64{num(t, s["contribution"])}, []float64{nodes[from].adjoint * local})
		last[to] = num(t, s["sum"])
	}
	for k, sum := range last {
		checkNums(t, what+": backward sum of "+nodes[k].name, []float64{sum}, []float64{nodes[k].adjoint})
	}
}

func TestExplorerAPI(t *testing.T) {
	h := newExplorerServer(0)
	for _, c := range []struct{ expr, at string }{
		{"x*y + sin(x)", "x=2,y=3"},
		{"exp(x) * x + x / y - 2^x", "x=0.5,y=-1.5"},
		{"d(x^3, x) * y + sin(x*y)", "x=2,y=3"},
		{"d(x * d(x + y, y), x) + d(d(x^3, x), x)", "x=2,y=3"},
		{"tanh(x) + unused * 0", "x=1,unused=4"},
		{"d(x*y, x) + d(y, x) + d(x, x)*x", "x=2,y=3"},
		{"d(x^2, x) + d(x^2, x) * d(sin(x)*y, y)", "x=2,y=3"},
		{"x", "x=1"},
	} {
		code, m := post(t, h, request(c.expr, c.at))
		if code != http.StatusOK {
			t.Fatalf("%s: status %d: %v", c.expr, code, m)
		}
		want := okJSON(t, "grad", c.expr, "--at", c.at)
		vars := strs(t, want["variables"])
		grad := nums(t, want["gradient"])
		checkNums(t, c.expr+": value", []float64{num(t, m["value"])}, []float64{num(t, want["value"])})
		checkNums(t, c.expr+": gradient", nums(t, m["gradient"]), grad)
		checkSweeps(t, c.expr, m["graph"].(map[string]any), vars, grad)
		if steps, ok := m["steps"].(map[string]any); ok {
			checkSweeps(t, c.expr+" (steps)", steps, vars, grad)
		}
	}
}

// TestExplorerSumOverPaths checks the gradient's sum over paths against
// the closed form: for x*y + sin(x) at (2, 3), ∂/∂x = 1 × y via x*y plus
// 1 × cos(x) via sin(x).
func TestExplorerSumOverPaths(t *testing.T) {
	_, m := post(t, newExplorerServer(0), request("x*y + sin(x)", "x=2,y=3"))
	g := m["graph"].(map[string]any)
	chains := strs(t, g["chains"])
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	want := []string{
		fmt.Sprintf("1 × 3 (via v1) + 1 × %s (via v2) = %s", f(math.Cos(2)), f(3+math.Cos(2))),
		"1 × 2 (via v1) = 2",
	}
	for k := range want {
		if chains[k] != want[k] {
			t.Errorf("sum over paths %d: got %q, want %q", k, chains[k], want[k])
		}
	}
	// The backward sweep adds both uses of x, sin(x)'s first (v2 comes
	// later in evaluation order, so earlier in the sweep): cos 2, then
	// cos 2 + 3.
	var sums []float64
	for _, s := range g["backward"].([]any) {
		s := s.(map[string]any)
		if s["to"] == 0.0 {
			sums = append(sums, num(t, s["sum"]))
			if s["uses"] != 2.0 {
				t.Errorf("x has %v uses, want 2", s["uses"])
			}
		}
	}
	checkNums(t, "partial sums of x's adjoint", sums, []float64{math.Cos(2), 3 + math.Cos(2)})
}

// TestExplorerDerivative checks that d(E, v) is one node at the user's
// level: d(x^3, x) * y, whose d node has the local gradient 6x (the second
// derivative of x^3) to x, while the steps view keeps its primitives.
func TestExplorerDerivative(t *testing.T) {
	_, m := post(t, newExplorerServer(0), request("d(x^3, x) * y", "x=2,y=3"))
	nodes := explorerNodes(t, m["graph"].(map[string]any))
	var defs []string
	for _, nd := range nodes {
		defs = append(defs, nd.name+" = "+nd.def)
	}
	if got, want := strings.Join(defs, "; "), "x = input; y = input; v1 = d(x ^ 3, x); v2 = v1 * y"; got != want {
		t.Fatalf("nodes: got %q, want %q", got, want)
	}
	d := nodes[2]
	checkNums(t, "d's value 3x²", []float64{d.value}, []float64{12})
	if len(d.args) != 1 || d.args[0]["text"] != "x" {
		t.Fatalf("d's arguments: %v", d.args)
	}
	checkNums(t, "∂d(x^3, x)/∂x = 6x", []float64{num(t, d.args[0]["local"])}, []float64{12})
	steps := explorerNodes(t, m["steps"].(map[string]any))
	if len(steps) <= len(nodes) {
		t.Errorf("the steps view has %d nodes, the user's %d", len(steps), len(nodes))
	}
}

func TestExplorerErrors(t *testing.T) {
	h := newExplorerServer(0)
	big := strings.Repeat("sin(", 250) + "x" + strings.Repeat(")", 250)
	for _, c := range []struct {
		name, body string
		status     int
		kind, msg  string
		line, col  float64
	}{
		{"syntax", request("x + * y", "x=1,y=2"), 422, "syntax", "unexpected '*'", 1, 5},
		{"unknown function", request("ln(x)", "x=1"), 422, "syntax", "unknown function", 1, 1},
		{"missing variable", request("x + z", "x=1"), 422, "syntax", "variable \"z\" is not given in the point", 1, 5},
		{"bad point", request("x", "x=abc"), 422, "value", "point: bad value", 0, 0},
		{"too deep", request(strings.Repeat("(", 10001)+"x"+strings.Repeat(")", 10001), "x=1"), 422, "syntax", "nested too deeply", 1, 10001},
		{"d too deep", request(strings.Repeat("d(", 9)+"x"+strings.Repeat(", x)", 9), "x=1"), 422, "syntax", "derivatives nested too deeply", 1, 17},
		{"too many nodes", request(big, "x=1"), 422, "limit", "more than the explorer's limit of 200", 0, 0},
		{"too large", request(strings.Repeat("d(", 8)+strings.Repeat("x*", 15)+"x"+strings.Repeat(", x)", 8), "x=1"), 422, "limit", "more than the explorer's limit of 200000", 0, 0},
		{"too many variables", request("x", "x=1"+manyVars(201)), 422, "limit", "201 variables", 0, 0},
		{"too long", request(strings.Repeat("x+", 20000)+"x", "x=1"), 422, "limit", "more than the explorer's limit of 32 KiB", 0, 0},
		{"huge body", request(strings.Repeat("x+", 40000)+"x", "x=1"), 413, "limit", "larger than the limit of 64 KiB", 0, 0},
		{"not JSON", "expr=x", 400, "usage", "bad request", 0, 0},
		{"unknown field", `{"expr": "x", "at": "x=1", "file": "/etc/passwd"}`, 400, "usage", "bad request", 0, 0},
	} {
		code, m := post(t, h, c.body)
		if code != c.status || m["kind"] != c.kind || !strings.Contains(m["error"].(string), c.msg) {
			t.Errorf("%s: got %d %v, want %d kind %s containing %q", c.name, code, m, c.status, c.kind, c.msg)
			continue
		}
		if c.line > 0 && (m["line"] != c.line || m["column"] != c.col) {
			t.Errorf("%s: position %v:%v, want %v:%v", c.name, m["line"], m["column"], c.line, c.col)
		}
	}
	// The text is the CLI's message, with the line and a caret.
	_, m := post(t, h, request("x + * y", "x=1,y=2"))
	_, stderr, _ := cli(t, "grad", "x + * y", "--at", "x=1,y=2")
	if want := strings.TrimSuffix(strings.TrimPrefix(stderr, "chainrule: "), "\n"); m["text"] != want {
		t.Errorf("text %q, want the CLI's %q", m["text"], want)
	}
}

func TestExplorerServerRoutes(t *testing.T) {
	h := newExplorerServer(0)
	for _, c := range []struct {
		method, path, ctype string
		status              int
	}{
		{"GET", "/", "", 200},
		{"HEAD", "/", "", 200},
		{"POST", "/", "", 405},
		{"GET", "/api/graph", "", 405},
		{"POST", "/api/graph", "text/plain", 415},
		{"GET", "/etc/passwd", "", 404},
		{"GET", "/../go.mod", "", 404},
		{"GET", "/web/explorer.js", "", 404},
	} {
		req := httptest.NewRequest(c.method, "/", strings.NewReader(`{"expr": "x", "at": "x=1"}`))
		req.URL.Path = c.path
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, rec.Code, c.status)
		}
	}
}

// TestExplorerTimeout checks that an evaluation past the time limit is
// answered with 503, and that the server takes requests again afterwards.
func TestExplorerTimeout(t *testing.T) {
	h := newExplorerServer(time.Nanosecond)
	code, m := post(t, h, request("x*y", "x=1,y=2"))
	if code != http.StatusServiceUnavailable || m["kind"] != "limit" {
		t.Fatalf("got %d %v, want 503 limit", code, m)
	}
	h.timeout = 5 * time.Second
	if code, m := post(t, h, request("x*y", "x=1,y=2")); code != 200 {
		t.Fatalf("after a timeout: %d %v", code, m)
	}
}

// TestServe starts chainrule serve on a free loopback port, fetches the
// page and one graph, and stops it; it checks the default address is
// loopback, and that a non-loopback one is warned about.
func TestServe(t *testing.T) {
	if host := strings.Split(defaultAddr, ":")[0]; host != "127.0.0.1" {
		t.Fatalf("default address %s is not loopback", defaultAddr)
	}
	if o, err := parseArgs([]string{"serve"}); err != nil || o.addr != "" {
		t.Fatalf("serve: %v %v", o, err)
	}
	url, stop := startServe(t, "127.0.0.1:0")
	defer stop()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`<script id="data" type="application/json">null</script>`)) {
		t.Errorf("the page has no empty data element")
	}
	if c := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(c, "default-src 'none'; script-src 'sha256-") || !strings.Contains(c, "connect-src 'self'") {
		t.Errorf("Content-Security-Policy %q", c)
	}
	resp, err = http.Post(url+"api/graph", "application/json", strings.NewReader(request("x*y", "x=2,y=3")))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{3, 2})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := (runner{ctx: ctx}).run([]string{"serve", "--addr", "0.0.0.0:0"}, &out, &errb); code != 0 {
		t.Fatalf("serve --addr 0.0.0.0:0: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "warning: serving on ") || !strings.Contains(errb.String(), "other machines can reach") {
		t.Errorf("no warning for a non-loopback address: %q", errb.String())
	}
}

// startServe runs chainrule serve --addr addr and returns the URL it
// prints and a function that stops it.
func startServe(t testing.TB, addr string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		code := runner{ctx: ctx}.run([]string{"serve", "--addr", addr}, pw, &errb)
		pw.Close()
		done <- code
	}()
	line := make([]byte, 200)
	n, _ := pr.Read(line)
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(string(line[:n]))
	if url == "" {
		cancel()
		t.Fatalf("serve printed %q, no loopback URL", line[:n])
	}
	return url, func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve: exit %d: %s", code, errb.String())
		}
	}
}

func TestServeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"serve", "x*y"}, "serve takes no expression"},
		{[]string{"serve", "--at", "x=1"}, "serve takes only --addr"},
		{[]string{"grad", "x", "--addr", "127.0.0.1:1"}, "--addr is only for serve"},
		{[]string{"graph", "x", "--at", "x=1", "--format", "html", "--mode", "forward"}, "--mode and --precision do not apply"},
		{[]string{"serve", "--addr", "256.0.0.1:99999"}, "chainrule: serve:"},
	} {
		_, stderr, code := cli(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
}

// TestExplorerFile checks graph --format html: one file with everything
// inside (no address to fetch anything from), the data computed for its
// expression, and the 200-node limit.
func TestExplorerFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "graph.html")
	ok(t, "graph", "x*y + sin(x)", "--at", "x=2,y=3", "--format", "html", "-o", file)
	html, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The SVG namespace and the arrow marker are names, not addresses.
	rest := bytes.ReplaceAll(html, []byte("http://www.w3.org/2000/svg"), nil)
	rest = bytes.ReplaceAll(rest, []byte("url(#arrow)"), nil)
	for _, bad := range []string{"http://", "https://", " src=", "href=", "<link", "@import", "url("} {
		if bytes.Contains(rest, []byte(bad)) {
			t.Errorf("the file contains %q: it must not load anything", bad)
		}
	}
	data := regexp.MustCompile(`(?s)<script id="data" type="application/json">(.*?)</script>`).FindSubmatch(html)
	if data == nil {
		t.Fatal("no data element")
	}
	var m map[string]any
	if err := json.Unmarshal(data[1], &m); err != nil {
		t.Fatal(err)
	}
	if m["static"] != true || m["expr"] != "x*y + sin(x)" || m["at"] != "x=2,y=3" {
		t.Errorf("data: static %v expr %v at %v", m["static"], m["expr"], m["at"])
	}
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{3 + math.Cos(2), 2})
	// A '<' in the data cannot end its element.
	pg := page([]byte(`{"expr": "</script><script>alert(1)</script>"}`), "'none'")
	if bytes.Count(pg, []byte("</script>")) != 2 { // the data's and the script's own
		t.Errorf("the data ends its element early")
	}
	// Above 200 nodes the file is refused, as the page would say.
	big := strings.Repeat("sin(", 250) + "x" + strings.Repeat(")", 250)
	_, stderr, code := cli(t, "graph", big, "--at", "x=1", "--format", "html")
	if code != 2 || !strings.Contains(stderr, "limit of 200") {
		t.Errorf("250 nodes: exit %d, %q", code, stderr)
	}
}

// FuzzExplorerAPI posts random expressions and points to /api/graph (and
// the expression as a raw body): the answer is always JSON, 200 with a
// graph of at most 200 nodes whose backward sweep ends at the inputs'
// adjoints, or 4xx with an error that is not internal; never a panic.
func FuzzExplorerAPI(f *testing.F) {
	for _, s := range [][2]string{
		{"x*y + sin(x)", "x=2,y=3"},
		{"d(x * d(x + y, y), x)", "x=1,y=2"},
		{"d(d(x^3, x), x) + relu(x) * max(x, y)", "x=0,y=0"},
		{"x + * y", "x=1"},
		{"sqrt(x) / x", "x=0"},
		{"x", "x=inf,y=nan"},
		{"d(x*y, x) + d(y, x) + d(x, x)*x", "x=2,y=3"},
		{"d(x^2, x) + d(x^2, x) * d(sin(x)*y, y)", "x=2,y=3"},
		{`{"expr": "x", "at": 3}`, ""},
		{`{"expr": "x"`, ""},
	} {
		f.Add(s[0], s[1])
	}
	h := newExplorerServer(10 * time.Second)
	f.Fuzz(func(t *testing.T, src, at string) {
		for _, body := range []string{request(src, at), src} {
			code, m := post(t, h, body)
			switch {
			case code == http.StatusOK:
				g := m["graph"].(map[string]any)
				if n := len(g["nodes"].([]any)); n > maxExplorerNodes {
					t.Fatalf("%d nodes", n)
				}
			case code >= 400 && code < 500:
				if m["kind"] == "internal" || m["error"] == "" {
					t.Fatalf("%q at %q: %d %v", src, at, code, m)
				}
			default:
				t.Fatalf("%q at %q: status %d: %v", src, at, code, m)
			}
		}
	})
}

// manyVars returns ",v0=1,v1=1,…" for n variables, less one (x is the first).
func manyVars(n int) string {
	var b strings.Builder
	for i := range n - 1 {
		fmt.Fprintf(&b, ",v%d=1", i)
	}
	return b.String()
}
