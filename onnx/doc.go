// Package onnx reads and writes ONNX models (opsets 17 and 18) in pure Go.
//
// This package is being built; see model.go for the message types.
package onnx
