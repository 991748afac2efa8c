using Google.Protobuf;

namespace MedHelm.Testing.Onnx;

/// <summary>
/// Writes ONNX models (onnx.proto's ModelProto) with Google.Protobuf's wire encoder: the few messages a small graph
/// needs (model, opset, graph, node, attribute, tensor, value info with a typed shape), encoded by field number.
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>TensorProto.DataType values.</summary>
    public const int Float = 1;
    public const int Int64 = 7;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private int _nodeCount;

    /// <summary>A constant float tensor.</summary>
    public string Initializer(string name, long[] dims, float[] values)
    {
        var raw = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        _initializers.Add(Tensor(name, dims, Float, raw));
        return name;
    }

    /// <summary>A constant int64 tensor.</summary>
    public string Initializer(string name, long[] dims, long[] values)
    {
        var raw = new byte[values.Length * sizeof(long)];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        _initializers.Add(Tensor(name, dims, Int64, raw));
        return name;
    }

    /// <summary>A node; returns its first output's name.</summary>
    public string Node(string op, string[] inputs, string[] outputs, params byte[][] attributes)
    {
        var node = new Proto();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        foreach (var output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, $"{op}_{_nodeCount++}").String(4, op);
        foreach (var attribute in attributes)
        {
            node.Bytes(5, attribute);
        }

        _nodes.Add(node.ToArray());
        return outputs[0];
    }

    /// <summary>One node with one output named <paramref name="output"/>.</summary>
    public string Op(string op, string output, params string[] inputs) => Node(op, inputs, [output]);

    public static byte[] IntAttribute(string name, long value) => new Proto().String(1, name).Varint(20, 2).Varint(3, value).ToArray();

    public static byte[] FloatAttribute(string name, float value) => new Proto().String(1, name).Varint(20, 1).Fixed32(2, value).ToArray();

    public static byte[] IntsAttribute(string name, params long[] values)
    {
        var attribute = new Proto().String(1, name).Varint(20, 7);
        foreach (var value in values)
        {
            attribute.Varint(8, value);
        }

        return attribute.ToArray();
    }

    /// <summary>A graph input; a dimension is a fixed size (long) or a symbolic name (string).</summary>
    public void Input(string name, int elementType, params object[] dims) => _inputs.Add(ValueInfo(name, elementType, dims));

    /// <summary>A graph output.</summary>
    public void Output(string name, int elementType, params object[] dims) => _outputs.Add(ValueInfo(name, elementType, dims));

    /// <summary>The model (IR version 8, default-domain opset 17) as bytes.</summary>
    public byte[] ToModel()
    {
        var graph = new Proto();
        _nodes.ForEach(n => graph.Bytes(1, n));
        graph.String(2, "medhelm_test_encoder");
        _initializers.ForEach(t => graph.Bytes(5, t));
        _inputs.ForEach(i => graph.Bytes(11, i));
        _outputs.ForEach(o => graph.Bytes(12, o));
        return new Proto()
            .Varint(1, 8)
            .String(2, "MedHelm.Inference.Onnx.Tests")
            .Bytes(7, graph.ToArray())
            .Bytes(8, new Proto().String(1, "").Varint(2, 17).ToArray())
            .ToArray();
    }

    private static byte[] Tensor(string name, long[] dims, int type, byte[] raw)
    {
        var tensor = new Proto();
        foreach (var d in dims)
        {
            tensor.Varint(1, d);
        }

        return tensor.Varint(2, type).String(8, name).Bytes(9, raw).ToArray();
    }

    private static byte[] ValueInfo(string name, int elementType, object[] dims)
    {
        var shape = new Proto();
        foreach (var d in dims)
        {
            shape.Bytes(1, d is string symbol ? new Proto().String(2, symbol).ToArray() : new Proto().Varint(1, Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }

        var tensorType = new Proto().Varint(1, elementType).Bytes(2, shape.ToArray()).ToArray();
        return new Proto().String(1, name).Bytes(2, new Proto().Bytes(1, tensorType).ToArray()).ToArray();
    }

    /// <summary>One protobuf message being encoded.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _buffer = new();
        private readonly CodedOutputStream _out;

        public Proto() => _out = new CodedOutputStream(_buffer, leaveOpen: true);

        public Proto Varint(int field, long value)
        {
            _out.WriteTag(field, WireFormat.WireType.Varint);
            _out.WriteInt64(value);
            return this;
        }

        public Proto Fixed32(int field, float value)
        {
            _out.WriteTag(field, WireFormat.WireType.Fixed32);
            _out.WriteFloat(value);
            return this;
        }

        public Proto String(int field, string value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteString(value);
            return this;
        }

        public Proto Bytes(int field, byte[] value)
        {
            _out.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _out.WriteBytes(ByteString.CopyFrom(value));
            return this;
        }

        public byte[] ToArray()
        {
            _out.Flush();
            return _buffer.ToArray();
        }
    }
}
