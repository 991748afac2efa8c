using System.CommandLine;
using MedHelm.Application.Models;
using MedHelm.Gguf;
using MedHelm.Gguf.TestModels;
using MedHelm.Evaluation.Files;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm models …</c>: make test models, inspect GGUF files, and the model registry (add, list, remove).</summary>
internal static class ModelsCommand
{
    public static Command Build()
    {
        var command = new Command("models", "Work with GGUF model files and the model registry.") { MakeTestModel(), Inspect() };
        foreach (var registry in ModelRegistryCommands.Build())
        {
            command.Subcommands.Add(registry);
        }

        return command;
    }

    private static Command MakeTestModel()
    {
        var kind = new Option<string>("--kind") { Description = "llama, deepseek-r1 or bert.", Required = true };
        kind.AcceptOnlyFromAmong("llama", "deepseek-r1", "bert");
        var output = new Option<FileInfo>("--out", "-o") { Description = "The GGUF file to write.", Required = true };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks.", DefaultValueFactory = _ => 2 }.Checked();
        var embd = new Option<int>("--embd") { Description = "Embedding width (a multiple of 32 for q8_0).", DefaultValueFactory = _ => 64 }.Checked();
        var quant = new Option<string>("--quant") { Description = "f32, f16 or q8_0.", DefaultValueFactory = _ => "f32" };
        quant.AcceptOnlyFromAmong("f32", "f16", "q8_0");
        var seed = new Option<long>("--seed") { Description = "Weights seed; the same seed writes the same bytes.", DefaultValueFactory = _ => 42L }.Checked();
        var template = new Option<FileInfo?>("--chat-template")
        {
            Description = "A Jinja file written as tokenizer.chat_template instead of the kind's own template (llama kinds only).",
        };
        var command = new Command("make-test-model",
            "Write a small random-weight model with a working vocabulary and chat template. Its output is gibberish; " +
            "it exercises the real llama.cpp code path without downloading anything.")
        {
            kind, output, layers, embd, quant, seed, template,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, _) =>
        {
            var spec = new TestModelSpec
            {
                Kind = parse.GetValue(kind) switch
                {
                    "deepseek-r1" => TestModelKind.DeepSeekR1,
                    "bert" => TestModelKind.Bert,
                    _ => TestModelKind.Llama,
                },
                Layers = parse.GetValue(layers),
                Embd = parse.GetValue(embd),
                Quant = parse.GetValue(quant) switch
                {
                    "f16" => TestModelQuant.F16,
                    "q8_0" => TestModelQuant.Q8_0,
                    _ => TestModelQuant.F32,
                },
                Seed = parse.GetValue(seed),
                ChatTemplate = parse.GetValue(template) is { } t ? ReadTemplate(t) : null,
            };
            var file = parse.GetValue(output)!;
            RegularFiles.EnsureReplaceable(file.FullName, "GGUF model file");
            file.Directory?.Create();
            TestModelFactory.Write(spec, file.FullName);
            Console.Out.WriteLine($"{file.FullName}  {new FileInfo(file.FullName).Length} bytes  sha256 {ModelFiles.Sha256(file.FullName)}");
            return Task.FromResult(CommandRunner.Ok);
        }));
        return command;
    }

    private static string ReadTemplate(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new MedHelm.Application.Errors.RequestValidationException($"--chat-template: {file.FullName} does not exist.");
        }

        RegularFiles.EnsureRegular(file.FullName, "chat template file");
        return File.ReadAllText(file.FullName, new System.Text.UTF8Encoding(false, true));
    }

    private static Command Inspect()
    {
        var file = new Argument<FileInfo>("file") { Description = "The GGUF file." };
        var command = new Command("inspect", "Check that llama.cpp would load a GGUF file (without loading it) and print its header and key metadata; exits 1 naming the key or tensor at fault.") { file };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, _) =>
        {
            var path = parse.GetValue(file)!.FullName;
            RegularFiles.EnsureRegular(path, "GGUF model file");
            var gguf = GgufReader.Read(path);
            var warnings = GgufModelValidator.Validate(gguf);
            Console.Out.WriteLine($"file          {path}");
            Console.Out.WriteLine($"sha256        {ModelFiles.Sha256(path)}");
            Console.Out.WriteLine($"gguf version  {gguf.Version}");
            Console.Out.WriteLine($"architecture  {gguf.Architecture}");
            Console.Out.WriteLine($"tensors       {gguf.Tensors.Count}");
            Console.Out.WriteLine($"metadata keys {gguf.Metadata.Count}");
            foreach (var key in new[] { "general.name", "general.file_type", $"{gguf.Architecture}.block_count", $"{gguf.Architecture}.embedding_length", $"{gguf.Architecture}.context_length", "tokenizer.ggml.model" })
            {
                if (gguf.Metadata.TryGetValue(key, out var value))
                {
                    Console.Out.WriteLine($"{key,-34} {value}");
                }
            }

            Console.Out.WriteLine($"chat template {(gguf.ChatTemplate is null ? "none" : $"{gguf.ChatTemplate.Length} characters")}");
            Console.Out.WriteLine("checks        passed: architecture, hyperparameters, tensors and shapes, tokenizer (see models/README.md)");
            foreach (var warning in warnings)
            {
                Console.Out.WriteLine($"warning       {warning}");
            }
            return Task.FromResult(CommandRunner.Ok);
        }));
        return command;
    }
}
