using System.Globalization;

namespace MedHelm.Testing.Onnx;

/// <summary>Writes a <see cref="TinyEncoder"/> as an ONNX model (opset 17; dynamic batch and sequence axes).</summary>
public static class TinyEncoderGraph
{
    /// <summary>What the export looks like.</summary>
    /// <param name="HiddenStates">Outputs hidden_states.0 … N (false: only last_hidden_state, as a plain feature-extraction export).</param>
    /// <param name="TokenTypes">A token_type_ids input (BERT) besides input_ids and attention_mask (DistilBERT has none).</param>
    /// <param name="OutputName">The hidden-state output names, formatted with the index.</param>
    public sealed record Shape(bool HiddenStates = true, bool TokenTypes = false, string OutputName = "hidden_states.{0}");

    public static void Write(TinyEncoder model, string path, Shape? shape = null)
    {
        shape ??= new Shape();
        var g = new OnnxGraph();
        var w = model.Width;
        g.Input("input_ids", OnnxGraph.Int64, "batch", "sequence");
        g.Input("attention_mask", OnnxGraph.Int64, "batch", "sequence");
        var embedded = g.Node("Gather", [g.Initializer("words", [model.Vocabulary, w], model.Words), "input_ids"], ["word_vectors"], OnnxGraph.IntAttribute("axis", 0));
        var sequence = g.Op("Slice", "sequence_length", g.Op("Shape", "ids_shape", "input_ids"), Const(g, "one", 1), Const(g, "two", 2), Const(g, "zero", 0));
        var positions = g.Op("Slice", "position_vectors", g.Initializer("positions", [model.Positions, w], model.PositionEmbeddings), "zero", sequence, "zero");
        embedded = g.Op("Add", "with_positions", embedded, positions);
        if (shape.TokenTypes)
        {
            g.Input("token_type_ids", OnnxGraph.Int64, "batch", "sequence");
            var types = g.Node("Gather", [g.Initializer("token_types", [2, w], model.TokenTypes), "token_type_ids"], ["type_vectors"], OnnxGraph.IntAttribute("axis", 0));
            embedded = g.Op("Add", "with_types", embedded, types);
        }

        var names = Enumerable.Range(0, model.Layers + 1).Select(i => string.Format(CultureInfo.InvariantCulture, shape.OutputName, i)).ToArray();
        var x = Norm(g, embedded, names[0], "embedding_norm", model.EmbeddingNorm, w);

        // additive mask: 0 where attended, -10000 where padded, as [batch, 1, sequence]
        var mask = g.Node("Cast", ["attention_mask"], ["mask_float"], OnnxGraph.IntAttribute("to", OnnxGraph.Float));
        var inverse = g.Op("Sub", "mask_inverse", g.Initializer("one_float", [], [1f]), mask);
        var additive = g.Op("Mul", "mask_additive", inverse, g.Initializer("minus_big", [], [-10000f]));
        additive = g.Op("Unsqueeze", "mask_3d", additive, "one");
        var scale = g.Initializer("attention_scale", [], [(float)(1 / Math.Sqrt(w))]);
        var transpose = OnnxGraph.IntsAttribute("perm", 0, 2, 1);
        for (var l = 0; l < model.Layers; l++)
        {
            var b = model.Blocks[l];
            string Linear(string input, string name, float[] weights, float[] bias, int inputs, int outputs) =>
                g.Op("Add", $"l{l}_{name}", g.Op("MatMul", $"l{l}_{name}_mm", input, g.Initializer($"l{l}_{name}_w", [inputs, outputs], weights)),
                    g.Initializer($"l{l}_{name}_b", [outputs], bias));
            var q = Linear(x, "q", b.Wq, b.Bq, w, w);
            var k = g.Node("Transpose", [Linear(x, "k", b.Wk, b.Bk, w, w)], [$"l{l}_kt"], transpose);
            var v = Linear(x, "v", b.Wv, b.Bv, w, w);
            var scores = g.Op("Add", $"l{l}_masked", g.Op("Mul", $"l{l}_scaled", g.Op("MatMul", $"l{l}_scores", q, k), scale), additive);
            var probabilities = g.Node("Softmax", [scores], [$"l{l}_probabilities"], OnnxGraph.IntAttribute("axis", -1));
            var attended = Linear(g.Op("MatMul", $"l{l}_context", probabilities, v), "o", b.Wo, b.Bo, w, w);
            var x1 = Norm(g, g.Op("Add", $"l{l}_residual1", x, attended), $"l{l}_x1", $"l{l}_norm1", b.Norm1, w);
            var hidden = g.Op("Relu", $"l{l}_relu", Linear(x1, "ff1", b.W1, b.B1, w, model.FeedForward));
            var feedForward = Linear(hidden, "ff2", b.W2, b.B2, model.FeedForward, w);
            x = Norm(g, g.Op("Add", $"l{l}_residual2", x1, feedForward), names[l + 1], $"l{l}_norm2", b.Norm2, w);
        }

        g.Op("Identity", "last_hidden_state", x);
        if (shape.HiddenStates)
        {
            foreach (var name in names)
            {
                g.Output(name, OnnxGraph.Float, "batch", "sequence", (long)w);
            }
        }

        g.Output("last_hidden_state", OnnxGraph.Float, "batch", "sequence", (long)w);
        File.WriteAllBytes(path, g.ToModel());
    }

    private static string Const(OnnxGraph g, string name, long value) => g.Initializer(name, [1], [value]);

    private static string Norm(OnnxGraph g, string input, string output, string name, (float[] Gain, float[] Bias) norm, int width) =>
        g.Node("LayerNormalization", [input, g.Initializer($"{name}_gain", [width], norm.Gain), g.Initializer($"{name}_bias", [width], norm.Bias)], [output],
            OnnxGraph.IntAttribute("axis", -1), OnnxGraph.FloatAttribute("epsilon", TinyEncoder.Epsilon));
}
