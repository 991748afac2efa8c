using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

public class PorterStemmerTests
{
    [Theory]
    [InlineData("caresses", "caress")]
    [InlineData("ponies", "poni")]
    [InlineData("ties", "tie")] // NLTK extension (original Porter: "ti")
    [InlineData("cats", "cat")]
    [InlineData("feed", "feed")]
    [InlineData("agreed", "agre")]
    [InlineData("plastered", "plaster")]
    [InlineData("motoring", "motor")]
    [InlineData("hopping", "hop")]
    [InlineData("filing", "file")]
    [InlineData("running", "run")]
    [InlineData("happy", "happi")]
    [InlineData("relational", "relat")]
    [InlineData("conditional", "condit")]
    [InlineData("electricity", "electr")]
    [InlineData("adjustment", "adjust")]
    [InlineData("hopeful", "hope")]
    [InlineData("goodness", "good")]
    [InlineData("dying", "die")]
    [InlineData("skies", "sky")]
    [InlineData("diagnosed", "diagnos")]
    [InlineData("patients", "patient")]
    [InlineData("as", "as")]
    public void Stems_like_nltk(string word, string expected) => Assert.Equal(expected, PorterStemmer.Stem(word));
}

public class RougeTests
{
    [Fact]
    public void Hand_computed_rouge_1_2_l()
    {
        const string reference = "the cat sat on the mat";
        const string prediction = "The cat, on the mat!";
        Assert.Equal(10.0 / 11, Rouge.RougeN(reference, prediction, 1, ScoringMode.Helm).FMeasure, 12);
        Assert.Equal(2.0 / 3, Rouge.RougeN(reference, prediction, 2, ScoringMode.Helm).FMeasure, 12);
        var l = Rouge.RougeL(reference, prediction, ScoringMode.Helm);
        Assert.Equal(1.0, l.Precision, 12);
        Assert.Equal(5.0 / 6, l.Recall, 12);
        Assert.Equal(10.0 / 11, l.FMeasure, 12);
    }

    [Fact]
    public void Stemming_makes_inflections_match() =>
        Assert.Equal(1.0, Rouge.RougeN("patients running", "patient runs", 1, ScoringMode.Corrected).FMeasure, 12);

    [Theory]
    [InlineData("", "abc")]
    [InlineData("abc", "")]
    [InlineData("   \n\t", "abc")]
    [InlineData("!!! ...", "abc")]
    public void Empty_or_punctuation_only_scores_zero(string reference, string prediction)
    {
        Assert.Equal(0, Rouge.RougeL(reference, prediction, ScoringMode.Helm).FMeasure);
        Assert.Equal(0, Rouge.RougeN(reference, prediction, 1, ScoringMode.Corrected).FMeasure);
    }

    [Fact]
    public void Non_latin_text_vanishes_in_helm_mode_but_counts_when_corrected()
    {
        const string text = "пациент здоров";
        Assert.Empty(Rouge.Tokenize(text, ScoringMode.Helm));
        Assert.Equal(0, Rouge.RougeL(text, text, ScoringMode.Helm).FMeasure);
        Assert.Equal(["пациент", "здоров"], Rouge.Tokenize(text, ScoringMode.Corrected));
        Assert.Equal(1, Rouge.RougeL(text, text, ScoringMode.Corrected).FMeasure);
        // Accented letters split ASCII words in helm mode: "café" -> "caf".
        Assert.Equal(["caf"], Rouge.Tokenize("Café", ScoringMode.Helm));
        Assert.Equal(["café"], Rouge.Tokenize("Café", ScoringMode.Corrected));
    }

    [Fact]
    public void Bit_parallel_lcs_matches_dynamic_programming()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var a = Enumerable.Range(0, random.Next(0, 150)).Select(_ => random.Next(0, 6)).ToArray();
            var b = Enumerable.Range(0, random.Next(0, 150)).Select(_ => random.Next(0, 6)).ToArray();
            Assert.Equal(Dp(a, b), Rouge.LongestCommonSubsequence(a, b));
        }
    }

    [Fact]
    public void Huge_output_is_scored_quickly()
    {
        var reference = string.Join(' ', Enumerable.Repeat("the patient has a fever", 100));
        var huge = string.Join(' ', Enumerable.Repeat("word fever patient", 200_000));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var s = Rouge.RougeL(reference, huge, ScoringMode.Corrected);
        Assert.InRange(s.FMeasure, 0, 0.01);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static int Dp(int[] a, int[] b)
    {
        var t = new int[a.Length + 1, b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                t[i, j] = a[i - 1] == b[j - 1] ? t[i - 1, j - 1] + 1 : Math.Max(t[i - 1, j], t[i, j - 1]);
            }
        }

        return t[a.Length, b.Length];
    }
}

public class BleuTests
{
    [Fact]
    public void Tokenizer_splits_punctuation_and_contractions() =>
        Assert.Equal(["The", "patient", "does", "n't", "have", "a", "fever", ",", "yet", "."], Bleu.Tokenize("The patient doesn't have a fever, yet."));

    [Fact]
    public void Identical_text_scores_one_in_both_modes()
    {
        const string text = "the patient was discharged home in stable condition";
        Assert.Equal(1, Bleu.Score(text, text, ScoringMode.Helm), 12);
        Assert.Equal(1, Bleu.Score(text, text, ScoringMode.Corrected), 12);
    }

    [Fact]
    public void Helm_mode_is_four_gram_precision_times_brevity_penalty()
    {
        // ref: a b c d e f (6), pred: a b c d x (5): 4-grams of pred: abcd, bcdx -> 1 of 2 match.
        // BP = exp(1 - 6/5). helm = BP * 1/2.
        var expected = Math.Exp(1 - (6.0 / 5)) * 0.5;
        Assert.Equal(expected, Bleu.Score("a b c d e f", "a b c d x", ScoringMode.Helm), 12);
        // corrected: p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2, geometric mean.
        var corrected = Math.Exp(1 - (6.0 / 5)) * Math.Pow(0.8 * 0.75 * (2.0 / 3) * 0.5, 0.25);
        Assert.Equal(corrected, Bleu.Score("a b c d e f", "a b c d x", ScoringMode.Corrected), 12);
    }

    [Fact]
    public void No_four_gram_match_is_nltk_float_min_in_helm_mode_and_smoothed_when_corrected()
    {
        // pred "a b c" has no 4-gram at all: NLTK puts sys.float_info.min in for the 4-gram precision.
        Assert.Equal(Math.Exp(1 - (4.0 / 3)) * 2.2250738585072014E-308, Bleu.Score("a b c d", "a b c", ScoringMode.Helm), 1e-300);
        var corrected = Math.Exp(1 - (4.0 / 3)) * Math.Pow(1 * 1 * 1 * 0.1, 0.25);
        Assert.Equal(corrected, Bleu.Score("a b c d", "a b c", ScoringMode.Corrected), 12);
    }

    [Theory]
    [InlineData("", "a b c d")]
    [InlineData("a b c d", "")]
    [InlineData("a b c d", "x y z w")]
    public void Empty_or_disjoint_scores_zero(string reference, string prediction)
    {
        Assert.Equal(0, Bleu.Score(reference, prediction, ScoringMode.Helm));
        Assert.Equal(0, Bleu.Score(reference, prediction, ScoringMode.Corrected));
    }
}
