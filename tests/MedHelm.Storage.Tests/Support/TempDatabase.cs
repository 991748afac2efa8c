namespace MedHelm.Storage.Tests.Support;

/// <summary>A database path inside a fresh temp folder (not yet created), deleted on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly TempFolder _folder = new("medhelm-store-");

    public TempDatabase()
    {
        Folder = _folder.PathOf("data", "db");
        DatabasePath = Path.Combine(Folder, "results.sqlite");
    }

    public string Root => _folder.Path;

    public string Folder { get; }

    public string DatabasePath { get; }

    public void Dispose() => _folder.Dispose();
}
