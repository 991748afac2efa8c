namespace MedHelm.Inference.Llama.Chat;

/// <summary>
/// What a local chat client says about the model's chat template (from <c>GetService</c>), in process or from an engine
/// worker: enough for a run to key its ledger by the renderer and, for templates that read it, the date.
/// </summary>
/// <param name="ReadsDate">The template reads the date (its rendering changes from day to day).</param>
public sealed record ChatTemplateInfo(bool ReadsDate);
