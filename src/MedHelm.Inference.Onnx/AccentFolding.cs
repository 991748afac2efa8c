using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace MedHelm.Inference.Onnx;

/// <summary>
/// The accent stripping of an uncased BERT tokenizer (Hugging Face's BasicTokenizer: NFD, then drop the nonspacing
/// marks) without ICU: the project runs with invariant globalization, where string.Normalize does not decompose, so
/// Microsoft.ML.Tokenizers' RemoveNonSpacingMarks leaves "é" as it is. The letters of U+00C0 … U+024F whose canonical
/// decomposition is one base letter and marks are mapped to that letter (the table was generated from Unicode's
/// decompositions); combining marks already in the text are dropped. Letters outside that range keep their accents.
/// </summary>
internal static class AccentFolding
{
    private const string Accented = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ";
    private const string Bases = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy";

    private static readonly FrozenDictionary<char, char> Map = Accented.Zip(Bases).ToFrozenDictionary(p => p.First, p => p.Second);

    /// <summary><paramref name="text"/> with the accents of the mapped letters and every combining mark removed.</summary>
    public static string Fold(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? folded = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var mark = CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark;
            if (!mark && !Map.ContainsKey(c))
            {
                folded?.Append(c);
                continue;
            }

            folded ??= new StringBuilder(text, 0, i, text.Length);
            if (!mark)
            {
                folded.Append(Map[c]);
            }
        }

        return folded?.ToString() ?? text;
    }
}
