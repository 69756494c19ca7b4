// Package safetensors reads and writes checkpoints in the safetensors
// format (https://github.com/huggingface/safetensors), the format PyTorch,
// JAX and Hugging Face use to exchange weights.
//
// # The format
//
// A file is an 8-byte little-endian unsigned header length N, then N bytes
// of a UTF-8 JSON object, then the data. The object maps each tensor's name
// to {"dtype": "F32", "shape": [2,3], "data_offsets": [begin, end]}, offsets
// into the data that follows the header; an optional "__metadata__" entry
// maps strings to strings. The data is each tensor's elements, row-major and
// little-endian, the tensors back to back.
//
// # Writing
//
// Write and Save store float64 tensors as F64 and float32 tensors as F32,
// laid out byte for byte as the reference implementation lays them out
// (tensors ordered by descending alignment, then by name; the header padded
// with spaces to a multiple of 8 bytes, so every tensor is aligned to its
// element size). Save is atomic: it writes a temporary file in the same
// directory, syncs it, renames it over the destination and syncs the
// directory, so a failure or a crash in the middle of a save leaves the
// previous checkpoint intact (at worst a stray temporary file
// ".NAME.tmpNNN" beside it).
//
// # Reading
//
// Parse, Read and Load return a *File: its Entries (name, DType, shape and
// raw bytes, in file order) and its Metadata. Every dtype of the format
// parses, so a PyTorch file that mixes float and integer tensors reads;
// Entry.Tensor and File.Tensor convert F64 and F32 entries to chainrule
// tensors and return an error wrapping ErrDType for the others (F16, BF16,
// integers, BOOL), whose bytes stay available in Entry.Data.
//
// Loading validates everything and never panics on bad input: the header
// length (bounded by MaxHeaderSize before anything is allocated, and by the
// file's size), the JSON (a UTF-8 object, no duplicate names or fields, no
// unknown fields), the dtypes, the shapes (byte sizes computed with overflow
// checks and equal to the offsets' span), and the offsets (in bounds, not
// overlapping, covering the data exactly with no gap or trailing bytes). A
// truncated, corrupt or hostile file gives an error wrapping ErrFormat that
// names the problem and the tensor.
//
// # Loading into a model
//
// LoadInto and File.LoadInto fill existing tensors (a model's or an
// optimizer's, keyed by their dotted names such as "blocks.0.attn.q.weight")
// in place, like PyTorch's load_state_dict(strict=True): the names must
// match exactly and the shapes must be equal, and an error wrapping
// ErrMismatch names each parameter that does not fit. Nothing is changed
// unless everything fits.
//
// Values round-trip bit for bit (NaN payloads, signed zeros, subnormals), so
// an optimizer's state saved with its model (moment tensors under their own
// names, a step count as a scalar tensor or in the metadata) resumes
// training exactly.
//
// # Errors
//
// Bad files and file-system failures are returned as errors; misuse by the
// program (a nil tensor, a tensor called "__metadata__", a name that is not
// valid UTF-8) panics with tensor.ErrArg, as everywhere in chainrule.
package safetensors
