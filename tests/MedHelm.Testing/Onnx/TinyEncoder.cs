namespace MedHelm.Testing.Onnx;

/// <summary>
/// A small random-weight BERT-like encoder: word, position (and token-type) embeddings with LayerNorm, then
/// <see cref="Layers"/> post-norm layers of single-head masked self-attention and a ReLU feed-forward block. It is
/// written as an ONNX graph (<see cref="TinyEncoderGraph"/>) whose outputs are hidden_states.0 … hidden_states.N, and
/// evaluated independently here, in double precision, as the reference.
/// </summary>
public sealed class TinyEncoder
{
    public const float Epsilon = 1e-5f;

    /// <summary>Positions (the longest input, [CLS] and [SEP] included) unless the constructor is told otherwise.</summary>
    public const int DefaultPositions = 64;

    public TinyEncoder(int vocabulary, int width = 16, int feedForward = 32, int layers = 2, int positions = DefaultPositions, int seed = 17)
    {
        var random = new Random(seed);
        float[] Weights(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        (Vocabulary, Width, FeedForward, Layers, Positions) = (vocabulary, width, feedForward, layers, positions);
        Words = Weights(vocabulary * width, 1.0);
        PositionEmbeddings = Weights(positions * width, 0.5);
        TokenTypes = Weights(2 * width, 0.5);
        EmbeddingNorm = (Weights(width, 0.2).Select(g => g + 1).ToArray(), Weights(width, 0.1));
        var scale = 1 / Math.Sqrt(width);
        Blocks = Enumerable.Range(0, layers).Select(_ => new Block(
            Weights(width * width, scale), Weights(width, 0.1), Weights(width * width, scale), Weights(width, 0.1),
            Weights(width * width, scale), Weights(width, 0.1), Weights(width * width, scale), Weights(width, 0.1),
            (Weights(width, 0.2).Select(g => g + 1).ToArray(), Weights(width, 0.1)),
            Weights(width * feedForward, scale), Weights(feedForward, 0.1), Weights(feedForward * width, 1 / Math.Sqrt(feedForward)), Weights(width, 0.1),
            (Weights(width, 0.2).Select(g => g + 1).ToArray(), Weights(width, 0.1)))).ToArray();
    }

    public int Vocabulary { get; }
    public int Width { get; }
    public int FeedForward { get; }
    public int Layers { get; }
    public int Positions { get; }
    public float[] Words { get; }
    public float[] PositionEmbeddings { get; }
    public float[] TokenTypes { get; }
    public (float[] Gain, float[] Bias) EmbeddingNorm { get; }
    public IReadOnlyList<Block> Blocks { get; }

    /// <summary>One layer's weights; matrices are row-major [in, out] (x · W).</summary>
    public sealed record Block(
        float[] Wq, float[] Bq, float[] Wk, float[] Bk, float[] Wv, float[] Bv, float[] Wo, float[] Bo, (float[] Gain, float[] Bias) Norm1,
        float[] W1, float[] B1, float[] W2, float[] B2, (float[] Gain, float[] Bias) Norm2);

    /// <summary>The hidden states 0 … Layers of <paramref name="tokens"/> (all attended, token type 0), [state][position][dim].</summary>
    public double[][][] Forward(int[] tokens, bool withTokenTypes)
    {
        var n = tokens.Length;
        var x = new double[n][];
        for (var i = 0; i < n; i++)
        {
            x[i] = new double[Width];
            for (var d = 0; d < Width; d++)
            {
                x[i][d] = (double)Words[tokens[i] * Width + d] + PositionEmbeddings[i * Width + d] + (withTokenTypes ? TokenTypes[d] : 0);
            }
        }

        x = x.Select(v => Norm(v, EmbeddingNorm)).ToArray();
        var states = new List<double[][]> { x };
        foreach (var b in Blocks)
        {
            var q = x.Select(v => Affine(v, b.Wq, b.Bq, Width)).ToArray();
            var k = x.Select(v => Affine(v, b.Wk, b.Bk, Width)).ToArray();
            var value = x.Select(v => Affine(v, b.Wv, b.Bv, Width)).ToArray();
            var attended = new double[n][];
            for (var i = 0; i < n; i++)
            {
                var scores = k.Select(kj => Dot(q[i], kj) / Math.Sqrt(Width)).ToArray();
                var max = scores.Max();
                var e = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = e.Sum();
                attended[i] = new double[Width];
                for (var j = 0; j < n; j++)
                {
                    for (var d = 0; d < Width; d++)
                    {
                        attended[i][d] += e[j] / sum * value[j][d];
                    }
                }
            }

            var x1 = x.Select((v, i) => Norm(Add(v, Affine(attended[i], b.Wo, b.Bo, Width)), b.Norm1)).ToArray();
            x = x1.Select(v => Norm(Add(v, Affine(Affine(v, b.W1, b.B1, FeedForward).Select(h => Math.Max(0, h)).ToArray(), b.W2, b.B2, Width)), b.Norm2)).ToArray();
            states.Add(x);
        }

        return states.ToArray();
    }

    private static double[] Affine(double[] v, float[] w, float[] bias, int outputs)
    {
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            double sum = bias[o];
            for (var i = 0; i < v.Length; i++)
            {
                sum += v[i] * w[i * outputs + o];
            }

            y[o] = sum;
        }

        return y;
    }

    private static double[] Norm(double[] v, (float[] Gain, float[] Bias) norm)
    {
        var mean = v.Average();
        var variance = v.Select(a => (a - mean) * (a - mean)).Average();
        var scale = 1 / Math.Sqrt(variance + Epsilon);
        return v.Select((a, d) => (a - mean) * scale * norm.Gain[d] + norm.Bias[d]).ToArray();
    }

    private static double[] Add(double[] a, double[] b) => a.Select((x, i) => x + b[i]).ToArray();

    private static double Dot(double[] a, double[] b) => a.Select((x, i) => x * b[i]).Sum();
}
