using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Runs;

namespace MedHelm.Application.Tests.Runs;

/// <summary>The stored run configuration: the keys earlier versions wrote, read and written in one place.</summary>
public sealed class RunManifestTests
{
    /// <summary>A configuration as `medhelm run` stored it before the manifest was typed (no manifest_version).</summary>
    private const string Version1 = """
        {"plan":{"suite":null,"benchmarks":["pubmed_qa"],"models":["m.gguf"],"jury":[],"max_instances":3,"mode":"helm","bertscore_model":null},
         "ledger_key":"medhelm-ledger-key/1","decoding":{"temperature":0,"seed":0,"sample_index":0,"greedy":true},
         "models":[{"name":"m","argument":"m.gguf","file":"/models/m.gguf","endpoint":null,"sha256":"abc","size_bytes":10,"architecture":"llama",
           "quantization":"F32","parameters":100,"settings":{"gpu_layers":-1,"main_gpu":0,"tensor_split":[],"flash_attention":null,"sequences":4,
           "context_per_sequence":4096,"batch":2048,"micro_batch":512,"prefix_reuse":true,"reasoning":{}}}],
         "jury":[],
         "benchmarks":[{"name":"pubmed_qa","dataset_sha256":"def","source":"bundled:pubmed_qa","split":"all","instances":3,"metric":"exact_match","max_tokens":1,"stop":[]}],
         "skipped":[{"name":"aci_bench","reason":"no jury"}],
         "engine":{"backend":"cpu","llama_cpp":"b1","threads":2,"devices":["CPU [cpu]"]},
         "ehr_sql_database":{"path":"/d/e.sqlite","sha256":"123","source":"synthetic","query_timeout_seconds":10,"max_rows":100000}}
        """;

    [Fact]
    public void A_configuration_stored_before_the_manifest_was_typed_reads_as_version_1()
    {
        var manifest = RunManifestJson.Parse("old", Version1)!;
        Assert.Equal(1, manifest.ManifestVersion);
        Assert.Equal("helm", manifest.Plan.Mode);
        Assert.Equal(3, manifest.Plan.MaxInstances);
        Assert.False(manifest.Plan.Samples);
        Assert.Equal("abc", Assert.Single(manifest.Models).Sha256);
        Assert.Equal(4096, manifest.Models[0].Settings.ContextPerSequence);
        Assert.Equal("def", Assert.Single(manifest.Benchmarks).DatasetSha256);
        Assert.Null(manifest.Benchmarks[0].Data);
        Assert.Equal("b1", manifest.Engine.LlamaCpp);
        Assert.Equal(100000, manifest.EhrSqlDatabase!.MaxRows);
        Assert.Null(manifest.BertscoreModel);
        Assert.Null(manifest.ChatTemplateTime); // before version 3: the run's start time stands in (ChatTemplateRun.Time)
    }

    [Fact]
    public void The_determinism_of_a_model_is_stored_and_read_back_and_absent_in_manifests_written_before_it()
    {
        var old = RunManifestJson.Parse("old", Version1)!;
        Assert.Null(old.Models[0].Settings.Determinism);

        var model = old.Models[0] with { Settings = old.Models[0].Settings with { Determinism = "BatchInvariant (flash attention off, no weight repacking)" } };
        var written = RunManifestJson.Serialize(old with { Models = [model] });
        using var document = JsonDocument.Parse(written);
        Assert.Equal("BatchInvariant (flash attention off, no weight repacking)",
            document.RootElement.GetProperty("models")[0].GetProperty("settings").GetProperty("determinism").GetString());
        Assert.Equal(model.Settings.Determinism, RunManifestJson.Parse("again", written)!.Models[0].Settings.Determinism);
    }

    [Fact]
    public void The_manifest_is_written_with_the_keys_earlier_versions_wrote_plus_its_version()
    {
        var written = RunManifestJson.Serialize(RunManifestJson.Parse("old", Version1)! with { ManifestVersion = RunManifest.CurrentVersion });
        using var document = JsonDocument.Parse(written);
        var root = document.RootElement;
        Assert.Equal(RunManifest.CurrentVersion, root.GetProperty("manifest_version").GetInt32());
        Assert.Equal("def", root.GetProperty("benchmarks")[0].GetProperty("dataset_sha256").GetString());
        Assert.Equal(512, root.GetProperty("models")[0].GetProperty("settings").GetProperty("micro_batch").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("plan").GetProperty("bertscore_model").ValueKind);
        Assert.Equal(3, root.GetProperty("plan").GetProperty("max_instances").GetInt32());
        Assert.Equal("b1", root.GetProperty("engine").GetProperty("llama_cpp").GetString());
        Assert.Equal(10, root.GetProperty("ehr_sql_database").GetProperty("query_timeout_seconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("bertscore_model").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("chat_template_time").ValueKind);
        Assert.Equal(written, RunManifestJson.Serialize(RunManifestJson.Parse("again", written)!)); // stable round trip
    }

    [Fact]
    public void A_configuration_without_a_plan_is_not_a_run_manifest_and_bad_json_or_a_newer_version_is_a_conflict()
    {
        Assert.Null(RunManifestJson.Parse("x", """{"models":[]}"""));
        Assert.Throws<ConflictException>(() => RunManifestJson.Parse("x", "{not json"));
        var newer = Version1.Replace("{\"plan\"", "{\"manifest_version\":99,\"plan\"", StringComparison.Ordinal);
        var e = Assert.Throws<ConflictException>(() => RunManifestJson.Parse("x", newer));
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }
}
