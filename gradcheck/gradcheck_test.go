package gradcheck_test

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/gradcheck"
	"github.com/chainrule/chainrule/tensor"
)

var update = flag.Bool("update", false, "rewrite ../docs/ops.md from the table")

const opsDoc = "../docs/ops.md"

// TestOpsDoc fails if docs/ops.md is not what Markdown makes of the table;
// go generate ./gradcheck (this test with -update) rewrites it.
func TestOpsDoc(t *testing.T) {
	want := gradcheck.Markdown(gradcheck.Ops)
	if *update {
		if err := os.WriteFile(opsDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(opsDoc)
	if err != nil {
		t.Fatalf("%v; run go generate ./gradcheck", err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date with gradcheck.Ops; run go generate ./gradcheck", opsDoc)
	}
}

// TestCoverage fails if an op of package ad has no entry in the table, or
// an entry names no function of ad. An op is an exported function that
// takes at least one Value, no function, and returns one Value.
func TestCoverage(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("../ad/*.go")
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	var ops []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() {
				continue
			}
			exported[fn.Name.Name] = true
			if isOp(fn.Type) {
				ops = append(ops, fn.Name.Name)
			}
		}
	}
	table := map[string]bool{}
	for _, op := range gradcheck.Ops {
		base, _, _ := strings.Cut(op.Name, "[")
		table[base] = true
		if !exported[base] {
			t.Errorf("table entry %s names no exported function of package ad", op.Name)
		}
	}
	slices.Sort(ops)
	for _, name := range ops {
		if !table[name] {
			t.Errorf("ad.%s has no entry in gradcheck.Ops", name)
		}
	}
	if len(ops) < 60 {
		t.Errorf("found only %d ops in ../ad: %v", len(ops), ops)
	}
}

func isOp(ft *ast.FuncType) bool {
	isValue := func(e ast.Expr) bool {
		if el, ok := e.(*ast.Ellipsis); ok {
			e = el.Elt
		}
		id, ok := e.(*ast.Ident)
		return ok && id.Name == "Value"
	}
	if ft.Results == nil || len(ft.Results.List) != 1 || len(ft.Results.List[0].Names) > 1 || !isValue(ft.Results.List[0].Type) {
		return false
	}
	operand := map[string]bool{} // type parameters standing for a Value or a Go number
	if ft.TypeParams != nil {
		for _, p := range ft.TypeParams.List {
			id, ok := p.Type.(*ast.Ident)
			if ok && id.Name == "Func" { // a transformation, generic over the function it takes
				return false
			}
			for _, n := range p.Names {
				operand[n.Name] = ok && id.Name == "Operand"
			}
		}
	}
	takesValue := false
	for _, p := range ft.Params.List {
		if _, ok := p.Type.(*ast.FuncType); ok {
			return false
		}
		id, ok := p.Type.(*ast.Ident)
		takesValue = takesValue || isValue(p.Type) || (ok && operand[id.Name])
	}
	return takesValue
}

// TestTable checks the table's own consistency.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	want := map[string]bool{"scalar,scalar": false, "2x3,3": false, "4x1,1x3": false, "scalar": false, "3": false, "2x3": false}
	for _, op := range gradcheck.Ops {
		if seen[op.Name] {
			t.Errorf("%s: duplicate name", op.Name)
		}
		seen[op.Name] = true
		if op.Fn == nil || len(op.Shapes) == 0 {
			t.Errorf("%s: no Fn or no Shapes", op.Name)
		}
		for _, s := range op.Shapes {
			if len(s) != op.Arity {
				t.Errorf("%s: shapes %s for arity %d", op.Name, gradcheck.ShapesName(s), op.Arity)
			}
			if _, ok := want[gradcheck.ShapesName(s)]; ok {
				want[gradcheck.ShapesName(s)] = true
			}
		}
		for _, e := range op.Edges {
			if len(e.Args) != op.Arity || len(e.Want) != op.Arity {
				t.Errorf("%s: edge %s has %d args and %d gradients for arity %d", op.Name, e.Name, len(e.Args), len(e.Want), op.Arity)
			}
		}
		for _, e := range op.SplitEdges {
			if len(e.Args) != op.Arity || len(e.Want) != op.Arity || len(e.Forward) != op.Arity {
				t.Errorf("%s: split edge %s has %d args and %d, %d gradients for arity %d", op.Name, e.Name, len(e.Args), len(e.Want), len(e.Forward), op.Arity)
			}
		}
	}
	for s, ok := range want {
		if !ok {
			t.Errorf("no op is tested at shapes %s", s)
		}
	}
}

