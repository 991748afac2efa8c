using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm models add|list|remove</c>: the model registry of the results database (the application layer's
/// <see cref="ModelRegistry"/>; changes audited as <c>cli:OS-USER</c>).
/// </summary>
internal static class ModelRegistryCommands
{
    public static IEnumerable<Command> Build() => [Add(), List(), Remove()];

    private static Command Add()
    {
        var file = new Argument<FileInfo>("file") { Description = "The GGUF file (it stays where it is; the registry records its path)." };
        var name = new Option<string?>("--name") { Description = "The name to register it under (default: the manifest entry's name when its hash is listed, else the file name without .gguf)." };
        var sha = new Option<string?>("--sha256") { Description = "The SHA-256 the file must have (the publisher's); a file with another hash is refused." };
        var trust = new Option<bool>("--trust") { Description = "Register a file whose hash is neither in models/manifest.json nor given with --sha256 (audited as trusted)." };
        var command = new Command(
            "add",
            "Validate a GGUF file (every check of `models inspect`), hash it, check the hash against models/manifest.json or --sha256, and register it with its " +
            "architecture, parameters, quantization, context length, chat template and licence; audited.")
            { file, name, sha, trust };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var request = new ModelAddRequest(parse.GetValue(file)!.FullName, parse.GetValue(name), parse.GetValue(sha), parse.GetValue(trust));
            var added = await host.Service<ModelRegistry>().AddAsync(request, CommandRunner.Caller, token);
            foreach (var warning in added.Warnings)
            {
                await Console.Error.WriteLineAsync($"warning: {warning}");
            }

            var m = added.Model;
            await Console.Out.WriteLineAsync(added.Outcome == ModelAddOutcome.AlreadyRegistered
                ? $"model {m.Name} is registered already with this file (nothing changed)"
                : $"model {m.Name} registered ({Trust(m)}): {m.Path}");
            await WriteDetailsAsync(m);
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON: every field of each model." };
        var command = new Command(
            "list",
            "List the configured models (Models section), the hosted endpoints, the registered models and the models only recorded because a run used them.")
            { json };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var models = await host.Service<ModelRegistry>().ListAsync(token);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(models.Select(Json), new JsonSerializerOptions { WriteIndented = true }));
                return CommandRunner.Ok;
            }

            if (models.Count == 0)
            {
                await Console.Out.WriteLineAsync("no model is configured, registered or recorded (models add FILE registers one)");
                return CommandRunner.Ok;
            }

            await Console.Out.WriteLineAsync($"{"NAME",-28} {"KIND",-10} {"TRUST",-8} {"ARCH",-10} {"QUANT",-10} {"PARAMS",8} {"CONTEXT",7} {"TEMPLATE",-11} {"SHA-256",-12}  FILE");
            foreach (var m in models)
            {
                var s = m.Stored;
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{m.Name,-28} {m.Kind,-10} {(s?.Trust is { } t ? ModelTrustNames.Of(t) : "-"),-8} {s?.Architecture ?? "-",-10} {s?.Quantization ?? "-",-10} " +
                    $"{Parameters(s?.Parameters),8} {s?.ContextLength?.ToString(CultureInfo.InvariantCulture) ?? "-",7} {s?.ChatTemplateFamily ?? "-",-11} " +
                    $"{(s?.Sha256 is { } sha ? sha[..12] : "-"),-12}  {m.File ?? "-"}"));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "The registered model's name (see `models list`)." };
        var command = new Command(
            "remove",
            "Remove a model from the registry (never its file); refused while a queued or running run uses it; audited. Runs' results keep the model's identity.")
            { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var modelName = parse.GetValue(name)!;
            var deleted = await host.Service<ModelRegistry>().RemoveAsync(modelName, CommandRunner.Caller, token);
            await Console.Out.WriteLineAsync(deleted
                ? $"model {modelName} removed from the registry (the file was not touched)"
                : $"model {modelName} removed from the registry (the file was not touched; its identity stays recorded for the runs that used it)");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static async Task WriteDetailsAsync(StoredModel m)
    {
        await Console.Out.WriteLineAsync($"  sha256         {m.Sha256}");
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  size           {m.SizeBytes} bytes"));
        await Console.Out.WriteLineAsync($"  architecture   {m.Architecture}");
        await Console.Out.WriteLineAsync($"  parameters     {Parameters(m.Parameters)}");
        await Console.Out.WriteLineAsync($"  quantization   {m.Quantization}");
        await Console.Out.WriteLineAsync($"  context        {m.ContextLength?.ToString(CultureInfo.InvariantCulture) ?? "not given"}");
        await Console.Out.WriteLineAsync($"  chat template  {m.ChatTemplateFamily}{(m.ChatTemplateSha256 is { } t ? $" (sha256 {t})" : "")}");
        await Console.Out.WriteLineAsync($"  licence        {m.License ?? "not given (general.license)"}");
        await Console.Out.WriteLineAsync($"  registered by  {m.RegisteredBy}");
    }

    private static string Trust(StoredModel m) => m.Trust switch
    {
        ModelTrust.Manifest => "hash listed in models/manifest.json",
        ModelTrust.GivenHash => "hash equals --sha256",
        ModelTrust.Trusted => "trusted without a hash check, audited",
        _ => "not registered",
    };

    private static string Parameters(long? parameters) => parameters switch
    {
        null => "-",
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e9:0.#}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e6:0.#}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{parameters / 1e3:0.#}K"),
        _ => parameters.Value.ToString(CultureInfo.InvariantCulture),
    };

    private static Dictionary<string, object?> Json(ModelListing m) => new()
    {
        ["name"] = m.Name,
        ["kind"] = m.Kind,
        ["file"] = m.File,
        ["sha256"] = m.Stored?.Sha256,
        ["size_bytes"] = m.Stored?.SizeBytes,
        ["architecture"] = m.Stored?.Architecture,
        ["parameters"] = m.Stored?.Parameters,
        ["quantization"] = m.Stored?.Quantization,
        ["context_length"] = m.Stored?.ContextLength,
        ["chat_template_family"] = m.Stored?.ChatTemplateFamily,
        ["chat_template_sha256"] = m.Stored?.ChatTemplateSha256,
        ["license"] = m.Stored?.License,
        ["trust"] = m.Stored?.Trust is { } t ? ModelTrustNames.Of(t) : null,
        ["registered_by"] = m.Stored?.RegisteredBy,
        ["recorded_utc"] = m.Stored?.RecordedUtc,
    };
}
