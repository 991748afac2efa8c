"""Input set for exact_match, ROUGE-1/2/L and BLEU-1/4 (HELM's compute_reference_metrics), weighted to edge cases."""

# (gold, prediction) pairs; each also runs swapped where marked below.
PAIRS = [
    # letters, punctuation and white space around them
    ("A", "A"), ("A", "A."), ("A", " A "), ("A", "a"), ("A", "(A)"), ("A", "A\n"), ("A", "\tA\r\n"), ("A", "Answer: A"),
    ("A", ""), ("A", "   "), ("", "A"), ("", ""), ("A", "\u00a0A\u00a0"), ("A", "\u2003A"), ("A", "A\u200b"),
    ("A", "\x1cA\x1f"), ("A", "\x1dA\x1e"), ("A", "\x85A"), ("A", "\u2028A\u2029"), ("A", "\x0bA\x0c"), ("A", "\ufeffA"),
    ("yes", "Yes"), ("yes", "yes."), ("B", "**B**"), ("B", "B) yes"), ("C", "C\nBecause the patient is stable."),
    # Unicode: dotted capitals, curly quotes and apostrophes, combining marks, superscripts, control characters
    ("\u0130stanbul", "i\u0307stanbul"), ("\u0130NR", "inr"), ("\u0130NR is high", "\u0130NR is high"),
    ("STRASSE", "stra\u00dfe"), ("\u1e9e", "\u00df"), ("K\u00e9lvin", "Kelvin"), ("caf\u00e9", "cafe\u0301"),
    ("the patient\u2019s dose", "the patient's dose"), ("\u201cstable\u201d", "\"stable\""), ("\u2018mild\u2019", "'mild'"),
    ("m\u00b2", "m2"), ("10\u00b3 cells", "103 cells"), ("x\u2082", "x2"), ("\u00bd tablet", "1/2 tablet"),
    ("\u212a", "k"), ("\u2126", "\u03c9"), ("\u03a3\u03b9\u03c3\u03c5\u03c6\u03bf\u03c2", "\u03c3\u03b9\u03c3\u03c5\u03c6\u03bf\u03c2"),
    ("\u043f\u0430\u0446\u0438\u0435\u043d\u0442 \u0437\u0434\u043e\u0440\u043e\u0432", "\u043f\u0430\u0446\u0438\u0435\u043d\u0442 \u0437\u0434\u043e\u0440\u043e\u0432"),
    ("\u60a3\u8005\u60c5\u51b5\u7a33\u5b9a", "\u60a3\u8005\u60c5\u51b5\u7a33\u5b9a\u3002"), ("\uff21", "A"), ("\ufb01brosis", "fibrosis"),
    ("tab\tseparated\twords", "tab separated words"), ("line\nbreaks\nhere", "line breaks here"), ("bell\x07char", "bell char"),
    # numbers
    ("1,000 mg", "1000 mg"), ("1_000", "1000"), ("\u0661\u0662\u0663", "123"), ("inf", "infinity"), ("3.5", "3.50"),
    ("-2", "\u22122"), ("1e3", "1000"), ("12/25/2023", "12 / 25 / 2023"), ("(14, 2)", "('14 weeks', '2 days')"),
    # clinical sentences: abbreviations, contractions, markdown
    ("Dr. Smith saw the patient at 9 a.m. and discharged him.", "Dr. Smith saw the patient at 9 a.m. and discharged him."),
    ("Dr. Smith saw the patient at 9 a.m. and discharged him.", "Doctor Smith saw the patient at 9 am and discharged him"),
    ("Aspirin vs. clopidogrel: use aspirin.", "Aspirin vs. clopidogrel - use aspirin"), ("The patient cannot walk.", "The patient can not walk."),
    ("She's gonna need surgery.", "She is going to need surgery."), ("He doesn't smoke; he won't drink.", "He does not smoke, he will not drink."),
    ("I'd've said so.", "I would have said so."), ("Wanna go? Gotta go!", "Want to go? Got to go!"), ("'Tis the season", "It is the season"),
    ("**Diagnosis:** pneumonia", "Diagnosis: pneumonia"), ("__Plan__: *rest* and fluids", "Plan: rest and fluids"),
    ("Use `metformin` 500 mg", "Use metformin 500 mg"), ("- item one\n- item two", "item one item two"),
    ("The end..", "The end."), ("Wait... what?", "Wait. What?"), ("e.g. fever", "eg fever"), ("i.e., sepsis", "ie sepsis"),
    ("U.S. guidelines (2019) [ref]", "US guidelines 2019 ref"), ("BP 120/80 mmHg; HR 72 bpm.", "BP 120/80 mmHg, HR 72 bpm"),
    ("Temp. 38.5\u00b0C", "Temp 38.5 C"), ("<b>bold</b> & \"quoted\"", "bold and quoted"), ("$100 or 50%", "100 dollars or 50 percent"),
    ("St. Mary's Hosp. admitted pt. on Jan. 3.", "St Mary's Hospital admitted the patient on January 3."),
    ("No acute distress. Lungs clear. Heart RRR.", "No acute distress; lungs clear; heart RRR"),
    ("Mr. O'Neil's X-ray shows a hairline fracture.", "Mr O'Neil's x-ray shows a hair-line fracture"),
    # stemming (rouge-score's Porter stemmer, NLTK extensions)
    ("generously", "generous"), ("carelessly", "careless"), ("hopelessly", "hopeless"), ("endlessly", "endless"),
    ("relational conditional", "relate condition"), ("hopefulness goodness", "hopeful good"), ("running runs ran", "run run run"),
    ("dying lying tying", "die lie tie"), ("sky skies", "sky sky"), ("generalization", "generalize"), ("formality", "formal"),
    ("electriciti electrical", "electric electric"), ("adjustable defensible", "adjust defens"), ("probate rate cease", "probat rate ceas"),
    ("controlling rolling", "control roll"), ("agreed feed", "agree fee"), ("happily", "happy"), ("meetings", "meeting"),
    ("abundantly", "abundant"), ("bluntli bluntly", "blunt"), ("lessli", "less"), ("fully", "full"), ("fluently", "fluent"),
    ("oed", "o"), ("ies", "i"), ("news", "new"), ("atlas", "atla"), ("cosmos bias", "cosmo bia"), ("innings outing canning", "inning out can"),
    ("proceed exceed succeed", "proce exce succe"), ("herring earring", "her ear"), ("ugly early only singly", "ugli earli onli singl"),
    ("the cat sat on the mat", "The cat, on the mat!"), ("a b c d e f", "a b c d x"), ("a b c d", "a b c"),
    ("the the the the", "the"), ("the", "the the the the the the the"),
    ("one two three four five six seven", "seven six five four three two one"),
    ("Patient denies chest pain, shortness of breath, or palpitations.", "The patient denies chest pain and shortness of breath."),
    ("Start metoprolol 25 mg twice daily and recheck in 2 weeks.", "Begin metoprolol 25mg BID; recheck in two weeks."),
    # longer answers, so that BLEU-4 has 4-grams to match across punctuation, quotes and contractions
    ("The patient is a 67-year-old woman with type 2 diabetes mellitus who presents with chest pain. She doesn't smoke.",
     "The patient is a 67-year-old woman with type 2 diabetes who presents with chest pain; she does not smoke."),
    ("Continue lisinopril 10 mg daily. Check a basic metabolic panel in one week. Return if symptoms worsen.",
     "Continue lisinopril 10 mg daily, check a basic metabolic panel in 1 week, and return if symptoms worsen."),
    ("He was seen by Dr. Smith at 10 a.m. and was told he cannot drive for six months.",
     "He was seen by Dr. Smith at 10 a.m. He was told he cannot drive for six months."),
    ("**Assessment:** community-acquired pneumonia. **Plan:** start amoxicillin (1 g three times daily) for 5 days.",
     "Assessment: community acquired pneumonia. Plan: start amoxicillin 1 g three times daily for 5 days."),
    ("\u201cI\u2019m gonna be fine,\u201d the patient said, \u201cbut I can\u2019t sleep.\u201d",
     "\"I'm going to be fine,\" the patient said, \"but I can't sleep.\""),
    ("The MRI shows no acute infarct... There is mild chronic small-vessel disease.",
     "The MRI shows no acute infarct. There is mild chronic small vessel disease."),
    ("Blood pressure was 150/95 mmHg vs. 130/85 mmHg at the last visit (i.e., higher).",
     "Blood pressure was 150/95 mmHg versus 130/85 mmHg at the last visit, i.e. higher."),
    ("Take 1 tablet by mouth every 8 hours as needed for pain; do not exceed 3 tablets per day.",
     "Take one tablet by mouth every 8 hours as needed for pain. Do not exceed 3 tablets per day."),
    ("Patient's wife reports he's been more confused since Tuesday -- possibly a UTI?",
     "The patient's wife reports that he has been more confused since Tuesday, possibly a UTI."),
    ("Follow up with cardiology in 2-4 weeks; repeat echocardiogram in 6 months.",
     "Follow up with cardiology in 2 to 4 weeks and repeat the echocardiogram in 6 months."),
]


