using System.Text.Json;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Metrics;
using MedHelm.Inference.Llama.Embeddings;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;

namespace MedHelm.Cli.Commands;

/// <summary>Loads the BERT-family embedding model for the bertscore metric (and its idf table when asked).</summary>
internal static class BertScoreSetup
{
    public static async Task<(IMetric Metric, IDisposable Owner)> CreateAsync(CliHost host, string model, string inputPath, bool withIdf, CancellationToken cancellationToken)
    {
        var (_, path, settings) = host.ResolveModel(model);
        host.InitializeLlama();
        var loaded = LlamaModel.Load(path, settings.ToModelSettings(), host.Logger("MedHelm.Models"));
        try
        {
            var embedder = new LlamaTokenEmbedder(loaded, threads: host.Options<LlamaRuntimeOptions>().EffectiveThreads, ownsModel: true);
            IReadOnlyDictionary<int, double>? idf = null;
            if (withIdf)
            {
                var references = new List<int[]>();
                var line = 0;
                foreach (var text in await File.ReadAllLinesAsync(inputPath, cancellationToken))
                {
                    line++;
                    if (string.IsNullOrWhiteSpace(text))
                    {
                        continue;
                    }

                    try
                    {
                        using var json = JsonDocument.Parse(text);
                        if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("gold", out var gold) && gold.ValueKind == JsonValueKind.String)
                        {
                            references.Add(loaded.Vocabulary.Tokenize(gold.GetString()!, addSpecial: false, parseSpecial: false));
                        }
                    }
                    catch (JsonException)
                    {
                        // the scoring pass reports the bad line with its number
                    }
                }

                idf = BertScore.InverseDocumentFrequency(references);
            }

            return (new BertScoreMetric(embedder, idf), embedder);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }
}
