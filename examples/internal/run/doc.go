// Package run holds what the example programs under examples/ share: a
// main that prints "PROGRAM: error" on one line and exits with status 2
// (Main), a progress bar that is quiet when standard error is not a
// terminal (NewBar), PNG figures of training curves (Figure), files written
// atomically (WriteFile), and training checkpoints that hold the model,
// the optimizer, the random source and the loop's own state, so that a
// resumed run continues bit for bit (Save and Load).
package run
