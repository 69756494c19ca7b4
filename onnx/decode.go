package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/chainrule/chainrule/tensor"
)

// MaxGraphDepth is the deepest nesting of graphs (a graph inside a node's
// attribute, as in If and Loop) that Decode accepts.
const MaxGraphDepth = 16

// maxFileSize is the largest model Load reads: protobuf messages are
// limited to 2 GiB, and a larger model keeps its weights in external
// data, which chainrule does not read.
const maxFileSize = 2 << 30

// Load reads and decodes the ONNX model at path (see Decode). It returns an
// error if the file cannot be read, is over 2 GiB, or does not decode.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("onnx: %s: %d bytes is over the 2 GiB limit of a protobuf message", path, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("onnx: %s: %w", path, err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return m, nil
}

// Decode parses b, a serialized ONNX ModelProto, into a Model. Fields
// chainrule does not use are skipped. It returns an error naming the
// message and field where b is malformed: a truncated varint or field, a
// wrong wire type, a length past the end of the buffer, graphs nested
// deeper than MaxGraphDepth, a tensor with a negative dimension or more
// than tensor.MaxSize elements, or a tensor stored as external data (not
// supported). It never panics, and what it allocates is proportional to
// len(b).
func Decode(b []byte) (*Model, error) {
	d := &decoder{}
	m := new(Model)
	err := d.message("ModelProto", b, func(num protowire.Number, typ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			m.IRVersion, err = v.int64()
		case 2:
			m.ProducerName, err = v.string()
		case 3:
			m.ProducerVersion, err = v.string()
		case 4:
			m.Domain, err = v.string()
		case 5:
			m.ModelVersion, err = v.int64()
		case 6:
			m.DocString, err = v.string()
		case 7:
			var body []byte
			if body, err = v.bytes(); err == nil {
				m.Graph, err = d.graph(body)
			}
		case 8:
			var o OpsetID
			if o, err = d.opset(v); err == nil {
				m.OpsetImports = append(m.OpsetImports, o)
			}
		case 14:
			var kv KeyValue
			if kv, err = d.keyValue(v); err == nil {
				m.MetadataProps = append(m.MetadataProps, kv)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// decoder carries the nesting depth and the path of messages being
// decoded, for error messages.
type decoder struct {
	depth int      // graphs open
	path  []string // e.g. ModelProto.graph, GraphProto.node[3]
}

// field is one field's value as read off the wire.
type field struct {
	msg string // the message and field number, for errors
	typ protowire.Type
	u   uint64 // varint, fixed32 or fixed64 value
	b   []byte // bytes value
}

func (f field) want(t protowire.Type) error {
	if f.typ != t {
		return fmt.Errorf("%s: wire type %d, want %d", f.msg, f.typ, t)
	}
	return nil
}

func (f field) int64() (int64, error) { return int64(f.u), f.want(protowire.VarintType) }

func (f field) bytes() ([]byte, error) { return f.b, f.want(protowire.BytesType) }

func (f field) string() (string, error) {
	b, err := f.bytes()
	return string(b), err
}

// errorf returns an error prefixed with "onnx: decode:" and the path of
// messages being decoded.
func (d *decoder) errorf(format string, args ...any) error {
	p := ""
	for _, s := range d.path {
		p += s + ": "
	}
	return &decodeError{fmt.Errorf("onnx: decode: %s%s", p, fmt.Sprintf(format, args...))}
}

// message decodes the fields of one message body b, calling visit for each.
// Unknown fields are skipped; a group (wire types 3 and 4, obsolete) is an
// error.
func (d *decoder) message(name string, b []byte, visit func(protowire.Number, protowire.Type, field) error) error {
	for off := 0; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return d.errorf("%s: at byte %d: bad field tag: %v", name, off, protowire.ParseError(n))
		}
		b, off = b[n:], off+n
		f := field{msg: fmt.Sprintf("%s field %d", name, num), typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			f.u = uint64(u)
		case protowire.Fixed64Type:
			f.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			return d.errorf("%s: at byte %d: field %d has wire type %d, which ONNX does not use", name, off, num, typ)
		}
		if n < 0 {
			return d.errorf("%s: at byte %d: field %d: %v", name, off, num, protowire.ParseError(n))
		}
		b, off = b[n:], off+n
		if err := visit(num, typ, f); err != nil {
			return d.wrap(err)
		}
	}
	return nil
}

// wrap prefixes an error from a field accessor with the decoder's path,
// leaving errors that already carry it alone.
func (d *decoder) wrap(err error) error {
	var de *decodeError
	if errors.As(err, &de) {
		return err
	}
	return d.errorf("%v", err)
}

// decodeError is an error that already names where it occurred.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }

// sub decodes a nested message, naming it in the path for errors.
func (d *decoder) sub(name string, b []byte, visit func(protowire.Number, protowire.Type, field) error) error {
	d.path = append(d.path, name)
	err := d.message(name, b, visit)
	d.path = d.path[:len(d.path)-1]
	return err
}

func (d *decoder) opset(v field) (OpsetID, error) {
	var o OpsetID
	b, err := v.bytes()
	if err != nil {
		return o, err
	}
	err = d.sub("OperatorSetIdProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			o.Domain, err = v.string()
		case 2:
			o.Version, err = v.int64()
		}
		return err
	})
	return o, err
}

