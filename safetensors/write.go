package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chainrule/chainrule/internal/atomicfile"
	"github.com/chainrule/chainrule/tensor"
)

// Write writes tensors and metadata to w in the safetensors format, laid out
// as the reference implementation lays them out: the tensors ordered by
// descending dtype alignment (F64 before F32) then by name, their data
// contiguous from offset 0, the header listing __metadata__ first (its keys
// sorted; omitted when metadata is empty) and then the tensors in data
// order, padded with spaces to a multiple of 8 bytes. Float64 tensors are
// stored as F64 and Float32 tensors as F32, little-endian whatever the
// machine.
//
// It returns the first error of w. It panics with tensor.ErrArg for a nil
// tensor, the name "__metadata__", or a name, metadata key or value that is
// not valid UTF-8; these are programmer errors.
func Write(w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	return write("safetensors.Write", w, tensors, metadata)
}

func write(op string, w io.Writer, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	names, header := layout(op, tensors, metadata)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(len(header)))
	if _, err := w.Write(b[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	buf := make([]byte, 0, 64<<10)
	for _, name := range names {
		t := tensors[name]
		if t.DType() == tensor.Float32 {
			for _, v := range t.Data32() {
				if len(buf)+4 > cap(buf) {
					if _, err := w.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
			}
			continue
		}
		for _, v := range t.Data() {
			if len(buf)+8 > cap(buf) {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	if len(buf) > 0 {
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// layout validates the arguments of Write or Save (op) and returns the
// tensor names in data order and the padded header.
func layout(op string, tensors map[string]*tensor.Tensor, metadata map[string]string) ([]string, []byte) {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		switch {
		case t == nil:
			tensor.Panicf(tensor.ErrArg, op, "tensor %q is nil", name)
		case name == "__metadata__":
			tensor.Panicf(tensor.ErrArg, op, "a tensor cannot be called __metadata__, the header's metadata key")
		case !utf8.ValidString(name):
			tensor.Panicf(tensor.ErrArg, op, "tensor name %q is not valid UTF-8", name)
		}
		names = append(names, name)
	}
	dtypeOf := func(name string) DType {
		if tensors[name].DType() == tensor.Float32 {
			return F32
		}
		return F64
	}
	slices.SortFunc(names, func(a, b string) int {
		if da, db := dtypeOf(a), dtypeOf(b); da != db {
			return int(db) - int(da)
		}
		return strings.Compare(a, b)
	})
	var h bytes.Buffer
	h.WriteByte('{')
	if len(metadata) > 0 {
		h.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(metadata))
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				tensor.Panicf(tensor.ErrArg, op, "metadata %q: %q is not valid UTF-8", k, v)
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeString(&h, k)
			h.WriteByte(':')
			writeString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset uint64
	for i, name := range names {
		if i > 0 || len(metadata) > 0 {
			h.WriteByte(',')
		}
		t := tensors[name]
		d := dtypeOf(name)
		n := uint64(t.Size()) * uint64(d.Size())
		writeString(&h, name)
		h.WriteString(`:{"dtype":"` + d.String() + `","shape":[`)
		for j, s := range t.Shape() {
			if j > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.Itoa(s))
		}
		h.WriteString(`],"data_offsets":[` + strconv.FormatUint(offset, 10) + "," + strconv.FormatUint(offset+n, 10) + "]}")
		offset += n
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	return names, h.Bytes()
}

// writeString writes s as a JSON string, escaping only what JSON requires
// (like the reference implementation's serde_json, not HTML characters).
func writeString(h *bytes.Buffer, s string) {
	enc := json.NewEncoder(h)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // cannot fail for a string
	h.Truncate(h.Len() - 1)
}

// Save writes tensors and metadata to the file at path as Write does, and
// atomically: it writes a temporary file in the same directory, syncs it to
// disk, renames it over path and syncs the directory. A failure or a crash
// during Save leaves the file that was at path, if any, untouched. A new
// file gets mode 0644; a replaced one keeps its mode (if path is a symbolic
// link, the link is replaced by the file). Save panics like Write and returns
// an error naming path if the file system fails.
func Save(path string, tensors map[string]*tensor.Tensor, metadata map[string]string) error {
	layout("safetensors.Save", tensors, metadata) // panic on bad arguments before touching the disk
	return atomicWrite(path, func(w io.Writer) error { return write("safetensors.Save", w, tensors, metadata) })
}

// atomicWrite writes path through write by way of a synced temporary file
// renamed into place, with errors naming path.
func atomicWrite(path string, write func(io.Writer) error) error {
	if err := atomicfile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("safetensors: save %s: %w", path, err)
	}
	return nil
}
