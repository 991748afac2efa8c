namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// A chat template that cannot be parsed or rendered. <see cref="Line"/> and <see cref="Column"/> (1-based) point
/// into the template source; the message names the construct.
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException(string message, int line, int column, Exception? inner = null)
        : base($"{message} (template line {line}, column {column})", inner)
    {
        Line = line;
        Column = column;
        Reason = message;
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the position.</summary>
    public string Reason { get; }

    /// <summary>True when the template itself called raise_exception (a refused conversation, not a broken template).</summary>
    public bool RaisedByTemplate { get; init; }

    internal static ChatTemplateException At(string source, int position, string message, Exception? inner = null, bool raised = false)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < position && i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
        }

        return new ChatTemplateException(message, line, column, inner) { RaisedByTemplate = raised };
    }
}

/// <summary>An error while evaluating; the interpreter adds the position of the statement or expression.</summary>
internal class JinjaRuntimeException(string message) : Exception(message);

/// <summary>raise_exception(...) called by the template.</summary>
internal sealed class JinjaRaisedException(string message) : JinjaRuntimeException(message);
