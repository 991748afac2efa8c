using System.Text;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>
/// Turns token bytes into text safely: bytes of a split UTF-8 character wait for the rest, stop sequences cut the
/// output, and text that could still become the start of a stop sequence is held back from streaming.
/// </summary>
internal sealed class OutputTextAssembler
{
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly StringBuilder _text = new();
    private readonly IReadOnlyList<string> _stops;
    private readonly int _holdBack;
    private readonly Action<string>? _onText;
    private int _emitted;
    private char[] _chars = new char[64];

    public OutputTextAssembler(IReadOnlyList<string> stops, Action<string>? onText)
    {
        _stops = stops.Where(s => s.Length > 0).ToArray();
        _holdBack = _stops.Count == 0 ? 0 : _stops.Max(s => s.Length) - 1;
        _onText = onText;
    }

    public bool Stopped { get; private set; }

    public string Text => _text.ToString();

    /// <summary>Appends one token's bytes; returns true when a stop sequence ended the output.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        if (Stopped)
        {
            return true;
        }

        var needed = _decoder.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var count = _decoder.GetChars(bytes, _chars, flush: false);
        var searchFrom = Math.Max(0, _text.Length - _holdBack);
        _text.Append(_chars, 0, count);
        if (_stops.Count > 0)
        {
            var tail = _text.ToString(searchFrom, _text.Length - searchFrom);
            var cut = -1;
            foreach (var stop in _stops)
            {
                var at = tail.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut))
                {
                    cut = at;
                }
            }

            if (cut >= 0)
            {
                _text.Length = searchFrom + cut;
                Stopped = true;
                Flush();
                return true;
            }
        }

        Emit(_text.Length - _holdBack);
        return false;
    }

    /// <summary>
    /// Ends the output: held-back text is released. The bytes of a character the token budget cut in two are dropped,
    /// not turned into U+FFFD (llama-server withholds them the same way), so the text ends on the last whole character.
    /// </summary>
    public void Complete()
    {
        _decoder.Reset();
        Flush();
    }

    private void Flush() => Emit(_text.Length);

    private void Emit(int upTo)
    {
        if (_onText is null || upTo <= _emitted)
        {
            return;
        }

        _onText(_text.ToString(_emitted, upTo - _emitted));
        _emitted = upTo;
    }
}
