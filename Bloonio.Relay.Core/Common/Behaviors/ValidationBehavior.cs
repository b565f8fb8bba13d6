using System.Text.Json;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Common.Behaviors;

/// <summary>
/// Applies the input policy (<see cref="TextPolicy"/>: no control characters, valid Unicode) and then every validator of
/// the request, and fails with all failing fields at once (422).
/// </summary>
public sealed class ValidationBehavior<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var errors = TextPolicy.Check(request!);
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(request, cancellationToken);
            errors.AddRange(result.Errors.Select(e => new FieldError(ToJsonPath(e.PropertyName), e.ErrorMessage)));
        }

        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }

        return await next();
    }

    /// <summary><c>Branding.PrimaryColor</c> → <c>branding.primary_color</c>, <c>RoutingKeys[2]</c> → <c>routing_keys[2]</c>.</summary>
    internal static string ToJsonPath(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(segment =>
        {
            var bracket = segment.IndexOf('[');
            return bracket < 0
                ? JsonNamingPolicy.SnakeCaseLower.ConvertName(segment)
                : JsonNamingPolicy.SnakeCaseLower.ConvertName(segment[..bracket]) + segment[bracket..];
        }));
}
