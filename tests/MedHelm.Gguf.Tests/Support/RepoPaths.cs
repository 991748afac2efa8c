namespace MedHelm.Gguf.Tests.Support;

/// <summary>Locates files of the repository checkout (for optional tests against llama.cpp's own GGUF files).</summary>
public static class RepoPaths
{
    public static string? Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MedHelm.OnPrem.sln")))
            {
                return dir.FullName;
            }
            dir = dir.Parent;
        }
        return null;
    }

    /// <summary>runtimes/llama/src/models/NAME when present, else null.</summary>
    public static string? LlamaModelFile(string name)
    {
        var root = Root();
        if (root is null)
        {
            return null;
        }
        var path = Path.Combine(root, "runtimes", "llama", "src", "models", name);
        return File.Exists(path) ? path : null;
    }
}
