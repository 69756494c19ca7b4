module github.com/chainrule/chainrule/bench/peers/protocol

go 1.26
