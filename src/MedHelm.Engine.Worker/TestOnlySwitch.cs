namespace MedHelm.Engine.Worker;

/// <summary>
/// The worker's one test-only switch, which lets the crash-isolation tests make llama.cpp itself abort (how tests use
/// it: tests/MedHelm.Testing/CraftedAbortModel.cs). Honoured only with the guard variable set to its exact value;
/// any of the switch's variables without it make the worker refuse to start, so it cannot be turned on by accident.
/// </summary>
/// <remarks>
/// <c>MEDHELM_TEST_WORKER_CRAFTED_MODEL</c> names a model file the worker loads, without the semantic validation, in
/// place of the configured model whose full path is <c>MEDHELM_TEST_WORKER_CRAFTED_FOR</c> (workers of other models are
/// untouched). With <c>MEDHELM_TEST_WORKER_CRAFTED_MARKER</c> only the worker that creates that marker file does so:
/// the first one; the ones started after it load the configured model.
/// </remarks>
internal static class TestOnlySwitch
{
    public const string Guard = "MEDHELM_TEST_ONLY_SWITCHES";
    public const string GuardValue = "crafted-model-may-abort-the-worker";
    private const string Crafted = "MEDHELM_TEST_WORKER_CRAFTED_MODEL";
    private const string CraftedFor = "MEDHELM_TEST_WORKER_CRAFTED_FOR";
    private const string Marker = "MEDHELM_TEST_WORKER_CRAFTED_MARKER";

    /// <summary>The crafted file to load instead of <paramref name="configuredModel"/>, or null (the switch is off or not for this model).</summary>
    /// <exception cref="TestOnlySwitchException">A switch variable is set without the guard, or without its partner.</exception>
    public static string? CraftedModelFor(string configuredModel, Func<string, string?> environment)
    {
        var crafted = environment(Crafted);
        var craftedFor = environment(CraftedFor);
        var marker = environment(Marker);
        if (crafted is null && craftedFor is null && marker is null)
        {
            return null;
        }

        if (environment(Guard) != GuardValue)
        {
            throw new TestOnlySwitchException($"{Crafted}, {CraftedFor} and {Marker} are test-only; the worker refuses them without {Guard}.");
        }

        if (crafted is null || craftedFor is null)
        {
            throw new TestOnlySwitchException($"the test-only switch needs both {Crafted} and {CraftedFor}.");
        }

        if (!string.Equals(Path.GetFullPath(craftedFor), Path.GetFullPath(configuredModel), StringComparison.Ordinal))
        {
            return null;
        }

        if (marker is not null)
        {
            try
            {
                using var created = new FileStream(marker, FileMode.CreateNew, FileAccess.Write);
            }
            catch (IOException) when (File.Exists(marker))
            {
                return null; // an earlier worker was the crafted one
            }
        }

        return crafted;
    }
}

/// <summary>A test-only switch variable was set without the guard or without its partner; the worker exits with code 2.</summary>
internal sealed class TestOnlySwitchException(string message) : Exception(message);
