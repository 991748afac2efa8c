namespace MedHelm.Cli.Hosting;

/// <summary>Creates folders that may hold patient-derived data readable by the owner only (0700).</summary>
internal static class PrivateFolder
{
    public static string Ensure(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
