using System.Security.Cryptography;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary>
/// The offline bundle (scripts/package-offline.sh), built once for the class: installed and run without network by
/// scripts/check-offline-bundle.sh, its SBOM and SHA256SUMS checked against its files and the lock files, and a file
/// changed after packaging refused by install.sh. Runs alone, after the other classes: its publish takes both cores,
/// which the Ctrl-C and serve tests' timing does not survive.
/// </summary>
[Trait("Category", TestCategories.Slow)]
[Collection(OfflineBundleCollection.Name)]
public sealed class OfflineBundleTests(OfflineBundleTests.Bundle bundle) : IClassFixture<OfflineBundleTests.Bundle>
{
    [Fact]
    public async Task The_bundle_installs_offline_its_service_finishes_a_demo_run_and_serves_the_report_and_an_upgrade_keeps_it()
    {
        var work = bundle.Folder.PathOf("check");
        var check = await CliProcess.RunScriptAsync("scripts/check-offline-bundle.sh", [bundle.Archive, "--work", work, "--benchmarks", "med_qa,pubmed_qa"], timeoutSeconds: 900);
        Assert.True(check.ExitCode == 0, check.ToString());
        var passed = check.StdOut.Split('\n').Last(l => l.Length > 0);
        Assert.StartsWith("check-offline-bundle: passed", passed, StringComparison.Ordinal);
        Assert.Contains("upgrade kept it, backup 1;", passed, StringComparison.Ordinal); // installed again: database backed up, run kept
        if (Environment.UserName == "root")
        {
            Assert.Contains("offline namespace: lo", passed, StringComparison.Ordinal); // unshare -n: loopback only
        }

        Assert.Contains("install: all ", check.StdOut, StringComparison.Ordinal);
        if (HasCompiler())
        {
            // install.sh built the CPU backends for this machine from the bundled ggml source, the run took the invariant
            // one (Determinism BatchInvariant, the default), and the upgrade kept both
            Assert.Contains("kernels: batch-invariant CPU kernels (cpu-invariant/libggml-cpu.so)", passed, StringComparison.Ordinal);
            Assert.Contains("CPU backends built: cpu-invariant cpu-native)", passed, StringComparison.Ordinal);
        }

        Assert.Contains("auth create-user --name NAME --role admin", check.StdOut, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "report.json")));
        var runId = passed.Split("run ")[1].Split(' ')[0];
        Assert.Contains(runId, report.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("check-llama", report.RootElement.GetRawText(), StringComparison.Ordinal);
        var unit = File.ReadAllText(Path.Combine(work, "units", "medhelm.service"));
        foreach (var setting in new[] { "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", $"ReadWritePaths={work}/data", "IPAddressDeny=any", "DevicePolicy=closed" })
        {
            Assert.Contains(setting + "\n", unit, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_SBOM_lists_every_locked_package_and_every_native_library_and_SHA256SUMS_every_file()
    {
        var root = bundle.Unpacked;
        using var sbom = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "sbom.cdx.json")));
        var components = sbom.RootElement.GetProperty("components").EnumerateArray().ToArray();
        var refs = components.Select(c => c.GetProperty("bom-ref").GetString()!).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, version) in LockedPackages())
        {
            Assert.True(refs.Contains($"pkg:nuget/{name}@{version}"), $"{name} {version} (a lock file) is not in the SBOM");
        }

        Assert.Contains(refs, r => r.StartsWith("pkg:npm/%40node-llama-cpp/linux-x64@", StringComparison.Ordinal));
        Assert.All(components, c => Assert.True(c.TryGetProperty("licenses", out var l) && l.GetArrayLength() > 0, $"{c.GetProperty("bom-ref")} has no licence"));
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).ToArray();
        var natives = files.Where(f => IsElf(Path.Combine(root, f))).ToArray();
        Assert.Contains("runtimes/llama/cpu/libllama.v0.5.0.so", natives);
        foreach (var native in natives)
        {
            var component = components.SingleOrDefault(c => c.GetProperty("bom-ref").GetString() == $"file:{native}");
            Assert.True(component.ValueKind == JsonValueKind.Object, $"{native} is not in the SBOM");
            Assert.Equal(Sha256(Path.Combine(root, native)), component.GetProperty("hashes")[0].GetProperty("content").GetString());
        }

        var sums = File.ReadAllLines(Path.Combine(root, "SHA256SUMS")).ToDictionary(l => l[66..], l => l[..64], StringComparer.Ordinal);
        Assert.Equal(files.Where(f => f != "SHA256SUMS").Order(StringComparer.Ordinal), sums.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Sha256(Path.Combine(root, "sbom.cdx.json")), sums["sbom.cdx.json"]);
    }

    [Fact]
    public async Task A_file_changed_after_packaging_stops_the_install_naming_it_and_installs_nothing()
    {
        using var copy = new TempFolder("medhelm-bundle-tampered-");
        var extract = await CliProcess.RunAsync(Tar(bundle.Archive, copy.Path), "tar", 120);
        Assert.True(extract.ExitCode == 0, extract.ToString());
        var dll = copy.PathOf("medhelm", "app", "MedHelm.Application.dll");
        File.AppendAllText(dll, "x");
        var prefix = copy.PathOf("prefix");
        var install = await CliProcess.RunScriptAsync(copy.PathOf("medhelm", "install.sh"),
            ["--prefix", prefix, "--data", copy.PathOf("data"), "--no-user", "--no-systemd"], timeoutSeconds: 120);
        Assert.Equal(1, install.ExitCode);
        Assert.Contains("the bundle was changed after packaging; nothing was installed", install.StdErr, StringComparison.Ordinal);
        Assert.Contains("app/MedHelm.Application.dll (FAILED)", install.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(prefix));
        Assert.False(Directory.Exists(copy.PathOf("data")));
    }

    /// <summary>name/version of every package in the lock files of the projects the CLI is built from (src/).</summary>
    private static IEnumerable<(string Name, string Version)> LockedPackages()
    {
        foreach (var lockFile in Directory.EnumerateFiles(CliProcess.RepositoryRoot + "/src", "packages.lock.json", SearchOption.AllDirectories))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(lockFile));
            foreach (var target in json.RootElement.GetProperty("dependencies").EnumerateObject().Where(t => t.Name == "net10.0"))
            {
                foreach (var package in target.Value.EnumerateObject().Where(p => p.Value.GetProperty("type").GetString() != "Project"))
                {
                    yield return (package.Name, package.Value.GetProperty("resolved").GetString()!);
                }
            }
        }
    }

    private static bool HasCompiler() =>
        new[] { "cmake", "c++" }.All(tool => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool))));

    private static bool IsElf(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(path);
        return stream.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static System.Diagnostics.ProcessStartInfo Tar(string archive, string into)
    {
        var start = new System.Diagnostics.ProcessStartInfo("tar")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-xzf", archive, "-C", into })
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    /// <summary>The bundle, packaged once for the class (a self-contained publish: about a minute of CPU) and unpacked.</summary>
    public sealed class Bundle : IAsyncLifetime
    {
        public TempFolder Folder { get; } = new("medhelm-bundle-");

        public string Archive => Folder.File("medhelm-offline.tar.gz");

        public string Unpacked => Folder.PathOf("unpacked", "medhelm");

        public async Task InitializeAsync()
        {
            var package = await CliProcess.RunScriptAsync("scripts/package-offline.sh", ["--out", Archive], timeoutSeconds: 1200);
            Assert.True(package.ExitCode == 0, package.ToString());
            Directory.CreateDirectory(Folder.PathOf("unpacked"));
            var extract = await CliProcess.RunAsync(Tar(Archive, Folder.PathOf("unpacked")), "tar", 120);
            Assert.True(extract.ExitCode == 0, extract.ToString());
        }

        public Task DisposeAsync()
        {
            Folder.Dispose();
            return Task.CompletedTask;
        }
    }
}

/// <summary>The offline bundle's tests, kept out of parallel execution with every other class.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OfflineBundleCollection
{
    public const string Name = "offline bundle (runs alone)";
}
