namespace MedHelm.Inference.Llama.Generation;

/// <summary>Which part of a reasoning model's output the next token belongs to.</summary>
public enum OutputPhase
{
    /// <summary>Not yet known whether the output opens with a reasoning block.</summary>
    Undecided,
    Reasoning,
    Answer,
}

/// <summary>
/// Splits generated text into reasoning and answer as it arrives. The answer goes through an
/// <see cref="OutputTextAssembler"/> (stop sequences, UTF-8 safety, streaming); the reasoning is kept aside
/// (it is stored and counted, not streamed).
/// Without reasoning settings everything is answer.
/// </summary>
internal sealed class ReasoningOutputRouter
{
    private readonly ReasoningSettings _settings;
    private readonly OutputTextAssembler _answer;
    private readonly System.Text.Decoder _decoder = new System.Text.UTF8Encoding(false, false).GetDecoder();
    private readonly System.Text.StringBuilder _reasoning = new();

    public ReasoningOutputRouter(ReasoningSettings settings, IReadOnlyList<string> stops, Action<string>? onText, bool promptOpensReasoning = false)
    {
        _settings = settings;
        _answer = new OutputTextAssembler(stops, onText);
        Phase = !settings.Enabled ? OutputPhase.Answer : settings.StartsInReasoning || promptOpensReasoning ? OutputPhase.Reasoning : OutputPhase.Undecided;
    }

    public OutputPhase Phase { get; private set; }

    /// <summary>True once a reasoning block was opened (explicitly or by the template).</summary>
    public bool SawReasoning { get; private set; }

    /// <summary>True once the reasoning block was closed.</summary>
    public bool ReasoningClosed { get; private set; }

    public string Reasoning => _reasoning.ToString().Trim();

    public string Answer => _answer.Text;

    public bool Stopped => _answer.Stopped;

    /// <summary>Routes one token's bytes; returns true when a stop sequence ended the answer.</summary>
    public bool Append(ReadOnlySpan<byte> bytes)
    {
        if (Phase == OutputPhase.Answer)
        {
            return _answer.Append(bytes);
        }

        Span<char> chars = stackalloc char[Math.Max(16, bytes.Length * 2)];
        var count = _decoder.GetChars(bytes, chars, flush: false);
        _reasoning.Append(chars[..count]);
        return Route();
    }

    /// <summary>Ends the output (flushes held-back answer text).</summary>
    public void Complete()
    {
        if (Phase == OutputPhase.Undecided)
        {
            MoveBufferToAnswer(_reasoning.ToString());
        }

        _answer.Complete();
    }

    private bool Route()
    {
        var text = _reasoning.ToString();
        if (Phase == OutputPhase.Undecided)
        {
            var trimmed = text.TrimStart();
            if (trimmed.StartsWith(_settings.OpenTag, StringComparison.Ordinal))
            {
                Phase = OutputPhase.Reasoning;
                SawReasoning = true;
                _reasoning.Clear().Append(trimmed[_settings.OpenTag.Length..]);
                text = _reasoning.ToString();
            }
            else if (trimmed.Length >= _settings.OpenTag.Length || !_settings.OpenTag.StartsWith(trimmed, StringComparison.Ordinal))
            {
                return MoveBufferToAnswer(text);
            }
            else
            {
                return false;
            }
        }

        SawReasoning = true;
        var close = text.IndexOf(_settings.CloseTag, StringComparison.Ordinal);
        if (close < 0)
        {
            return false;
        }

        ReasoningClosed = true;
        Phase = OutputPhase.Answer;
        _reasoning.Clear().Append(text[..close]);
        var rest = text[(close + _settings.CloseTag.Length)..].TrimStart();
        return rest.Length > 0 && _answer.Append(System.Text.Encoding.UTF8.GetBytes(rest));
    }

    private bool MoveBufferToAnswer(string text)
    {
        Phase = OutputPhase.Answer;
        _reasoning.Clear();
        return text.Length > 0 && _answer.Append(System.Text.Encoding.UTF8.GetBytes(text));
    }
}
