namespace MedHelm.Testing;

/// <summary>
/// Debian's chromium as the browser tests drive it through Microsoft.Playwright (Playwright's own browser download
/// cannot work offline): where it is, the flags it runs with (headless, no sandbox in a container, no network of its
/// own), and where a test keeps its screenshots. <c>scripts/install-test-deps.sh</c> installs it; scripts/test.sh runs that.
/// </summary>
public static class HeadlessChromium
{
    /// <summary>The browser (apt package <c>chromium</c>).</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The command-line flags: headless, no sandbox, no GPU, no background or component-update traffic.</summary>
    public static IReadOnlyList<string> Arguments { get; } =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

    /// <summary>Throws, saying how to install it, when the browser is missing.</summary>
    public static void RequireInstalled()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"{ExecutablePath} is missing: the browser tests need Debian's chromium. Install it with scripts/install-test-deps.sh (apt-get install -y chromium); scripts/test.sh runs it.");
        }
    }

    /// <summary>The folder under the test's output folder (<c>bin/…/TestResults/<paramref name="name"/></c>) where a test keeps its screenshots; created.</summary>
    public static string ArtifactFolder(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", name);
        Directory.CreateDirectory(folder);
        return folder;
    }
}
