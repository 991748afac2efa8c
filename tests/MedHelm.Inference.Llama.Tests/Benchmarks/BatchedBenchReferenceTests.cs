using MedHelm.Inference.Llama.Benchmarks;

namespace MedHelm.Inference.Llama.Tests.Benchmarks;

public sealed class BatchedBenchReferenceTests
{
    // Two result lines as llama-batched-bench --output-format jsonl printed them on the development VM, between
    // lines of llama.cpp's own log.
    private const string Output = """
        main: n_kv_max = 4096, n_batch = 2048, n_ubatch = 512
        {"n_kv_max": 4096, "n_batch": 2048, "n_ubatch": 512, "flash_attn": -1, "is_pp_shared": 0, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 128, "tg": 32, "pl": 16, "n_kv": 2560, "t_pp": 3.067711, "speed_pp": 667.598694, "t_tg": 1.550503, "speed_tg": 330.215424, "t": 4.618214, "speed": 554.326843}
        {"n_kv_max": 4096, "n_batch": 2048, "n_ubatch": 512, "flash_attn": -1, "is_pp_shared": 0, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 128, "tg": 32, "pl": 16, "n_kv": 2560, "t_pp": 3.254423, "speed_pp": 629.297424, "t_tg": 1.567546, "speed_tg": 326.625183, "t": 4.821969, "speed": 530.903442}
        llama_perf_context_print:        load time =      61.23 ms
        """;

    [Fact]
    public void Parse_reads_every_result_line_and_reproduces_the_tools_own_speeds()
    {
        var rows = BatchedBenchReference.Parse(Output);

        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal((16, 128, 32), (r.Parallel, r.PromptTokens, r.GeneratedTokens)));
        Assert.Equal(330.215424, rows[0].GenerationTokensPerSecond, 0.01);
        Assert.Equal(667.598694, rows[0].PromptTokensPerSecond, 0.01);
        Assert.Equal(326.625183, rows[1].GenerationTokensPerSecond, 0.01);
    }

    [Fact]
    public void A_result_line_missing_a_field_is_an_error_that_quotes_the_line()
    {
        var broken = """{"pp": 128, "tg": 32, "pl": 4, "t_pp": 0.5, "speed_tg": 100.0}""";
        var e = Assert.Throws<BatchedBenchReferenceException>(() => BatchedBenchReference.Parse(broken));
        Assert.Contains("could not be read", e.Message, StringComparison.Ordinal);
        Assert.Contains(broken, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_give_the_reference_the_engines_context_per_sequence_and_one_discarded_run()
    {
        var args = BatchedBenchReference.Arguments("m.gguf", parallel: 16, promptTokens: 128, genTokens: 32, threads: 2, repetitions: 3, batchSize: 2048, microBatchSize: 512);

        string After(string flag) => args[args.ToList().IndexOf(flag) + 1];
        Assert.Equal("m.gguf", After("-m"));
        Assert.Equal((16 * 256).ToString(), After("-c")); // 128 + 32 + 1 padded to 256, as the engine sizes a sequence
        Assert.Equal("16,16,16,16", After("-npl"));
        Assert.Equal(("128", "32", "2", "jsonl"), (After("-npp"), After("-ntg"), After("-t"), After("--output-format")));
        Assert.Equal(("2048", "512"), (After("-b"), After("-ub")));
    }

    [Fact]
    public void A_missing_executable_is_named_with_how_to_build_it()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-dir", "llama-batched-bench");
        var e = Assert.Throws<BatchedBenchReferenceException>(() => new BatchedBenchReference(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("build-llama-native.sh", e.Message, StringComparison.Ordinal);
    }
}
