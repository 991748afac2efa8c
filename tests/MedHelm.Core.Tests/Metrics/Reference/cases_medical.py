"""Input sets for MedCalc-Bench, MedEC and MIMIC-IV billing codes, weighted to edge cases."""

NUMBERS = ["25.238", "25.2", " 25.238 ", "25.238.", "25.2 mL/min", "+25.238", "2.5238e1", "25_238e-3", "2_5.238", "25__238e-3",
           "_25.238", "25.238_", "\u0662\u0665.\u0662\u0663\u0668", "\uff12\uff15.238", "25,238", "1,000", "inf", "-inf", "Infinity",
           "nan", "NaN", "-0", "0x19", "25.238\x1c", "\x1f25.238", "\u00a025.238\u2003", "25.238\u200b", "", "   ", "\u221225.238",
           "25.238\n\nExplanation: ...", "Answer: 25.238", ".25238e2", "25.", "1e400", "\u0968\u096b.\u0968"]


def medcalc():
    out = []

    def add(category, gold, lower, upper, predictions):
        for p in predictions:
            out.append({"id": f"medcalc-{len(out):03d}", "category": category, "gold": gold, "lower_limit": lower,
                        "upper_limit": upper, "prediction": p})

    for category in ["physical", "dosage conversion", "lab", "lab test", "dosage", "Physical", "physical "]:
        add(category, "25.238", "23.9761", "26.4999", NUMBERS if category == "physical" else ["25.238", "25.2 mL/min", "1_000"])
    add("physical", "1000", "1,000", "1_100", ["1000", "1_050"])
    add("physical", "inf", "-inf", "inf", ["1e308", "inf", "nan"])
    add("dosage conversion", "12", "\u0661\u0661", "\u0661\u0663", ["12", "\u0661\u0662"])
    for category in ["risk", "severity", "diagnosis", "Risk"]:
        add(category, "4", "4", "4", ["4", "4.0", " 4\n", "4.", "Score: 4", "four", "\u0664", "4\x1c", "", "04"])
    add("severity", "Moderate", "", "", ["Moderate", "moderate", "Moderate.", "**Moderate**"])
    add("diagnosis", " 4 ", "", "", ["4", " 4 "])
    date_predictions = ["09/23/2014", "9/23/2014", "09/23/14", "2014-09-23", "09/23/2014.", " 09/23/2014 ", "09-23-2014",
                        "9/ 3/2014", "09/ 3/2014", "09/3 /2014", "9 /23/2014", "09/23/ 2014", "02/30/2014", "13/01/2014",
                        "Due date: 09/23/2014", "09/23/2014\n", "\u0660\u0669/\u0662\u0663/\u0662\u0660\u0661\u0664",
                        "09/23/2014 ", "09/23/02014", "00/23/2014", "09/00/2014", "09/23/0000", "", "09/23/2014\x1e"]
    add("date", "09/23/2014", "09/16/2014", "09/30/2014", date_predictions)
    add("date", "09/23/2014", "9/ 3/2014", "09/30/2014", ["09/23/2014"])
    add("date", "09/23/2014", "2014-09-16", "09/30/2014", ["09/23/2014"])
    weeks = ["('14 weeks', '2 days')", "('14 weeks', '1 days')", "('14 weeks', '9 days')", "(14 weeks, 2 days)",
             "('14 weeks', '2 days') is the answer", " ('14 weeks', '2 days') ", "('14 weeks','2 days')", "(14, 2)",
             "14 weeks 2 days", "('\u0661\u0664 weeks', '\u0662 days')", "('14 Weeks', '2 Days')", "('15 weeks', '0 days')",
             "Answer: ('14 weeks', '2 days')", ""]
    add("date", "('14 weeks', '2 days')", "('14 weeks', '0 days')", "('14 weeks', '6 days')", weeks)
    add("date", " ('14 weeks', '2 days')", "('14 weeks', '0 days')", "('14 weeks', '6 days')", ["('14 weeks', '2 days')"])
    add("date", "('14 weeks', '2 days')", "(14 weeks, 0 days)", "('14 weeks', '6 days')", ["('14 weeks', '2 days')"])
    add("Date", "09/23/2014", "09/16/2014", "09/30/2014", ["09/23/2014"])
    return out


