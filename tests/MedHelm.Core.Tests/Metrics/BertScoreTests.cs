using MedHelm.Core.Metrics;

namespace MedHelm.Core.Tests.Metrics;

public sealed class BertScoreTests
{
    private static TokenVector T(int id, params float[] v) => new(id, v);

    [Fact]
    public void Identical_token_sets_score_one()
    {
        TokenVector[] a = [T(1, 1, 0), T(2, 0, 1), T(3, 1, 1)];
        var r = BertScore.Compute(a, a);
        Assert.Equal(1.0, r.Precision, 12);
        Assert.Equal(1.0, r.Recall, 12);
        Assert.Equal(1.0, r.F1, 12);
    }

    [Fact]
    public void Greedy_matching_by_hand()
    {
        // candidate: x-axis, y-axis; reference: x-axis only.
        // precision = (cos(x,x) + cos(y,x)) / 2 = (1 + 0) / 2; recall = max(cos(x,x), cos(y,x)) = 1; F1 = 2/3
        TokenVector[] candidate = [T(1, 2, 0), T(2, 0, 3)];
        TokenVector[] reference = [T(1, 5, 0)];
        var r = BertScore.Compute(candidate, reference);
        Assert.Equal(0.5, r.Precision, 12);
        Assert.Equal(1.0, r.Recall, 12);
        Assert.Equal(2.0 / 3.0, r.F1, 12);
    }

    [Fact]
    public void Idf_weights_rare_tokens_more()
    {
        TokenVector[] candidate = [T(1, 1, 0), T(2, 0, 1)];
        TokenVector[] reference = [T(1, 1, 0)];
        var idf = new IdfWeights(new Dictionary<int, double> { [1] = 0.1, [2] = 1.0 }, unseen: 5.0);
        // precision = (0.1 * 1 + 1.0 * 0) / 1.1
        var r = BertScore.Compute(candidate, reference, idf);
        Assert.Equal(0.1 / 1.1, r.Precision, 12);
        Assert.Equal(1.0, r.Recall, 12);
    }

    [Fact]
    public void Idf_follows_the_bertscore_formula()
    {
        var idf = BertScore.InverseDocumentFrequency([[1, 2, 2], [1, 3], [1]]);
        Assert.Equal(Math.Log(4.0 / 4.0), idf[1], 12);
        Assert.Equal(Math.Log(4.0 / 2.0), idf[2], 12);
        Assert.Equal(Math.Log(4.0 / 2.0), idf[3], 12);
        Assert.Equal(Math.Log(4.0), idf[99], 12); // in no reference: ln(M + 1), as bert_score's default
    }

    [Fact]
    public void Special_tokens_are_matched_but_carry_no_weight()
    {
        // candidate token y matches the reference's [CLS] (y-axis) best: precision counts that match; the [CLS] itself
        // adds nothing to recall, which averages over the reference's one ordinary token x.
        TokenVector[] candidate = [new(7, [0, 1], Special: true), T(2, 0, 1)];
        TokenVector[] reference = [new(7, [0, 1], Special: true), T(1, 1, 0)];
        var r = BertScore.Compute(candidate, reference);
        Assert.Equal(1.0, r.Precision, 12);
        Assert.Equal(0.0, r.Recall, 12);
        Assert.Equal(0.0, r.F1, 12);
    }

    [Fact]
    public void A_side_of_special_tokens_only_scores_zero()
    {
        TokenVector[] empty = [new(7, [1, 0], Special: true), new(8, [0, 1], Special: true)];
        Assert.Equal(new BertScoreResult(0, 0, 0), BertScore.Compute(empty, [T(1, 1, 0)]));
    }

    [Fact]
    public void An_empty_side_scores_zero()
    {
        var r = BertScore.Compute([], [T(1, 1f)]);
        Assert.Equal(new BertScoreResult(0, 0, 0), r);
    }

    [Fact]
    public void Anti_parallel_vectors_give_negative_similarity()
    {
        var r = BertScore.Compute([T(1, 1, 0)], [T(2, -1, 0)]);
        Assert.Equal(-1.0, r.Precision, 12);
    }

    [Fact]
    public void Idf_weights_that_sum_to_zero_fall_back_to_equal_weights()
    {
        TokenVector[] a = [T(1, 1, 0), T(2, 0, 1)];
        var idf = BertScore.InverseDocumentFrequency([[1, 2], [1, 2]]);
        Assert.Equal(1.0, BertScore.Compute(a, a, idf).F1, 12);
    }
}
