using System.Net;
using System.Text.RegularExpressions;
using FluentValidation;

namespace Bloonio.Relay.Core.Tenants;

/// <summary>Field rules shared by tenant creation, update and the console (one definition each).</summary>
public static partial class TenantRules
{
    public const int MaxOrigins = 100;
    public const int MaxQuota = 1_000_000_000;
    public const int DefaultMaxConcurrent = 5;
    public const int MaxMaxConcurrent = 100;
    public const int MaxAttachmentBytes = 25 * 1024 * 1024;

    [GeneratedRegex(@"\A#[0-9A-Fa-f]{6}\z")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"\A[^@\s]+@[^@\s]+\.[^@\s]+\z")]
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
    /// The SSRF policy at configuration time (every resolved address must be public; loopback only in insecure mode);
    /// the same policy runs again on the address connected to at delivery time. An empty string removes the webhook.
    /// </summary>
    public static IRuleBuilderOptionsConditions<T, string?> MustBeWebhookUrl<T>(
        this IRuleBuilder<T, string?> rule, bool allowInsecure, string field = "webhook_url") =>
        rule.CustomAsync(async (url, context, ct) =>
        {
            if (string.IsNullOrEmpty(url))
            {
                return;
            }

            var problem = await Webhooks.WebhookTargetPolicy.CheckUrlAsync(url, allowInsecure, (host, token) => Dns.GetHostAddressesAsync(host, token), ct);
            if (problem is not null)
            {
                context.AddFailure(new FluentValidation.Results.ValidationFailure(field, problem));
            }
        });

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
