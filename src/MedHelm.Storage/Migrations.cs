namespace MedHelm.Storage;

/// <summary>Forward-only schema migrations; index + 1 = schema version. Never edit a shipped entry: append.</summary>
internal static class Migrations
{
    public static IReadOnlyList<string> All { get; } =
    [
        // 1: models, runs, datasets, completions, scores.
        """
        CREATE TABLE models (
            name            TEXT PRIMARY KEY,
            path            TEXT,
            sha256          TEXT,
            size_bytes      INTEGER,
            registered_utc  TEXT NOT NULL
        );

        CREATE TABLE runs (
            run_id             TEXT PRIMARY KEY,
            started_utc        TEXT NOT NULL,
            finished_utc       TEXT,
            status             TEXT NOT NULL,
            config_json        TEXT NOT NULL,
            config_hash        TEXT NOT NULL,
            app_version        TEXT NOT NULL,
            llama_cpp_version  TEXT,
            machine            TEXT NOT NULL
        );

        CREATE TABLE datasets (
            benchmark       TEXT NOT NULL,
            source_sha256   TEXT NOT NULL,
            source_files    TEXT NOT NULL,
            instance_count  INTEGER NOT NULL,
            imported_utc    TEXT NOT NULL,
            PRIMARY KEY (benchmark, source_sha256)
        );

        CREATE TABLE completions (
            id                 INTEGER PRIMARY KEY,
            run_id             TEXT NOT NULL REFERENCES runs (run_id),
            model              TEXT NOT NULL,
            benchmark          TEXT NOT NULL,
            instance_id        TEXT NOT NULL,
            prompt_hash        TEXT,
            prediction         TEXT NOT NULL,
            gold               TEXT NOT NULL,
            prompt_tokens      INTEGER,
            completion_tokens  INTEGER,
            elapsed_ms         REAL NOT NULL,
            UNIQUE (run_id, model, benchmark, instance_id)
        );

        CREATE TABLE scores (
            run_id       TEXT NOT NULL,
            model        TEXT NOT NULL,
            benchmark    TEXT NOT NULL,
            instance_id  TEXT NOT NULL,
            metric       TEXT NOT NULL,
            value        REAL NOT NULL,
            PRIMARY KEY (run_id, model, benchmark, instance_id, metric),
            FOREIGN KEY (run_id, model, benchmark, instance_id)
                REFERENCES completions (run_id, model, benchmark, instance_id)
        );

        CREATE INDEX ix_completions_model_benchmark ON completions (model, benchmark, instance_id);
        """,

        // 2: imported dataset instances; access tier, split counts and source path of each import.
        """
        ALTER TABLE datasets ADD COLUMN access TEXT;
        ALTER TABLE datasets ADD COLUMN split_counts TEXT;
        ALTER TABLE datasets ADD COLUMN source_path TEXT;

        CREATE TABLE dataset_instances (
            benchmark      TEXT NOT NULL,
            source_sha256  TEXT NOT NULL,
            position       INTEGER NOT NULL,
            instance_id    TEXT NOT NULL,
            split          TEXT NOT NULL,
            question       TEXT NOT NULL,
            fields_json    TEXT NOT NULL,
            options_json   TEXT NOT NULL,
            gold           TEXT NOT NULL,
            metadata_json  TEXT NOT NULL,
            PRIMARY KEY (benchmark, source_sha256, instance_id),
            FOREIGN KEY (benchmark, source_sha256) REFERENCES datasets (benchmark, source_sha256) ON DELETE CASCADE
        );
        """,
    ];
}
