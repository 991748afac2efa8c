using MedHelm.Core.Catalog;
using MedHelm.Core.Ledger;

namespace MedHelm.Core.Tests.Ledger;

public class LedgerKeyTests
{
    private static readonly LedgerKeyParts Parts = new(
        LedgerKey.LocalModel(new string('A', 64)), new string('d', 64), "12345", new string('t', 64),
        LedgerKey.Decoding(0, 1, ["\n"]));

    [Fact]
    public void The_key_is_a_stable_sha256()
    {
        var key = LedgerKey.Compute(Parts);
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, LedgerKey.Compute(Parts with { }));
        Assert.StartsWith(LedgerKey.Version + "\nmodel:71:sha256:" + new string('a', 64) + "\n", LedgerKey.CanonicalText(Parts), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_part_changes_the_key()
    {
        var key = LedgerKey.Compute(Parts);
        LedgerKeyParts[] variants =
        [
            Parts with { ModelIdentity = LedgerKey.LocalModel(new string('b', 64)) },
            Parts with { ModelIdentity = LedgerKey.Endpoint("azure-east", "gpt-4o") },
            Parts with { DatasetSha256 = new string('e', 64) },
            Parts with { InstanceId = "12346" },
            Parts with { PromptTemplateHash = new string('u', 64) },
            Parts with { DecodingParameters = LedgerKey.Decoding(0, 2, ["\n"]) },
            Parts with { DecodingParameters = LedgerKey.Decoding(0, 1, []) },
            Parts with { DecodingParameters = LedgerKey.Decoding(0.7, 1, ["\n"]) },
            Parts with { DecodingParameters = LedgerKey.Decoding(0, 1, ["\n"], extras: new Dictionary<string, string> { ["thinking_budget"] = "2048" }) },
            Parts with { Seed = 1 },
            Parts with { SampleIndex = 1 },
        ];
        var keys = variants.Select(LedgerKey.Compute).Append(key).ToArray();
        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Parts_cannot_be_shifted_into_each_other()
    {
        // "a\nb" as one stop sequence is not "a" and "b"; an instance id cannot absorb the next part
        Assert.NotEqual(LedgerKey.Decoding(0, 1, ["a\nstop:1:b"]), LedgerKey.Decoding(0, 1, ["a", "b"]));
        var a = Parts with { InstanceId = "1\ntemplate:1:x", PromptTemplateHash = "y" };
        var b = Parts with { InstanceId = "1", PromptTemplateHash = "x\ntemplate:1:y" };
        Assert.NotEqual(LedgerKey.Compute(a), LedgerKey.Compute(b));
    }

    [Fact]
    public void Extras_are_order_independent()
    {
        var one = LedgerKey.Decoding(0, 1, [], extras: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var two = LedgerKey.Decoding(0, 1, [], extras: new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        Assert.Equal(one, two);
    }

    [Fact]
    public void Empty_parts_are_refused()
    {
        Assert.Throws<ArgumentException>(() => LedgerKey.Compute(Parts with { InstanceId = "" }));
        Assert.Throws<ArgumentException>(() => LedgerKey.Compute(Parts with { DatasetSha256 = "" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LedgerKey.Compute(Parts with { SampleIndex = -1 }));
    }

    [Fact]
    public void The_template_hash_follows_the_layout_not_the_instance_text()
    {
        var definition = BuiltInBenchmarks.PubMedQa;
        BenchmarkInstance Instance(string id, string context, string question) => new(
            id, new Dictionary<string, string> { [BuiltInBenchmarks.ContextField] = context }, question,
            [new AnswerOption('A', "yes"), new AnswerOption('B', "no"), new AnswerOption('C', "maybe")], "A", "test");

        var one = LedgerKey.TemplateHash(definition, Instance("1", "Aims. ...", "Is it?"));
        var two = LedgerKey.TemplateHash(definition, Instance("2", "Other text", "Was it?"));
        Assert.Equal(one, two);
        Assert.NotEqual(one, LedgerKey.TemplateHash(definition with { Instructions = "Answer A, B or C." }, Instance("1", "Aims. ...", "Is it?")));
    }
}
