namespace MedHelm.Hosting.Tests;

/// <summary>
/// The configuration campaign (issue 16): appsettings.json files a careless or hostile user could leave. Each is refused
/// before anything starts, with a <see cref="ConfigurationFileException"/> naming the file and the line, key or value.
/// </summary>
public sealed class ConfigurationCampaignTests : IDisposable
{
    private readonly TempFolder _home = new();

    public void Dispose() => _home.Dispose();

    /// <summary>name → (appsettings.json text, fragment the message must contain).</summary>
    private static readonly Dictionary<string, (string Json, string Fragment)> Cases = new()
    {
        // Syntax: the line and column are named.
        ["missing-comma"] = ("{\n  \"Storage\": {\n    \"DataFolder\": \"d\"\n    \"DatabaseFile\": \"x.db\"\n  }\n}", "line 4"),
        ["unclosed-object"] = ("{\n  \"Storage\": {\n    \"DataFolder\": \"d\"\n", "line 4"),
        ["unquoted-key"] = ("{\n  Storage: {}\n}", "line 2"),
        ["single-quotes"] = ("{\n  'Storage': {}\n}", "line 2"),
        ["bare-word"] = ("{\n  \"Demo\": {\n    \"Layers\": two\n  }\n}", "line 3"),
        ["empty-file"] = ("", "not valid JSON"),
        ["garbage"] = ("\u0001\u0002binary", "line 1"),
        ["array-root"] = ("[1, 2]", "must hold a JSON object"),
        ["string-root"] = ("\"Storage\"", "must hold a JSON object"),
        ["number-root"] = ("42", "must hold a JSON object"),
        ["truncated-string"] = ("{\n  \"Storage\": {\n    \"DataFolder\": \"d", "line 3"),
        ["lone-surrogate-escape"] = ("{\n  \"Storage\": {\n    \"DataFolder\": \"\\uD800\"\n  }\n}", "'Storage:DataFolder' is not valid text"),
        ["lone-surrogate-key"] = ("{\n  \"Storage\": {\n    \"\\uDC00\": \"d\"\n  }\n}", "a key under 'Storage'"),
        ["duplicate-key"] = ("{\"Storage\": {\"DataFolder\": \"a\", \"datafolder\": \"b\"}}", "Storage:datafolder"),
        ["duplicate-section"] = ("{\"Demo\": {}, \"Demo\": {}}", "'Demo' twice"),
        // Unknown keys: a typo must not silently leave a setting at its default.
        ["typo-storage"] = ("{\"Storage\": {\"DataFoldr\": \"d\"}}", "Storage:DataFoldr"),
        ["typo-suggests"] = ("{\"Storage\": {\"DatabaseFiel\": \"d\"}}", "did you mean 'DatabaseFile'"),
        ["unknown-section"] = ("{\"Storrage\": {\"DataFolder\": \"d\"}}", "unknown section 'Storrage'"),
        ["typo-inference"] = ("{\"Inference\": {\"Thread\": 2}}", "Inference:Thread"),
        ["typo-demo"] = ("{\"Demo\": {\"MaxInstance\": 2}}", "Demo:MaxInstance"),
        ["typo-jury"] = ("{\"Jury\": {\"Judge\": [\"a\"]}}", "Jury:Judge"),
        ["typo-bertscore"] = ("{\"BertScore\": {\"Layers\": 5}}", "did you mean 'Layer'"),
        ["bertscore-provider"] = ("{\"BertScore\": {\"ExecutionProvider\": \"Gpu\"}}", "BertScore:ExecutionProvider"),
        ["typo-model"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"GpuLayer\": 10}}}", "Models:m:GpuLayer"),
        ["model-path-instead-of-file"] = ("{\"Models\": {\"m\": {\"Path\": \"a.gguf\"}}}", "Models:m:Path"),
        ["typo-reasoning"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"Reasoning\": {\"Enable\": true}}}}", "Models:m:Reasoning:Enable"),
        ["typo-endpoint"] = ("{\"Endpoints\": {\"Enabled\": true, \"Items\": {\"e\": {\"BaseUri\": \"http://x\"}}}}", "Endpoints:Items:e:BaseUri"),
        ["typo-ehrsql"] = ("{\"EhrSql\": {\"MaxRow\": 5}}", "EhrSql:MaxRow"),
        ["typo-modelloader"] = ("{\"ModelLoader\": {\"MaxLoaded\": 2}}", "ModelLoader:MaxLoaded"),
        // Values that do not convert: the field is named (the binder would throw or drop the Models entry).
        ["threads-word"] = ("{\"Inference\": {\"Threads\": \"many\"}}", "Inference:Threads = 'many'"),
        ["threads-overflow"] = ("{\"Inference\": {\"Threads\": 99999999999999999999}}", "Inference:Threads"),
        ["threads-fraction"] = ("{\"Inference\": {\"Threads\": 1.5}}", "Inference:Threads"),
        ["bool-word"] = ("{\"Inference\": {\"VerboseNativeLog\": \"yes\"}}", "Inference:VerboseNativeLog"),
        ["gpu-layers-word"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"GpuLayers\": \"all\"}}}", "Models:m:GpuLayers = 'all'"),
        ["sequences-overflow"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"Sequences\": 3000000000}}}", "Models:m:Sequences"),
        ["tensor-split-word"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"TensorSplit\": [\"half\"]}}}", "Models:m:TensorSplit:0"),
        ["flash-attention-number"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"FlashAttention\": 2}}}", "Models:m:FlashAttention"),
        ["determinism-unknown"] = ("{\"Models\": {\"m\": {\"File\": \"a.gguf\", \"Determinism\": \"Exact\"}}}", "Models:m:Determinism"),
        ["timeout-word"] = ("{\"EhrSql\": {\"QueryTimeoutSeconds\": \"ten\"}}", "EhrSql:QueryTimeoutSeconds"),
        ["endpoint-timeout-overflow"] = ("{\"Endpoints\": {\"Items\": {\"e\": {\"TimeoutSeconds\": 1e40}}}}", "Endpoints:Items:e:TimeoutSeconds"),
        ["max-loaded-negative-word"] = ("{\"ModelLoader\": {\"MaxLoadedModels\": \"-x\"}}", "ModelLoader:MaxLoadedModels"),
        // Shapes: a section where a value belongs, and the other way round.
        ["section-for-value"] = ("{\"Inference\": {\"Threads\": {\"Count\": 2}}}", "Inference:Threads is a section"),
        ["value-for-section"] = ("{\"Storage\": \"data\"}", "Storage = 'data' is a single value"),
        ["value-for-model"] = ("{\"Models\": {\"m\": \"a.gguf\"}}", "Models:m = 'a.gguf'"),
        ["list-for-value"] = ("{\"Demo\": {\"Layers\": [1, 2]}}", "Demo:Layers is a section"),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Fact]
    public void The_campaign_holds_at_least_40_cases() => Assert.True(Cases.Count + 3 >= 40, $"{Cases.Count} + 3 cases");

