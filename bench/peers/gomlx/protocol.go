package main

// The harness protocol lives in the shared module ../protocol; these names
// keep this peer's code short.

import "github.com/chainrule/chainrule/bench/peers/protocol"

type (
	impl   = protocol.Impl
	input  = protocol.Input
	params = protocol.Params
)
