using MedHelm.Core.Inference;

namespace MedHelm.Inference.Worker;

/// <summary>The engine worker ended (an abort in llama.cpp, out of memory, a signal) while serving or loading; the service is unaffected.</summary>
public sealed class EngineWorkerExitedException(string message) : Exception(message);

/// <summary>The model's worker crashed too often in a short time: requests are refused until it is loaded again on purpose.</summary>
public sealed class EngineWorkerCrashingException(string message) : Exception(message);

/// <summary>The worker's model refused a request (e.g. it cannot fit the context), as the in-process engine would.</summary>
public sealed class WorkerRequestRejectedException(string message) : RequestRejectedException(message);
