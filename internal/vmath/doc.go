// Package vmath holds fast elementwise versions of the transcendental
// functions that dominate neural-network workloads (exp, tanh, sigmoid),
// for float64 scalars and for float64 and float32 slices.
//
// The standard library's math.Exp and math.Tanh cost 15–20 ns an element
// on amd64; these cost a few, and stay within a couple of units in the last
// place of the standard library's results (the tests measure the error in
// ulps against package math over the whole range, special values
// included). Float32 slices are computed in float64 and rounded once, so
// they are as accurate as float32 can be, bar double rounding.
package vmath
