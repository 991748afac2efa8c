using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedHelm.Service.Tests;

/// <summary>
/// Unique random canaries stand in for patient text: in an imported dataset's questions, options and references, in a
/// file that fails to import, in request bodies, paths, query strings and headers. After an import, a run on the real
/// engine (a tiny generated model), a failing import and bad requests, with every log at its most verbose, no canary is
/// in the JSON log file, in any logged event, in any error response, or in any table that holds no patient text.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class PatientTextCanaryTests
{
    /// <summary>The tables that hold patient text by design (imported instances, the ledger's gold and outputs, judges' explanations).</summary>
    private static readonly HashSet<string> PatientTables = new(StringComparer.Ordinal)
    {
        "dataset_instances", "requests", "completions", "completions_v1", "scores_v1", "jury_ratings",
    };

    private readonly List<string> _canaries = [];
    private readonly List<string> _errorBodies = [];

    [Fact]
    public async Task No_canary_reaches_a_log_an_error_response_or_a_table_without_patient_text()
    {
        using var home = new TempFolder("medhelm-canary-");
        var events = new CollectingLoggerProvider();
        var service = new TestService(
            home: home,
            realEngine: true,
            settings:
            [
                ("Inference:RuntimeRoot", RepositoryPaths.Combine("runtimes", "llama")),
                ("Inference:Threads", "1"),
                ("Inference:VerboseNativeLog", "true"),
                ("LogFile:MinimumLevel", "Trace"),
                ("Serilog:MinimumLevel:Default", "Verbose"),
                ("Serilog:MinimumLevel:Override:Microsoft", "Verbose"),
                ("Serilog:MinimumLevel:Override:Microsoft.AspNetCore", "Verbose"),
                ("Serilog:MinimumLevel:Override:System", "Verbose"),
            ],
            services: s => s.AddSingleton<ILoggerProvider>(events));
        try
        {
            await ExerciseAsync(service);
        }
        finally
        {
            await service.DisposeAsync(); // flushes and closes the log file
        }

        var logFiles = Directory.GetFiles(home.PathOf("logs"));
        var logText = string.Join("\n", logFiles.Select(File.ReadAllText));
        Assert.Contains("\"@l\":\"Debug\"", logText, StringComparison.Ordinal); // the file really was verbose
        Assert.Contains("\"Route\":\"/api/v1/runs", logText, StringComparison.Ordinal); // and has the request log
        // llama.cpp's own log reaches this file only from the first runtime start in the test process (and the service
        // runs models in engine workers, which log nothing but their exit): when it is there, it was searched below too
        var requests = logText.Split('\n').Where(l => l.Contains("\"@mt\":\"HTTP {RequestMethod}", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
        Assert.Contains(requests, r => Is(r, "GET", "/api/v1/runs/{runId}", 404) && r.GetProperty("Elapsed").GetDouble() >= 0);
        Assert.Contains(requests, r => Is(r, "GET", "(no route)", 404));
        Assert.Contains(requests, r => Is(r, "POST", "/api/v1/datasets/", 201) || Is(r, "POST", "/api/v1/datasets", 201));
        Assert.Contains(requests, r => r.GetProperty("RequestMethod").GetString() == "(other)");
        var logged = events.Logger.AllText();
        Assert.Contains(events.Logger.Entries, e => e.Level == LogLevel.Debug);

        var tables = await TablesAsync(home.PathOf("data", "medhelm.db"));
        Assert.All(_canaries.Take(4), canary => Assert.Contains(canary, tables["dataset_instances"], StringComparison.Ordinal)); // the data did go in
        foreach (var canary in _canaries)
        {
            AssertAbsent(canary, logText, "the log file");
            AssertAbsent(canary, logged, "the logged events");
            AssertAbsent(canary, string.Join("\n", _errorBodies), "the error responses");
            foreach (var (table, text) in tables.Where(t => !PatientTables.Contains(t.Key)))
            {
                AssertAbsent(canary, text, $"table {table}");
            }
        }

        Assert.True(_errorBodies.Count >= 10, $"only {_errorBodies.Count} error responses were checked");
    }

    /// <summary>An import, a run on the real engine, a failing import and bad requests, each carrying canaries.</summary>
    private async Task ExerciseAsync(TestService service)
    {
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var admin = await service.ClientAsync(AccessRole.Admin);

        // an import whose questions, options and references carry canaries; one question is far longer than the context
        var upload = await operatorClient.PostAsync("/api/v1/datasets", Upload(MedBullets(4, longQuestion: 3)));
        Assert.True(upload.StatusCode == HttpStatusCode.Created, await upload.Content.ReadAsStringAsync());

        // a run of the real engine over it; then its report with outputs (an audited read of patient text)
        var model = service.Model("canary-model");
        var run = new { models = new[] { model }, benchmarks = new[] { "medbullets" }, maxInstances = 4, jury = new[] { "none" }, runId = "canary-run" };
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsJsonAsync("/api/v1/runs", run)).StatusCode);
        var finished = await TestService.WaitForAsync(operatorClient, "canary-run", "completed", "failed");
        Assert.True(finished.GetProperty("status").GetString() == "completed", finished.ToString());
        Assert.True((await admin.GetAsync("/api/v1/runs/canary-run/report?outputs=true")).IsSuccessStatusCode);
        Assert.True((await operatorClient.GetAsync("/api/v1/benchmarks/medbullets/prompt")).IsSuccessStatusCode);

        // a file that fails to import: a shifted column puts a note's text where the answer letter belongs
        await Send(operatorClient, HttpMethod.Post, "/api/v1/datasets", Upload(MedBullets(2, shiftedAnswer: 1)), HttpStatusCode.BadRequest);

        // bad requests: canaries in paths, query strings, bodies and headers
        var c = Canary;
        await Send(operatorClient, HttpMethod.Get, $"/api/v1/runs/{c()}", null, HttpStatusCode.NotFound);
        await Send(operatorClient, HttpMethod.Get, $"/api/v1/runs/canary-run/results?model={c()}&benchmark={c()}", null);
        await Send(operatorClient, HttpMethod.Get, $"/api/v1/leaderboard?runId={c()}", null);
        await Send(operatorClient, HttpMethod.Get, $"/api/v1/benchmarks/{c()}", null, HttpStatusCode.NotFound);
        await Send(operatorClient, HttpMethod.Get, $"/api/v2/{c()}?q={c()}", null, HttpStatusCode.NotFound);
        await Send(operatorClient, new HttpMethod(c().ToUpperInvariant()), "/api/v1/runs", null);
        await Send(operatorClient, HttpMethod.Get, $"/api/v1/benchmarks/medbullets/prompt?instance={c()}", null);
        await Send(operatorClient, HttpMethod.Post, "/api/v1/runs", Json($"{{\"models\": [\"{c()}\""), HttpStatusCode.BadRequest);
        await Send(operatorClient, HttpMethod.Post, "/api/v1/runs", Json($"{{\"models\": \"{c()}\", \"benchmarks\": 7}}"), HttpStatusCode.BadRequest);
        await Send(operatorClient, HttpMethod.Post, "/api/v1/runs", JsonContent.Create(new { models = new[] { model }, benchmarks = new[] { "medbullets" }, runId = $"bad id {c()}" }), HttpStatusCode.BadRequest);
        await Send(operatorClient, HttpMethod.Post, "/api/v1/runs", JsonContent.Create(new { models = new[] { model }, benchmarks = new[] { "medbullets" }, mode = c() }), HttpStatusCode.BadRequest);
        await Send(admin, HttpMethod.Post, "/api/v1/models", JsonContent.Create(new { name = c(), path = c() + ".gguf", sha256 = c() }));
        await Send(operatorClient, HttpMethod.Post, "/api/v1/runs", new StringContent($"{{\"models\": [\"{c()}\"]}}", Encoding.Latin1, "application/json"), HttpStatusCode.UnsupportedMediaType);
        using (var anonymous = service.Anonymous())
        {
            anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", c());
            anonymous.DefaultRequestHeaders.Add("Cookie", $"session={c()}");
            anonymous.DefaultRequestHeaders.Add("User-Agent", c());
            await Send(anonymous, HttpMethod.Get, $"/api/v1/runs?note={c()}", null, HttpStatusCode.Unauthorized);
        }
    }

    private static bool Is(JsonElement request, string method, string route, int status) =>
        request.GetProperty("RequestMethod").GetString() == method && request.GetProperty("Route").GetString() == route && request.GetProperty("StatusCode").GetInt32() == status;

    /// <summary>Fails naming where the canary was found, with the line that holds it.</summary>
    private static void AssertAbsent(string canary, string text, string where)
    {
        var at = text.IndexOf(canary, StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            var start = text.LastIndexOf('\n', at) + 1;
            var end = text.IndexOf('\n', at);
            var line = text[start..(end < 0 ? text.Length : end)];
            Assert.Fail($"{where} holds the canary {canary}: {(line.Length > 1500 ? line[..1500] + "…" : line)}");
        }
    }

    private string Canary()
    {
        var canary = "cnry" + RandomNumberGenerator.GetHexString(16, lowercase: true);
        _canaries.Add(canary);
        return canary;
    }

    /// <summary>A medbullets_op5.csv with a canary in every question, option, answer and explanation.</summary>
    private string MedBullets(int rows, int longQuestion = -1, int shiftedAnswer = -1)
    {
        var csv = new StringBuilder("link,question,opa,opb,opc,opd,ope,answer_idx,answer,explanation\n");
        for (var i = 0; i < rows; i++)
        {
            var question = $"A patient {Canary()} presents with {Canary()}. Which is the next step?";
            if (i == longQuestion)
            {
                question += string.Concat(Enumerable.Repeat($" history {Canary()}", 1)) + string.Concat(Enumerable.Repeat(" lorem ipsum dolor", 3000));
            }

            var answer = i == shiftedAnswer ? $"the note says {Canary()}" : "B";
            csv.Append($"https://example.org/q?qid={1000 + i},\"{question}\",{Canary()},{Canary()},{Canary()},{Canary()},{Canary()},{answer},{Canary()},\"because {Canary()}\"\n");
        }

        return csv.ToString();
    }

    private static MultipartFormDataContent Upload(string csv) => new()
    {
        { new StringContent("medbullets"), "benchmark" },
        { new ByteArrayContent(Encoding.UTF8.GetBytes(csv)), "files", "medbullets_op5.csv" },
    };

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>Sends a request; keeps the body of an error response (and checks the status when one is expected).</summary>
    private async Task Send(HttpClient client, HttpMethod method, string url, HttpContent? content, HttpStatusCode? expected = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (expected is { } status)
        {
            Assert.True(response.StatusCode == status, $"{method} {url}: {(int)response.StatusCode} {body}");
        }

        if ((int)response.StatusCode >= 400)
        {
            _errorBodies.Add(body);
        }
    }

    /// <summary>Every table's rows as one text per table.</summary>
    private static async Task<Dictionary<string, string>> TablesAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        var names = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }
        }

        var tables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var text = new StringBuilder();
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{name}\"";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    text.Append(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)).Append('\u001f');
                }

                text.Append('\n');
            }

            tables[name] = text.ToString();
        }

        return tables;
    }
}
