using System.Runtime.InteropServices;

namespace MedHelm.Evaluation.Files;

/// <summary>
/// Refuses anything but a regular file (or a link to one) before it is opened: opening a named pipe for reading
/// blocks until a writer comes, a character device (/dev/zero, /dev/urandom) never ends, a socket cannot be read.
/// .NET exposes no file type, so on Unix this asks the runtime's own native shim (the stat(2) .NET uses itself).
/// </summary>
public static class RegularFiles
{
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000;
    private const int CharacterDevice = 0x2000;
    private const int Directory = 0x4000;
    private const int BlockDevice = 0x6000;
    private const int Regular = 0x8000;
    private const int Socket = 0xC000;

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and its kind when it exists and is not a regular file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file should be, for the message (e.g. "dataset file").</param>
    public static void EnsureRegular(string path, string what = "file")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (KindOf(path) is { } kind)
        {
            throw new InvalidDataException($"{path} is {kind}, not a regular file; {Article(what)} {what} must be a regular file.");
        }
    }

    /// <summary>
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> and its kind when an output would replace
    /// something other than a regular file: outputs are written beside the target and moved over it, which would put a
    /// file where a named pipe, a device or a socket was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="what">What is written, for the message (e.g. "report").</param>
    public static void EnsureReplaceable(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (KindOf(path) is { } kind)
        {
            throw new InvalidDataException($"{path} is {kind}, not a regular file; {Article(what)} {what} is written only to a regular file or a new path, so it was left untouched.");
        }
    }

    private static string Article(string word) => word.Length > 0 && "AEIOaeio".Contains(word[0], StringComparison.Ordinal) ? "an" : "a";

    /// <summary>"a named pipe", "a character device", … for a special file; null for a regular file, a missing one, or where the type cannot be told.</summary>
    public static string? KindOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return System.IO.Directory.Exists(path) ? "a folder" : null;
        }
        if (SystemNativeStat(path, out var status) != 0)
        {
            return null; // missing or unreadable: the open that follows reports it
        }
        return (status.Mode & TypeMask) switch
        {
            Regular => null,
            Directory => "a folder",
            Fifo => "a named pipe",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Socket => "a socket",
            _ => "a special file",
        };
    }

    /// <summary>The start of the runtime's FileStatus (flags, then the mode with S_IF* type bits); sized generously for the rest.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = false)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SystemNativeStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, out FileStatus status);
}
