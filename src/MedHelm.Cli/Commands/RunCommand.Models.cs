using MedHelm.Cli.Hosting;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using Microsoft.Extensions.AI;

namespace MedHelm.Cli.Commands;

/// <summary>The evaluated models of a run: local GGUF files loaded into the batched engine, or hosted endpoints.</summary>
internal static partial class RunCommand
{
    /// <summary>A hosted endpoint named in --models, prepared without loading anything; its data policy is checked per benchmark.</summary>
    private static PreparedModel PrepareEndpoint(CliHost host, string argument)
    {
        var endpoints = host.Options<EndpointsOptions>();
        if (!endpoints.Enabled)
        {
            throw new UnauthorizedAccessException(
                $"'{argument}' is a hosted endpoint, and hosted endpoints are disabled on this appliance (an administrator sets Endpoints:Enabled).");
        }

        var endpoint = endpoints.Items[argument];
        return new PreparedModel(argument, argument, endpoint.BaseUrl, new LocalModelOptions(), "", 0, "hosted", endpoint.Model, 0)
        {
            Endpoint = endpoint,
        };
    }

    /// <summary>Every hosted model must be allowed to receive the data of every benchmark of the run: checked before any work.</summary>
    private static void CheckEndpointModels(CliHost host, IReadOnlyList<PreparedModel> models, IReadOnlyList<PlannedBenchmark> planned)
    {
        foreach (var model in models.Where(m => m.Endpoint is not null))
        {
            foreach (var benchmark in planned)
            {
                HostedDataPolicy.EnsureAllowed(host.Options<EndpointsOptions>(), model.Name, benchmark.Definition.Access);
            }
        }
    }

    /// <summary>A model or judge ready to answer: its client, how many requests it takes at once, and what to release after.</summary>
    private sealed class Opened<TClient>(TClient client, int concurrency, params IDisposable[] owned) : IDisposable
    {
        public TClient Client { get; } = client;

        public int Concurrency { get; } = concurrency;

        public void Dispose()
        {
            foreach (var o in owned)
            {
                o.Dispose();
            }
        }
    }

    private static Opened<IChatClient> OpenModel(CliHost host, PreparedModel model, IReadOnlyList<PlannedBenchmark> planned, int threads)
    {
        if (model.Endpoint is { } endpoint)
        {
            var tier = planned.Count == 0 ? Core.Catalog.AccessTier.Public : planned.Max(b => b.Definition.Access);
            var hosted = host.CreateHostedClient(model.Name, tier);
            return new Opened<IChatClient>(hosted, endpoint.MaxConcurrency, hosted);
        }

        var loaded = LlamaModel.Load(model.Path, model.Settings.ToModelSettings(), host.Logger("MedHelm.Models"));
        try
        {
            var client = new LlamaChatClient(
                loaded, new LlamaChatClientOptions { ModelName = model.Name, Engine = model.Settings.ToEngineOptions(threads) }, host.Logger("MedHelm.Generation"),
                ownsModel: true);
            return new Opened<IChatClient>(client, client.Context.Sequences, client);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }
}
