// Package onnx writes compiled chainrule programs as ONNX models and
// reads ONNX models, in pure Go (the protobuf wire format through
// google.golang.org/protobuf/encoding/protowire and the field numbers of
// onnx.proto; no cgo, no generated code).
//
// # Export
//
// Export turns an *ad.Program — a plain function, its gradient, or a whole
// training step (loss, gradients and updated parameters) — into a Model at
// opset 17 (IR version 8); Save writes it to a file atomically and Write
// to an io.Writer. ONNX Runtime then runs it on CPUs, GPUs (the CUDA and
// TensorRT execution providers) and other accelerators:
//
//	step := ad.Compile(trainStep, params..., x)
//	err := onnx.Save("step.onnx", step, &onnx.Options{Inputs: names, Outputs: outNames})
//
// The exporter reads the program through ad.Program.View, the one
// description of a compiled program (Program.String prints the same). The
// graph's inputs are the program's inputs and its outputs the program's
// outputs, named by Options or input0…, output0…; captured tensors become
// initializers (named by Options.Constants, else const_r<register>), and
// inputs named in Options.Frozen become initializers holding the given
// values: pass nn.Params' names and nn.StateDict(model) to export a model
// for inference with PyTorch's parameter names. Rerolled loops of scalar
// programs are unrolled.
//
// Every primitive Compile records is lowered, in float32 and float64:
// elementwise ops and comparisons, where, reductions, matmul, reshape,
// transpose, slice, pad, concat, broadcast, gathers and scatter-adds,
// casts, 2-d convolution and its two transposes, max pooling and its
// gradient. Where ONNX Runtime's CPU provider has no float64 kernel (Tan,
// Asin, Acos, Atan, Sinh, Cosh, Erf, Softplus, Conv, ConvTranspose), the
// float64 model computes the op from ops that have one: atan and erf from
// the rational approximations Go's math package uses, the convolutions as
// im2col and a MatMul. The lowering also keeps chainrule's semantics where
// ONNX Runtime's differ: maximum, minimum, relu and the max and min
// reductions propagate NaN, and chain_mul keeps its strong zero; the
// tests feed NaN, ±Inf, ±0 and overflowing values through every
// elementwise op. A custom rule or checkpoint (ad.Custom, ad.Checkpoint)
// runs Go code and cannot be exported: Export returns an *Error naming the
// instruction.
//
// The tests run every exported model through ONNX's checker (full check)
// and ONNX Runtime 1.30 (CPU) and compare its outputs with Program.Run:
// to 1e-12 in float64, 1e-5 in float32 (relative to max(|x|, 1)). The
// models are the benchmarks' W2 gradient and W3 training step, an MLP, a
// CNN and a transformer block, each in both dtypes, and every elementwise
// and structural primitive with its gradient.
//
// Two ONNX Runtime graph optimizations would change float64 results, and
// the exporter avoids their patterns: its MatMulScaleFusion folds a
// product by a constant into the MatMul with the constant rounded to
// float32 (the exporter splits such a constant in two), and it fuses
// x·sigmoid(x) into a QuickGelu with no float64 kernel (in float64 the
// exporter writes silu as x/(1+e^-x)).
//
// # Import
//
// Load (or Decode) reads a model file, and Import turns it into a
// chainrule function of its inputs, built from package ad's operations
// only, so that it is differentiable in both modes and at any order, and
// runs under ad.Vmap and ad.Compile:
//
//	m, err := onnx.Load("model.onnx") // torch.onnx.export(model, x, "model.onnx")
//	im, err := onnx.Import(m)
//	y := im.Call(x)[0]                                   // inference
//	grads := ad.Grads(func(ps []ad.Value) ad.Value {     // d loss / d params
//		return ad.MSE(im.Apply(ps, x)[0], target)
//	}, params...)
//
// The floating-point initializers become im.Params (and im.Buffers, the
// running statistics of BatchNormalization), under their names in the file:
// PyTorch's dotted parameter names, such as "fc1.weight", when the model is
// exported with training=torch.onnx.TrainingMode.PRESERVE and
// do_constant_folding=False (the default export fuses batch normalization
// into convolutions and pre-transposes some weights under generated names;
// such files import too). A model of one input and one output is an
// nn.Layer: nn.Params, nn.Ctx.ValueAndGrads and an optimizer fine-tune it,
// and nn.Save writes its parameters as safetensors.
//
// Import reads opsets 13 to 18 of the default domain and the operators
// torch.onnx.export (PyTorch 1.13) emits for MLPs, CNNs and transformer
// blocks (SupportedOperators lists them). Shape computations (Shape,
// Gather, Concat, Unsqueeze, integer arithmetic, Range, comparisons…) run
// on integers in Go, never in the ad graph: at import when they depend on
// constants only, and from the inputs' shapes at each call otherwise, so a
// model exported with dynamic axes runs on any batch or sequence length.
// Masks computed from the data (a padding mask from Equal) are Values of
// 0s and 1s. An unsupported operator, attribute or attribute value is an
// error naming the operator, the node and the opset, never a silently
// different model; integers that would have to come from floating-point
// data (a Cast of data to int64) are refused when the model runs.
//
// Import also reads what Export writes (its tests run every exported model
// through both), with one exception: the export of a max-pooling gradient
// uses MaxPool's Indices output, integers computed from the data, which
// Import refuses with an error naming it.
//
// Decode refuses malformed or hostile input with an error (truncated or
// overlong fields, wrong wire types, graphs nested deeper than
// MaxGraphDepth, tensors of negative or absurd dimensions, external data)
// and never panics; Import bounds what it evaluates itself. Running a
// model allocates what its operators ask for, as in any engine.
package onnx
