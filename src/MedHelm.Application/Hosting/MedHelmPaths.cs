using MedHelm.Application.Options;

namespace MedHelm.Application.Hosting;

/// <summary>
/// Where this installation's files are: the MedHelm home (appsettings.json, runtime, models; see <see cref="MedHelmHome"/>)
/// and the results database, which a host may point elsewhere (<c>--db FILE</c>, <c>--data DIR</c>).
/// </summary>
public sealed class MedHelmPaths
{
    /// <summary>Paths resolved against <paramref name="home"/>.</summary>
    /// <param name="home">The MedHelm home.</param>
    /// <param name="storage">The Storage section.</param>
    /// <param name="databaseOverride">A database file given by the host (e.g. <c>--db</c>), or null.</param>
    /// <param name="dataFolderOverride">A data folder given by the host (e.g. <c>--data</c>), or null.</param>
    public MedHelmPaths(string home, StorageOptions storage, string? databaseOverride = null, string? dataFolderOverride = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        Home = Path.GetFullPath(home);
        DataFolder = Resolve(dataFolderOverride ?? storage.DataFolder);
        DatabasePath = databaseOverride is { Length: > 0 } db ? Path.GetFullPath(db) : Path.Combine(DataFolder, storage.DatabaseFile);
        DatabaseOnServer = storage.IsPostgres;
    }

    /// <summary>True when the results live on a database server (Storage:Provider postgres), not in <see cref="DatabasePath"/>.</summary>
    public bool DatabaseOnServer { get; }

    /// <summary>
    /// Whether there may be results to read: the SQLite file exists, or the results live on a server (whose open says
    /// when it holds none).
    /// </summary>
    public bool DatabaseMayExist => DatabaseOnServer || File.Exists(DatabasePath);

    /// <summary>The folder that holds appsettings.json and against which relative paths resolve.</summary>
    public string Home { get; }

    /// <summary>The data folder (created owner-only when something is written there).</summary>
    public string DataFolder { get; }

    /// <summary>The results database file, which may not exist yet.</summary>
    public string DatabasePath { get; }

    /// <summary>A configured path: absolute as given, relative ones under the home.</summary>
    public string Resolve(string path) => MedHelmHome.ResolvePath(Home, path);
}
