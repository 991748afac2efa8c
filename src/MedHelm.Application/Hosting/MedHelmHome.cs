namespace MedHelm.Application.Hosting;

/// <summary>
/// The folder that holds appsettings.json and against which relative paths (runtime, data, models) resolve:
/// MEDHELM_HOME if set, else the nearest ancestor of the working directory or of the program that has an
/// appsettings.json beside MedHelm.OnPrem.sln (a clone), else the program's own folder.
/// </summary>
public static class MedHelmHome
{
    public static string Resolve()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("MEDHELM_HOME");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        return FindClone(Directory.GetCurrentDirectory()) ?? FindClone(AppContext.BaseDirectory) ?? AppContext.BaseDirectory;
    }

    public static string ResolvePath(string home, string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(home, path));

    private static string? FindClone(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "appsettings.json")) && File.Exists(Path.Combine(dir.FullName, "MedHelm.OnPrem.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
