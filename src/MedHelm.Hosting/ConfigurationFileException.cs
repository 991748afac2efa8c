namespace MedHelm.Hosting;

/// <summary>The configuration cannot be used: appsettings.json is not a readable JSON file, or a key or value is wrong (each named).</summary>
public sealed class ConfigurationFileException : Exception
{
    public ConfigurationFileException(string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The appsettings.json file concerned.</summary>
    public string Path { get; }
}
