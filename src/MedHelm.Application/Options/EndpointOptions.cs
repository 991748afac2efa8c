using System.ComponentModel.DataAnnotations;

namespace MedHelm.Application.Options;

/// <summary>
/// The <c>Endpoints</c> section: hosted models behind OpenAI-compatible endpoints. Off unless an administrator sets
/// <c>Enabled</c>; each endpoint may see public benchmark data only, unless its <c>AllowPatientData</c> is set
/// (for an endpoint inside the hospital's own network, under its data agreements).
/// </summary>
public sealed class EndpointsOptions
{
    public const string SectionName = "Endpoints";

    /// <summary>Master switch: no hosted endpoint is called while this is false.</summary>
    public bool Enabled { get; set; }

    public Dictionary<string, EndpointOptions> Items { get; set; } = [];
}

public sealed class EndpointOptions
{
    /// <summary>Base address including the version path, e.g. https://llm.hospital.local/v1.</summary>
    [Required]
    [Url]
    public string BaseUrl { get; set; } = "";

    [Required]
    public string Model { get; set; } = "";

    /// <summary>Name of the environment variable that holds the API key (keys never sit in appsettings.json).</summary>
    public string? ApiKeyEnvironmentVariable { get; set; }

    /// <summary>May this endpoint receive gated or private (patient) data?</summary>
    public bool AllowPatientData { get; set; }

    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 300;

    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>Requests in flight at once (jury ratings).</summary>
    [Range(1, 256)]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>
    /// Does the endpoint honour <c>response_format: json_schema</c>? As a judge it then gets the verdict's schema;
    /// otherwise the prompt alone asks for JSON and an answer that does not parse is retried (Jury:MaxRetries).
    /// </summary>
    public bool StructuredOutput { get; set; } = true;
}
