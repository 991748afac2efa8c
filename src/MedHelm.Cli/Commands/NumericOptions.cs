using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace MedHelm.Cli.Commands;

/// <summary>
/// Numeric options parsed with a message that names the option, the value and the range: System.CommandLine's own
/// message for <c>--max-instances 99999999999999</c> names a .NET type instead. A bad value is a parse error (exit 1,
/// nothing started).
/// </summary>
internal static class NumericOptions
{
    /// <summary>Parses <paramref name="option"/>'s value as a number of type <typeparamref name="T"/>, naming the option when it is not one.</summary>
    public static Option<T> Checked<T>(this Option<T> option)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse<T>(result, option.Name) ?? default;
        return option;
    }

    /// <inheritdoc cref="Checked{T}(Option{T})"/>
    public static Option<T?> Checked<T>(this Option<T?> option)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        option.CustomParser = result => Parse<T>(result, option.Name);
        return option;
    }

    private static T? Parse<T>(ArgumentResult result, string name)
        where T : struct, INumber<T>, IMinMaxValue<T>
    {
        if (result.Tokens.Count == 0)
        {
            return null; // not given (System.CommandLine calls a custom parser then when there is no default factory)
        }

        var text = result.Tokens[^1].Value;
        var whole = typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(decimal);
        var style = whole ? NumberStyles.Integer : NumberStyles.Float;
        if (T.TryParse(text, style, CultureInfo.InvariantCulture, out var value) && (whole || T.IsFinite(value)))
        {
            return value;
        }

        result.AddError(whole
            ? string.Create(CultureInfo.InvariantCulture, $"{name}: '{text}' is not a whole number from {T.MinValue} to {T.MaxValue}.")
            : $"{name}: '{text}' is not a finite number.");
        return null;
    }
}
