using System.Globalization;
using MedHelm.Gguf;
using MedHelm.Gguf.TestModels;

namespace MedHelm.Testing;

/// <summary>
/// A model file that makes llama.cpp itself abort, for the crash-isolation tests, and the engine worker's test-only
/// switch that lets it past the validator.
/// </summary>
/// <remarks>
/// <para>The file is a generated llama test model whose SPM vocabulary lacks the byte token &lt;0x9C&gt; (renamed, so
/// token ids and tensors stay as in the valid model). <see cref="GgufModelValidator"/> refuses it. llama.cpp loads it,
/// and its tokenizer aborts on the first text that needs that byte: the SPM byte fallback looks the byte up with
/// <c>unordered_map::at</c> (<c>llama_vocab::byte_to_token</c> in src/llama-vocab.cpp), which throws
/// <c>std::out_of_range</c> ("_Map_base::at" in libstdc++) through <c>llama_tokenize</c>; nothing catches it, so the C++ runtime calls std::terminate and
/// the process dies with SIGABRT (exit code 134). Only U+201C (LEFT DOUBLE QUOTATION MARK, UTF-8 E2 80 9C) among the
/// demo data's characters carries byte 0x9C, so prompts without it are answered as by the valid model.</para>
/// <para>The switch (MedHelm.Engine.Worker's TestOnlySwitch, environment variables passed to workers through
/// <c>ModelLoader:WorkerEnvironment</c> or <c>EngineWorkerStartInfo.Environment</c>): the worker loads the crafted file,
/// unvalidated, in place of the named configured model, and only while the guard variable holds its exact value (else
/// it refuses to start). With a marker file only the first worker does so, so the crash is transient.</para>
/// </remarks>
public static class CraftedAbortModel
{
    /// <summary>The byte whose token the crafted vocabulary lacks.</summary>
    public const byte MissingByte = 0x9C;

    /// <summary>A character whose UTF-8 encoding holds <see cref="MissingByte"/>: text with it makes the crafted model abort.</summary>
    public const string Trigger = "\u201C";

    /// <summary>Writes <paramref name="spec"/>'s model to <paramref name="path"/> with the byte token renamed away.</summary>
    public static void Write(TestModelSpec spec, string path)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var vocab = SpmVocabulary.Create(spec.Kind);
        var tokens = vocab.Tokens.ToArray();
        var types = vocab.TokenTypes.ToArray();
        var id = vocab.IdOf(string.Create(CultureInfo.InvariantCulture, $"<0x{MissingByte:X2}>"));
        (tokens[id], types[id]) = (string.Create(CultureInfo.InvariantCulture, $"<unused-0x{MissingByte:X2}>"), GgufTokenType.Unused);
        TestModelFactory.CreateWriter(spec)
            .Set("tokenizer.ggml.tokens", GgufValue.FromArray(tokens))
            .Set("tokenizer.ggml.token_type", GgufValue.FromArray(types))
            .WriteTo(path);
    }

    /// <summary>
    /// The worker environment that loads <paramref name="crafted"/> in place of <paramref name="configured"/>: in every
    /// worker of that model, or with <paramref name="marker"/> only in the first (which creates the marker file).
    /// </summary>
    public static Dictionary<string, string> Switch(string crafted, string configured, string? marker = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["MEDHELM_TEST_ONLY_SWITCHES"] = "crafted-model-may-abort-the-worker",
            ["MEDHELM_TEST_WORKER_CRAFTED_MODEL"] = crafted,
            ["MEDHELM_TEST_WORKER_CRAFTED_FOR"] = configured,

            // ggml's own terminate handler would first attach gdb to print a backtrace (seconds, and pages of output);
            // without it the C++ runtime's handler prints the exception and aborts, as before
            ["GGML_NO_BACKTRACE"] = "1",
        };
        if (marker is not null)
        {
            environment["MEDHELM_TEST_WORKER_CRAFTED_MARKER"] = marker;
        }

        return environment;
    }
}
