package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

// Kind tells a parameter, which an optimizer trains, from a buffer, state
// that the layer keeps but no gradient reaches (BatchNorm2D's running
// statistics), as PyTorch's named_parameters and named_buffers do.
type Kind int

const (
	Parameter Kind = iota // trained: listed by Params
	Buffer                // not trained: listed by Buffers
)

// Visitor is called by Layer.Visit for each tensor field of a layer: its
// dotted name, a pointer to the field (so that To can replace it) and its
// kind.
type Visitor func(name string, t **tensor.Tensor, k Kind)

// Layer is a building block of a model: a plain struct whose tensors are
// fields.
//
// Forward maps an input to an output, reading the layer's tensors through
// c.Value, so that a bound context (Ctx.Bind, Ctx.ValueAndGrads) makes
// gradients flow into them and a nil context uses them as constants in
// evaluation mode.
//
// Visit calls visit for each tensor of the layer and of its sub-layers, in
// a fixed order, with the name prefix.name (Join), PyTorch's state_dict
// name where the layer mirrors a PyTorch module. A nil tensor (a layer
// built without bias) is skipped. A layer that has no Name of its own takes
// prefix as its name, for error messages.
type Layer interface {
	Forward(c *Ctx, x ad.Value) ad.Value
	Visit(prefix string, visit Visitor)
}

// Join returns the dotted name prefix.name, or name if prefix is empty.
func Join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Params returns the parameters of l (Kind Parameter) with their dotted
// names, in Visit order: what an optimizer takes. It panics with
// tensor.ErrArg if two tensors have the same name.
func Params(l Layer) []optim.Param { return collect(l, Parameter, true) }

// Buffers returns the buffers of l (Kind Buffer) with their dotted names,
// in Visit order.
func Buffers(l Layer) []optim.Param { return collect(l, Buffer, true) }

// StateDict returns every tensor of l, parameters and buffers, keyed by its
// dotted name: what a checkpoint holds (PyTorch's state_dict, except that
// BatchNorm2D keeps no num_batches_tracked). The map shares the layer's
// tensors. It panics with tensor.ErrArg if two tensors have the same name.
func StateDict(l Layer) map[string]*tensor.Tensor {
	m := map[string]*tensor.Tensor{}
	for _, p := range collect(l, Parameter, false) {
		m[p.Name] = p.T
	}
	return m
}

// collect returns l's tensors of kind k, or all of them if !only.
func collect(l Layer, k Kind, only bool) []optim.Param {
	if l == nil {
		tensor.Panicf(tensor.ErrArg, "nn.Params", "nil layer")
	}
	var ps []optim.Param
	seen := map[string]bool{}
	l.Visit("", func(name string, t **tensor.Tensor, kind Kind) {
		if *t == nil {
			return
		}
		if seen[name] {
			tensor.Panicf(tensor.ErrArg, "nn.Params", "two tensors are named %q", name)
		}
		seen[name] = true
		if !only || kind == k {
			ps = append(ps, optim.Param{Name: name, T: *t})
		}
	})
	return ps
}

// To converts every tensor of l to dtype d (a copy where the dtype
// changes), as PyTorch's module.to(dtype) does. Tensors already of dtype d
// are kept.
func To(l Layer, d tensor.DType) {
	l.Visit("", func(_ string, t **tensor.Tensor, _ Kind) {
		if *t != nil && (*t).DType() != d {
			*t = (*t).As(d)
		}
	})
}

// Save writes l's StateDict to the safetensors file at path, atomically
// (see safetensors.Save), with optional metadata.
func Save(path string, l Layer, metadata map[string]string) error {
	return safetensors.Save(path, StateDict(l), metadata)
}

// Load reads the safetensors file at path into l's tensors in place, as
// safetensors.LoadInto does with l's StateDict: the names must match
// exactly and the shapes be equal, or the error (wrapping
// safetensors.ErrMismatch) names the parameters, and l is unchanged.
func Load(path string, l Layer) error {
	return safetensors.LoadInto(path, StateDict(l))
}

