using System.Globalization;
using System.Text.RegularExpressions;

namespace MedHelm.Inference.Onnx;

/// <summary>
/// Finds an encoder's per-layer hidden-state outputs by name: <c>hidden_states.0</c> … <c>hidden_states.N</c> (also
/// <c>hidden_states_0</c> or <c>hidden_state.0</c>), 0 being the embedding output and N the last layer's, as
/// transformers' <c>output_hidden_states=True</c> returns them. Other outputs (e.g. <c>last_hidden_state</c>) are ignored.
/// </summary>
public static partial class HiddenStateOutputs
{
    /// <summary>The output name of each hidden state, by index (0 … N, contiguous).</summary>
    /// <exception cref="OnnxEncoderException">No hidden-state output, a gap or a duplicate index; the message names <paramref name="modelPath"/> and the outputs.</exception>
    public static IReadOnlyList<string> Find(IEnumerable<string> outputNames, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(outputNames);
        var names = outputNames.ToArray();
        var byIndex = new SortedDictionary<int, string>();
        foreach (var name in names)
        {
            var match = Pattern().Match(name);
            if (!match.Success || !int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                continue;
            }

            if (!byIndex.TryAdd(index, name))
            {
                throw new OnnxEncoderException($"{modelPath}: outputs '{byIndex[index]}' and '{name}' are both hidden state {index}.");
            }
        }

        var list = string.Join(", ", names.Select(n => $"'{n}'"));
        if (byIndex.Count == 0)
        {
            throw new OnnxEncoderException(
                $"{modelPath}: no hidden-state outputs (outputs: {list}); BERTScore needs an export with output_hidden_states=True whose outputs are named " +
                "hidden_states.0 … hidden_states.N (see docs/bertscore.md for the export command).");
        }

        var expected = 0;
        foreach (var index in byIndex.Keys)
        {
            if (index != expected)
            {
                throw new OnnxEncoderException($"{modelPath}: hidden state {expected} is missing (outputs: {list}); the hidden states must be numbered 0 … N without a gap.");
            }

            expected++;
        }

        return byIndex.Values.ToArray();
    }

    [GeneratedRegex(@"^hidden_states?[._](\d{1,4})$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
