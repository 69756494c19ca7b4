package onnx

// The types below mirror the messages of onnx.proto (ONNX IR version 8,
// opsets 17 and 18) that chainrule reads and writes. Only the fields
// chainrule uses are present; the wire field numbers are the constants
// beside each type, taken from onnx.proto. Encoding lives in encode.go and
// decoding in decode.go, both with google.golang.org/protobuf/encoding/protowire.

// Model is an ONNX ModelProto.
type Model struct {
	IRVersion       int64      // field 1
	ProducerName    string     // field 2
	ProducerVersion string     // field 3
	Domain          string     // field 4
	ModelVersion    int64      // field 5
	DocString       string     // field 6
	Graph           *Graph     // field 7
	OpsetImports    []OpsetID  // field 8
	MetadataProps   []KeyValue // field 14
}

// OpsetID is an ONNX OperatorSetIdProto: an operator domain ("" is the
// default ai.onnx domain) and its version.
type OpsetID struct {
	Domain  string // field 1
	Version int64  // field 2
}

// KeyValue is an ONNX StringStringEntryProto.
type KeyValue struct {
	Key   string // field 1
	Value string // field 2
}

// Graph is an ONNX GraphProto.
type Graph struct {
	Nodes        []*Node      // field 1
	Name         string       // field 2
	Initializers []*Tensor    // field 5
	DocString    string       // field 10
	Inputs       []*ValueInfo // field 11
	Outputs      []*ValueInfo // field 12
	ValueInfo    []*ValueInfo // field 13
}

// Node is an ONNX NodeProto: one operator application.
type Node struct {
	Inputs     []string     // field 1; "" marks an omitted optional input
	Outputs    []string     // field 2
	Name       string       // field 3
	OpType     string       // field 4
	Attributes []*Attribute // field 5
	DocString  string       // field 6
	Domain     string       // field 7
}

// AttributeType is ONNX's AttributeProto.AttributeType.
type AttributeType int32

// The attribute types of onnx.proto.
const (
	AttrUndefined AttributeType = 0
	AttrFloat     AttributeType = 1
	AttrInt       AttributeType = 2
	AttrString    AttributeType = 3
	AttrTensor    AttributeType = 4
	AttrGraph     AttributeType = 5
	AttrFloats    AttributeType = 6
	AttrInts      AttributeType = 7
	AttrStrings   AttributeType = 8
	AttrTensors   AttributeType = 9
	AttrGraphs    AttributeType = 10
)

// Attribute is an ONNX AttributeProto. Type says which value field is set.
type Attribute struct {
	Name    string        // field 1
	F       float32       // field 2
	I       int64         // field 3
	S       []byte        // field 4
	T       *Tensor       // field 5
	G       *Graph        // field 6
	Floats  []float32     // field 7 (packed or not)
	Ints    []int64       // field 8 (packed or not)
	Strings [][]byte      // field 9
	Tensors []*Tensor     // field 10
	Graphs  []*Graph      // field 11
	Doc     string        // field 13
	Type    AttributeType // field 20
}

// DataType is ONNX's TensorProto.DataType.
type DataType int32

// The element types of onnx.proto.
const (
	Undefined  DataType = 0
	Float      DataType = 1
	Uint8      DataType = 2
	Int8       DataType = 3
	Uint16     DataType = 4
	Int16      DataType = 5
	Int32      DataType = 6
	Int64      DataType = 7
	String     DataType = 8
	Bool       DataType = 9
	Float16    DataType = 10
	Double     DataType = 11
	Uint32     DataType = 12
	Uint64     DataType = 13
	Complex64  DataType = 14
	Complex128 DataType = 15
	BFloat16   DataType = 16
)

// Tensor is an ONNX TensorProto. Data is in exactly one of the typed
// fields or in Raw (little-endian, row-major).
type Tensor struct {
	Dims       []int64   // field 1 (packed or not)
	DataType   DataType  // field 2
	FloatData  []float32 // field 4 (packed)
	Int32Data  []int32   // field 5 (packed); also bool, int8/16, uint8/16, float16
	StringData [][]byte  // field 6
	Int64Data  []int64   // field 7 (packed)
	Name       string    // field 8
	Raw        []byte    // field 9
	DoubleData []float64 // field 10 (packed)
	Uint64Data []uint64  // field 11 (packed); also uint32
	DocString  string    // field 12
	// External data (field 13, data_location field 14 = EXTERNAL) is not
	// supported: a model that uses it is refused with an error.
}

// ValueInfo is an ONNX ValueInfoProto: a named graph input, output or
// intermediate value with its type (TypeProto field 2 of ValueInfoProto;
// only TypeProto.tensor_type, field 1, is supported).
type ValueInfo struct {
	Name     string   // field 1
	ElemType DataType // TypeProto(2).Tensor(1).elem_type(1)
	// Shape holds TypeProto(2).Tensor(1).shape(2).dim(1): a dimension
	// is its dim_value (field 1), or -1 with DimParams[i] set from
	// dim_param (field 2) for a symbolic dimension.
	Shape     []int64
	DimParams []string
	HasShape  bool   // whether the shape field was present (rank unknown otherwise)
	DocString string // field 3
}
