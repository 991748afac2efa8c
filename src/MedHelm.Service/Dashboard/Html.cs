using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace MedHelm.Service.Dashboard;

/// <summary>Markup that is already safe: built by <see cref="Html"/> from literals and encoded values.</summary>
/// <param name="Value">The markup.</param>
public readonly record struct Markup(string Value)
{
    /// <summary>No markup.</summary>
    public static Markup Empty { get; } = new(string.Empty);

    /// <inheritdoc />
    public override string ToString() => Value;
}

/// <summary>
/// Builds HTML from interpolated strings whose literal parts are markup and whose holes are values: every hole is
/// HTML-encoded (text and attribute values alike: quotes and angle brackets become entities) unless it is a
/// <see cref="Markup"/> built the same way. Numbers and dates are written in the invariant culture.
/// </summary>
public sealed class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);
    private readonly StringBuilder _builder = new();

    /// <summary>Appends <paramref name="markup"/> (its holes encoded).</summary>
    public Html Add([InterpolatedStringHandlerArgument("")] ref HtmlHandler markup)
    {
        _ = markup;
        return this;
    }

    /// <summary>Appends markup built elsewhere.</summary>
    public Html Add(Markup markup)
    {
        _builder.Append(markup.Value);
        return this;
    }

    /// <summary>Appends <paramref name="markup"/> for each item.</summary>
    public Html Each<T>(IEnumerable<T> items, Action<Html, T> markup)
    {
        foreach (var item in items)
        {
            markup(this, item);
        }

        return this;
    }

    /// <summary>The markup built so far.</summary>
    public Markup ToMarkup() => new(_builder.ToString());

    /// <inheritdoc />
    public override string ToString() => _builder.ToString();

    /// <summary>One interpolated string as markup.</summary>
    public static Markup Of(ref HtmlHandler markup) => markup.ToMarkup();

    /// <summary><paramref name="text"/> HTML-encoded.</summary>
    public static string Encode(string? text) => Encoder.Encode(text ?? string.Empty);

    /// <summary>The handler behind <see cref="Add(ref HtmlHandler)"/> and <see cref="Of"/>.</summary>
    [InterpolatedStringHandler]
    public readonly ref struct HtmlHandler
    {
        private readonly StringBuilder _builder;

        /// <summary>Appends to <paramref name="html"/>.</summary>
        public HtmlHandler(int literalLength, int formattedCount, Html html)
        {
            _ = formattedCount;
            _builder = html._builder;
            _builder.EnsureCapacity(_builder.Length + literalLength);
        }

        /// <summary>Appends to a new buffer (<see cref="Of"/>).</summary>
        public HtmlHandler(int literalLength, int formattedCount)
        {
            _ = formattedCount;
            _builder = new StringBuilder(literalLength);
        }

        /// <summary>A literal part: markup.</summary>
        public void AppendLiteral(string literal) => _builder.Append(literal);

        /// <summary>Markup built by <see cref="Html"/>: appended as is.</summary>
        public void AppendFormatted(Markup markup) => _builder.Append(markup.Value);

        /// <summary>Text: encoded.</summary>
        public void AppendFormatted(string? text) => _builder.Append(Encode(text));

        /// <summary>Any other value: formatted in the invariant culture, then encoded.</summary>
        public void AppendFormatted<T>(T value, string? format = null) =>
            _builder.Append(Encode(value is IFormattable formattable ? formattable.ToString(format, CultureInfo.InvariantCulture) : value?.ToString()));

        internal Markup ToMarkup() => new(_builder.ToString());
    }
}
