namespace MedHelm.Application.Errors;

/// <summary>What kind of failure an <see cref="ApplicationError"/> is; hosts map it (CLI: exit codes, web: ProblemDetails status).</summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or inconsistent (a bad option, a missing argument, an invalid file).</summary>
    Validation,

    /// <summary>The request conflicts with what is stored (a run id in use, a resume whose inputs changed).</summary>
    Conflict,

    /// <summary>Something the request names does not exist (a run, a model file, a benchmark).</summary>
    NotFound,

    /// <summary>An administrator's policy forbids it (hosted endpoints off, patient data to an endpoint not allowed to see it).</summary>
    PolicyViolation,
}

/// <summary>
/// An expected failure of an application-layer operation: one message a person can act on (it names the file, field or
/// option), never patient text. Anything else that escapes the layer is a defect.
/// </summary>
public abstract class ApplicationError : Exception
{
    /// <summary>Creates the error.</summary>
    protected ApplicationError(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>The kind of failure.</summary>
    public abstract ErrorKind Kind { get; }
}

/// <summary>The request is malformed or inconsistent.</summary>
public sealed class RequestValidationException(string message, Exception? inner = null) : ApplicationError(message, inner)
{
    /// <inheritdoc />
    public override ErrorKind Kind => ErrorKind.Validation;
}

/// <summary>The request conflicts with what is stored.</summary>
public sealed class ConflictException(string message, Exception? inner = null) : ApplicationError(message, inner)
{
    /// <inheritdoc />
    public override ErrorKind Kind => ErrorKind.Conflict;
}

/// <summary>Something the request names does not exist.</summary>
public sealed class NotFoundException(string message, Exception? inner = null) : ApplicationError(message, inner)
{
    /// <inheritdoc />
    public override ErrorKind Kind => ErrorKind.NotFound;
}

/// <summary>An administrator's policy forbids the request.</summary>
public sealed class PolicyViolationException(string message, Exception? inner = null) : ApplicationError(message, inner)
{
    /// <inheritdoc />
    public override ErrorKind Kind => ErrorKind.PolicyViolation;
}
