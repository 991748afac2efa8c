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

        // 3: durable runs. The request ledger: requests keyed by the ledger key (UNIQUE; rows refer to it by its
        // integer id, so only one index is keyed by a hash), one completion per request, linked to every run that
        // used it (computed or reused); scores per run, request and metric; jury ratings; an append-only audit log;
        // model identity; the run's GPU. Rows of version 1 move to the new tables with the key "v1-<id>" (their
        // provenance was not recorded).
        """
        ALTER TABLE models ADD COLUMN architecture TEXT;
        ALTER TABLE models ADD COLUMN quantization TEXT;
        ALTER TABLE models ADD COLUMN parameters INTEGER;
        ALTER TABLE runs ADD COLUMN gpu TEXT;

        ALTER TABLE scores RENAME TO scores_v1;
        ALTER TABLE completions RENAME TO completions_v1;

        CREATE TABLE requests (
            id              INTEGER PRIMARY KEY,
            request_key     TEXT NOT NULL UNIQUE,
            model           TEXT NOT NULL,
            model_identity  TEXT,
            benchmark       TEXT NOT NULL,
            dataset_sha256  TEXT,
            instance_id     TEXT NOT NULL,
            template_hash   TEXT,
            prompt_hash     TEXT,
            decoding        TEXT,
            seed            INTEGER NOT NULL DEFAULT 0,
            sample_index    INTEGER NOT NULL DEFAULT 0,
            gold            TEXT NOT NULL,
            created_utc     TEXT NOT NULL
        );

        CREATE TABLE completions (
            request_id            INTEGER PRIMARY KEY REFERENCES requests (id),
            output                TEXT NOT NULL,
            reasoning             TEXT,
            finish_reason         TEXT,
            prompt_tokens         INTEGER,
            completion_tokens     INTEGER,
            reasoning_tokens      INTEGER,
            reused_prompt_tokens  INTEGER,
            queue_ms              REAL,
            prefill_ms            REAL,
            first_token_ms        REAL,
            decode_ms             REAL,
            elapsed_ms            REAL NOT NULL,
            computed_run_id       TEXT,
            computed_utc          TEXT NOT NULL
        );

        CREATE TABLE run_completions (
            seq          INTEGER PRIMARY KEY,
            run_id       TEXT NOT NULL REFERENCES runs (run_id),
            request_id   INTEGER NOT NULL REFERENCES completions (request_id),
            model        TEXT NOT NULL,
            benchmark    TEXT NOT NULL,
            instance_id  TEXT NOT NULL,
            origin       TEXT NOT NULL CHECK (origin IN ('computed', 'reused')),
            linked_utc   TEXT NOT NULL,
            UNIQUE (run_id, request_id)
        );

        CREATE TABLE scores (
            run_id       TEXT NOT NULL,
            request_id   INTEGER NOT NULL,
            metric       TEXT NOT NULL,
            value        REAL NOT NULL,
            PRIMARY KEY (run_id, request_id, metric),
            FOREIGN KEY (run_id, request_id) REFERENCES run_completions (run_id, request_id)
        ) WITHOUT ROWID;

        CREATE TABLE jury_ratings (
            run_id       TEXT NOT NULL,
            request_id   INTEGER NOT NULL,
            judge        TEXT NOT NULL,
            criterion    TEXT NOT NULL,
            rating       REAL,
            verdict_json TEXT,
            created_utc  TEXT NOT NULL,
            PRIMARY KEY (run_id, request_id, judge, criterion),
            FOREIGN KEY (run_id, request_id) REFERENCES run_completions (run_id, request_id)
        ) WITHOUT ROWID;

        CREATE TABLE audit (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            at_utc       TEXT NOT NULL,
            run_id       TEXT,
            event        TEXT NOT NULL,
            detail_json  TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit table is append-only');
        END;

        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN
            SELECT RAISE(ABORT, 'the audit table is append-only');
        END;

        INSERT INTO requests (request_key, model, model_identity, benchmark, instance_id, prompt_hash, gold, created_utc)
        SELECT 'v1-' || c.id, c.model, (SELECT m.sha256 FROM models m WHERE m.name = c.model), c.benchmark, c.instance_id,
               c.prompt_hash, c.gold, r.started_utc
        FROM completions_v1 c JOIN runs r ON r.run_id = c.run_id
        ORDER BY c.id;

        INSERT INTO completions (request_id, output, prompt_tokens, completion_tokens, elapsed_ms, computed_run_id, computed_utc)
        SELECT q.id, c.prediction, c.prompt_tokens, c.completion_tokens, c.elapsed_ms, c.run_id, q.created_utc
        FROM completions_v1 c JOIN requests q ON q.request_key = 'v1-' || c.id;

        INSERT INTO run_completions (run_id, request_id, model, benchmark, instance_id, origin, linked_utc)
        SELECT c.run_id, q.id, c.model, c.benchmark, c.instance_id, 'computed', q.created_utc
        FROM completions_v1 c JOIN requests q ON q.request_key = 'v1-' || c.id
        ORDER BY c.id;

        INSERT INTO scores (run_id, request_id, metric, value)
        SELECT s.run_id, q.id, s.metric, s.value
        FROM scores_v1 s
        JOIN completions_v1 c ON c.run_id = s.run_id AND c.model = s.model AND c.benchmark = s.benchmark AND c.instance_id = s.instance_id
        JOIN requests q ON q.request_key = 'v1-' || c.id;

        DROP TABLE scores_v1;
        DROP TABLE completions_v1;

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":3}');
        """,

        // 4: the definition file of a benchmark imported with --definition, so runs can evaluate it.
        """
        ALTER TABLE datasets ADD COLUMN definition_json TEXT;

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":4}');
        """,

        // 5: secondary statistics beside each instance's main score (MedEC sentence accuracy, billing precision/recall,
        // EHRSQL query validity); leaderboards read the main one only.
        """
        ALTER TABLE scores ADD COLUMN is_main INTEGER NOT NULL DEFAULT 1;

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":5}');
        """,

        // 6: the service: its durable run queue (one row per run the service executes; the request as JSON), hashed
        // API tokens (the secret's SHA-256 only), and the audit chain: each audit row's SHA-256 over its fields and the
        // previous row's hash (AuditChain), append-only like the audit table.
        """
        CREATE TABLE audit_chain (
            audit_id  INTEGER PRIMARY KEY,
            sha256    TEXT NOT NULL
        );

        CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
        BEGIN
            SELECT RAISE(ABORT, 'the audit chain is append-only');
        END;

        CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
        BEGIN
            SELECT RAISE(ABORT, 'the audit chain is append-only');
        END;

        CREATE TABLE run_queue (
            run_id        TEXT PRIMARY KEY,
            request_json  TEXT NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
            enqueued_utc  TEXT NOT NULL,
            started_utc   TEXT,
            finished_utc  TEXT,
            error         TEXT,
            requested_by  TEXT NOT NULL
        );

        CREATE INDEX ix_run_queue_state ON run_queue (state, enqueued_utc);

        CREATE TABLE api_tokens (
            id             TEXT PRIMARY KEY,
            name           TEXT NOT NULL,
            role           TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            secret_sha256  TEXT NOT NULL,
            created_utc    TEXT NOT NULL,
            revoked_utc    TEXT
        );

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":6}');
        """,

        // 7: local accounts of the service: the framework password hasher's hash (never a password), a security stamp
        // that ends sessions when replaced, failed logins in a row and the lockout they cause, and a disabled flag.
        """
        CREATE TABLE users (
            name             TEXT PRIMARY KEY,
            role             TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            password_hash    TEXT NOT NULL,
            security_stamp   TEXT NOT NULL,
            failed_attempts  INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
            locked_until_utc TEXT,
            disabled         INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
            created_utc      TEXT NOT NULL,
            last_login_utc   TEXT
        );

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":7}');
        """,

        // 8: an undefined score (helm mode on an input where HELM's own code raises) is stored as NULL, left out of every
        // mean: scores.value becomes nullable (SQLite cannot drop NOT NULL in place, so the table is rebuilt as it was,
        // every row kept).
        """
        CREATE TABLE scores_v8 (
            run_id       TEXT NOT NULL,
            request_id   INTEGER NOT NULL,
            metric       TEXT NOT NULL,
            value        REAL,
            is_main      INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (run_id, request_id, metric),
            FOREIGN KEY (run_id, request_id) REFERENCES run_completions (run_id, request_id)
        ) WITHOUT ROWID;

        INSERT INTO scores_v8 (run_id, request_id, metric, value, is_main)
        SELECT run_id, request_id, metric, value, is_main FROM scores;

        DROP TABLE scores;
        ALTER TABLE scores_v8 RENAME TO scores;

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":8}');
        """,

        // 9: the model registry (models add, POST /api/v1/models): the header's context length, chat template (its
        // SHA-256 and detected family) and licence, why the file was trusted (manifest, sha256, trusted) and by whom.
        // Every row is kept; a row registered through the service before (its model_registered audit names who, and the
        // same SHA-256) becomes a registration by a given hash; the other rows stay identities recorded by runs.
        """
        ALTER TABLE models ADD COLUMN context_length INTEGER;
        ALTER TABLE models ADD COLUMN chat_template_sha256 TEXT;
        ALTER TABLE models ADD COLUMN chat_template_family TEXT;
        ALTER TABLE models ADD COLUMN license TEXT;
        ALTER TABLE models ADD COLUMN trust TEXT CHECK (trust IN ('manifest', 'sha256', 'trusted'));
        ALTER TABLE models ADD COLUMN registered_by TEXT;

        UPDATE models SET trust = 'sha256', registered_by = r.registrar
        FROM (
            SELECT name, sha256, registrar, MAX(id) FROM (
                SELECT id,
                       CASE WHEN json_valid(detail_json) THEN json_extract(detail_json, '$.name') END AS name,
                       CASE WHEN json_valid(detail_json) THEN json_extract(detail_json, '$.sha256') END AS sha256,
                       CASE WHEN json_valid(detail_json) THEN json_extract(detail_json, '$.by') END AS registrar
                FROM audit WHERE event = 'model_registered')
            WHERE registrar IS NOT NULL
            GROUP BY name, sha256) AS r
        WHERE r.name = models.name AND r.sha256 = models.sha256;

        INSERT INTO audit (at_utc, event, detail_json)
        VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'schema_migrated', '{"to":9}');
        """,
    ];
}
