using Bloonio.Relay.Core.Common;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Bloonio.Relay.Web.Http;

/// <summary>
/// Model binding can only fail on the shape of the request (malformed JSON, a value of the wrong JSON type, no body,
/// a content type other than JSON): all 400 <c>bad_request</c>, listing the fields. Rules on values are the
/// validators' job (422), so validation keeps one path. Runs before MVC's own 415 filter.
/// </summary>
public sealed class ModelBindingFailureFilter : IActionFilter, IOrderedFilter
{
    public int Order => -5000;

    public void OnActionExecuting(ActionExecutingContext context)
    {
        var state = context.ModelState;
        if (state.IsValid)
        {
            return;
        }

        if (state.Values.SelectMany(v => v.Errors).Any(e => e.Exception is UnsupportedContentTypeException))
        {
            throw new BadRequestException("Content-Type must be application/json");
        }

        // A JSON syntax or type error also fails the whole body parameter: report the JSON paths only.
        var failed = state.Where(kv => kv.Value is { Errors.Count: > 0 }).ToList();
        if (failed.Any(kv => kv.Key.StartsWith('$')))
        {
            failed = failed.Where(kv => kv.Key.StartsWith('$')).ToList();
        }

        var errors = failed
            .Select(kv => new FieldError(FieldName(kv.Key), Describe(kv.Key, kv.Value!.Errors[0].ErrorMessage)))
            .ToList();
        var malformed = failed.Any(kv => kv.Key.StartsWith('$'));
        throw new BadRequestException(malformed ? "Malformed JSON" : "A JSON object body is required", errors);
    }

    public void OnActionExecuted(ActionExecutedContext context)
    {
    }

    private static string FieldName(string key) =>
        key.StartsWith("$.", StringComparison.Ordinal) ? key[2..] : key == "$" ? "body" : key;

    private static string Describe(string key, string message) =>
        key.StartsWith('$') ? "is not valid JSON of the expected type" : message;
}
