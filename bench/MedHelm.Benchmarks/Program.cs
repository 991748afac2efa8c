using System.Diagnostics;
using System.Globalization;
using System.Text;
using MedHelm.Core.Metrics;

// Usage: MedHelm.Benchmarks [rouge] [--pairs N] [--tokens N]
//        MedHelm.Benchmarks storage [--results N] [--batch N] [--producers N]
//        MedHelm.Benchmarks openai --url URL --model NAME [...] (see OpenAiLoadBenchmark; scripts/bench-openai.sh drives it)
//        MedHelm.Benchmarks eval-prompts --url URL --model NAME --definition FILE --instances FILE [--clients 16]
//            (see EvaluationPromptsBenchmark; scripts/bench-vs-llama-server.sh drives it)
if (args.Length > 0 && args[0] == "eval-prompts")
{
    Environment.ExitCode = await MedHelm.Benchmarks.EvaluationPromptsBenchmark.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "openai")
{
    Environment.ExitCode = await MedHelm.Benchmarks.OpenAiLoadBenchmark.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "storage")
{
    await MedHelm.Benchmarks.StorageBenchmark.RunAsync(args[1..]);
    return;
}

var pairs = 1000;
var tokens = 500;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--pairs" && i + 1 < args.Length)
    {
        pairs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
    else if (args[i] == "--tokens" && i + 1 < args.Length)
    {
        tokens = int.Parse(args[++i], CultureInfo.InvariantCulture);
    }
}

// Clinical-looking vocabulary; texts are random draws so reference and prediction share many words.
string[] vocabulary =
[
    "patient", "presented", "with", "acute", "chest", "pain", "and", "shortness", "of", "breath", "history", "hypertension",
    "diabetes", "mellitus", "was", "started", "on", "aspirin", "heparin", "the", "troponin", "elevated", "ecg", "showed",
    "st", "elevation", "cardiology", "consulted", "catheterization", "revealed", "occlusion", "stent", "placed", "discharged",
    "home", "stable", "condition", "follow", "up", "clinic", "weeks", "medications", "metoprolol", "atorvastatin", "daily",
    "blood", "pressure", "controlled", "renal", "function", "normal", "creatinine", "glucose", "insulin", "sliding", "scale",
    "fever", "cough", "pneumonia", "antibiotics", "ceftriaxone", "azithromycin", "improved", "oxygen", "saturation", "room", "air",
];
var random = new Random(12345);
string Text()
{
    var sb = new StringBuilder();
    for (var t = 0; t < tokens; t++)
    {
        sb.Append(vocabulary[random.Next(vocabulary.Length)]).Append(t % 17 == 16 ? ". " : " ");
    }

    return sb.ToString();
}

var references = Enumerable.Range(0, pairs).Select(_ => Text()).ToArray();
var predictions = Enumerable.Range(0, pairs).Select(_ => Text()).ToArray();

double RunOnce()
{
    double sum = 0;
    for (var i = 0; i < pairs; i++)
    {
        sum += Rouge.RougeL(references[i], predictions[i], ScoringMode.Helm).FMeasure;
    }

    return sum / pairs;
}

var mean = RunOnce(); // warm-up (JIT, stem cache)
RunOnce();
var times = new List<double>();
for (var run = 0; run < 5; run++)
{
    var sw = Stopwatch.StartNew();
    mean = RunOnce();
    times.Add(sw.Elapsed.TotalMilliseconds);
}

times.Sort();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"rouge_l: {pairs} pairs x {tokens} tokens (tokenize + stem + LCS, single thread): median {times[2]:0.0} ms, min {times[0]:0.0} ms, max {times[4]:0.0} ms over 5 runs; mean F = {mean:0.0000}; {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
