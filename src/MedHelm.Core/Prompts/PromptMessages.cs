namespace MedHelm.Core.Prompts;

/// <summary>The rendered chat messages for one instance.</summary>
/// <param name="System">Optional system message; null when the prompt is a single user turn (HELM style).</param>
/// <param name="User">The user message.</param>
public sealed record PromptMessages(string? System, string User);
