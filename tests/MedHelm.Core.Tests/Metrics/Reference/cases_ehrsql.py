"""Input set for EHRSQL (HELM's EhrSqlAnnotator + EhrSqlMetric) on tests/MedHelm.Evaluation.Tests/Data/HelmReference/ehr_sql_schema.sql."""

GOLD = "SELECT COUNT(*) FROM patient WHERE gender = 'male'"
GOLD_ROWS = "SELECT drugname FROM medication WHERE patientunitstayid = 1"
GOLD_EMPTY = "SELECT drugname FROM medication WHERE patientunitstayid = 99"

PREDICTIONS = [
    GOLD, GOLD + ";", GOLD + ";;", GOLD + "; ;", GOLD + ";\n;", GOLD + "; -- done", GOLD + "; /* c */", GOLD + " -- c",
    GOLD + "; SELECT 1;", GOLD + ";\nSELECT 1", "", "   ", "-- just a comment", "/* nothing */", ";", ";;", "-- c\n;",
    "<sql>" + GOLD + "</sql>", "<SQL > " + GOLD + " </ sql>", "<sql></sql>", "<sql>" + GOLD, "```sql\n" + GOLD + "\n```",
    "```\n" + GOLD + "\n```", "sql\n" + GOLD, "Here is the query:\n```sql\n" + GOLD + ";\n```\nIt counts men.",
    "SELECT COUNT(*) FROM `patient` WHERE gender = 'male'", "select count(*) from patient where gender='male'",
    "SELECT 2", "SELECT 2.0", "SELECT '2'", "SELECT COUNT(*) FROM patient", "SELECT * FROM nonexistent", "SELEC 1",
    "null", "I cannot answer this question.", "DELETE FROM patient", "CREATE TABLE t(x)", "PRAGMA user_version",
    "SELECT 1\x1c", "\x1fSELECT 2", "\u00a0SELECT 2\u2003",
    "SELECT ';'", "SELECT 2 /* unterminated", "SELECT 2; /* unterminated", "SELECT 2;\v", "SELECT 2; --", "SELECT 2;\t\n",
    "SELECT 2;\f\r", "<sql>SELECT 2</sql> and some text", "<sql>SELECT 2</sql><sql>SELECT 3</sql>", "SQL\nSELECT 2",
    "sql\n\nSELECT 2", "WITH x AS (SELECT 2) SELECT * FROM x", "SELECT 2 LIMIT 1", "BEGIN", "VACUUM",
    "ATTACH DATABASE ':memory:' AS m", "SELECT COUNT(*) FROM pragma_table_info('patient') WHERE 0", "  ;  ", "/* a */ ; /* b */",
    "--only\n--comments\n", "SELECT 2 -- trailing\n; SELECT 3",
]


def cases():
    out = []

    def add(query, prediction, **extra):
        out.append({"id": f"ehrsql-{len(out):03d}", "query": query, "prediction": prediction, **extra})

    for p in PREDICTIONS:
        add(GOLD, p)
    for p in [GOLD_ROWS, "SELECT drugname FROM medication WHERE patientunitstayid = 1 ORDER BY drugname DESC",
              "SELECT drugname FROM medication WHERE patientunitstayid IN (1, 1)", "SELECT 'aspirin' UNION SELECT 'heparin'",
              "SELECT drugname, routeadmin FROM medication WHERE patientunitstayid = 1", "SELECT 'aspirin'"]:
        add(GOLD_ROWS, p)
    for p in [GOLD_EMPTY, "", "SELECT 1 WHERE 0", "-- nothing"]:
        add(GOLD_EMPTY, p)
        add(GOLD_EMPTY, p, value={"drugname": "aspirin"})
    add("SELECT age FROM patient WHERE uniquepid = '002-1'", "SELECT '67'", value={"age": "67"})
    add("SELECT admissionweight FROM patient WHERE uniquepid = '002-1'", "SELECT 70.5")
    add("SELECT admissionweight FROM patient WHERE uniquepid = '002-9'", "", value={"admissionweight": "70"})
    add("SELECT patientunitstayid FROM patient WHERE uniquepid = '002-1'", "SELECT 1.0")
    add("SELECT patientunitstayid FROM patient WHERE uniquepid = '002-1'", "SELECT '1'")
    for p in ["", "   ", "null", "SELECT 1", "-- unanswerable", "I cannot answer this question.", "<sql></sql>"]:
        add("null", p, is_impossible=True)
        add("null", p, is_impossible=False)
        add("", p, is_impossible=True)
        add(GOLD, p, is_impossible=True)
    add("SELECT nope FROM nowhere", "SELECT nope FROM nowhere")
    add("SELECT 1; SELECT 2", "SELECT 1")
    add(GOLD + ";;", GOLD)
    add("-- gold comment only", "")
    return out