func (d *decoder) keyValue(v field) (KeyValue, error) {
	var kv KeyValue
	b, err := v.bytes()
	if err != nil {
		return kv, err
	}
	err = d.sub("StringStringEntryProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			kv.Key, err = v.string()
		case 2:
			kv.Value, err = v.string()
		}
		return err
	})
	return kv, err
}

func (d *decoder) graph(b []byte) (*Graph, error) {
	if d.depth >= MaxGraphDepth {
		return nil, d.errorf("graphs nested deeper than %d", MaxGraphDepth)
	}
	d.depth++
	defer func() { d.depth-- }()
	g := new(Graph)
	err := d.sub("GraphProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			var n *Node
			if n, err = d.node(v, len(g.Nodes)); err == nil {
				g.Nodes = append(g.Nodes, n)
			}
		case 2:
			g.Name, err = v.string()
		case 5:
			var t *Tensor
			if t, err = d.tensor(v); err == nil {
				g.Initializers = append(g.Initializers, t)
			}
		case 10:
			g.DocString, err = v.string()
		case 11, 12, 13:
			var vi *ValueInfo
			if vi, err = d.valueInfo(v); err == nil {
				switch num {
				case 11:
					g.Inputs = append(g.Inputs, vi)
				case 12:
					g.Outputs = append(g.Outputs, vi)
				default:
					g.ValueInfo = append(g.ValueInfo, vi)
				}
			}
		case 15:
			err = errors.New("sparse initializers are not supported")
		}
		return err
	})
	return g, err
}

func (d *decoder) node(v field, i int) (*Node, error) {
	b, err := v.bytes()
	if err != nil {
		return nil, err
	}
	n := new(Node)
	err = d.sub(fmt.Sprintf("NodeProto %d", i), b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		var s string
		switch num {
		case 1:
			if s, err = v.string(); err == nil {
				n.Inputs = append(n.Inputs, s)
			}
		case 2:
			if s, err = v.string(); err == nil {
				n.Outputs = append(n.Outputs, s)
			}
		case 3:
			n.Name, err = v.string()
		case 4:
			n.OpType, err = v.string()
		case 5:
			var a *Attribute
			if a, err = d.attribute(v); err == nil {
				n.Attributes = append(n.Attributes, a)
			}
		case 6:
			n.DocString, err = v.string()
		case 7:
			n.Domain, err = v.string()
		}
		return err
	})
	return n, err
}

