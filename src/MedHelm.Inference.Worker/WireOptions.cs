using System.Text.Json;
using MedHelm.Core.Inference;
using Microsoft.Extensions.AI;

namespace MedHelm.Inference.Worker;

/// <summary>
/// The <see cref="ChatOptions"/> a local engine reads, as they cross the worker boundary: sampling, limits, stop
/// sequences, the chat-template time, and the string-valued additional properties (the GBNF grammar among them).
/// </summary>
internal sealed record WireOptions
{
    public float? Temperature { get; init; }

    public int? TopK { get; init; }

    public float? TopP { get; init; }

    public long? Seed { get; init; }

    public int? MaxOutputTokens { get; init; }

    public IReadOnlyList<string>? StopSequences { get; init; }

    public DateTimeOffset? ChatTemplateTime { get; init; }

    public IReadOnlyDictionary<string, string>? Properties { get; init; }

    /// <summary>The options to send; properties that are neither strings nor the template time are not supported by a local engine and fail here.</summary>
    /// <exception cref="ArgumentException">An additional property a local engine cannot read.</exception>
    public static WireOptions? From(ChatOptions? options)
    {
        if (options is null)
        {
            return null;
        }

        DateTimeOffset? time = null;
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in options.AdditionalProperties ?? [])
        {
            switch (value)
            {
                case DateTimeOffset t when key == ChatRequestProperties.ChatTemplateTime:
                    time = t;
                    break;
                case DateTime d when key == ChatRequestProperties.ChatTemplateTime:
                    time = new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc));
                    break;
                case string s:
                    strings[key] = s;
                    break;
                case null:
                    break;
                default:
                    throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] ({value.GetType().Name}) cannot be sent to an engine worker.");
            }
        }

        return new WireOptions
        {
            Temperature = options.Temperature,
            TopK = options.TopK,
            TopP = options.TopP,
            Seed = options.Seed,
            MaxOutputTokens = options.MaxOutputTokens,
            StopSequences = options.StopSequences?.ToArray(),
            ChatTemplateTime = time,
            Properties = strings.Count == 0 ? null : strings,
        };
    }

    /// <summary>The options as the worker's local client reads them.</summary>
    public ChatOptions ToChatOptions()
    {
        var options = new ChatOptions
        {
            Temperature = Temperature,
            TopK = TopK,
            TopP = TopP,
            Seed = Seed,
            MaxOutputTokens = MaxOutputTokens,
            StopSequences = StopSequences?.ToList(),
        };
        if (ChatTemplateTime is not null || Properties is { Count: > 0 })
        {
            options.AdditionalProperties = [];
            foreach (var (key, value) in Properties ?? new Dictionary<string, string>())
            {
                options.AdditionalProperties[key] = value;
            }

            if (ChatTemplateTime is { } time)
            {
                options.AdditionalProperties[ChatRequestProperties.ChatTemplateTime] = time;
            }
        }

        return options;
    }

    /// <summary>
    /// Turns the JSON values of deserialized additional properties back into what the engine wrote (numbers, strings,
    /// booleans), so that readers of a response see the same types from a worker as in-process.
    /// </summary>
    public static void RestorePrimitives(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            return;
        }

        foreach (var (key, value) in properties.ToArray())
        {
            if (value is JsonElement element)
            {
                properties[key] = element.ValueKind switch
                {
                    JsonValueKind.String => element.GetString(),
                    JsonValueKind.Number when element.TryGetInt64(out var l) => l,
                    JsonValueKind.Number => element.GetDouble(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Null => null,
                    _ => element.GetRawText(),
                };
            }
        }
    }
}
