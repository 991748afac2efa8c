namespace MedHelm.Core.Metrics;

/// <summary>
/// The Porter (1980) stemmer with the NLTK extensions (<c>nltk.stem.porter.PorterStemmer()</c>, default mode),
/// which is what the <c>rouge-score</c> package uses when <c>use_stemmer=True</c>. Input must be lower-case ASCII
/// letters and digits (the ROUGE tokenizer guarantees that); anything else is returned unchanged.
/// </summary>
public static class PorterStemmer
{
    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["skies"] = "sky", ["sky"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie",
        ["news"] = "news", ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing",
        ["outing"] = "outing", ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe",
        ["proceed"] = "proceed", ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    private static readonly (string Suffix, string Replacement)[] Step2Rules =
    [
        ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("bli", "ble"),
        ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
        ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
        ("iviti", "ive"), ("biliti", "ble"), ("fulli", "ful"),
    ];

    private static readonly (string Suffix, string Replacement)[] Step3Rules =
    [
        ("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", ""),
    ];

    private static readonly string[] Step4Suffixes =
    [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate",
        "iti", "ous", "ive", "ize",
    ];

    /// <summary>Stems one lower-case word.</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (Irregular.TryGetValue(word, out var irregular))
        {
            return irregular;
        }

        if (word.Length <= 2)
        {
            return word;
        }

        foreach (var c in word)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
            {
                return word;
            }
        }

        var w = Step1A(word);
        w = Step1B(w);
        w = Step1C(w);
        w = Step2(w);
        w = Step3(w);
        w = Step4(w);
        w = Step5A(w);
        w = Step5B(w);
        return w;
    }

    private static bool IsConsonant(string w, int i)
    {
        var c = w[i];
        if (c is 'a' or 'e' or 'i' or 'o' or 'u')
        {
            return false;
        }

        if (c == 'y')
        {
            return i == 0 || !IsConsonant(w, i - 1);
        }

        return true;
    }

    // m in [C](VC)^m[V], computed on w[0..length).
    private static int Measure(string w, int length)
    {
        var m = 0;
        var previousVowel = false;
        for (var i = 0; i < length; i++)
        {
            var consonant = IsConsonant(w, i);
            if (consonant && previousVowel)
            {
                m++;
            }

            previousVowel = !consonant;
        }

        return m;
    }

    private static bool ContainsVowel(string w, int length)
    {
        for (var i = 0; i < length; i++)
        {
            if (!IsConsonant(w, i))
            {
                return true;
            }
        }

        return false;
    }

    private static bool EndsDoubleConsonant(string w) =>
        w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    private static bool EndsCvc(string w) =>
        (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1)
            && w[^1] is not ('w' or 'x' or 'y'))
        || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    private static string Step1A(string w)
    {
        if (w.EndsWith("ies", StringComparison.Ordinal) && w.Length == 4)
        {
            return w[..^3] + "ie";
        }

        if (w.EndsWith("sses", StringComparison.Ordinal))
        {
            return w[..^2];
        }

        if (w.EndsWith("ies", StringComparison.Ordinal))
        {
            return w[..^2];
        }

        if (w.EndsWith("ss", StringComparison.Ordinal))
        {
            return w;
        }

        return w.EndsWith('s') ? w[..^1] : w;
    }

    private static string Step1B(string w)
    {
        if (w.EndsWith("ied", StringComparison.Ordinal))
        {
            return w.Length == 4 ? w[..^3] + "ie" : w[..^3] + "i";
        }

        if (w.EndsWith("eed", StringComparison.Ordinal))
        {
            return Measure(w, w.Length - 3) > 0 ? w[..^1] : w;
        }

        string stem;
        if (w.EndsWith("ed", StringComparison.Ordinal) && ContainsVowel(w, w.Length - 2))
        {
            stem = w[..^2];
        }
        else if (w.EndsWith("ing", StringComparison.Ordinal) && ContainsVowel(w, w.Length - 3))
        {
            stem = w[..^3];
        }
        else
        {
            return w;
        }

        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal) || stem.EndsWith("iz", StringComparison.Ordinal))
        {
            return stem + "e";
        }

        if (EndsDoubleConsonant(stem) && stem[^1] is not ('l' or 's' or 'z'))
        {
            return stem[..^1];
        }

        if (Measure(stem, stem.Length) == 1 && EndsCvc(stem))
        {
            return stem + "e";
        }

        return stem;
    }

    private static string Step1C(string w) =>
        w.Length > 2 && w[^1] == 'y' && IsConsonant(w, w.Length - 2) ? w[..^1] + "i" : w;

    private static string Step2(string w)
    {
        if (w.EndsWith("alli", StringComparison.Ordinal) && Measure(w, w.Length - 4) > 0)
        {
            return Step2(w[..^4] + "al");
        }

        if (w.EndsWith("logi", StringComparison.Ordinal))
        {
            return Measure(w, w.Length - 3) > 0 ? w[..^1] : w;
        }

        return ApplyFirst(w, Step2Rules, 0);
    }

    private static string Step3(string w) => ApplyFirst(w, Step3Rules, 0);

    // The first rule whose suffix matches decides: replaced when the stem's measure exceeds minMeasure, else unchanged.
    private static string ApplyFirst(string w, (string Suffix, string Replacement)[] rules, int minMeasure)
    {
        foreach (var (suffix, replacement) in rules)
        {
            if (w.EndsWith(suffix, StringComparison.Ordinal))
            {
                var stemLength = w.Length - suffix.Length;
                return Measure(w, stemLength) > minMeasure ? string.Concat(w.AsSpan(0, stemLength), replacement) : w;
            }
        }

        return w;
    }

    private static string Step4(string w)
    {
        foreach (var suffix in Step4Suffixes)
        {
            if (!w.EndsWith(suffix, StringComparison.Ordinal))
            {
                continue;
            }

            var stemLength = w.Length - suffix.Length;
            if (Measure(w, stemLength) <= 1)
            {
                return w;
            }

            if (suffix == "ion" && (stemLength == 0 || w[stemLength - 1] is not ('s' or 't')))
            {
                return w;
            }

            return w[..stemLength];
        }

        return w;
    }

    private static string Step5A(string w)
    {
        if (!w.EndsWith('e'))
        {
            return w;
        }

        var stem = w[..^1];
        var m = Measure(stem, stem.Length);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : w;
    }

    private static string Step5B(string w) =>
        w.EndsWith("ll", StringComparison.Ordinal) && Measure(w, w.Length - 1) > 1 ? w[..^1] : w;
}