func (d *decoder) attribute(v field) (*Attribute, error) {
	b, err := v.bytes()
	if err != nil {
		return nil, err
	}
	a := new(Attribute)
	err = d.sub("AttributeProto", b, func(num protowire.Number, typ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			a.Name, err = v.string()
		case 2:
			if err = v.want(protowire.Fixed32Type); err == nil {
				a.F = math.Float32frombits(uint32(v.u))
			}
		case 3:
			a.I, err = v.int64()
		case 4:
			a.S, err = v.bytes()
			a.S = bytes.Clone(a.S)
		case 5:
			var body []byte
			if body, err = v.bytes(); err == nil {
				a.T, err = d.tensor(field{msg: v.msg, typ: protowire.BytesType, b: body})
			}
		case 6:
			var body []byte
			if body, err = v.bytes(); err == nil {
				a.G, err = d.graph(body)
			}
		case 7:
			a.Floats, err = appendFloat32s(a.Floats, v)
		case 8:
			a.Ints, err = appendVarints(a.Ints, v, func(u uint64) int64 { return int64(u) })
		case 9:
			var s []byte
			if s, err = v.bytes(); err == nil {
				a.Strings = append(a.Strings, bytes.Clone(s))
			}
		case 10:
			var t *Tensor
			if t, err = d.tensor(v); err == nil {
				a.Tensors = append(a.Tensors, t)
			}
		case 11:
			var body []byte
			if body, err = v.bytes(); err == nil {
				var g *Graph
				if g, err = d.graph(body); err == nil {
					a.Graphs = append(a.Graphs, g)
				}
			}
		case 13:
			a.Doc, err = v.string()
		case 20:
			var t int64
			if t, err = v.int64(); err == nil {
				a.Type = AttributeType(t)
			}
		}
		return err
	})
	return a, err
}

// elemSize is the size in bytes of one element of t in raw_data, or 0 for
// a type chainrule does not read raw (string).
func elemSize(t DataType) int {
	switch t {
	case Bool, Int8, Uint8:
		return 1
	case Int16, Uint16, Float16, BFloat16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Double, Int64, Uint64, Complex64:
		return 8
	case Complex128:
		return 16
	}
	return 0
}

