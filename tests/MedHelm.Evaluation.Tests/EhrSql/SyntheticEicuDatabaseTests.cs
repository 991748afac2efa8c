using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.EhrSql;
using MedHelm.Evaluation.Metrics;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.EhrSql;

public sealed class SyntheticEicuDatabaseTests
{
    [Fact]
    public void The_eicu_ddl_parses_into_its_ten_tables()
    {
        var tables = EicuSchema.Parse(EicuVocabulary.EmbeddedSchemaDdl());
        Assert.Equal(
            ["patient", "diagnosis", "treatment", "lab", "medication", "cost", "allergy", "intakeoutput", "microlab", "vitalperiodic"],
            tables.Select(t => t.Name));
        var patient = tables[0];
        Assert.Equal(17, patient.Columns.Count);
        Assert.True(patient.Column("patientunitstayid")!.PrimaryKey);
        Assert.Equal(10, patient.Column("uniquepid")!.MaxLength);
        Assert.Equal("NUMERIC(10,2)", patient.Column("admissionheight")!.Type);
        Assert.False(patient.Column("ethnicity")!.NotNull);
        Assert.Equal("DOUBLE PRECISION", tables.Single(t => t.Name == "cost").Column("cost")!.Type);
        Assert.DoesNotContain(tables.SelectMany(t => t.Columns), c => c.Name == "foreign");
    }

    [Fact]
    public void A_ddl_without_tables_is_rejected() =>
        Assert.Throws<FormatException>(() => EicuSchema.Parse("DROP TABLE IF EXISTS patient;"));

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Same_seed_gives_the_same_rows_and_another_seed_does_not()
    {
        using var folder = new TempFolder();
        var a = Path.Combine(folder.Path, "a.sqlite");
        var b = Path.Combine(folder.Path, "b.sqlite");
        var c = Path.Combine(folder.Path, "c.sqlite");
        SyntheticEicuDatabase.Generate(a, new SyntheticEicuOptions { Patients = 40, Seed = 7 });
        SyntheticEicuDatabase.Generate(b, new SyntheticEicuOptions { Patients = 40, Seed = 7 });
        SyntheticEicuDatabase.Generate(c, new SyntheticEicuOptions { Patients = 40, Seed = 8 });
        Assert.Equal(SyntheticEicuDatabase.DumpHash(a), SyntheticEicuDatabase.DumpHash(b));
        Assert.NotEqual(SyntheticEicuDatabase.DumpHash(a), SyntheticEicuDatabase.DumpHash(c));
    }

