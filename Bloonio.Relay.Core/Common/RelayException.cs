namespace Bloonio.Relay.Core.Common;

/// <summary>
/// A failure the caller can act on. Mapped to the REST envelope (status, error_code, message) and to hub errors
/// (<c>error_code: message</c>) in exactly one place each.
/// </summary>
public class RelayException(int statusCode, string errorCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string ErrorCode { get; } = errorCode;
}

public sealed class BadRequestException(string message, IReadOnlyList<FieldError>? errors = null)
    : RelayException(400, ErrorCodes.BadRequest, message)
{
    public IReadOnlyList<FieldError> Errors { get; } = errors ?? [];
}

public sealed class AuthenticationFailedException(string errorCode, string message)
    : RelayException(401, errorCode, message);

public sealed class ForbiddenException(string errorCode, string message)
    : RelayException(403, errorCode, message);

public sealed class NotFoundException(string errorCode, string message)
    : RelayException(404, errorCode, message);

public sealed class ConflictException(string errorCode, string message)
    : RelayException(409, errorCode, message);

/// <summary>503: this node cannot take the work now (it is stopping); another node, or this one shortly, can.</summary>
public sealed class UnavailableException(string message) : RelayException(503, ErrorCodes.DependencyUnavailable, message);

public sealed class PreconditionFailedException(string message)
    : RelayException(412, ErrorCodes.PreconditionFailed, message);

public sealed class ValidationFailedException(IReadOnlyList<FieldError> errors)
    : RelayException(422, ErrorCodes.ValidationFailed, "Validation failed")
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;
}

public sealed record FieldError(string Field, string Message);

public sealed class PayloadTooLargeException(int limitBytes)
    : RelayException(413, ErrorCodes.PayloadTooLarge, $"Request body must be at most {limitBytes / 1024} KiB");
