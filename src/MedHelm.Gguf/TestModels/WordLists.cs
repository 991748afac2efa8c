namespace MedHelm.Gguf.TestModels;

/// <summary>Common English and medical words for the test vocabularies (order matters: it fixes token ids).</summary>
internal static class WordLists
{
    public static readonly string[] Common =
    [
        "the", "of", "and", "to", "a", "in", "is", "it", "you", "that", "he", "she", "was", "for", "on", "are", "as", "with",
        "his", "her", "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what",
        "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "do", "how", "their",
        "if", "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "would", "make",
        "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could",
        "people", "my", "than", "first", "been", "call", "who", "its", "now", "find", "long", "down", "day", "did", "get",
        "come", "made", "may", "part", "yes", "maybe", "answer", "question", "following", "best", "correct", "option",
        "choose", "true", "false", "only", "most", "likely", "next", "step", "why", "because", "explain", "think",
        "let", "me", "I", "should", "must", "after", "before", "during", "without", "within", "between", "over", "under",
        "new", "old", "high", "low", "normal", "abnormal", "left", "right", "year", "years", "month", "week", "hour",
        "hours", "days", "history", "present", "presents", "with", "reports", "shows", "showed", "given", "taking",
        "system", "user", "assistant", "Cutting", "Knowledge", "Date", "Today", "Jul", "Dec", "December", "July",
        "please", "context", "summary", "text", "note", "document", "letter", "final", "output", "format", "only",
    ];

    public static readonly string[] Medical =
    [
        "patient", "patients", "doctor", "nurse", "clinical", "clinic", "hospital", "admitted", "discharge", "diagnosis",
        "treatment", "therapy", "disease", "symptoms", "symptom", "pain", "chest", "fever", "cough", "blood", "pressure",
        "heart", "rate", "lung", "liver", "kidney", "renal", "cardiac", "acute", "chronic", "infection", "cancer",
        "tumor", "diabetes", "insulin", "glucose", "dose", "mg", "daily", "drug", "medication", "medications",
        "antibiotic", "antibiotics", "surgery", "exam", "examination", "test", "tests", "lab", "labs", "level", "levels",
        "serum", "sodium", "potassium", "creatinine", "hemoglobin", "white", "cell", "count", "oxygen", "breath",
        "shortness", "edema", "stroke", "sepsis", "pneumonia", "asthma", "allergy", "allergies", "risk", "factors",
        "family", "smoking", "alcohol", "male", "female", "man", "woman", "child", "infant", "age", "old", "mother",
        "pregnant", "pregnancy", "trial", "study", "evidence", "outcome", "outcomes", "mortality", "placebo",
        "randomized", "efficacy", "adverse", "events", "vital", "signs", "temperature", "physical", "imaging", "scan",
        "ray", "CT", "MRI", "ECG", "medical", "medicine", "care", "emergency", "department", "follow", "plan",
        "assessment", "management", "severe", "mild", "moderate", "history", "prescribed", "recommend", "stable",
        "vaccine", "virus", "bacterial", "viral", "inflammation", "syndrome", "disorder", "therapy", "procedure",
    ];

    /// <summary>Words that also get a form without the leading space marker (they start prompts and answers).</summary>
    public static readonly string[] SentenceStarts =
    [
        "The", "What", "Which", "Question", "Answer", "Context", "Yes", "No", "Maybe", "Patient", "A", "You", "Please",
        "Explain", "Summarize", "Options", "Final", "Based", "In", "This", "It", "He", "She", "Is", "Does", "Do",
        "Cutting", "Knowledge", "Date", "Today", "Okay", "So", "First",
    ];

    /// <summary>Capitalized forms of common words that also appear after a space.</summary>
    public static readonly string[] Capitalized =
    [
        "The", "What", "Which", "Question", "Answer", "Context", "Yes", "No", "Maybe", "Patient", "Options", "Final",
        "Based", "In", "This", "It", "He", "She", "Is", "Does", "Do", "Summary", "Explanation", "Therefore",
        "Okay", "So", "First",
    ];

    /// <summary>WordPiece continuation pieces ("##" pieces in BERT vocabularies).</summary>
    public static readonly string[] Suffixes =
    [
        "s", "es", "ed", "ing", "ly", "er", "ers", "est", "tion", "tions", "al", "ic", "ous", "ness", "ment", "able",
        "ity", "ive", "ize", "ia", "itis", "osis", "emia", "ology", "ist",
    ];
}
