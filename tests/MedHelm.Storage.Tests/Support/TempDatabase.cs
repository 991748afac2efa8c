namespace MedHelm.Storage.Tests.Support;

/// <summary>A database path inside a fresh temp folder (not yet created), deleted on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Root = Path.Combine(Path.GetTempPath(), "medhelm-store-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Folder = Path.Combine(Root, "data", "db");
        DatabasePath = Path.Combine(Folder, "results.sqlite");
    }

    public string Root { get; }

    public string Folder { get; }

    public string DatabasePath { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
