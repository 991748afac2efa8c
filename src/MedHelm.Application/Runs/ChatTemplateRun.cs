using System.Globalization;
using MedHelm.Inference.Llama.ChatTemplates;
using MedHelm.Inference.Llama.Chat;
using Microsoft.Extensions.AI;

namespace MedHelm.Application.Runs;

/// <summary>
/// How a run fixes the time its local models' chat templates see, and how the rendering enters the ledger key:
/// results computed with another renderer, or with another date by a template that prints the date, are not reused.
/// </summary>
public static class ChatTemplateRun
{
    /// <summary>
    /// The stored manifest's time; for a run stored before manifest version 3, its start time; for a new run,
    /// <paramref name="now"/> to the whole second (UTC).
    /// </summary>
    public static DateTimeOffset Time(RunManifest? stored, DateTimeOffset? startedUtc, DateTimeOffset now) =>
        stored?.ChatTemplateTime ?? startedUtc ?? new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    /// <summary>
    /// <paramref name="extras"/> plus, for a local model with a chat template, the renderer version and (when the
    /// template reads the date) the date the template sees.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DecodingExtras(IReadOnlyDictionary<string, string> extras, IChatClient client, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(extras);
        ArgumentNullException.ThrowIfNull(client);
        // in process or from an engine worker: the same keys, so that their results are interchangeable
        if (client.GetService(typeof(ChatTemplateInfo)) is not ChatTemplateInfo template)
        {
            return extras;
        }

        var result = new Dictionary<string, string>(extras, StringComparer.Ordinal)
        {
            ["chat_template_renderer"] = ChatTemplate.RendererVersion,
        };
        if (template.ReadsDate)
        {
            result["chat_template_date"] = time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        return result;
    }
}
