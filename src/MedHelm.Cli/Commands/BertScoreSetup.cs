using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets.Formats;
using MedHelm.Evaluation.Files;

namespace MedHelm.Cli.Commands;

/// <summary>Leases the BERT-family embedding model for the bertscore metric (and computes its idf table when asked).</summary>
internal static class BertScoreSetup
{
    public static async Task<(IMetric Metric, IDisposable Owner)> CreateAsync(CliHost host, string model, string inputPath, bool withIdf, CancellationToken cancellationToken)
    {
        var lease = await host.Service<IModelLoader>().LeaseEmbedderAsync(model, cancellationToken);
        try
        {
            IdfWeights? idf = null;
            if (withIdf)
            {
                var references = new List<IReadOnlyList<int>>();
                RegularFiles.EnsureRegular(inputPath, "prediction file");
                foreach (var text in await File.ReadAllLinesAsync(inputPath, cancellationToken))
                {
                    if (string.IsNullOrWhiteSpace(text) || JsonSurrogates.Find(text) is not null)
                    {
                        continue;
                    }

                    try
                    {
                        using var json = JsonDocument.Parse(text);
                        if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("gold", out var gold) && gold.ValueKind == JsonValueKind.String)
                        {
                            references.Add(lease.Client.TokenIds(gold.GetString()!));
                        }
                    }
                    catch (JsonException)
                    {
                        // the scoring pass reports the bad line (also one with a lone surrogate) with its number
                    }
                }

                idf = BertScore.InverseDocumentFrequency(references);
            }

            return (new BertScoreMetric(lease.Client, idf), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }
}