def cases():
    out = []
    for i, (gold, prediction) in enumerate(PAIRS):
        out.append({"id": f"text-{i:03d}", "gold": gold, "prediction": prediction})
        if gold != prediction and gold and prediction:
            out.append({"id": f"text-{i:03d}-swapped", "gold": prediction, "prediction": gold})
    return out


# More text for the tokenizers alone (BLEU's word_tokenize with punkt sentence splitting, rouge-score's tokenizer).
TOKEN_TEXTS = [
    "He said \"no\" and left.", "\"Quoted at start,\" she said.", "It's 5 o'clock; don't you think?", "''double single''",
    "``backticks``", "\u00abguillemets\u00bb and \u201ecurly\u201d", "'Twas brillig. 'Tis true.", "I'm, you're, they'll, we've, he'd",
    "CAN'T WON'T DON'T", "gimme lemme gotta gonna wanna more'n d'ye", "wanna\tgo", "cannot.", "Cannot be.", "cannotbe",
    "Mr. and Mrs. Smith arrived at 3 p.m. on Jan. 5. They left.", "The U.S. is big. It is.", "See Fig. 3. Then stop.",
    "Pt. was seen by Dr. A. B. Jones at St. Mary's.", "Take 2 tabs. q.d. with food.", "Visit no. 4 was on 2023-01-05.",
    "Wait...what? Yes!! No?!", "End with ellipsis...", "Two dots.. then more", "x.y.z and a.b.c.", "The end.\"", "(The end.)",
    "Really?\" he asked.", "[1] Ref. [2] Ref.", "e-mail: a@b.com #tag $5 & 50% ; done", "a--b -- c---d", "**bold** and *it*",
    "__under__ and _single_", "`code` and ```fenced```", "List:\n1. One\n2. Two\n3. Three", "Line one\nLine two.\n\nPara two.",
    "Temp 38.5\u00b0C, BP 120/80, HR 72.", "1,000,000 and 3,36 and 3.88", "He owes $3.88 (roughly).", "it\u2019s the patient\u2019s",
    "\u2018single curly\u2019 and \u201cdouble curly\u201d", "No.5 vs. No. 5", "approx. 5 mg i.e. a lot e.g. more",
    "\u0130stanbul \u0130NR K\u212aelvin", "na\u00efve caf\u00e9 co\u00f6perate", "\u00bd \u00b2 \u2167", "ALL CAPS SENTENCE. ANOTHER ONE.",
    "lowercase start. another sentence. and more.", "Mixed: the patient, who is 45, has DM2; HTN & CKD.",
    "The patient (a 45-year-old man) presented with chest pain. ECG showed ST elevation. Troponin was 2.3 ng/mL.",
    "Assessment & Plan:\n- Continue metformin 500 mg b.i.d.\n- F/u in 2 wks.", "Hx of MI in 2019. No h/o CVA.",
    "He was admitted on 01/02/2023 at 10:30 a.m. He was discharged on 01/05/2023.", "tab\tand\x1cinfo\x1fsep\x0bvt",
]


def token_cases():
    texts = []
    for gold, prediction in PAIRS:
        for t in (gold, prediction):
            if t not in texts:
                texts.append(t)
    texts += [t for t in TOKEN_TEXTS if t not in texts]
    return [{"id": f"tokens-{i:03d}", "text": t} for i, t in enumerate(texts)]
