using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

/// <summary>Python built-in semantics helm mode relies on (the reference fixtures check them through the metrics).</summary>
public sealed class PythonTextTests
{
    [Theory]
    [InlineData("\u001c a \u001f", "a")]
    [InlineData("\u00a0a\u3000", "a")]
    [InlineData("\u200ba\ufeff", "\u200ba\ufeff")] // zero-width space and BOM are not white space in Python
    [InlineData("", "")]
    public void Strip_uses_pythons_white_space(string text, string expected) => Assert.Equal(expected, PythonText.Strip(text));

    [Theory]
    [InlineData("1_000", 1000.0)]
    [InlineData(" \u0662\u0665.5 ", 25.5)]
    [InlineData("+.5e1", 5.0)]
    [InlineData("1e400", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void Float_accepts_what_python_accepts(string text, double expected) => Assert.Equal(expected, PythonText.Float(text));

    [Theory]
    [InlineData("1__000")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("1,000")]
    [InlineData("0x10")]
    [InlineData("1 000")]
    [InlineData("\ud800")] // a lone surrogate
    [InlineData("\u00bd")] // ½ is numeric but not a decimal digit
    public void Float_rejects_what_python_rejects(string text) => Assert.Null(PythonText.Float(text));

    [Fact]
    public void Nan_is_a_float_and_int_is_unbounded()
    {
        Assert.True(double.IsNaN(PythonText.Float("nan")!.Value));
        Assert.Equal(System.Numerics.BigInteger.Parse("99999999999999999999999", System.Globalization.CultureInfo.InvariantCulture), PythonText.BigInt("99999999999999999999999"));
        Assert.Null(PythonText.BigInt("5 Patient"));
    }

    [Theory]
    [InlineData("9/ 3/2014", 2014, 9, 3)]
    [InlineData("09/23/2014", 2014, 9, 23)]
    public void Strptime_month_day_year(string text, int year, int month, int day) =>
        Assert.Equal(new DateOnly(year, month, day), PythonText.StrptimeMonthDayYear(text));

    [Theory]
    [InlineData("02/30/2014")]
    [InlineData("09/23/2014\n")]
    [InlineData("09/23/14")]
    [InlineData("09/23/0000")]
    public void Strptime_rejects_what_python_rejects(string text) => Assert.Null(PythonText.StrptimeMonthDayYear(text));
}