// Ctx is what a Forward pass runs in: the mode, the random source, and the
// Values standing for the layers' tensors.
//
// The zero Ctx, and a nil *Ctx, is evaluation mode with every tensor a
// constant: model.Forward(nil, x) is inference. Set Train for training
// mode (Dropout drops, BatchNorm2D normalizes with the batch statistics
// and updates its running statistics); Rand is the source Dropout draws
// its masks from.
//
// Bind and ValueAndGrads return a copy of the context in which given
// tensors stand for given Values, the inputs of a transformation, so that
// derivatives reach them; an unbound tensor is a constant (frozen, as with
// requires_grad=False).
type Ctx struct {
	Train bool       // training mode
	Rand  *rand.Rand // Dropout's source; required in training mode with dropout
	// Defer, if set, makes BatchNorm2D record its new running statistics
	// as Updates instead of writing them into its buffers at once: set it
	// under ad.Compile, return the Updates' values from the compiled
	// function, and Set them after each run.
	Defer bool

	bound   map[*tensor.Tensor]ad.Value
	updates *[]Update // shared by the copies Bind makes of one context
}

// Update is a new value V for a buffer T (a running statistic), recorded
// by a Forward pass in a context with Defer set.
type Update struct {
	Name string // the layer's name and the buffer's: "bn running_mean"
	T    *tensor.Tensor
	V    ad.Value
}

// Set writes the elements of v (V, or the value a compiled program returned
// for it) into u.T in place. It panics with tensor.ErrShape if v has
// another shape.
func (u Update) Set(v ad.Value) { assign(u.Name, u.T, v.Tensor()) }

// assign copies src into dst in place, converting the dtype.
func assign(name string, dst, src *tensor.Tensor) {
	if !slices.Equal(dst.Shape(), src.Shape()) {
		tensor.Panicf(tensor.ErrShape, "nn.Update", "%s: value of shape %s for a buffer of shape %s", name, tensor.ShapeString(src.Shape()), tensor.ShapeString(dst.Shape()))
	}
	src = src.As(dst.DType())
	if dst.DType() == tensor.Float32 {
		copy(dst.Data32(), src.Data32())
	} else {
		copy(dst.Data(), src.Data())
	}
}

// Updates returns the buffer updates recorded by the Forward passes run in
// c and in the contexts Bind made from it (only with Defer set), in order.
func (c *Ctx) Updates() []Update {
	if c == nil || c.updates == nil {
		return nil
	}
	return slices.Clone(*c.updates)
}

// Value returns the Value standing for t in c: the bound one, or t as a
// constant (ad.From) if t is not bound or c is nil.
func (c *Ctx) Value(t *tensor.Tensor) ad.Value {
	if c != nil {
		if v, ok := c.bound[t]; ok {
			return v
		}
	}
	return ad.From(t)
}

// training reports whether c is in training mode.
func (c *Ctx) training() bool { return c != nil && c.Train }

// update records or applies a buffer's new value.
func (c *Ctx) update(name string, t *tensor.Tensor, v ad.Value) {
	if c.Defer {
		if c.updates == nil {
			c.updates = new([]Update)
		}
		*c.updates = append(*c.updates, Update{Name: name, T: t, V: v})
		return
	}
	assign(name, t, v.Tensor())
}

// Bind returns a copy of c (of the zero Ctx if c is nil) in which each
// params[i].T stands for values[i], on top of c's own bindings: inside a
// transformation over values, the layers' Forward then differentiates with
// respect to them. Under ad.Compile, bind the parameters (and, for
// BatchNorm2D, the buffers) to inputs of the compiled function, so that the
// program reads them at each run instead of baking them in as constants.
// It panics with tensor.ErrArg if the lengths differ and with
// tensor.ErrShape, naming the parameter, if a value's shape is not its
// tensor's.
func (c *Ctx) Bind(params []optim.Param, values []ad.Value) *Ctx {
	if len(params) != len(values) {
		tensor.Panicf(tensor.ErrArg, "nn.Bind", "%d parameters and %d values", len(params), len(values))
	}
	var out Ctx
	if c != nil {
		out = *c
	}
	out.bound = make(map[*tensor.Tensor]ad.Value, len(out.bound)+len(params))
	if c != nil {
		for t, v := range c.bound {
			out.bound[t] = v
		}
	}
	if out.updates == nil {
		out.updates = new([]Update)
	}
	for i, p := range params {
		if p.T == nil {
			tensor.Panicf(tensor.ErrArg, "nn.Bind", "parameter %q is a nil tensor", p.Name)
		}
		if !slices.Equal(p.T.Shape(), values[i].Shape()) {
			tensor.Panicf(tensor.ErrShape, "nn.Bind", "parameter %q has shape %s, its value %s", p.Name, tensor.ShapeString(p.T.Shape()), tensor.ShapeString(values[i].Shape()))
		}
		out.bound[p.T] = values[i]
	}
	return &out
}

