// Package onnx reads and writes ONNX models (opsets 17 and 18) in pure Go.
//
// This package is being built; see model.go for the message types.
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
// Decode refuses malformed or hostile input with an error (truncated or
// overlong fields, wrong wire types, graphs nested deeper than
// MaxGraphDepth, tensors of negative or absurd dimensions, external data)
// and never panics; Import bounds what it evaluates itself. Running a
// model allocates what its operators ask for, as in any engine.
package onnx
