namespace MedHelm.Core.Catalog;

/// <summary>Who may obtain a benchmark's data.</summary>
public enum AccessTier
{
    /// <summary>Freely downloadable.</summary>
    Public,

    /// <summary>Needs a data-use agreement or credentialed access (PhysioNet, n2c2, ...).</summary>
    Gated,

    /// <summary>Held by the institution that built it; never redistributed.</summary>
    Private,
}

/// <summary>The shape of the expected answer, which decides how it is parsed and scored.</summary>
public enum AnswerKind
{
    /// <summary>One option letter (A, B, C, ...).</summary>
    Letter,

    /// <summary>A literal yes or no.</summary>
    YesNo,

    /// <summary>One label from a fixed set other than letters (MedHallu's 0/1, MEDEC's CORRECT or a sentence fix).</summary>
    Label,

    /// <summary>A number, date or quantity.</summary>
    Number,

    /// <summary>A list of codes (for example ICD-10).</summary>
    CodeList,

    /// <summary>Open-ended text judged by a jury or by overlap metrics.</summary>
    FreeText,
}
