// Package atomicfile writes files atomically: the contents go to a
// temporary file in the destination's directory, which is synced to disk
// and renamed over the destination, and then the directory is synced. A
// reader, or the file system after a crash, sees either the old file or
// the whole new one, never a truncated mix.
//
// It is the one implementation behind every file chainrule writes:
// safetensors checkpoints, ONNX models, the CLI's -o, the examples' plots
// and the benchmark harness's reports.
package atomicfile
