using System.Net;
using System.Text.RegularExpressions;
using FluentValidation;

namespace Bloonio.Relay.Core.Tenants;

/// <summary>Field rules shared by tenant creation, update and the console (one definition each).</summary>
public static partial class TenantRules
{
    public const int MaxOrigins = 100;
    public const int MaxQuota = 1_000_000_000;

    [GeneratedRegex("^#[0-9A-Fa-f]{6}$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailShape();

    public static bool IsEmail(string? value) =>
        value is { Length: <= 254 } && EmailShape().IsMatch(value.Trim());

    public static IRuleBuilderOptions<T, string?> MustBeEmail<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(IsEmail).WithMessage("must be a valid email address (at most 254 characters)");

    public static IRuleBuilderOptions<T, string?> MustBeHttpsUrl<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is null || (v.Length <= 2048 && Uri.TryCreate(v, UriKind.Absolute, out var u) && u.Scheme == "https"))
            .WithMessage("must be an absolute https URL");

    public static IRuleBuilderOptions<T, string?> MustBeOrigin<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => OriginPattern.TryParse(v, out _))
            .WithMessage("must be an origin such as https://shop.example.com, http://localhost:3000 or https://*.example.com (no path, no trailing slash)");

    public static IRuleBuilderOptions<T, string?> MustBeHexColor<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is null || HexColor().IsMatch(v)).WithMessage("must be a colour in the form #RRGGBB");

    public static IRuleBuilderOptions<T, string?> MustBeWebhookEvent<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(v => v is not null && WebhookEventTypes.All.Contains(v))
            .WithMessage($"must be one of: {string.Join(", ", WebhookEventTypes.All)}");

    public static IRuleBuilderOptions<T, int?> MustBeQuota<T>(this IRuleBuilder<T, int?> rule) =>
        rule.InclusiveBetween(1, MaxQuota).WithMessage($"must be between 1 and {MaxQuota}");

    /// <summary>
    /// https only; http only to a loopback host when insecure webhooks are allowed. The full SSRF check (resolved
    /// addresses, private ranges) also runs at delivery time.
    /// </summary>
    public static IRuleBuilderOptions<T, string?> MustBeWebhookUrl<T>(this IRuleBuilder<T, string?> rule, bool allowInsecure) =>
        rule.Must(v => v is null || v.Length == 0 || IsWebhookUrl(v, allowInsecure))
            .WithMessage(allowInsecure
                ? "must be an absolute https URL (http is allowed to loopback only)"
                : "must be an absolute https URL to a public host");

    private static bool IsWebhookUrl(string value, bool allowInsecure)
    {
        if (value.Length > 2048 || !Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0)
        {
            return false;
        }

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        return uri.Scheme switch
        {
            "https" => allowInsecure || !loopback,
            "http" => allowInsecure && loopback,
            _ => false,
        };
    }

    public static void ApplyQuotaRules<T>(this AbstractValidator<T> validator, Func<T, TenantQuotas?> quotas)
    {
        validator.When(x => quotas(x) is not null, () =>
        {
            validator.RuleFor(x => quotas(x)!.MessagesPerMonth).MustBeQuota().OverridePropertyName("quotas.messages_per_month");
            validator.RuleFor(x => quotas(x)!.ConcurrentVisitorConnections).MustBeQuota().OverridePropertyName("quotas.concurrent_visitor_connections");
            validator.RuleFor(x => quotas(x)!.Operators).MustBeQuota().OverridePropertyName("quotas.operators");
            validator.RuleFor(x => quotas(x)!.BackendRequestsPerMinute).MustBeQuota().OverridePropertyName("quotas.backend_requests_per_minute");
            validator.RuleFor(x => quotas(x)!.VisitorMessagesPerMinute).MustBeQuota().OverridePropertyName("quotas.visitor_messages_per_minute");
            validator.RuleFor(x => quotas(x)!.WidgetSessionsPerMinute).MustBeQuota().OverridePropertyName("quotas.widget_sessions_per_minute");
        });
    }
}