func (d *decoder) tensor(v field) (*Tensor, error) {
	b, err := v.bytes()
	if err != nil {
		return nil, err
	}
	t := new(Tensor)
	err = d.sub("TensorProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			t.Dims, err = appendVarints(t.Dims, v, func(u uint64) int64 { return int64(u) })
		case 2:
			var x int64
			if x, err = v.int64(); err == nil {
				t.DataType = DataType(x)
			}
		case 3:
			err = errors.New("segmented tensors are not supported")
		case 4:
			t.FloatData, err = appendFloat32s(t.FloatData, v)
		case 5:
			t.Int32Data, err = appendVarints(t.Int32Data, v, func(u uint64) int32 { return int32(u) })
		case 6:
			var s []byte
			if s, err = v.bytes(); err == nil {
				t.StringData = append(t.StringData, bytes.Clone(s))
			}
		case 7:
			t.Int64Data, err = appendVarints(t.Int64Data, v, func(u uint64) int64 { return int64(u) })
		case 8:
			t.Name, err = v.string()
		case 9:
			t.Raw, err = v.bytes()
			t.Raw = bytes.Clone(t.Raw)
		case 10:
			t.DoubleData, err = appendFloat64s(t.DoubleData, v)
		case 11:
			t.Uint64Data, err = appendVarints(t.Uint64Data, v, func(u uint64) uint64 { return u })
		case 12:
			t.DocString, err = v.string()
		case 13:
			err = errors.New("tensors stored as external data are not supported")
		case 14:
			var loc int64
			if loc, err = v.int64(); err == nil && loc != 0 {
				err = errors.New("tensors stored as external data are not supported")
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := t.size(); err != nil {
		return nil, d.errorf("TensorProto %q: %v", t.Name, err)
	}
	return t, nil
}

// size returns the number of elements t's dims multiply to, or an error
// for a negative dimension or a product over tensor.MaxSize.
func (t *Tensor) size() (int, error) {
	n := 1
	for _, x := range t.Dims {
		if x < 0 {
			return 0, fmt.Errorf("negative dimension in dims %v", t.Dims)
		}
		if x > 0 && n > tensor.MaxSize/int(min(x, tensor.MaxSize+1)) {
			return 0, fmt.Errorf("dims %v hold more than %d elements", t.Dims, tensor.MaxSize)
		}
		n *= int(x)
	}
	return n, nil
}

func (d *decoder) valueInfo(v field) (*ValueInfo, error) {
	b, err := v.bytes()
	if err != nil {
		return nil, err
	}
	vi := new(ValueInfo)
	err = d.sub("ValueInfoProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		var err error
		switch num {
		case 1:
			vi.Name, err = v.string()
		case 2:
			var body []byte
			if body, err = v.bytes(); err == nil {
				err = d.typeProto(body, vi)
			}
		case 3:
			vi.DocString, err = v.string()
		}
		return err
	})
	return vi, err
}

// typeProto reads TypeProto.tensor_type (field 1) into vi; other kinds of
// type (sequences, maps, optionals, sparse tensors) leave vi.ElemType
// Undefined.
func (d *decoder) typeProto(b []byte, vi *ValueInfo) error {
	return d.sub("TypeProto", b, func(num protowire.Number, _ protowire.Type, v field) error {
		if num != 1 {
			return nil
		}
		body, err := v.bytes()
		if err != nil {
			return err
		}
		return d.sub("TypeProto.Tensor", body, func(num protowire.Number, _ protowire.Type, v field) error {
			switch num {
			case 1:
				x, err := v.int64()
				vi.ElemType = DataType(x)
				return err
			case 2:
				body, err := v.bytes()
				if err != nil {
					return err
				}
				vi.HasShape = true
				return d.sub("TensorShapeProto", body, func(num protowire.Number, _ protowire.Type, v field) error {
					if num != 1 {
						return nil
					}
					body, err := v.bytes()
					if err != nil {
						return err
					}
					dim, param := int64(-1), ""
					err = d.sub("Dimension", body, func(num protowire.Number, _ protowire.Type, v field) error {
						var err error
						switch num {
						case 1:
							dim, err = v.int64()
							if err == nil && dim < 0 {
								err = fmt.Errorf("negative dim_value %d", dim)
							}
						case 2:
							param, err = v.string()
						}
						return err
					})
					vi.Shape = append(vi.Shape, dim)
					vi.DimParams = append(vi.DimParams, param)
					return err
				})
			}
			return nil
		})
	})
}

// appendVarints appends a repeated varint field, packed (one length-
// delimited run) or not (one varint).
func appendVarints[T any](dst []T, v field, conv func(uint64) T) ([]T, error) {
	switch v.typ {
	case protowire.VarintType:
		return append(dst, conv(v.u)), nil
	case protowire.BytesType:
		for b := v.b; len(b) > 0; {
			u, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return dst, fmt.Errorf("%s: packed varint: %v", v.msg, protowire.ParseError(n))
			}
			dst = append(dst, conv(u))
			b = b[n:]
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: wire type %d for a repeated integer", v.msg, v.typ)
}

func appendFloat32s(dst []float32, v field) ([]float32, error) {
	switch v.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(v.u))), nil
	case protowire.BytesType:
		if len(v.b)%4 != 0 {
			return dst, fmt.Errorf("%s: packed floats of %d bytes, not a multiple of 4", v.msg, len(v.b))
		}
		for b := v.b; len(b) > 0; b = b[4:] {
			u, _ := protowire.ConsumeFixed32(b)
			dst = append(dst, math.Float32frombits(u))
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: wire type %d for a repeated float", v.msg, v.typ)
}

func appendFloat64s(dst []float64, v field) ([]float64, error) {
	switch v.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(v.u)), nil
	case protowire.BytesType:
		if len(v.b)%8 != 0 {
			return dst, fmt.Errorf("%s: packed doubles of %d bytes, not a multiple of 8", v.msg, len(v.b))
		}
		for b := v.b; len(b) > 0; b = b[8:] {
			u, _ := protowire.ConsumeFixed64(b)
			dst = append(dst, math.Float64frombits(u))
		}
		return dst, nil
	}
	return dst, fmt.Errorf("%s: wire type %d for a repeated double", v.msg, v.typ)
}
