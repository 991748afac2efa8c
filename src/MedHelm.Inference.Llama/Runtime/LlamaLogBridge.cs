using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using MedHelm.Inference.Llama.Native;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Llama.Runtime;

/// <summary>
/// Routes llama.cpp / ggml log lines (a process-global callback) to an <see cref="ILogger"/>.
/// llama.cpp writes a line in pieces; pieces are joined per thread until the newline.
/// Informational native chatter goes to Debug; warnings and errors keep their level.
/// </summary>
internal static unsafe class LlamaLogBridge
{
    private static ILogger? s_logger;
    private static bool s_verbose;

    [ThreadStatic]
    private static StringBuilder? t_pending;

    [ThreadStatic]
    private static GgmlLogLevel t_pendingLevel;

    [ThreadStatic]
    private static List<string>? t_capture;

    /// <summary>Collects the native log lines written on this thread until disposed (model load is synchronous).</summary>
    public static LogCapture Capture() => new();

    public static void Attach(ILogger logger, bool verbose)
    {
        s_logger = logger;
        s_verbose = verbose;
        LlamaNative.llama_log_set(&OnLog, null);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(GgmlLogLevel level, byte* text, void* userData)
    {
        try
        {
            var logger = s_logger;
            if (logger is null || text == null)
            {
                return;
            }

            var piece = Marshal.PtrToStringUTF8((nint)text) ?? "";
            var pending = t_pending ??= new StringBuilder();
            if (level != GgmlLogLevel.Continue)
            {
                t_pendingLevel = level;
            }

            pending.Append(piece);
            if (!piece.EndsWith('\n'))
            {
                return;
            }

            var line = pending.ToString().TrimEnd();
            pending.Clear();
            if (line.Length == 0)
            {
                return;
            }

            t_capture?.Add(line);

            switch (t_pendingLevel)
            {
                case GgmlLogLevel.Error:
                    logger.LogError("llama.cpp: {NativeMessage}", line);
                    break;
                case GgmlLogLevel.Warn:
                    logger.LogWarning("llama.cpp: {NativeMessage}", line);
                    break;
                default:
                    if (s_verbose)
                    {
                        logger.LogDebug("llama.cpp: {NativeMessage}", line);
                    }

                    break;
            }
        }
        catch
        {
            // An exception must never cross back into native code.
        }
    }

    public sealed class LogCapture : IDisposable
    {
        private readonly List<string>? _previous = t_capture;

        internal LogCapture() => t_capture = [];

        public IReadOnlyList<string> Lines => t_capture ?? [];

        public void Dispose() => t_capture = _previous;
    }
}
