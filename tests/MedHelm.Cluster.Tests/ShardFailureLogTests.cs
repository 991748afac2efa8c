using System.Data.Common;
using MedHelm.Cluster.Hosting;

namespace MedHelm.Cluster.Tests;

/// <summary>How an unexpected shard failure is logged: enough to find its cause, never its message (which may quote data).</summary>
public sealed class ShardFailureLogTests
{
    [Fact]
    public void A_database_error_is_described_by_its_type_sqlstate_and_the_code_it_came_through_without_its_message()
    {
        var thrown = Assert.Throws<ProbeDbException>(() => Fail("57P01"));

        var described = ShardExecutor.Describe(thrown);

        Assert.StartsWith("ProbeDbException SQLSTATE 57P01 in MedHelm.Cluster.Tests.ShardFailureLogTests", described, StringComparison.Ordinal);
        Assert.DoesNotContain("patient", described, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_error_is_described_by_its_type_alone_when_no_project_code_threw_it()
    {
        Assert.Equal("InvalidOperationException", ShardExecutor.Describe(new InvalidOperationException("patient text")));
    }

    private static void Fail(string state) => throw new ProbeDbException("key (note)=(patient text) already exists", state);

    private sealed class ProbeDbException(string message, string state) : DbException(message)
    {
        public override string SqlState => state;
    }
}
