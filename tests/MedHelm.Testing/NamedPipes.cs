namespace MedHelm.Testing;

/// <summary>Named pipes for the tests that check a path is refused by its file type (opening one for reading would block the test).</summary>
public static class NamedPipes
{
    /// <summary>Creates a named pipe at <paramref name="path"/> with mkfifo(1) and returns the path.</summary>
    public static string Create(string path)
    {
        using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [path]) ?? throw new InvalidOperationException("mkfifo did not start");
        mkfifo.WaitForExit();
        return mkfifo.ExitCode == 0 ? path : throw new InvalidOperationException($"mkfifo {path} exited with {mkfifo.ExitCode}");
    }
}
