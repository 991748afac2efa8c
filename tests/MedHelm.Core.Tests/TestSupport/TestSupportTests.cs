namespace MedHelm.Core.Tests.TestSupport;

/// <summary>The shared test helpers of MedHelm.Testing that every test project relies on.</summary>
public sealed class TestSupportTests
{
    [Theory]
    [InlineData(null, 1.0)]
    [InlineData("", 1.0)]
    [InlineData("  ", 1.0)]
    [InlineData("1", 1.0)]
    [InlineData("2", 2.0)]
    [InlineData("1.5", 1.5)]
    [InlineData(" 3 ", 3.0)]
    [InlineData("0.5", 0.5)]
    public void The_timeout_factor_is_a_positive_number_and_1_when_unset(string? value, double expected) =>
        Assert.Equal(expected, TestTimeouts.ParseFactor(value));

    [Theory]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("two")]
    [InlineData("1,5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void An_invalid_timeout_factor_is_an_error_that_names_the_variable(string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => TestTimeouts.ParseFactor(value));
        Assert.Contains("MEDHELM_TEST_TIMEOUT_FACTOR", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scaling_multiplies_and_stops_at_the_longest_wait_dotnet_accepts()
    {
        Assert.Equal(TimeSpan.FromSeconds(300), TestTimeouts.Scale(TimeSpan.FromSeconds(300), 1));
        Assert.Equal(TimeSpan.FromSeconds(750), TestTimeouts.Scale(TimeSpan.FromSeconds(300), 2.5));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), TestTimeouts.Scale(TimeSpan.FromSeconds(5), 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(int.MaxValue - 1), TestTimeouts.Scale(TimeSpan.FromDays(1), 1e9));
        using var longest = new CancellationTokenSource(TestTimeouts.Scale(TimeSpan.FromDays(1), 1e9));
    }

    [Fact]
    public void The_repository_root_is_the_first_folder_upwards_with_the_solution_file()
    {
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, RepositoryPaths.Marker)));
        Assert.Equal(RepositoryPaths.Root, RepositoryPaths.TryFindRoot());
        Assert.Null(RepositoryPaths.ExistingFile("no-such-folder", "no-such-file"));

        using var temp = new TempFolder();
        var nested = Directory.CreateDirectory(temp.PathOf("a", "b")).FullName;
        File.WriteAllText(temp.File(RepositoryPaths.Marker), "");
        Assert.Equal(temp.Path, RepositoryPaths.FindRoot(nested));
    }

    [Fact]
    public void A_temp_folder_exists_until_disposed()
    {
        string path;
        using (var temp = new TempFolder("medhelm-support-"))
        {
            path = temp.Path;
            Assert.StartsWith("medhelm-support-", Path.GetFileName(path), StringComparison.Ordinal);
            Assert.Equal("x", File.ReadAllText(temp.Write("a.txt", "x")));
            Assert.Equal(Path.Combine(path, "a.txt"), temp.File("a.txt"));
        }

        Assert.False(Directory.Exists(path));
    }
}
