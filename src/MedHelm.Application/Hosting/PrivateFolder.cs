namespace MedHelm.Application.Hosting;

/// <summary>Creates folders that may hold patient-derived data readable by the owner only (0700).</summary>
public static class PrivateFolder
{
    /// <summary>
    /// Creates <paramref name="path"/> and every missing folder above it owner-only (folders that already exist are left
    /// as they are), so that creating data/models first does not leave data/ readable by others.
    /// </summary>
    public static string Ensure(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }

        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
            if (Path.GetDirectoryName(folder) is null)
            {
                break;
            }
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
