namespace MedHelm.Core.Metrics;

/// <summary>How strictly model output is matched against the gold answer.</summary>
public enum ScoringMode
{
    /// <summary>
    /// Reproduces HELM: the stripped output must equal the gold text exactly, so "A." scores 0
    /// (stanford-crfm/helm #4187). Use this to compare with published MedHELM numbers.
    /// </summary>
    Helm,

    /// <summary>Tolerant: accepts "A.", "(A)", "Answer: A", "A) yes", a trailing explanation and similar.</summary>
    Corrected,
}
