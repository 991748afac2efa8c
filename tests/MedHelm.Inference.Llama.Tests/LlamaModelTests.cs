using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Tests.Support;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaModelTests(LlamaFixture fixture)
{
    private static readonly DateTime TemplateTime = new(2026, 3, 7, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_generated_llama_model_loads_with_its_hyperparameters()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        Assert.Equal(64, model.EmbeddingSize);
        Assert.Equal(2, model.LayerCount);
        Assert.True(model.ParameterCount > 0);
        Assert.Equal("llama", model.Gguf.Architecture);
        Assert.NotNull(model.ChatTemplate);
        Assert.True(model.Vocabulary.Count > 259);
    }

    [Theory]
    [InlineData("The patient was admitted with chest pain.")]
    [InlineData("Dosis: 5 mg/kg — ½ tablet, 37.5 °C, naïve, 肺炎")]
    [InlineData("  leading and trailing spaces  ")]
    public void Tokenize_and_detokenize_round_trip(string text)
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var tokens = model.Vocabulary.Tokenize(text, addSpecial: false, parseSpecial: false);
        Assert.NotEmpty(tokens);
        Assert.Equal(text, model.Vocabulary.Detokenize(tokens));

        var bytes = tokens.SelectMany(t => model.Vocabulary.TokenBytes(t)).ToArray();
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Tokenize_adds_bos_when_asked()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var tokens = model.Vocabulary.Tokenize("yes", addSpecial: true, parseSpecial: false);
        Assert.Equal(model.Vocabulary.Bos, tokens[0]);
    }

    [Fact]
    public void The_llama3_chat_template_renders_its_system_header_and_its_control_tokens_are_single_tokens()
    {
        using var model = LlamaModel.Load(fixture.LlamaModelPath);
        var text = model.ApplyChatTemplate([("system", "You are a careful clinician."), ("user", "Is aspirin an NSAID?")], true, TemplateTime);
        Assert.Equal(
            "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 07 Mar 2026\n\n" +
            "You are a careful clinician.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nIs aspirin an NSAID?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            text);

        var tokens = model.Vocabulary.Tokenize("<|eot_id|>", addSpecial: false, parseSpecial: true);
        Assert.Single(tokens);
        Assert.True(model.Vocabulary.IsEndOfGeneration(tokens[0]));
    }

    [Fact]
    public void The_deepseek_r1_chat_template_applies()
    {
        using var model = LlamaModel.Load(fixture.DeepSeekModelPath);
        var text = model.ApplyChatTemplate([("user", "Is aspirin an NSAID?")], true, TemplateTime);
        Assert.Contains("<｜User｜>Is aspirin an NSAID?", text, StringComparison.Ordinal);
        Assert.EndsWith("<｜Assistant｜><think>\n", text, StringComparison.Ordinal); // the real template opens the reasoning block
    }

    [Fact]
    public void A_model_without_a_template_gives_a_clear_error()
    {
        var path = fixture.NewFile("no-template.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Bert, Layers = 1, Embd = 32, Seed = 1 }, path);
        using var model = LlamaModel.Load(path);
        var e = Assert.Throws<NotSupportedException>(() => model.ApplyChatTemplate([("user", "hello")], true, TemplateTime));
        Assert.Contains("no-template.gguf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_the_interpreter_cannot_execute_fails_the_load_naming_the_construct_and_position()
    {
        var path = fixture.NewFile("bad-template.gguf");
        TestModelFactory.Write(new TestModelSpec { Layers = 1, Embd = 32, ChatTemplate = "{{ bos_token }}\n{% for m in messages %}{{ m.content | frobnicate }}{% endfor %}" }, path);
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("bad-template.gguf", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown filter 'frobnicate'", e.Message, StringComparison.Ordinal);
        Assert.Contains("line 2, column", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_reports_progress()
    {
        var reports = new List<float>();
        using var model = LlamaModel.Load(fixture.LlamaModelPath, progress: new SynchronousProgress(reports.Add));
        Assert.NotEmpty(reports);
        Assert.Equal(1f, reports[^1]);
    }

    [Theory]
    [InlineData("empty.gguf", new byte[0])]
    [InlineData("not-gguf.gguf", new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Malformed_files_are_refused_before_llama_cpp_sees_them(string name, byte[] content)
    {
        var path = fixture.NewFile(name);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_model_is_refused_without_crashing_the_process()
    {
        var path = fixture.NewFile("truncated.gguf");
        var bytes = File.ReadAllBytes(fixture.LlamaModelPath);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("truncated.gguf", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = fixture.NewFile("does-not-exist.gguf");
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
        Assert.Contains("does-not-exist.gguf", e.Message, StringComparison.Ordinal);
    }
}
