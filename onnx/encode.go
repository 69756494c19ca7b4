package onnx

// Encoding to the protobuf wire format, field by field with protowire and
// the field numbers of onnx.proto (see model.go).

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Marshal returns m in the protobuf wire format of onnx.proto's ModelProto,
// the bytes of a .onnx file. Fields at their zero value are left out, as
// protobuf encoders do; an attribute's value is written according to its
// Type. It panics with nothing: any Model encodes.
func Marshal(m *Model) []byte {
	var b []byte
	b = appendVarint(b, 1, uint64(m.IRVersion))
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	b = appendVarint(b, 5, uint64(m.ModelVersion))
	b = appendString(b, 6, m.DocString)
	if m.Graph != nil {
		b = appendMessage(b, 7, encodeGraph(m.Graph))
	}
	for _, o := range m.OpsetImports {
		var ob []byte
		ob = appendString(ob, 1, o.Domain)
		ob = protowire.AppendTag(ob, 2, protowire.VarintType)
		ob = protowire.AppendVarint(ob, uint64(o.Version))
		b = appendMessage(b, 8, ob)
	}
	for _, kv := range m.MetadataProps {
		var kb []byte
		kb = appendString(kb, 1, kv.Key)
		kb = appendString(kb, 2, kv.Value)
		b = appendMessage(b, 14, kb)
	}
	return b
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, s []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, s)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	return appendBytes(b, num, msg)
}

// appendPackedInts writes a packed repeated int64 field.
func appendPackedInts(b []byte, num protowire.Number, xs []int64) []byte {
	if len(xs) == 0 {
		return b
	}
	var p []byte
	for _, x := range xs {
		p = protowire.AppendVarint(p, uint64(x))
	}
	return appendBytes(b, num, p)
}

func encodeGraph(g *Graph) []byte {
	var b []byte
	for _, n := range g.Nodes {
		b = appendMessage(b, 1, encodeNode(n))
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, 5, encodeTensor(t))
	}
	b = appendString(b, 10, g.DocString)
	for _, v := range g.Inputs {
		b = appendMessage(b, 11, encodeValueInfo(v))
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, 12, encodeValueInfo(v))
	}
	for _, v := range g.ValueInfo {
		b = appendMessage(b, 13, encodeValueInfo(v))
	}
	return b
}

func encodeNode(n *Node) []byte {
	var b []byte
	for _, s := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType) // "" is meaningful: an omitted input
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attributes {
		b = appendMessage(b, 5, encodeAttribute(a))
	}
	b = appendString(b, 6, n.DocString)
	b = appendString(b, 7, n.Domain)
	return b
}

func encodeAttribute(a *Attribute) []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case AttrString:
		b = appendBytes(b, 4, a.S)
	case AttrTensor:
		b = appendMessage(b, 5, encodeTensor(a.T))
	case AttrGraph:
		b = appendMessage(b, 6, encodeGraph(a.G))
	case AttrFloats:
		var p []byte
		for _, f := range a.Floats {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = appendBytes(b, 7, p)
	case AttrInts:
		var p []byte
		for _, x := range a.Ints {
			p = protowire.AppendVarint(p, uint64(x))
		}
		b = appendBytes(b, 8, p)
	case AttrStrings:
		for _, s := range a.Strings {
			b = appendBytes(b, 9, s)
		}
	case AttrTensors:
		for _, t := range a.Tensors {
			b = appendMessage(b, 10, encodeTensor(t))
		}
	case AttrGraphs:
		for _, g := range a.Graphs {
			b = appendMessage(b, 11, encodeGraph(g))
		}
	}
	b = appendString(b, 13, a.Doc)
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.Type))
}

func encodeTensor(t *Tensor) []byte {
	var b []byte
	b = appendPackedInts(b, 1, t.Dims)
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(t.DataType))
	if len(t.FloatData) > 0 {
		p := make([]byte, 0, 4*len(t.FloatData))
		for _, f := range t.FloatData {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = appendBytes(b, 4, p)
	}
	if len(t.Int32Data) > 0 {
		var p []byte
		for _, x := range t.Int32Data {
			p = protowire.AppendVarint(p, uint64(int64(x)))
		}
		b = appendBytes(b, 5, p)
	}
	for _, s := range t.StringData {
		b = appendBytes(b, 6, s)
	}
	b = appendPackedInts(b, 7, t.Int64Data)
	b = appendString(b, 8, t.Name)
	if t.Raw != nil {
		b = appendBytes(b, 9, t.Raw)
	}
	if len(t.DoubleData) > 0 {
		p := make([]byte, 0, 8*len(t.DoubleData))
		for _, f := range t.DoubleData {
			p = protowire.AppendFixed64(p, math.Float64bits(f))
		}
		b = appendBytes(b, 10, p)
	}
	if len(t.Uint64Data) > 0 {
		var p []byte
		for _, x := range t.Uint64Data {
			p = protowire.AppendVarint(p, x)
		}
		b = appendBytes(b, 11, p)
	}
	b = appendString(b, 12, t.DocString)
	return b
}

func encodeValueInfo(v *ValueInfo) []byte {
	var tt []byte // TypeProto.Tensor
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(v.ElemType))
	if v.HasShape || len(v.Shape) > 0 {
		var sh []byte // TensorShapeProto
		for i, d := range v.Shape {
			var dim []byte
			if d < 0 && i < len(v.DimParams) && v.DimParams[i] != "" {
				dim = appendString(dim, 2, v.DimParams[i])
			} else {
				dim = protowire.AppendTag(dim, 1, protowire.VarintType)
				dim = protowire.AppendVarint(dim, uint64(d))
			}
			sh = appendMessage(sh, 1, dim)
		}
		tt = appendMessage(tt, 2, sh)
	}
	var ty []byte // TypeProto
	ty = appendMessage(ty, 1, tt)
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendMessage(b, 2, ty)
	b = appendString(b, 3, v.DocString)
	return b
}
