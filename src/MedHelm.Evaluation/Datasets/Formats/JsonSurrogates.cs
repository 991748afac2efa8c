using System.Text;
using System.Text.Json;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>Where a JSON text holds a lone UTF-16 surrogate escape.</summary>
/// <param name="ByteOffset">The offset of the string's opening quote in the UTF-8 text.</param>
/// <param name="Member">The member whose value (or whose array's item) the string is; null at the top level or for a member name.</param>
/// <param name="InMemberName">True when the member name itself holds the escape.</param>
public sealed record JsonSurrogateFault(long ByteOffset, string? Member, bool InMemberName)
{
    /// <summary>The problem in words (the same for every reader of JSON input).</summary>
    public string Problem => (InMemberName ? "a member name" : "the text") +
        " holds a lone UTF-16 surrogate escape (such as \\ud800 without its pair), which is not valid text; fix or remove it";
}

/// <summary>
/// Finds lone UTF-16 surrogate escapes (<c>"\ud800"</c> without its pair) in JSON. They pass the JSON grammar, so
/// <see cref="JsonDocument"/> parses them, but reading the string later throws; every reader of user JSON checks here
/// first so the file is refused with its line and field instead.
/// </summary>
public static class JsonSurrogates
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>The first string or member name of <paramref name="json"/> (UTF-8) that is not valid text; null when there is none or the JSON is invalid.</summary>
    public static JsonSurrogateFault? Find(ReadOnlySpan<byte> json)
    {
        if (!MayHoldSurrogateEscape(json))
        {
            return null; // the common case costs one scan for "\u"
        }

        var reader = new Utf8JsonReader(json, Options);
        string? member = null;
        try
        {
            while (reader.Read())
            {
                var isName = reader.TokenType == JsonTokenType.PropertyName;
                if (!isName && (reader.TokenType != JsonTokenType.String || !reader.ValueIsEscaped))
                {
                    continue;
                }

                string text;
                try
                {
                    text = reader.GetString()!;
                }
                catch (InvalidOperationException)
                {
                    return new JsonSurrogateFault(reader.TokenStartIndex, isName ? null : member, isName);
                }

                if (isName)
                {
                    member = text;
                }
            }
        }
        catch (JsonException)
        {
            // invalid JSON is reported by the parser with its own position
        }

        return null;
    }

    /// <summary>The same for JSON already decoded to a string (a line of a JSON Lines file).</summary>
    public static JsonSurrogateFault? Find(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return json.Contains("\\u", StringComparison.Ordinal) ? Find(Encoding.UTF8.GetBytes(json)) : null;
    }

    /// <summary>True when some <c>\u</c> escape names a code unit from D800 to DFFF.</summary>
    private static bool MayHoldSurrogateEscape(ReadOnlySpan<byte> json)
    {
        var rest = json;
        while (true)
        {
            var at = rest.IndexOf("\\u"u8);
            if (at < 0 || at + 3 >= rest.Length)
            {
                return false;
            }

            if (rest[at + 2] is (byte)'d' or (byte)'D' && rest[at + 3] is >= (byte)'8' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F')
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }
    }
}
