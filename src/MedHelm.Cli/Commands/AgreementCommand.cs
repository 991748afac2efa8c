using System.CommandLine;
using System.Text.Json;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm agreement</c>: how well the LLM jury (and ROUGE-L, BERTScore) agrees with the hospital's clinicians,
/// laid out like MedHELM's Table 2. For now the jury ratings come from a CSV file; reading them from a stored run
/// (<c>--run RUN_ID</c>) waits for jury ratings in the results database.
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
        var jury = new Option<FileInfo>("--jury")
        {
            Description = "Jury ratings CSV: instance_id, benchmark, judge, accuracy, completeness, clarity (1-5).",
            Required = true,
        };
        var metrics = new Option<FileInfo?>("--metric-scores")
        {
            Description = "Optional CSV of automatic metric scores: instance_id, benchmark, rouge_l, bertscore (0-1, either may be empty).",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };

        var command = new Command(
            "agreement",
            "Agreement of the LLM jury, ROUGE-L and BERTScore with clinician ratings (ICC(3,k) on z-scored composites, " +
            "Spearman's rho, quadratic-weighted kappa, clinician-clinician baseline), per benchmark and pooled.")
        {
            ratings, jury, metrics, json,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var clinicianRatings = AgreementCsv.ReadClinicianRatings(Existing(parse.GetValue(ratings)!));
            var juryRatings = AgreementCsv.ReadJuryRatings(Existing(parse.GetValue(jury)!));
            var metricScores = parse.GetValue(metrics) is { } m ? AgreementCsv.ReadMetricScores(Existing(m)) : [];
            if (clinicianRatings.Count == 0)
            {
                throw new ArgumentException($"{parse.GetValue(ratings)!.Name} has no ratings.");
            }

            var groups = ClinicianAgreement.Compute(clinicianRatings, juryRatings, metricScores);
            if (parse.GetValue(json))
            {
                var payload = groups.Select(g => new
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
                });
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(payload));
            }
            else
            {
                await Console.Out.WriteAsync(ClinicianAgreement.Format(groups));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static string Existing(FileInfo file) =>
        file.Exists ? file.FullName : throw new FileNotFoundException($"File not found: {file.FullName}", file.FullName);

    private static double? Number(double value) => double.IsNaN(value) ? null : Math.Round(value, 4);
}
