package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
)

// confCase is one line of testdata/conformance/expressions.jsonl.
type confCase struct {
	Kind      string             `json:"kind"`
	Expr      string             `json:"expr"`
	At        map[string]float64 `json:"at"`
	Variables []string           `json:"variables"` // the order of At
	Value     any                `json:"value"`
	Gradient  any                `json:"gradient"`
	Hessian   any                `json:"hessian"`
	Values    any                `json:"values"`
	Jacobian  any                `json:"jacobian"`
}

func TestConformance(t *testing.T) {
	f, err := os.Open("../../testdata/conformance/expressions.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	passed, line := 0, 0
	for sc.Scan() {
		line++
		var c confCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		src := c.Expr
		if msg := confRun(t, c, src); msg != "" {
			t.Errorf("line %d: %s %q at %v: %s", line, c.Kind, src, c.At, msg)
			continue
		}
		passed++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if line != 300 || passed != line {
		t.Errorf("%d of %d cases passed", passed, line)
	}
}

// confRun runs one case like check.py does, through run with --json, and
// returns what differs ("" if nothing).
func confRun(t *testing.T, c confCase, src string) string {
	at := make([]string, len(c.Variables))
	for i, v := range c.Variables {
		at[i] = v + "=" + strconv.FormatFloat(c.At[v], 'g', -1, 64)
	}
	var out, errb bytes.Buffer
	if code := run([]string{c.Kind, src, "--at", strings.Join(at, ","), "--json"}, &out, &errb); code != 0 {
		return "exit " + strconv.Itoa(code) + ": " + errb.String()
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		return "bad JSON: " + out.String()
	}
	var vars []string
	for _, v := range got["variables"].([]any) {
		vars = append(vars, v.(string))
	}
	if strings.Join(vars, ",") != strings.Join(c.Variables, ",") {
		return "variables " + strings.Join(vars, ",")
	}
	want := map[string]any{"value": c.Value, "gradient": c.Gradient, "hessian": c.Hessian, "values": c.Values, "jacobian": c.Jacobian}
	keys := map[string][]string{"grad": {"value", "gradient"}, "hessian": {"value", "gradient", "hessian"}, "jacobian": {"values", "jacobian"}}[c.Kind]
	for _, k := range keys {
		if !sameJSON(t, got[k], want[k]) {
			g, _ := json.Marshal(got[k])
			w, _ := json.Marshal(want[k])
			return k + ": got " + string(g) + " want " + string(w)
		}
	}
	return ""
}

// sameJSON compares decoded JSON numbers, lists of them and lists of lists
// within 1e-8 relative + 1e-10 absolute.
func sameJSON(t *testing.T, got, want any) bool {
	if w, isList := want.([]any); isList {
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameJSON(t, g[i], w[i]) {
				return false
			}
		}
		return true
	}
	switch got.(type) {
	case float64, string:
	default:
		return false
	}
	return close(num(t, got), num(t, want))
}
