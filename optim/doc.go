// Package optim holds optimizers, gradient clipping and learning-rate
// schedules for training with package ad, with the semantics, names and
// defaults of torch.optim (PyTorch 1.13).
//
// # Optimizers
//
// SGD (momentum, dampening, Nesterov, weight decay), Adam (weight decay,
// AMSGrad), AdamW (decoupled weight decay) and RMSProp (momentum, centered,
// weight decay) are plain structs: a constructor takes the parameters and
// sets PyTorch's defaults, and the exported fields are the hyperparameters,
// which may be changed between steps. Each parameter is a Param, a tensor
// with a stable name such as "blocks.0.attn.q.weight"; the names identify
// the parameters in error messages and in the saved state. Step takes the
// gradients in the parameters' order, of the same shapes and dtypes (nil
// skips a parameter, as PyTorch skips a parameter whose .grad is None), and
// updates the parameters in place:
//
//	params := []optim.Param{{Name: "w", T: w}, {Name: "b", T: b}}
//	opt := optim.NewAdamW(params)
//	opt.LR = 3e-4
//	pv := []ad.Value{ad.From(w), ad.From(b)} // follow w and b as they change
//	for step := range steps {
//		gs := ad.Grads(loss, pv...)
//		opt.Step([]*tensor.Tensor{gs[0].Tensor(), gs[1].Tensor()})
//	}
//
// Each update is PyTorch's to the operation: the same formula, the same
// order of operations, the bias corrections and Eps where PyTorch puts
// them, SGD's momentum buffer starting as the first gradient, and float32
// parameters updated in float32 arithmetic (with the hyperparameters
// rounded to float32) as PyTorch's CPU kernels do. The tests replay 20
// steps of every optimizer, with schedules and clipping, against
// torch.optim's trajectories (testdata/torch_ref.json, from
// testdata/gen.py): they agree to 1e-12 relative in float64 and 1e-5 in
// float32 (observed: under 1e-15 and 1.2e-7).
//
// A step allocates nothing once each parameter has taken its first step
// (which allocates the optimizer's buffers), and neither does ClipGradNorm
// or a Schedule.
//
// # State
//
// State returns the optimizer's state as named tensors, a copy:
// "<param>.<buffer>" for each buffer, named as in PyTorch's state dict
// (exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer, square_avg,
// grad_avg), of the parameter's shape and dtype, and "<param>.step", the
// step count, a float64 scalar. SetState restores it into an optimizer
// over parameters with the same names, shapes and dtypes, validating every
// entry and returning an error (and changing nothing) for one that does
// not fit. Saved beside the parameters (in a safetensors checkpoint, say)
// together with the epoch, it makes a resumed run bit-for-bit identical to
// one that never stopped. The hyperparameters are the struct's fields and
// are not part of the state; recreate the optimizer with the same ones.
//
// # Clipping and schedules
//
// ClipGradNorm scales gradients to a maximum global norm, as
// torch.nn.utils.clip_grad_norm_, and returns the norm. The schedules
// StepLR, CosineAnnealingLR, LinearLR (warm-up) and SequentialLR (one
// after another, e.g. warm-up then cosine) are values with a method
// LR(epoch): PyTorch's closed forms, which agree with the recurrences its
// scheduler.step() applies to rounding. Being pure functions of the
// epoch, they have no state to save: set the rate before each step with
// opt.SetLearningRate(sched.LR(epoch)).
//
// # Errors
//
// As everywhere in chainrule, misuse panics with a *tensor.Error whose
// Kind is a sentinel, naming the optimizer and the parameter: a gradient
// of another shape (tensor.ErrShape), another dtype (tensor.ErrDType), a
// wrong number of gradients, a negative learning rate or another invalid
// hyperparameter (tensor.ErrArg), e.g.
//
//	chainrule: optim.Adam: parameter "fc2.weight" has shape (4,2) but its gradient (2,4)
//
// SetState, whose input comes from a file, returns errors instead.
package optim
