using System.CommandLine;

namespace MedHelm.Cli.Commands;

/// <summary>The command tree of <c>medhelm</c>.</summary>
internal static class MedHelmCommandLine
{
    /// <summary>--verbose, shared by every command: debug logging (still never patient text) and stack traces.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log at debug level and print stack traces on errors.",
        Recursive = true,
    };

    /// <summary>--db FILE, shared by every command: the results database instead of Storage:DataFolder/Storage:DatabaseFile.</summary>
    public static readonly Option<string?> Database = new("--db")
    {
        Description = "The results database file (default: Storage:DataFolder/Storage:DatabaseFile from appsettings.json, data/medhelm.db).",
        Recursive = true,
    };

    /// <summary>--data DIR, shared by every command: the data folder (results database, generated models, EHRSQL database).</summary>
    public static readonly Option<string?> DataFolder = new("--data")
    {
        Description = "The data folder instead of Storage:DataFolder (also MEDHELM__Storage__DataFolder).",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand(
            "MedHelm.OnPrem: evaluate local (GGUF, llama.cpp) and approved hosted language models on MedHELM clinical " +
            "benchmarks, on the hospital's own hardware. Results go to a local SQLite file; nothing leaves the machine.")
        {
            Verbose,
            Database,
            DataFolder,
            DemoCommand.Build(),
            RunCommand.Build(),
            RunsCommand.Build(),
            GenerateCommand.Build(),
            BenchCommand.Build(),
            ModelsCommand.Build(),
            LeaderboardCommand.Build(),
            RuntimeCommand.Build(),
            MetricsCommand.Build(),
            BenchmarksCommand.Build(),
            DatasetsCommand.Build(),
            AgreementCommand.Build(),
            EhrSqlCommand.Build(),
            ReportCommand.Build(),
            ServeCommand.Build(),
            AuthCommand.Build(),
            AuditCommand.Build(),
        };
        return root;
    }
}
