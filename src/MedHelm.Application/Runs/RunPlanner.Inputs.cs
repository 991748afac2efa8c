using System.Globalization;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Evaluation.Datasets.Private;
using MedHelm.Evaluation.EhrSql;
using MedHelm.Evaluation.Metrics;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Runs;

/// <summary>The other inputs a run must find unchanged on a resume: the EHRSQL database and the BERTScore model.</summary>
public sealed partial class RunPlanner
{
    /// <summary>
    /// The EHRSQL execution database when the plan scores EHRSQL, else null: <c>EhrSql:Database</c> when set, otherwise
    /// the seeded synthetic eICU database, generated once into the data folder and reused while present. A resumed run
    /// must find the same file (SHA-256) and query limits it started with.
    /// </summary>
    private EhrSqlDatabase? PrepareEhrSqlDatabase(IReadOnlyList<PlannedBenchmark> planned, RunManifest? stored, IRunObserver observer)
    {
        if (!planned.Any(b => RunnerMetrics.NeedsDatabase(b.Definition)))
        {
            return null;
        }

        var options = ehrSql.Value; // validated at start
        string path;
        string source;
        if (!string.IsNullOrWhiteSpace(options.Database))
        {
            path = paths.Resolve(options.Database);
            if (!File.Exists(path))
            {
                throw new NotFoundException($"EhrSql:Database {path} does not exist (a SQLite database in EHRSQL's eICU schema; remove the setting to use the synthetic one).");
            }

            source = "configured (EhrSql:Database)";
        }
        else
        {
            path = Path.Combine(paths.DataFolder, "ehrsql", "eicu-synthetic.sqlite");
            var synthetic = new SyntheticEicuOptions();
            if (!File.Exists(path))
            {
                PrivateFolder.Ensure(Path.GetDirectoryName(path)!);
                observer.Notice($"ehr_sql: generating the synthetic eICU database {path} (seed {synthetic.Seed}, {synthetic.Patients} patients; every value invented)");
                SyntheticEicuDatabase.Generate(path, synthetic);
            }

            source = string.Create(CultureInfo.InvariantCulture, $"synthetic (medhelm ehrsql make-database --seed {synthetic.Seed} --patients {synthetic.Patients})");
        }

        try
        {
            // a wrong, empty or damaged file is refused here, before any instance is generated, not at every query
            using var probe = new SqliteQueryRunner(path, TimeSpan.FromSeconds(options.QueryTimeoutSeconds), options.MaxRows);
        }
        catch (InvalidDataException e)
        {
            throw new RequestValidationException(
                string.IsNullOrWhiteSpace(options.Database)
                    ? $"{e.Message} Delete it to have the synthetic eICU database generated again."
                    : $"EhrSql:Database: {e.Message} EHRSQL queries run against a SQLite database in EHRSQL's eICU schema; correct the setting, or remove it to use the synthetic one.",
                e);
        }

        var database = new EhrSqlDatabase(path, ModelFiles.Sha256(path), source, TimeSpan.FromSeconds(options.QueryTimeoutSeconds), options.MaxRows);
        if (stored?.EhrSqlDatabase is { } before
            && (before.Sha256 != database.Sha256 || before.QueryTimeoutSeconds != options.QueryTimeoutSeconds || before.MaxRows != database.MaxRows))
        {
            throw new ConflictException(
                $"The run executed EHRSQL queries against {before.Path} (sha256 {before.Sha256}, {before.QueryTimeoutSeconds} s, {before.MaxRows} rows); " +
                $"now {path} (sha256 {database.Sha256}, {options.QueryTimeoutSeconds} s, {database.MaxRows} rows). A resumed run must use the same database and limits; start a new run instead.");
        }

        return database;
    }

    /// <summary>
    /// Resolves the BERTScore model (a Models name or a GGUF path) and checks, without loading it, that the file is a valid
    /// GGUF file of a BERT-family embedding model. Every failure is one line naming the option and the file.
    /// </summary>
    private BertScoreModel PrepareBertScoreModel(string argument)
    {
        ResolvedModel resolved;
        try
        {
            resolved = resolver.Resolve(argument);
        }
        catch (NotFoundException e)
        {
            throw new NotFoundException($"--bertscore-model: {e.Message}", e);
        }

        if (!File.Exists(resolved.Path))
        {
            throw new NotFoundException($"--bertscore-model: the model file {resolved.Path} of '{argument}' (Models:{argument}:File in appsettings.json) does not exist.");
        }

        var options = bertScoreOptions?.Value ?? new BertScoreOptions();
        if (OnnxEncoders.IsOnnx(resolved.Path))
        {
            return PrepareOnnxEncoder(argument, resolved, options);
        }

        ModelFile file;
        try
        {
            file = ModelFiles.Read(resolved.Path);
        }
        catch (RequestValidationException e)
        {
            throw new RequestValidationException($"--bertscore-model: {e.Message}", e);
        }

        if (file.Architecture is not { } architecture || !EmbeddingModels.IsEncoder(architecture))
        {
            throw new RequestValidationException(EmbeddingModels.NotAnEncoder("--bertscore-model", resolved.Path, file.Architecture));
        }

        return new BertScoreModel(argument, resolved.Name, resolved.Path, file.Sha256, file.SizeBytes, architecture, file.Quantization, file.Parameters)
        {
            Idf = options.Idf,
        };
    }

    /// <summary>
    /// An ONNX encoder is opened once here (a BERT-sized model loads in about a second), so that a missing vocabulary, an
    /// export without hidden states or a layer out of range is refused before any answer is generated.
    /// </summary>
    private BertScoreModel PrepareOnnxEncoder(string argument, ResolvedModel resolved, BertScoreOptions options)
    {
        var settings = OnnxEncoders.Settings(resolved.Path, options, paths);
        using var encoder = OnnxEncoders.Open(settings, "--bertscore-model");
        return new BertScoreModel(
            argument, options.ModelType, resolved.Path, ModelFiles.Sha256(resolved.Path), new FileInfo(resolved.Path).Length, "onnx", "n/a", Parameters: 0)
        {
            Encoding = new BertScoreEncoding(
                "onnx", encoder.Layer, encoder.Layers, options.ModelType, settings.VocabularyPath, ModelFiles.Sha256(settings.VocabularyPath), encoder.ExecutionProvider),
            Idf = options.Idf,
        };
    }
}
