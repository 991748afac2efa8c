using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Evaluation.Datasets;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

public sealed class ModelsAndDatasetsApiTests
{
    [Fact]
    public async Task A_model_is_registered_only_from_the_model_folder_and_with_its_exact_SHA256()
    {
        await using var service = new TestService();
        var admin = await service.ClientAsync(AccessRole.Admin);
        var path = service.Model("registered");
        var sha = ModelFiles.Sha256(path);

        var wrong = await admin.PostAsJsonAsync("/api/v1/models", new { name = "m1", path = "registered.gguf", sha256 = new string('0', 64) });
        await RunsApiTests.AssertProblemAsync(wrong, HttpStatusCode.BadRequest, "nothing was registered");
        var outside = await admin.PostAsJsonAsync("/api/v1/models", new { name = "m1", path = "../../etc/passwd", sha256 = sha });
        await RunsApiTests.AssertProblemAsync(outside, HttpStatusCode.Forbidden, "inside the model folder");
        var missing = await admin.PostAsJsonAsync("/api/v1/models", new { name = "m1", path = "nope.gguf", sha256 = sha });
        await RunsApiTests.AssertProblemAsync(missing, HttpStatusCode.NotFound, "no such file");

        var created = await admin.PostAsJsonAsync("/api/v1/models", new { name = "m1", path = "registered.gguf", sha256 = sha.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var models = await admin.GetFromJsonAsync<JsonElement>("/api/v1/models");
        var recorded = models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "m1");
        Assert.Equal(sha, recorded.GetProperty("sha256").GetString());
        Assert.Equal("llama", recorded.GetProperty("architecture").GetString());
        Assert.Equal("registered", recorded.GetProperty("kind").GetString());
        Assert.Contains(await service.Database.GetAuditAsync(null), e => e.Event == "model_registered" && e.DetailJson.Contains(sha, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_registration_records_the_header_facts_and_trust_is_idempotent_and_an_admin_removes_it_audited()
    {
        await using var service = new TestService();
        var admin = await service.ClientAsync(AccessRole.Admin);
        var sha = ModelFiles.Sha256(service.Model("intake"));

        var created = await admin.PostAsJsonAsync("/api/v1/models", new { name = "intake", path = "intake.gguf", sha256 = sha });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/v1/models/intake", created.Headers.Location?.OriginalString);
        var view = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("registered", "sha256", "llama3", 4096), (
            view.GetProperty("kind").GetString(), view.GetProperty("trust").GetString(), view.GetProperty("chatTemplateFamily").GetString(),
            view.GetProperty("contextLength").GetInt32()));
        Assert.Equal("test-Admin", view.GetProperty("registeredBy").GetString());
        var registrations = (await service.Database.GetAuditAsync(null)).Count(e => e.Event == "model_registered");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/models", new { name = "intake", path = "intake.gguf", sha256 = sha })).StatusCode);
        Assert.Equal(registrations, (await service.Database.GetAuditAsync(null)).Count(e => e.Event == "model_registered")); // the same file again: nothing written
        await RunsApiTests.AssertProblemAsync(
            await admin.PostAsJsonAsync("/api/v1/models", new { name = "intake", path = "intake.gguf" }), HttpStatusCode.BadRequest, "sha256");

        Assert.Equal(HttpStatusCode.Forbidden, (await (await service.ClientAsync(AccessRole.Operator)).DeleteAsync("/api/v1/models/intake")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/v1/models/intake")).StatusCode);
        await RunsApiTests.AssertProblemAsync(await admin.DeleteAsync("/api/v1/models/intake"), HttpStatusCode.NotFound, "No registered model");
        Assert.DoesNotContain((await admin.GetFromJsonAsync<JsonElement>("/api/v1/models")).EnumerateArray(), m => m.GetProperty("name").GetString() == "intake");
        Assert.True(File.Exists(service.Home.File("intake.gguf")), "the file stays");
        var removed = Assert.Single(await service.Database.GetAuditAsync(null), e => e.Event == "model_removed");
        Assert.Contains("\"by\":\"test-Admin\"", removed.DetailJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_model_is_loaded_listed_in_readiness_and_unloaded()
    {
        await using var service = new TestService(settings:
        [
            ("Inference:RuntimeRoot", Path.Combine(RepositoryPaths.Root, "runtimes", "llama")),
            ("Inference:Threads", "1"),
        ]);
        var admin = await service.ClientAsync(AccessRole.Admin);
        var path = service.Model("resident");
        var registered = await admin.PostAsJsonAsync("/api/v1/models", new { name = "resident", path = "resident.gguf", sha256 = ModelFiles.Sha256(path) });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        await RunsApiTests.AssertProblemAsync(await admin.PostAsync("/api/v1/models/unknown/load", null), HttpStatusCode.NotFound, "no configured or registered");
        var loaded = await admin.PostAsync("/api/v1/models/resident/load", null);
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        var model = await loaded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("resident", "resident.gguf", true), (model.GetProperty("name").GetString(), model.GetProperty("fileName").GetString(), model.GetProperty("pinned").GetBoolean()));

        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/models/loaded");
        Assert.Equal("resident", Assert.Single(list.EnumerateArray()).GetProperty("name").GetString());
        var ready = await admin.GetFromJsonAsync<JsonElement>("/health/ready");
        var models = ready.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "models");
        Assert.Equal("resident", Assert.Single(models.GetProperty("data").GetProperty("loaded").EnumerateArray()).GetString());

        var unloaded = await admin.PostAsync("/api/v1/models/resident/unload", null);
        Assert.Equal(HttpStatusCode.OK, unloaded.StatusCode);
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/models/loaded")).EnumerateArray());
        await RunsApiTests.AssertProblemAsync(await admin.PostAsync("/api/v1/models/resident/unload", null), HttpStatusCode.NotFound, "in memory");
        var audit = await service.Database.GetAuditAsync(null);
        Assert.Contains(audit, e => e.Event == "model_loaded");
        Assert.Contains(audit, e => e.Event == "model_unloaded");
    }

    [Fact]
    public async Task An_upload_is_imported_listed_and_refused_when_too_large_invalid_or_badly_named()
    {
        await using var service = new TestService();
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var folder = service.Home.PathOf("medbullets");
        var files = BundledSamples.Extract("medbullets", folder);

        using (var form = Form("medbullets", files.Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))))
        {
            var response = await operatorClient.PostAsync("/api/v1/datasets", form);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, text);
            var import = JsonDocument.Parse(text).RootElement;
            Assert.Equal(15, import.GetProperty("instances").GetInt32());
            Assert.True(import.GetProperty("stored").GetBoolean());
        }

        var listed = await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/datasets");
        Assert.Contains(listed.EnumerateArray(), d => d.GetProperty("benchmark").GetString() == "medbullets");
        Assert.Empty(Directory.GetDirectories(Path.Combine(service.Home.Path, "data", "uploads"))); // the upload folder is removed

        using (var invalid = Form("medcalc_bench", [("test_data.csv", "Row Number,Question\n1,q\n"u8.ToArray())]))
        {
            var response = await operatorClient.PostAsync("/api/v1/datasets", invalid);
            var text = await RunsApiTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "nothing was imported");
            Assert.Contains("the required column is missing", text, StringComparison.Ordinal);
        }

        foreach (var name in new[] { "../escape.csv", ".hidden", "a\\b.csv" })
        {
            using var badName = Form("medbullets", [(name, "x"u8.ToArray())]);
            await RunsApiTests.AssertProblemAsync(await operatorClient.PostAsync("/api/v1/datasets", badName), HttpStatusCode.BadRequest, "plain name");
        }

        await using var small = new TestService(home: service.Home, settings: [("Service:MaxUploadBytes", "2048")]);
        var client = await small.ClientAsync(AccessRole.Operator);
        using var large = Form("medbullets", [("big.jsonl", new byte[4096])]);
        await RunsApiTests.AssertProblemAsync(await client.PostAsync("/api/v1/datasets", large), HttpStatusCode.RequestEntityTooLarge, "larger than");
    }

    [Fact]
    public async Task A_validation_names_every_problem_and_imports_and_keeps_nothing()
    {
        await using var service = new TestService();
        var operatorClient = await service.ClientAsync(AccessRole.Operator);
        var files = BundledSamples.Extract("medbullets", service.Home.PathOf("medbullets"));
        using (var form = Form("medbullets", files.Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))))
        {
            var valid = await (await operatorClient.PostAsync("/api/v1/datasets/validate", form)).Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(valid.GetProperty("valid").GetBoolean());
            Assert.Equal(15, valid.GetProperty("instances").GetInt32());
        }

