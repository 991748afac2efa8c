namespace MedHelm.Gguf;

/// <summary>One tensor's description from the GGUF tensor-info table.</summary>
/// <param name="Name">Tensor name, e.g. "blk.0.attn_q.weight".</param>
/// <param name="Shape">Dimensions in ggml order (ne0 first: the row length).</param>
/// <param name="Type">Element type.</param>
/// <param name="Offset">Offset of the data relative to the start of the data section.</param>
/// <param name="ByteSize">Size of the data in bytes (from the type's block layout).</param>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Shape, GgmlType Type, ulong Offset, long ByteSize)
{
    /// <summary>Total element count.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
            {
                n *= d;
            }
            return n;
        }
    }

    /// <summary>Shape as text, e.g. "[64, 1024]".</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
