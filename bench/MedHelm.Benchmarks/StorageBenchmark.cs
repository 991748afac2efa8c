using System.Diagnostics;
using System.Globalization;
using MedHelm.Core.Ledger;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;
using MedHelm.Storage;

namespace MedHelm.Benchmarks;

/// <summary>
/// Throughput of the results ledger: N scored results queued from several producers, committed by the single writer
/// in batched transactions (WAL, synchronous=FULL), then the same N again as a resumed run would (all ignored), then
/// one lookup of all N keys as a resume does before computing.
/// </summary>
internal static class StorageBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var results = 100_000;
        var batch = 512;
        var producers = 8;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--results" when i + 1 < args.Length:
                    results = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--batch" when i + 1 < args.Length:
                    batch = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--producers" when i + 1 < args.Length:
                    producers = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
            }
        }

        var folder = Path.Combine(Path.GetTempPath(), "medhelm-storage-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var entries = MakeEntries(results);
            await using var store = await SqliteResultStore.OpenAsync(Path.Combine(folder, "bench.db"));
            await store.SaveRunAsync(new RunRecord("bench", DateTimeOffset.UtcNow, null, "{}", "bench", null, Environment.MachineName, RunStatus.Running));

            var (first, transactions) = await WriteAsync(store, entries, batch, producers);
            var (again, _) = await WriteAsync(store, entries, batch, producers);
            var lookup = Stopwatch.StartNew();
            var found = await store.FindCompletionsAsync(entries.Select(e => e.Request.Key).ToArray());
            lookup.Stop();
            if (found.Count != results)
            {
                throw new InvalidOperationException($"expected {results} stored completions, found {found.Count}");
            }

            var size = new DirectoryInfo(folder).GetFiles().Sum(f => f.Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"storage: {results:N0} scored results, {producers} producers, batches of up to {batch} (WAL, synchronous=FULL): " +
                $"{results / first.TotalSeconds:N0} results/s ({first.TotalMilliseconds:0} ms, {transactions} transactions); " +
                $"rewrite as a resume (all ignored) {results / again.TotalSeconds:N0} results/s; lookup of all keys {lookup.Elapsed.TotalMilliseconds:0} ms; " +
                $"database {size / 1024.0 / 1024.0:0.0} MiB; {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<(TimeSpan Elapsed, long Transactions)> WriteAsync(SqliteResultStore store, LedgerEntry[] entries, int batch, int producers)
    {
        var stopwatch = Stopwatch.StartNew();
        await using var ledger = store.OpenLedger(maxBatch: batch);
        var chunk = (entries.Length + producers - 1) / producers;
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = p * chunk; i < Math.Min(entries.Length, (p + 1) * chunk); i++)
            {
                await ledger.RecordAsync(entries[i]);
            }
        })));
        await ledger.FlushAsync();
        stopwatch.Stop();
        return (stopwatch.Elapsed, ledger.Transactions);
    }

    private static LedgerEntry[] MakeEntries(int count)
    {
        var model = LedgerKey.LocalModel(new string('a', 64));
        var dataset = new string('d', 64);
        var template = new string('t', 64);
        var decoding = LedgerKey.Decoding(0, 1, ["\n"]);
        var random = new Random(7);
        return Enumerable.Range(0, count).Select(i =>
        {
            var id = i.ToString(CultureInfo.InvariantCulture);
            var key = LedgerKey.Compute(new LedgerKeyParts(model, dataset, id, template, decoding));
            var answer = ((char)('A' + random.Next(4))).ToString();
            return new LedgerEntry(
                "bench",
                new LedgerRequest(key, "bench-model", model, "bench_qa", dataset, id, template, key, decoding, 0, 0, "A"),
                new LedgerCompletion(answer, null, "Stop", 300 + random.Next(900), 1, 0, 128, 1.5, 40.2, 41.0, 0.8, 42.5),
                CompletionOrigin.Computed,
                [new MetricScore("exact_match", answer == "A" ? 1 : 0)]);
        }).ToArray();
    }
}