        using (var invalid = Form("medcalc_bench", [("test_data.csv", "Row Number,Question\n1,q\n"u8.ToArray())]))
        {
            var response = await operatorClient.PostAsync("/api/v1/datasets/validate", invalid);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var report = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.False(report.GetProperty("valid").GetBoolean());
            var lines = report.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!).ToArray();
            Assert.Contains(lines, l => l.Contains("(line 1): field 'Calculator ID'", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(service.Home.Path, StringComparison.Ordinal)); // no server path
        }

        Assert.Empty((await operatorClient.GetFromJsonAsync<JsonElement>("/api/v1/datasets")).EnumerateArray()); // nothing imported
        Assert.Empty(Directory.GetDirectories(Path.Combine(service.Home.Path, "data", "uploads"))); // nothing kept
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        using var forViewer = Form("medbullets", [("x.jsonl", "{}"u8.ToArray())]);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/v1/datasets/validate", forViewer)).StatusCode);
    }

    private static MultipartFormDataContent Form(string benchmark, IEnumerable<(string Name, byte[] Bytes)> files)
    {
        var form = new MultipartFormDataContent { { new StringContent(benchmark), "benchmark" } };
        foreach (var (name, bytes) in files)
        {
            form.Add(new ByteArrayContent(bytes), "files", name);
        }

        return form;
    }
}
