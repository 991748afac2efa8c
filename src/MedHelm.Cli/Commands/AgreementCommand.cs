using System.CommandLine;
using MedHelm.Application.Agreement;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm agreement</c>: how well the LLM jury (and ROUGE-L, BERTScore) agrees with the hospital's clinicians,
/// laid out like MedHELM's Table 2. The jury's ratings come from a finished run (<c>--run RUN_ID</c>: the ratings
/// stored in the results database, ROUGE-L computed from the stored outputs, BERTScore with <c>--embedding-model</c>)
/// or from a CSV file (<c>--jury FILE</c>).
/// </summary>
internal static class AgreementCommand
{
    public static Command Build()
    {
        var ratings = new Option<FileInfo>("--ratings")
        {
            Description = "Clinician ratings CSV: instance_id, benchmark, rater_id, accuracy, completeness, clarity (1-5).",
            Required = true,
        };
        var run = new Option<string?>("--run")
        {
            Description = "Compare with the jury ratings stored for this run (see `medhelm runs list`); ROUGE-L is computed from its stored outputs.",
        };
        var model = new Option<string?>("--model")
        {
            Description = "With --run: the model whose outputs the clinicians rated (required when the run has several models).",
        };
        var jury = new Option<FileInfo?>("--jury")
        {
            Description = "Instead of --run: jury ratings CSV: instance_id, benchmark, judge, accuracy, completeness, clarity (1-5).",
        };
        var metrics = new Option<FileInfo?>("--metric-scores")
        {
            Description = "CSV of automatic metric scores: instance_id, benchmark, rouge_l, bertscore (0-1, either may be empty); with --run it replaces the computed ROUGE-L.",
        };
        var embeddingModel = new Option<string?>("--embedding-model")
        {
            Description = "With --run: BERTScore's encoder (an ONNX export FILE.onnx with hidden states, or a BERT-family GGUF model: name from appsettings Models, or a path) to compute BERTScore of the stored outputs.",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };

        var command = new Command(
            "agreement",
            "Agreement of the LLM jury, ROUGE-L and BERTScore with clinician ratings (ICC(3,k) on z-scored composites, " +
            "Spearman's rho, quadratic-weighted kappa, clinician-clinician baseline), per benchmark and pooled.")
        {
            ratings, run, model, jury, metrics, embeddingModel, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var runId = parse.GetValue(run);
            var juryFile = parse.GetValue(jury);
            if ((runId is null) == (juryFile is null))
            {
                throw new ArgumentException(
                    $"Give exactly one of --run RUN_ID (the jury ratings stored for a run) and --jury FILE (jury ratings from a CSV file){(runId is null ? "" : "; both were given")}.");
            }

            if (string.IsNullOrWhiteSpace(runId) && runId is not null)
            {
                throw new ArgumentException("--run needs a run id (see `medhelm runs list`).");
            }

            if (juryFile is not null && (parse.GetValue(model) is not null || parse.GetValue(embeddingModel) is not null))
            {
                throw new ArgumentException(
                    $"{(parse.GetValue(model) is not null ? "--model" : "--embedding-model")} needs --run RUN_ID (it works on a run's stored outputs, which a --jury file does not have).");
            }

            var ratingsFile = parse.GetValue(ratings)!;
            var clinicianRatings = AgreementCsv.ReadClinicianRatings(Existing(ratingsFile));
            if (clinicianRatings.Count == 0)
            {
                throw new ArgumentException($"{ratingsFile.Name} has no ratings.");
            }

            var metricsPath = parse.GetValue(metrics) is { } m ? Existing(m) : null;
            var inputs = runId is not null
                ? await host.Service<AgreementInputBuilder>().FromRunAsync(runId, parse.GetValue(model), clinicianRatings, metricsPath, parse.GetValue(embeddingModel), token)
                : AgreementInputBuilder.FromFiles(clinicianRatings, Existing(juryFile!), metricsPath);
            var groups = ClinicianAgreement.Compute(inputs.Clinicians, inputs.Jury, inputs.Metrics, inputs.Notes);
            if (parse.GetValue(json))
            {
                // the table prints the same in its header lines
                foreach (var warning in inputs.Warnings)
                {
                    await Console.Error.WriteLineAsync(warning);
                }

                var payload = new JsonObject
                {
                    ["source"] = inputs.Source,
                    ["groups"] = JsonSerializer.SerializeToNode(groups.Select(g => new
                    {
                        benchmark = g.Benchmark,
                        clinician_ratings = g.ClinicianRatings,
                        raters = g.Raters,
                        figures = g.Figures.Select(f => new
                        {
                            comparison = f.Comparison,
                            n = f.Instances,
                            icc3k = Number(f.Icc3k),
                            spearman = Number(f.Spearman),
                            weighted_kappa = Number(f.WeightedKappa),
                            detail = f.Detail,
                        }),
                    })),
                };
                await Console.Out.WriteLineAsync(payload.ToJsonString());
            }
            else
            {
                foreach (var line in inputs.Lines)
                {
                    await Console.Out.WriteLineAsync(line);
                }

                await Console.Out.WriteLineAsync();
                await Console.Out.WriteAsync(ClinicianAgreement.Format(groups));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static string Existing(FileInfo file) =>
        file.Exists ? file.FullName : throw new FileNotFoundException($"File not found: {file.FullName}", file.FullName);

    private static double? Number(double value) => double.IsFinite(value) ? Math.Round(value, 4) : null;
}
