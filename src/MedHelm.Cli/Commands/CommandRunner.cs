using System.CommandLine;
using MedHelm.Application.Errors;
using MedHelm.Cli.Hosting;
using MedHelm.Evaluation.Datasets;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Options;

namespace MedHelm.Cli.Commands;

/// <summary>Runs a command body inside a host and turns expected failures into one-line errors and exit codes.</summary>
internal static class CommandRunner
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int BadConfiguration = 3;
    public const int Cancelled = 130;
    public const int Unexpected = 70;

    /// <summary>Who the audit log records for a change made from the command line: <c>cli:OS-USER</c>.</summary>
    public static string Caller => "cli:" + Environment.UserName;

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<CliHost, CancellationToken, Task<int>> body)
    {
        var verbose = parse.GetValue(MedHelmCommandLine.Verbose);
        CliHost? host = null;
        try
        {
            host = CliHost.Start(verbose, parse.GetValue(MedHelmCommandLine.Database), parse.GetValue(MedHelmCommandLine.DataFolder));
            return await body(host, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Cancelled.");
            return Cancelled;
        }
        catch (MedHelm.Hosting.ConfigurationFileException e)
        {
            await Console.Error.WriteLineAsync($"error: {OneLine(e.Message)}");
            return BadConfiguration;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"error: appsettings.json is invalid: {string.Join(" ", e.Failures)}");
            return BadConfiguration;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            var failures = e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(i => i.Failures);
            await Console.Error.WriteLineAsync($"error: appsettings.json is invalid: {string.Join(" ", failures)}");
            return BadConfiguration;
        }
        catch (Exception e) when (IsExpected(e))
        {
            await Console.Error.WriteLineAsync($"error: {OneLine(e.Message)}");
            if (verbose)
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return Failed;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"error: unexpected {e.GetType().Name}: {OneLine(e.Message)}{(verbose ? "" : " (run with --verbose for details)")}");
            if (verbose)
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return Unexpected;
        }
        finally
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Failures a person can act on, printed as one line: the application layer's typed errors (validation, conflict, not
    /// found, policy) and the typed exceptions of the layers below it that name the file, field or setting.
    /// </summary>
    private static bool IsExpected(Exception e) => e is ApplicationError
        or LlamaModelLoadException or LlamaRuntimeNotFoundException or GgufFormatException or PromptTooLongException
        or DatasetFormatException or Inference.OpenAI.HostedEndpointException or Inference.Llama.Benchmarks.BatchedBenchReferenceException
        or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or ArgumentException or InvalidDataException
        or NotSupportedException or FormatException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
