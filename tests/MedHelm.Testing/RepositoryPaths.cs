namespace MedHelm.Testing;

/// <summary>The root of the MedHelm.OnPrem checkout the tests run in: the first folder above the test binaries that holds <see cref="Marker"/>.</summary>
public static class RepositoryPaths
{
    public const string Marker = "MedHelm.OnPrem.sln";

    private static readonly Lazy<string?> Found = new(() => FindRoot(AppContext.BaseDirectory));

    /// <summary>The repository root; throws when the tests do not run inside a clone.</summary>
    public static string Root => Found.Value
        ?? throw new InvalidOperationException($"The tests must run inside a MedHelm.OnPrem clone ({Marker} not found above the test binaries in {AppContext.BaseDirectory}).");

    /// <summary>The repository root, or null when the tests do not run inside a clone.</summary>
    public static string? TryFindRoot() => Found.Value;

    /// <summary><paramref name="parts"/> joined under the repository root (throws outside a clone, like <see cref="Root"/>).</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The file <paramref name="parts"/> under the repository root when it exists, else null (also outside a clone).</summary>
    public static string? ExistingFile(params string[] parts)
    {
        var root = TryFindRoot();
        if (root is null)
        {
            return null;
        }

        var path = Path.Combine([root, .. parts]);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The first folder from <paramref name="start"/> upwards that holds <see cref="Marker"/>, or null.</summary>
    public static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, Marker)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