// ValueAndGrads runs f in a copy of c with params bound to fresh
// differentiable Values (Bind) and returns the value of f, a scalar loss,
// and the gradient of the loss with respect to each parameter, in order:
// what optim's Step takes. Buffer updates (BatchNorm2D's running
// statistics in training mode) are applied once, as the forward pass runs.
// A parameter the loss does not reach gets a zero gradient (PyTorch leaves
// its .grad None, and its optimizers skip it; set such an entry to nil to
// skip it too). It panics with tensor.ErrArg if c has Defer set, and as
// ad.ValueAndGrads does (tensor.ErrShape for a loss that is not a scalar).
func (c *Ctx) ValueAndGrads(params []optim.Param, f func(c *Ctx) ad.Value) (float64, []*tensor.Tensor) {
	xs := make([]ad.Value, len(params))
	for i, p := range params {
		xs[i] = ad.From(p.T)
	}
	if c != nil && c.Defer {
		tensor.Panicf(tensor.ErrArg, "nn.ValueAndGrads", "a context with Defer set would drop the buffer updates; Defer is for ad.Compile")
	}
	v, gs := ad.ValueAndGrads(func(vs []ad.Value) ad.Value { return f(c.Bind(params, vs)) }, xs...)
	grads := make([]*tensor.Tensor, len(gs))
	for i, g := range gs {
		grads[i] = g.Tensor()
	}
	return v.Item(), grads
}

// Sequential applies its layers in order, each to the output of the one
// before (PyTorch's nn.Sequential). Its tensors are named after the index
// of their layer: "0.weight", "2.bias", ….
type Sequential []Layer

// Forward returns the last layer's output; it panics as the layers do.
func (s Sequential) Forward(c *Ctx, x ad.Value) ad.Value {
	for i, l := range s {
		if l == nil {
			tensor.Panicf(tensor.ErrArg, "nn.Sequential", "layer %d is nil", i)
		}
		x = l.Forward(c, x)
	}
	return x
}

// Visit visits each layer's tensors with the prefix prefix.i.
func (s Sequential) Visit(prefix string, visit Visitor) {
	for i, l := range s {
		if l == nil {
			tensor.Panicf(tensor.ErrArg, "nn.Sequential", "layer %d is nil", i)
		}
		l.Visit(Join(prefix, fmt.Sprint(i)), visit)
	}
}

// Func is a layer without tensors that applies a function, such as ad.Tanh
// or ad.GELU (PyTorch's nn.Tanh, nn.GELU, …); it ignores the context.
type Func func(ad.Value) ad.Value

// Forward returns f(x).
func (f Func) Forward(_ *Ctx, x ad.Value) ad.Value { return f(x) }

// Visit visits nothing: a Func has no tensors.
func (f Func) Visit(string, Visitor) {}

// need panics with tensor.ErrArg, naming the layer and the field, if a
// tensor the layer cannot do without is nil.
func need(op string, fields ...any) {
	for i := 0; i < len(fields); i += 2 {
		if fields[i+1].(*tensor.Tensor) == nil {
			tensor.Panicf(tensor.ErrArg, op, "%s is nil (build the layer with its constructor)", fields[i])
		}
	}
}

// layerName returns "nn.Kind name" or "nn.Kind" for messages.
func layerName(kind, name string) string {
	if name == "" {
		return "nn." + kind
	}
	return "nn." + kind + " " + name
}
