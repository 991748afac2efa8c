namespace MedHelm.Testing;

/// <summary>A fresh folder under the system temp folder, deleted (as far as possible) on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    /// <param name="prefix">Start of the folder's name, so that a left-over folder says which tests made it.</param>
    public TempFolder(string prefix = "medhelm-tests-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> (a file or a relative path) inside the folder; nothing is created.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The path of <paramref name="parts"/> joined inside the folder; nothing is created.</summary>
    public string PathOf(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="content"/> to <paramref name="name"/> inside the folder and returns its path.</summary>
    public string Write(string name, string content)
    {
        var file = File(name);
        System.IO.File.WriteAllText(file, content);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a file still open or mapped (a loaded model, an SQLite database) goes with the temp folder's own clean-up
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