    [Fact]
    public void The_database_has_plausible_eicu_rows_and_is_written_atomically()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "eicu.sqlite");
        File.WriteAllText(path, "an older file");
        var summary = SyntheticEicuDatabase.Generate(path, new SyntheticEicuOptions { Patients = 50, Seed = 1 });
        Assert.Equal(["eicu.sqlite"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        Assert.All(summary.RowsPerTable, r => Assert.True(r.Value > 0, r.Key));
        Assert.Equal(SyntheticEicuDatabase.Now, summary.Now);

        using var runner = new SqliteQueryRunner(path, TimeSpan.FromSeconds(5), 100_000);
        object? One(string sql) => runner.Execute(sql, false) is { Succeeded: true } r ? r.Rows[0][0] : throw new InvalidOperationException(sql);
        Assert.Equal(0L, One("select count(*) from patient where uniquepid not glob '[0-9][0-9][0-9]-[0-9]*'"));
        Assert.Equal(50L, One("select count(distinct uniquepid) from patient"));
        Assert.Equal(0L, One("select count(*) from patient where unitdischargetime < unitadmittime or hospitaladmittime > unitadmittime"));
        Assert.Equal(0L, One("select count(*) from patient where hospitaladmittime < '2100-01-01' or hospitaladmittime > '2105-12-31 23:59:00'"));
        Assert.Equal(0L, One("select count(*) from patient where age not in ('> 89') and (cast(age as integer) < 18 or cast(age as integer) > 89)"));
        Assert.Equal(0L, One("select count(*) from lab where labname = 'sodium' and (labresult < 120 or labresult > 160)"));
        Assert.Equal(0L, One("select count(*) from vitalperiodic where heartrate < 30 or heartrate > 200 or sao2 > 100"));
        Assert.Equal(0L, One("select count(*) from cost where eventtype not in ('diagnosis', 'lab', 'medication', 'treatment')"));
        Assert.Equal(One("select count(*) from diagnosis"), One("select count(*) from cost where eventtype = 'diagnosis'"));
        Assert.Equal(0L, One("select count(*) from medication m left join patient p on p.patientunitstayid = m.patientunitstayid where p.uniquepid is null"));
        Assert.Equal("true", One("select value from medhelm_database_info where key = 'synthetic'"));
        Assert.True((long)One("select count(*) from diagnosis where icd9code like '%.%'")! > 0);
    }

    [Fact]
    public void Every_gold_query_of_the_bundled_ehrsql_sample_returns_rows()
    {
        using var folder = new TempFolder();
        BundledSamples.Extract("ehr_sql", folder.Path);
        var db = Path.Combine(folder.Path, "eicu.sqlite");
        SyntheticEicuDatabase.Generate(db, new SyntheticEicuOptions { Patients = 80 });
        var result = EhrSqlGoldCheck.Run(db, [Path.Combine(folder.Path, "test.json")]);
        Assert.Equal(10, result.Answerable);
        Assert.Equal(0, result.Failed);
        Assert.Equal(1.0, result.NonNullShare);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Questions_about_a_patient_find_that_patients_entities()
    {
        using var folder = new TempFolder();
        var db = Path.Combine(folder.Path, "eicu.sqlite");
        SyntheticEicuDatabase.Generate(db, new SyntheticEicuOptions { Patients = 700 });
        var hint = EicuVocabulary.Embedded.Hints.First(h => h.Table == "medication" && h.Column == "drugname");
        using var runner = new SqliteQueryRunner(db, TimeSpan.FromSeconds(5), 1000);
        var rows = runner.Execute(
            $"select count(*) from medication where drugname = '{hint.Value.Replace("'", "''", StringComparison.Ordinal)}' and patientunitstayid in " +
            $"(select patientunitstayid from patient where uniquepid = '{hint.Pid}')", false);
        Assert.True((long)rows.Rows[0][0]! > 0);
    }

    [Fact]
    public void EhrSql_time_rewrite_matches_the_reference_evaluation() =>
        Assert.Equal(
            "select strftime('%Y',t) from x where datetime(t) >= datetime('2105-12-31 23:59:00','-1 year')",
            EhrSqlGoldCheck.RewriteTime("select strftime('%y',t) from x where datetime(t) >= datetime(current_time,'-1 year')"));

    [Fact]
    public void The_metric_scores_against_the_synthetic_database()
    {
        using var folder = new TempFolder();
        var db = Path.Combine(folder.Path, "eicu.sqlite");
        SyntheticEicuDatabase.Generate(db, new SyntheticEicuOptions { Patients = 30 });
        using var metric = new EhrSqlExecutionAccuracy(db);
        const string Gold = "select distinct medication.routeadmin from medication where medication.drugname = 'clonidine'";
        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(new { query = Gold }));
        var gold = new Core.Metrics.GoldRecord(json.RootElement);
        Assert.Equal(1.0, metric.Score(Gold, gold, Core.Metrics.ScoringMode.Corrected)[EhrSqlExecutionAccuracy.MetricName]);
        Assert.Equal(0.0, metric.Score("select distinct routeadmin from medication", gold, Core.Metrics.ScoringMode.Corrected)[EhrSqlExecutionAccuracy.MetricName]);
        SqliteConnection.ClearAllPools();
    }
}
