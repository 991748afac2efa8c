namespace MedHelm.Testing;

/// <summary>
/// Values of the xunit trait "Category": <c>[Trait("Category", TestCategories.Slow)]</c>.
/// <c>scripts/test.sh --fast</c> runs every test except the slow ones (<c>--filter "Category!=Slow"</c>).
/// </summary>
public static class TestCategories
{
    /// <summary>A test that takes more than about 5 s on a 2-core machine, or that runs a model through the medhelm CLI process.</summary>
    public const string Slow = "Slow";
}