// TestSampleSeparated checks that random points of non-smooth ops keep off
// the kinks, and that sampling is reproducible.
func TestSampleSeparated(t *testing.T) {
	op := gradcheck.Op{Name: "relu", Arity: 2, Fn: func(xs ...ad.Value) ad.Value { return ad.Relu(xs[0]) }}
	for seed := range uint64(50) {
		args := op.Sample(seed, [][]int{{4, 3}, {3}})
		if !tensor.Equal(args[0], op.Sample(seed, [][]int{{4, 3}, {3}})[0]) {
			t.Fatal("Sample is not reproducible")
		}
		var all []float64
		for _, a := range args {
			all = append(all, a.Float64s()...)
		}
		slices.Sort(all)
		for i, x := range all {
			if x < -2 || x >= 2 || (x > -gradcheck.Gap && x < gradcheck.Gap) || (i > 0 && x-all[i-1] < gradcheck.Gap) {
				t.Fatalf("seed %d: %v is not separated", seed, all)
			}
		}
	}
}

// customCube is x³ with rules scaled by jvpScale and vjpScale (1 is right).
func customCube(jvpScale, vjpScale float64) gradcheck.Op {
	three := func(x ad.Value, s float64) ad.Value {
		return ad.Mul(ad.From(x.DType().Scalar(3*s)), ad.Mul(x, x))
	}
	f := ad.Custom("cube",
		func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Mul(xs[0], xs[0])) },
		func(x, t []ad.Value) ad.Value { return ad.Mul(three(x[0], jvpScale), t[0]) },
		func(x []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(three(x[0], vjpScale), ct)} })
	return gradcheck.Op{Name: "cube", Arity: 1, Fn: func(xs ...ad.Value) ad.Value { return f(xs[0]) }, Smooth: true}
}

// TestChecksCatchBugs runs the checks on deliberately wrong derivatives:
// each must be caught by the checks that can see it, and right rules pass.
func TestChecksCatchBugs(t *testing.T) {
	forgot := gradcheck.Op{Name: "x·stop(x)", Arity: 1, Smooth: true,
		Fn: func(xs ...ad.Value) ad.Value { return ad.Mul(xs[0], ad.StopGradient(xs[0])) }}
	cases := []struct {
		op   gradcheck.Op
		want map[string]bool // check name → passes
	}{
		{customCube(1, 1), map[string]bool{"reverse": true, "forward": true, "batched": true, "second": true, "float32": true}},
		{customCube(1, 1.001), map[string]bool{"reverse": false, "forward": false}},
		{customCube(1.001, 1), map[string]bool{"reverse": true, "forward": false}},
		{forgot, map[string]bool{"reverse": false, "forward": false}},
	}
	for _, c := range cases {
		args := c.op.Sample(7, [][]int{{2, 3}})
		for _, check := range gradcheck.Checks {
			want, ok := c.want[check.Name]
			if !ok {
				continue
			}
			var r gradcheck.Recorder
			if got := check.Fn(&r, c.op, args, 0); got != want || got != (len(r.Errors) == 0) {
				t.Errorf("%s %s: passed = %v with %d errors, want %v: %q", c.op.Name, check.Name, got, len(r.Errors), want, r.Errors)
			}
		}
	}

	relu := gradcheck.Ops[slices.IndexFunc(gradcheck.Ops, func(op gradcheck.Op) bool { return op.Name == "Relu" })]
	var r gradcheck.Recorder
	wrong := gradcheck.Edge{Name: "x=0 as 1", Args: relu.Edges[0].Args, Want: []*tensor.Tensor{tensor.Scalar(1)}}
	if gradcheck.CheckEdge(&r, relu, wrong) || len(r.Errors) != 3 {
		t.Errorf("CheckEdge passed a wrong edge gradient or did not fail reverse, forward and batched: %q", r.Errors)
	}

	r = gradcheck.Recorder{}
	panics := gradcheck.Op{Name: "panics", Arity: 1, Fn: func(xs ...ad.Value) ad.Value { return ad.MatMul(xs[0], xs[0]) }}
	if gradcheck.CheckVJP(&r, panics, []*tensor.Tensor{tensor.Zeros(2, 3)}, 0) || len(r.Errors) != 1 || !strings.Contains(r.Errors[0], "panic: chainrule: matmul") {
		t.Errorf("a panicking op was not reported as one failure: %q", r.Errors)
	}
}
