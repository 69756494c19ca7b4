// Package nn holds neural-network layers built on package ad: Linear,
// Conv2D, LayerNorm, BatchNorm2D, Embedding, MultiHeadAttention, Dropout,
// MaxPool2D, AvgPool2D and Flatten, and Sequential and Func (any function
// of one Value, such as ad.GELU) to stack them.
//
// # Layers are structs, tensors are fields
//
// A layer is a plain Go struct whose parameters are exported
// *tensor.Tensor fields (Linear.Weight, Linear.Bias, …), initialized by
// its constructor as PyTorch initializes the matching torch.nn module,
// from an explicit *rand.Rand. A model is a struct of layers, or a
// Sequential; every Layer enumerates its tensors through Visit with
// stable dotted names — PyTorch's state_dict names where the layer mirrors
// a PyTorch module ("0.weight", "blocks.0.attn.in_proj_weight",
// "bn.running_var"). Params lists the trained parameters for an optimizer
// (package optim), Buffers the state that no gradient reaches
// (BatchNorm2D's running statistics), StateDict both for a checkpoint
// (Save and Load, through package safetensors). A model of your own
// implements Layer by calling its sub-layers' Visit with Join(prefix,
// "field"):
//
//	type Block struct {
//		Norm *nn.LayerNorm
//		Attn *nn.MultiHeadAttention
//	}
//
//	func (b *Block) Visit(prefix string, visit nn.Visitor) {
//		b.Norm.Visit(nn.Join(prefix, "norm"), visit)
//		b.Attn.Visit(nn.Join(prefix, "attn"), visit)
//	}
//
//	func (b *Block) Forward(c *nn.Ctx, x ad.Value) ad.Value {
//		return ad.Add(x, b.Attn.Forward(c, b.Norm.Forward(c, x)))
//	}
//
// # Forward passes and gradients
//
// Forward(c, x) maps an ad.Value to an ad.Value. The layer reads its
// tensors through c.Value, so the context decides what they are:
//
//   - with a nil context (or the zero Ctx) they are constants and the
//     layers are in evaluation mode: model.Forward(nil, x) is inference;
//   - Ctx.ValueAndGrads binds the parameters to fresh differentiable
//     Values, runs the loss function and returns the loss and one gradient
//     per parameter, in the order optim's Step takes them;
//   - Ctx.Bind binds them to Values of your own — the inputs of ad.Grads,
//     or of ad.Compile, so that a compiled training step reads the
//     parameters at each run instead of baking them in as constants.
//
// A training step is
//
//	params := nn.Params(model)
//	opt := optim.NewAdam(params)
//	train := &nn.Ctx{Train: true, Rand: rng}
//	for step := range steps {
//		loss, grads := train.ValueAndGrads(params, func(c *nn.Ctx) ad.Value {
//			return ad.MSE(model.Forward(c, x), y)
//		})
//		opt.Step(grads)
//	}
//
// Ctx.Train selects training mode (Dropout drops with masks from Ctx.Rand,
// BatchNorm2D uses batch statistics and updates its running statistics in
// place). Under ad.Compile set Ctx.Defer too: BatchNorm2D then records its
// new running statistics as Ctx.Updates, which the compiled function
// returns as outputs and Update.Set writes back after each run (bind the
// buffers to inputs as well). Dropout in training mode cannot be compiled
// (see ad.Dropout).
//
// BenchmarkLeNetStep times a float32 training step of issue 13's W8
// network (LeNet-5 style, batch 64, SGD with momentum), eager and compiled.
//
// # Errors
//
// Bad input — a wrong shape or dtype into a layer, an index outside an
// Embedding — panics with package tensor's sentinel errors (tensor.ErrShape,
// ErrDType, ErrIndex, ErrArg), the message naming the layer: "nn.Linear
// fc1: input of shape (2,5) has 5 features, want 4". A layer without a
// Name takes its dotted path as its name when it is visited (Params,
// StateDict, …). Load returns an error naming the parameters when a
// checkpoint does not fit the model.
package nn
