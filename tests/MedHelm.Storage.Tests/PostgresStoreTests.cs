using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Postgres;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

/// <summary>
/// What only the PostgreSQL provider has to show: several servers (here, several data sources) on one database at once,
/// the server's version, and the connection settings (the password never in the connection string).
/// </summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private readonly PostgresProvider _provider = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _provider.DisposeAsync();

    [Fact]
    public async Task The_engine_version_and_location_name_the_server_without_credentials()
    {
        await using var store = await _provider.OpenAsync();
        Assert.Matches(@"^PostgreSQL 1[5-9]\.[0-9]+$", store.EngineVersion);
        Assert.Matches(@"^postgresql://127\.0\.0\.1:[0-9]+/t_[0-9]+_[0-9]+$", store.Location);
        Assert.Equal([Text(PostgresMigrations.All.Count)], await _provider.QueryAsync("SELECT MAX(version) FROM schema_version"));
    }

    [Fact]
    public async Task Two_servers_writing_the_same_ledger_keys_at_once_store_each_once()
    {
        var builder = await _provider.Builder();
        await using var first = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await using var second = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await first.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));

        // a shard executed twice after a failure: both servers record the same 300 entries, in opposite orders
        var entries = Enumerable.Range(0, 300).Select(i => Samples.Result("run-1", "m1", Text(i), i % 2)).ToArray();
        await Task.WhenAll(
            RecordAsync(first.Ledger.OpenLedger(maxBatch: 16), entries),
            RecordAsync(second.Ledger.OpenLedger(maxBatch: 16), entries.Reverse()));

        foreach (var table in new[] { "requests", "completions", "run_completions", "scores" })
        {
            Assert.Equal(["300"], await _provider.QueryAsync($"SELECT COUNT(*) FROM {table}"));
        }

        Assert.Equal(300, (await first.GetRunResultsAsync("run-1")).Count);
        Assert.Equal(0.5, Assert.Single(await second.GetLeaderboardAsync("run-1")).Score);
    }

    [Fact]
    public async Task Two_servers_claiming_from_one_queue_take_each_run_once_and_the_audit_chain_holds()
    {
        var builder = await _provider.Builder();
        await using var first = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await using var second = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        var request = new Application.Runs.RunRequest(["pubmed_qa"], null, ["m1"], []);
        for (var i = 0; i < 40; i++)
        {
            await (i % 2 == 0 ? first : second).Queue.EnqueueAsync("run-" + Text(i), request, "ops");
        }

        async Task<List<string>> ClaimAllAsync(PostgresResultStore store)
        {
            var claimed = new List<string>();
            while (await store.Queue.ClaimNextAsync() is { } run)
            {
                claimed.Add(run.RunId);
                await store.AppendAuditAsync(run.RunId, "claimed"); // both servers append to one chain at once
            }

            return claimed;
        }

        var both = await Task.WhenAll(ClaimAllAsync(first), ClaimAllAsync(second));
        Assert.Equal(40, both[0].Count + both[1].Count);
        Assert.Equal(40, both[0].Concat(both[1]).Distinct().Count());
        var chain = await second.VerifyAuditChainAsync();
        Assert.True(chain.Intact, chain.Problem);
        Assert.Equal((await first.GetAuditAsync(null)).Count, chain.RowsChecked);
    }

    [Fact]
    public async Task A_run_held_by_one_server_is_not_interrupted_by_another_and_is_once_its_session_ends()
    {
        var builder = await _provider.Builder();
        await using var other = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await using var holder = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        var hold = await holder.HoldRunAsync("live");
        await holder.SaveRunAsync(Samples.Run("live", RunStatus.Running));
        Assert.Empty(await other.MarkInterruptedRunsAsync());
        Assert.Equal(RunStatus.Running, (await other.GetRunAsync("live"))!.Status);

        // the holding server is lost (killed, or cut off from the database for good): the server ends its session, and
        // the lost process cannot take the lock again (its data source is gone; a live one would, see below)
        await holder.DisposeAsync();
        Assert.Equal(["t"], await _provider.QueryAsync(
            "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()"
            + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")); // only this test's database: other classes share the server
        Assert.Equal(["live"], await other.MarkInterruptedRunsAsync());
        Assert.Equal(RunStatus.Interrupted, (await other.GetRunAsync("live"))!.Status);
        await hold.DisposeAsync(); // its connection is gone: nothing to release, no error
    }

    [Fact]
    public void A_password_in_the_connection_string_is_refused_without_repeating_it()
    {
        var ex = Assert.Throws<RequestValidationException>(() => new PostgresDataSourceBuilder("Host=db1;Database=m;Username=u;Password=hunter2"));
        Assert.Contains("Storage:ConnectionString must not hold the password", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", ex.Message, StringComparison.Ordinal);

        var failures = new StorageOptionsValidator().Validate(null, new StorageOptions { Provider = "postgres", ConnectionString = "Host=db1;Password=hunter2" });
        Assert.Contains("Storage:ConnectionString must not hold the password", Assert.Single(failures.Failures!), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failures.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_options_are_checked_naming_each_field()
    {
        var validator = new StorageOptionsValidator();
        Assert.True(validator.Validate(null, new StorageOptions()).Succeeded);
        Assert.Contains("Storage:Provider must be 'sqlite' or 'postgres'", validator.Validate(null, new StorageOptions { Provider = "mysql" }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Storage:ConnectionString must be set", validator.Validate(null, new StorageOptions { Provider = "postgres" }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("apply only with Storage:Provider 'postgres'", validator.Validate(null, new StorageOptions { ConnectionString = "Host=x" }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("are alternatives", validator.Validate(null, new StorageOptions
        {
            Provider = "postgres", ConnectionString = "Host=x", PasswordFile = "p", PasswordVariable = "PATH",
        }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("'MEDHELM_TEST_NO_SUCH_VARIABLE', which is not set", validator.Validate(null, new StorageOptions
        {
            Provider = "postgres", ConnectionString = "Host=x", PasswordVariable = "MEDHELM_TEST_NO_SUCH_VARIABLE",
        }).FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new StorageOptions { Provider = "postgres", ConnectionString = "Host=db1;Port=5432;Database=medhelm;Username=medhelm" }).Succeeded);
    }

    [Fact]
    public void The_password_is_read_from_an_owner_only_file_and_a_loose_file_is_refused()
    {
        using var folder = new TempFolder("medhelm-pgpass-");
        var file = folder.PathOf("pgpass");
        File.WriteAllText(file, "s3cret\n");
        var options = new StorageOptions { Provider = "postgres", ConnectionString = "Host=db1;Database=medhelm;Username=medhelm", PasswordFile = "pgpass" };
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            var loose = Assert.Throws<RequestValidationException>(() => PostgresDataSourceBuilder.FromOptions(options, p => Path.Combine(folder.Path, p)));
            Assert.Contains("chmod 600", loose.Message, StringComparison.Ordinal);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var builder = PostgresDataSourceBuilder.FromOptions(options, p => Path.Combine(folder.Path, p));
        Assert.Equal("s3cret", builder.Password);
        Assert.Equal("postgresql://db1:5432/medhelm", builder.Location);

        var missing = Assert.Throws<RequestValidationException>(() => PostgresDataSourceBuilder.FromOptions(options, _ => folder.PathOf("none")));
        Assert.Contains("Storage:PasswordFile", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_or_a_missing_database_is_a_clear_error_naming_the_location()
    {
        var server = await PostgresTestServer.Shared;
        var builder = new PostgresDataSourceBuilder(server.ConnectionString("no_such_database")) { Password = "s3cret" };
        var missing = Assert.Throws<RequestValidationException>(() => builder.Build());
        Assert.Contains($"postgresql://127.0.0.1:{server.Port}/no_such_database does not exist", missing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", missing.ToString(), StringComparison.Ordinal);

        // a port nobody listens on (the server's own port + 1 may be taken: the error is then a refused login, also typed)
        var closed = new PostgresDataSourceBuilder("Host=127.0.0.1;Port=1;Database=x;Username=u;Timeout=2") { Password = "s3cret" };
        var unreachable = Assert.Throws<RequestValidationException>(() => closed.Build());
        Assert.Contains("postgresql://127.0.0.1:1/x cannot be reached", unreachable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", unreachable.ToString(), StringComparison.Ordinal);

        // the factory refuses a database without the schema when asked not to create it, and leaves it as it is
        var empty = await server.CreateDatabaseAsync("empty");
        var factory = new PostgresResultsDatabaseFactory(new PostgresDataSourceBuilder(server.ConnectionString(empty)));
        await Assert.ThrowsAsync<NotFoundException>(() => factory.OpenAsync("ignored.db", create: false));
        Assert.Equal(["0"], await server.PsqlAsync(empty, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    [Fact]
    public async Task A_server_that_starts_requeues_only_the_running_runs_no_live_server_holds()
    {
        var builder = await _provider.Builder();
        await using var executing = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await using var starting = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        var request = new Application.Runs.RunRequest(["pubmed_qa"], null, ["m1"], []);
        await executing.Queue.EnqueueAsync("live", request, "ops");
        await executing.Queue.EnqueueAsync("orphan", request, "ops");
        Assert.Equal("live", (await executing.Queue.ClaimNextAsync())!.RunId);
        Assert.Equal("orphan", (await executing.Queue.ClaimNextAsync())!.RunId);
        await using var hold = await executing.HoldRunAsync("live"); // "orphan" lost its process: nobody holds it

        Assert.Equal(["orphan"], await starting.Queue.RequeueInterruptedAsync());
        Assert.Equal(["live|running", "orphan|queued"], await _provider.QueryAsync("SELECT run_id || '|' || state FROM run_queue ORDER BY run_id"));
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public async Task Writes_and_reads_wait_through_a_server_restart_and_store_each_result_once_and_the_run_is_held_again()
    {
        using var server = await PostgresTestServer.StartPrivateAsync(); // stopped by this test: not the shared one
        var database = await server.CreateDatabaseAsync("restart");
        var builder = new PostgresDataSourceBuilder(server.ConnectionString(database));
        await using var store = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        await store.SaveRunAsync(Samples.Run("run-1", RunStatus.Running));
        await using var hold = await store.HoldRunAsync("run-1");
        var entries = Enumerable.Range(0, 100).Select(i => Samples.Result("run-1", "m1", Text(i), i % 2)).ToArray();
        await RecordAsync(store.Ledger.OpenLedger(maxBatch: 16), entries.Take(40));

        // the server stops (as for a restart: its sessions are ended, the pool's connections die with them)
        await server.StopAsync();
        var write = RecordAsync(store.Ledger.OpenLedger(maxBatch: 16), entries);
        var read = store.GetRunResultsAsync("run-1");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(write.IsCompleted, write.Exception?.ToString() ?? "the write ended while the server was down");
        Assert.False(read.IsCompleted, read.Exception?.ToString() ?? "the read ended while the server was down");

        // started again, both go on: each result stored once (the first 40 were there before)
        await server.ResumeAsync();
        await write.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(60)));
        Assert.InRange((await read.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(60)))).Count, 40, 100);
        foreach (var table in new[] { "requests", "completions", "run_completions", "scores" })
        {
            Assert.Equal(["100"], await server.PsqlAsync(database, $"SELECT COUNT(*) FROM {table}"));
        }

        // the run's lock died with its session; the hold takes it again, so another server does not mark the run interrupted
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(30));
        while ((await server.PsqlAsync(database, "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"))[0] != "1" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await using var other = new PostgresResultStore(builder.Build(), ownsDataSource: true);
        Assert.Empty(await other.MarkInterruptedRunsAsync());
        Assert.Equal(RunStatus.Running, (await other.GetRunAsync("run-1"))!.Status);
    }

    [Fact]
    public async Task A_write_whose_session_ends_before_its_commit_is_found_rolled_back_and_run_again_once()
    {
        await using var source = (await _provider.Builder()).Build();
        await _provider.QueryAsync("CREATE TABLE commit_probe (id serial PRIMARY KEY, note text)");
        var attempts = 0;
        var stored = await source.WriteAsync(
            async (transaction, ct) =>
            {
                attempts++;
                await using (var insert = new Npgsql.NpgsqlCommand("INSERT INTO commit_probe (note) VALUES ('event')", transaction.Connection, transaction))
                {
                    await insert.ExecuteNonQueryAsync(ct);
                }

                if (attempts == 1)
                {
                    // the server ends this session (as at a shutdown) between the last statement and the COMMIT
                    await using var pid = new Npgsql.NpgsqlCommand("SELECT pg_backend_pid()", transaction.Connection, transaction);
                    var backend = (int)(await pid.ExecuteScalarAsync(ct))!;
                    Assert.Equal(["t"], await _provider.QueryAsync($"SELECT pg_terminate_backend({backend}, 10000)"));
                }

                return attempts;
            },
            CancellationToken.None);

        // a non-idempotent write (not the ledger's) is looked up by its transaction id: rolled back, so run again
        Assert.Equal(2, stored);
        Assert.Equal(["1"], await _provider.QueryAsync("SELECT COUNT(*) FROM commit_probe"));
    }

    [Fact]
    public async Task The_outcome_of_a_transaction_is_read_back_by_its_id()
    {
        await using var source = (await _provider.Builder()).Build();
        await _provider.QueryAsync("CREATE TABLE outcome_probe (id int)");
        var ids = new List<string>();
        foreach (var end in new[] { "COMMIT", "ROLLBACK" })
        {
            await using var connection = await source.OpenAsync(CancellationToken.None);
            await using var begin = new Npgsql.NpgsqlCommand("BEGIN; INSERT INTO outcome_probe VALUES (1); SELECT pg_current_xact_id()::text", connection);
            ids.Add((string)(await begin.ExecuteScalarAsync())!);
            await using var finish = new Npgsql.NpgsqlCommand(end, connection);
            await finish.ExecuteNonQueryAsync();
        }

        Assert.True(await source.CommitOutcomeAsync(ids[0], CancellationToken.None));
        Assert.False(await source.CommitOutcomeAsync(ids[1], CancellationToken.None));
        Assert.Equal(["1"], await _provider.QueryAsync("SELECT COUNT(*) FROM outcome_probe"));
    }

    [Fact]
    public void A_server_older_than_postgresql_13_is_refused_naming_its_version()
    {
        var e = Assert.Throws<RequestValidationException>(() => PostgresDataSourceBuilder.CheckVersion(new Version(12, 15), "12.15", "postgresql://db:5432/medhelm"));
        Assert.Equal("The PostgreSQL server at postgresql://db:5432/medhelm is version 12.15; MedHelm needs PostgreSQL 13 or later (Storage:ConnectionString).", e.Message);
        PostgresDataSourceBuilder.CheckVersion(new Version(13, 0), "13.0", "x");
        PostgresDataSourceBuilder.CheckVersion(new Version(15, 18), "15.18 (Debian 15.18-0+deb12u1)", "x");
    }

    [Fact]
    public async Task A_lost_connection_is_told_apart_from_a_wrong_statement()
    {
        Assert.True(PostgresDataSource.IsConnectionLoss(new Npgsql.NpgsqlException("refused", new System.Net.Sockets.SocketException(111))));
        Assert.False(PostgresDataSource.IsConnectionLoss(new Npgsql.NpgsqlException("bad")));
        Assert.False(PostgresDataSource.IsConnectionLoss(new InvalidOperationException("bad")));
        Assert.False(PostgresDataSource.IsConnectionLoss(new OperationCanceledException()));
    }

    private static async Task RecordAsync(Application.Ports.BatchingRunLedger ledger, IEnumerable<LedgerEntry> entries)
    {
        await using (ledger)
        {
            foreach (var entry in entries)
            {
                await ledger.RecordAsync(entry);
            }

            await ledger.FlushAsync();
        }
    }

    private static string Text(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