def medec():
    golds = ["CORRECT", "CORRECT.", " CORRECT ", "correct", "C.O.R.R.E.C.T", "5 Patient is given azithromycin.", "5",
             "5.", " 5 ", "1_0", "\u0665", "-1", "+5", "5 ", "12 Dr. Smith ordered a CT scan.", "NA", ""]
    predictions = ["CORRECT", "CORRECT.", "Correct", "**CORRECT**", " CORRECT\n", "CORRECT\x1c", "5", "5 Patient is given azithromycin.",
                   "05", "5.", "Sentence 5: ...", "\u0665", "\u0665 error", "12", "-5", "", "   ", "1_0", "10",
                   "99999999999999999999999"]
    out = []
    for g in golds:
        for p in predictions:
            if g in ("CORRECT", "5 Patient is given azithromycin.", "5") or p in ("CORRECT", "5", "", "CORRECT.", "\u0665"):
                out.append({"id": f"medec-{len(out):03d}", "gold": g, "prediction": p})
    return out


def billing():
    pairs = [
        ("E11.65, I10", "E1165, I10"), ("E11.65, I10", "E11.65,I10"), ("E11.65, I10", "I10; E11.65; I10; E11.65"),
        ("S72.001A, S72.002A", "S72.009A"), ("J18.9", "J18.9."), ("J18.9", "**J18.9**"), ("J18.9", "j18.9"),
        ("J18.9", "J18.9, J18.9, J18.9"), ("J18.9", ""), ("", "J18.9"), ("", ""), ("", "no codes"), ("none", "none"),
        ("J45.909", "J45.90"), ("J45.909", "J45.9099"), ("J96.01", "J96.01\nJ96.02\n- J96.01"), ("A1C", "A1C"),
        ("E11.65", "E11.65a"), ("E11.65", "xE11.65"), ("E11.65", "E11.65\u00e9"), ("E11.65", "\u00e9E11.65"),
        ("E11.65", "E11.65\u00b2"), ("E11.65", "E11.65\u0301"), ("E11.65", "E11.65_"), ("E11.65", "_E11.65"),
        ("E11.65", "E\u0661\u0661.\u0666\u0665"), ("E11.65", "\uff25\uff11\uff11"), ("E11.65", "E11..65"), ("E11.65", "E11.6.5"),
        ("I10", "I10-I15"), ("I10", "(I10)"), ("I10", "I10/I11"), ("I10", "I 10"), ("Z00.00", "Z00.00 Z00.01 Z00.00"),
        ("C4A.0", "C4A.0"), ("T36.0X1A", "T36.0X1A"), ("E11.65, I10, N18.3", "Codes: **E11.65**, *I10*, `N18.3`"),
        ("I10", "\u0130\u0031\u0030"), ("I10", "I10\x1c"), ("M54.5 M54.5", "M54.5"), ("K21.9,", ",K21.9"),
        ("E11.65, I10", "E11.65;I10"), ("E11.65, I10", "E11.65|I10"), ("E11.65, I10", "E11.65\tI10"), ("E11.65, I10", "E11.65 and I10"),
        ("E11.65, I10", "1. E11.65\n2. I10"), ("E11.65", "E11.65 (Type 2 DM)"), ("E11.65, I10", "E11.65,,I10"), ("E11.65", "E11.65, e11.65"),
        ("Z79.4", "Z79.4 Z79.4 Z79.4"), ("R07.9", "R07.9, R07.89"), ("A00", "A000"), ("A00", "A0000"), ("A00", "A00."),
        ("A00", "A00.."), ("A00.0", "A00.0."), ("E11.65", "E11.6500"), ("E11.65", "E11.65000"), ("E11.65", "ICD:E11.65"),
        ("E11.65", "code=E11.65"), ("E11.65", "E11.65:"), ("E11.65", "[E11.65]"), ("E11.65, I10", "**E11.65**,**I10**"),
        ("E11.65", "*E11.65*"), ("E11.65", "E11.**65**"), ("I10,\nI10", "I10"), ("I10, I10, I10", "I10, I11"),
        ("E11.65", "E11.65\u00bd"), ("E11.65", "E11.65\u2167"), ("E11.65", "E11.65\u203f"), ("E11.65", "\u0300E11.65"),
    ]
    return [{"id": f"billing-{i:03d}", "gold": g, "prediction": p} for i, (g, p) in enumerate(pairs)]