    [Theory]
    [MemberData(nameof(Names))]
    public void Refused_naming_the_file_and_the_field(string name)
    {
        var (json, fragment) = Cases[name];
        var path = _home.Write("appsettings.json", json);

        var e = Assert.Throws<ConfigurationFileException>(() => MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path));

        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_is_refused()
    {
        Directory.CreateDirectory(_home.File("appsettings.json"));
        var e = Assert.Throws<ConfigurationFileException>(() => MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path));
        Assert.Contains("is a folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_pipe_is_refused_without_opening_it()
    {
        // Opening a pipe for reading would block until a writer comes: the test would hang instead of failing.
        NamedPipes.Create(_home.File("appsettings.json"));

        var e = Assert.Throws<ConfigurationFileException>(() => MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path));
        Assert.Contains("is a named pipe", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_repository_appsettings_and_an_absent_file_pass()
    {
        File.Copy(RepositoryPaths.Combine("appsettings.json"), _home.File("appsettings.json"));
        Assert.NotNull(MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path));
        File.Delete(_home.File("appsettings.json"));
        Assert.NotNull(MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path));
    }

    [Fact]
    public void Comments_trailing_commas_and_library_sections_are_accepted()
    {
        _home.Write("appsettings.json", "{\n  // the data\n  \"Storage\": { \"DataFolder\": \"d\", },\n  \"Logging\": { \"LogLevel\": { \"Default\": \"Warning\" } },\n}");
        Assert.Equal("d", MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(_home.Path)["Storage:DataFolder"]);
    }
}
