package optim

import (
	"math"

	"github.com/chainrule/chainrule/tensor"
)

// Schedule is a learning-rate schedule: LR returns the learning rate for
// epoch (the number of scheduler steps taken so far, from 0). A schedule is
// a pure function of the epoch, so it holds no state to save: to follow it,
// set the optimizer's rate before each step,
//
//	for epoch := 0; epoch < n; epoch++ {
//		opt.SetLearningRate(sched.LR(epoch))
//		opt.Step(grads)
//	}
//
// which gives the rates PyTorch's scheduler gives after epoch calls of
// scheduler.step(). The schedules here are PyTorch's closed forms; PyTorch's
// step() uses equivalent recurrences, which agree with them to rounding
// (the tests check both).
type Schedule interface {
	LR(epoch int) float64
}

func checkEpoch(op string, epoch int) {
	if epoch < 0 {
		tensor.Panicf(tensor.ErrArg, op, "negative epoch %d", epoch)
	}
}

// StepLR decays the rate by Gamma every StepSize epochs, as
// torch.optim.lr_scheduler.StepLR: LR(e) = Base·Gamma^⌊e/StepSize⌋.
// (PyTorch's default Gamma is 0.1; a Gamma left at zero would silently
// stop training after StepSize epochs, so it is refused.) LR panics with
// tensor.ErrArg for a StepSize below 1, a Gamma that is not positive and
// finite, or a negative epoch.
type StepLR struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// LR returns Base·Gamma^⌊epoch/StepSize⌋.
func (s StepLR) LR(epoch int) float64 {
	const op = "optim.StepLR"
	checkEpoch(op, epoch)
	if s.StepSize < 1 {
		tensor.Panicf(tensor.ErrArg, op, "step size %d: want at least 1", s.StepSize)
	}
	if !(s.Gamma > 0) || math.IsInf(s.Gamma, 0) {
		tensor.Panicf(tensor.ErrArg, op, "gamma %v: want a positive factor (PyTorch's default is 0.1)", s.Gamma)
	}
	return s.Base * math.Pow(s.Gamma, float64(epoch/s.StepSize))
}

// CosineAnnealingLR anneals the rate from Base to EtaMin over TMax epochs
// along a half cosine, as torch.optim.lr_scheduler.CosineAnnealingLR:
//
//	LR(e) = EtaMin + (Base − EtaMin)·(1 + cos(π·e/TMax))/2
//
// Past TMax the cosine continues (the rate rises again towards Base at
// 2·TMax), as PyTorch's does; there are no restarts. LR panics with
// tensor.ErrArg for a TMax below 1 or a negative epoch.
type CosineAnnealingLR struct {
	Base   float64
	TMax   int
	EtaMin float64
}

// LR returns EtaMin + (Base − EtaMin)·(1 + cos(π·epoch/TMax))/2.
func (s CosineAnnealingLR) LR(epoch int) float64 {
	const op = "optim.CosineAnnealingLR"
	checkEpoch(op, epoch)
	if s.TMax < 1 {
		tensor.Panicf(tensor.ErrArg, op, "TMax %d: want at least 1", s.TMax)
	}
	return s.EtaMin + (s.Base-s.EtaMin)*(1+math.Cos(math.Pi*float64(epoch)/float64(s.TMax)))/2
}

// LinearLR scales the rate by a factor that moves linearly from
// StartFactor to EndFactor over TotalIters epochs and then stays at
// EndFactor, as torch.optim.lr_scheduler.LinearLR; it is the usual linear
// warm-up with EndFactor 1:
//
//	LR(e) = Base·(StartFactor + (EndFactor − StartFactor)·min(e, TotalIters)/TotalIters)
//
// PyTorch's defaults are StartFactor 1/3, EndFactor 1, TotalIters 5. LR
// panics with tensor.ErrArg for a StartFactor outside (0, 1], an EndFactor
// outside [0, 1], a TotalIters below 1 (PyTorch's checks) or a negative
// epoch.
type LinearLR struct {
	Base        float64
	StartFactor float64
	EndFactor   float64
	TotalIters  int
}

// LR returns Base·(StartFactor + (EndFactor − StartFactor)·min(epoch, TotalIters)/TotalIters).
func (s LinearLR) LR(epoch int) float64 {
	const op = "optim.LinearLR"
	checkEpoch(op, epoch)
	if !(s.StartFactor > 0 && s.StartFactor <= 1) || !(s.EndFactor >= 0 && s.EndFactor <= 1) {
		tensor.Panicf(tensor.ErrArg, op, "factors %v and %v: want 0 < start ≤ 1 and 0 ≤ end ≤ 1", s.StartFactor, s.EndFactor)
	}
	if s.TotalIters < 1 {
		tensor.Panicf(tensor.ErrArg, op, "total iterations %d: want at least 1", s.TotalIters)
	}
	return s.Base * (s.StartFactor + (s.EndFactor-s.StartFactor)*float64(min(s.TotalIters, epoch))/float64(s.TotalIters))
}

// SequentialLR runs Schedules one after another, switching at the
// Milestones, as torch.optim.lr_scheduler.SequentialLR: before
// Milestones[0] it follows Schedules[0]; from Milestones[i-1] on it follows
// Schedules[i], restarted at epoch 0. For a linear warm-up of w epochs then
// cosine annealing:
//
//	SequentialLR{
//		Schedules:  []Schedule{LinearLR{base, 0.1, 1, w}, CosineAnnealingLR{base, n - w, 0}},
//		Milestones: []int{w},
//	}
//
// LR panics with tensor.ErrArg unless there is one milestone fewer than
// schedules and the milestones increase strictly from at least 1, or for a
// negative epoch.
type SequentialLR struct {
	Schedules  []Schedule
	Milestones []int
}

// LR returns Schedules[i].LR(epoch − Milestones[i−1]) for the last
// milestone i−1 that epoch has reached (Schedules[0].LR(epoch) before the
// first).
func (s SequentialLR) LR(epoch int) float64 {
	const op = "optim.SequentialLR"
	checkEpoch(op, epoch)
	if len(s.Schedules) == 0 || len(s.Milestones) != len(s.Schedules)-1 {
		tensor.Panicf(tensor.ErrArg, op, "%d schedules need %d milestones, have %d",
			len(s.Schedules), max(len(s.Schedules)-1, 0), len(s.Milestones))
	}
	i, start, prev := 0, 0, 0
	for j, m := range s.Milestones {
		if m <= prev {
			tensor.Panicf(tensor.ErrArg, op, "milestones %v: want strictly increasing from at least 1", s.Milestones)
		}
		prev = m
		if epoch >= m {
			i, start = j+1, m
		}
	}
	if s.Schedules[i] == nil {
		tensor.Panicf(tensor.ErrArg, op, "schedule %d is nil", i)
	}
	return s.Schedules[i].LR(epoch - start)
}
