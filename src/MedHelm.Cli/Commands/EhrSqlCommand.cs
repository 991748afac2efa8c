using System.CommandLine;
using System.Globalization;
using MedHelm.Evaluation.EhrSql;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm ehrsql make-database</c>: a synthetic eICU-schema SQLite database for EHRSQL execution scoring;
/// <c>medhelm ehrsql check</c>: how many gold queries of an EHRSQL file return rows on a database.
/// </summary>
internal static class EhrSqlCommand
{
    public static Command Build() => new("ehrsql", "EHRSQL execution-scoring database: build a synthetic eICU database, check gold queries against a database.")
    {
        MakeDatabase(),
        Check(),
    };

    private static Command MakeDatabase()
    {
        var output = new Option<string>("--out") { Description = "The SQLite file to write (replaced atomically).", Required = true };
        var patients = new Option<int>("--patients") { Description = "Distinct patients (default 800; the EHRSQL patient ids come first).", DefaultValueFactory = _ => 800 }.Checked();
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed and patient count give the same rows (default 42).", DefaultValueFactory = _ => 42UL }.Checked();
        var command = new Command(
            "make-database",
            "Write a synthetic SQLite database in EHRSQL's eICU schema (every value invented) for `metrics score --metric ehr_sql_execution_accuracy --database`.")
        {
            output, patients, seed,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var path = parse.GetValue(output)!;
            var count = parse.GetValue(patients);
            if (count is < 1 or > 1_000_000)
            {
                throw new ArgumentException("--patients must be between 1 and 1000000.");
            }

            var summary = SyntheticEicuDatabase.Generate(path, new SyntheticEicuOptions { Patients = count, Seed = parse.GetValue(seed) });
            foreach (var (table, rows) in summary.RowsPerTable)
            {
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{table,-14} {rows,9}"));
            }

            await Console.Out.WriteLineAsync($"wrote {Path.GetFullPath(path)} (synthetic; fixed \"now\" {summary.Now}, stored in medhelm_database_info)");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Check()
    {
        var database = new Option<string>("--database") { Description = "The SQLite database (opened read-only).", Required = true };
        var path = new Option<string[]>("--path") { Description = "EHRSQL question files (test.json, valid.json) or a folder holding them.", Required = true, AllowMultipleArgumentsPerToken = true };
        var ehrSqlTime = new Option<bool>("--ehrsql-time") { Description = "Rewrite current_time to 2105-12-31 23:59:00 and %y to %Y first, as EHRSQL's own evaluation does (HELM does not)." };
        var command = new Command("check", "Run the gold SQL of answerable EHRSQL questions against a database and report how many return rows.")
        {
            database, path, ehrSqlTime,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (_, _) =>
        {
            var files = new List<string>();
            foreach (var p in parse.GetValue(path)!)
            {
                if (Directory.Exists(p))
                {
                    files.AddRange(new[] { "test.json", "valid.json" }.Select(n => Path.Combine(p, n)).Where(File.Exists));
                }
                else if (File.Exists(p))
                {
                    files.Add(p);
                }
                else
                {
                    throw new ArgumentException($"--path {p} does not exist.");
                }
            }

            var result = EhrSqlGoldCheck.Run(parse.GetValue(database)!, files, parse.GetValue(ehrSqlTime));
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"answerable {result.Answerable}, failed {result.Failed}, >=1 row {result.NonEmpty} ({result.NonEmptyShare:P1}), >=1 non-NULL value {result.NonNull} ({result.NonNullShare:P1})"));
            foreach (var error in result.Errors)
            {
                await Console.Out.WriteLineAsync("  " + error);
            }

            return CommandRunner.Ok;
        }));
        return command;
    }
}
