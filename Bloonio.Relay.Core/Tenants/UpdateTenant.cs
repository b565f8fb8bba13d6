using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Tenants;

/// <summary>
/// A partial update (PATCH): an absent or null field keeps its value; <c>webhook_url: ""</c> removes the webhook,
/// <c>webhook_events: []</c> means every event again, <c>max_wait_seconds: 0</c> means no limit.
/// </summary>
public sealed record TenantPatch(
    string? Name = null,
    IReadOnlyList<string?>? AllowedOrigins = null,
    bool? AllowNativeClients = null,
    BrandingPatch? Branding = null,
    FeatureFlagsPatch? FeatureFlags = null,
    string? WebhookUrl = null,
    IReadOnlyList<string?>? WebhookEvents = null,
    int? MaxWaitSeconds = null,
    TenantQuotas? Quotas = null,
    IReadOnlyList<FaqEntry>? Faq = null,
    int? MaxConcurrent = null,
    Schedule? Hours = null,
    IReadOnlyDictionary<string, Schedule>? HoursByRoutingKey = null,
    int? MaxAttachmentBytes = null);

public sealed record BrandingPatch(
    string? Title = null, [MultilineText] string? Greeting = null, string? PrimaryColor = null, string? AvatarUrl = null, string? Position = null,
    string? Language = null, [MultilineText] IReadOnlyDictionary<string, string?>? Greetings = null);

public sealed record FeatureFlagsPatch(
    bool? Bot = null, bool? HumanHandoff = null, bool? TypingIndicators = null, bool? AutoAssign = null,
    bool? Attachments = null, bool? Voice = null);

/// <param name="AllowQuotas">Only the platform admin sets quotas; a tenant's own console may not.</param>
/// <param name="IfMatch">The version the caller last read (admin API If-Match): a tenant that moved on since is 412.</param>
public sealed record UpdateTenantCommand(Guid TenantId, [RequestBody] TenantPatch Patch, bool AllowQuotas, long? IfMatch = null) : IRequest<Tenant>, ITenantScoped;

public sealed class UpdateTenantValidator : AbstractValidator<UpdateTenantCommand>
{
    public UpdateTenantValidator(IOptions<RelayCoreOptions> options)
    {
        RuleFor(x => x.Patch.Name).Must(n => n is null || (n.Trim().Length is >= 1 and <= 120))
            .WithMessage("must be 1 to 120 characters").OverridePropertyName("name");
        RuleFor(x => x.Patch.AllowedOrigins).Must(o => o is null || o.Count <= TenantRules.MaxOrigins)
            .WithMessage($"must have at most {TenantRules.MaxOrigins} entries").OverridePropertyName("allowed_origins");
        RuleForEach(x => x.Patch.AllowedOrigins).MustBeOrigin().OverridePropertyName("allowed_origins");
        RuleFor(x => x.Patch.WebhookUrl).MustBeWebhookUrl(options.Value.AllowInsecureWebhooks);
        RuleForEach(x => x.Patch.WebhookEvents).MustBeWebhookEvent().OverridePropertyName("webhook_events");
        RuleFor(x => x.Patch.MaxConcurrent).InclusiveBetween(1, TenantRules.MaxMaxConcurrent)
            .WithMessage($"must be between 1 and {TenantRules.MaxMaxConcurrent}").OverridePropertyName("max_concurrent");
        RuleFor(x => x.Patch.MaxAttachmentBytes).InclusiveBetween(1024, TenantRules.MaxAttachmentBytes)
            .WithMessage($"must be between 1024 and {TenantRules.MaxAttachmentBytes} bytes").OverridePropertyName("max_attachment_bytes");
        RuleFor(x => x.Patch.MaxWaitSeconds).InclusiveBetween(0, 7 * 24 * 3600)
            .WithMessage("must be between 0 (no limit) and 604800 seconds").OverridePropertyName("max_wait_seconds");
        When(x => x.Patch.Branding is not null, () =>
        {
            RuleFor(x => x.Patch.Branding!.Title).Must(t => t is null || t.Trim().Length is >= 1 and <= 60)
                .WithMessage("must be 1 to 60 characters").OverridePropertyName("branding.title");
            RuleFor(x => x.Patch.Branding!.Greeting).Must(t => t is null || t.Length <= 500)
                .WithMessage("must be at most 500 characters").OverridePropertyName("branding.greeting");
            RuleFor(x => x.Patch.Branding!.PrimaryColor).MustBeHexColor().OverridePropertyName("branding.primary_color");
            RuleFor(x => x.Patch.Branding!.AvatarUrl).Must(v => v is null || v.Length == 0 || IsHttps(v))
                .WithMessage("must be an absolute https URL").OverridePropertyName("branding.avatar_url");
            RuleFor(x => x.Patch.Branding!.Position).Must(p => p is null or "left" or "right")
                .WithMessage("must be left or right").OverridePropertyName("branding.position");
            RuleFor(x => x.Patch.Branding!.Language).Must(l => l is null || WidgetLanguages.All.Contains(l))
                .WithMessage($"must be one of {string.Join(", ", WidgetLanguages.All)}").OverridePropertyName("branding.language");
            RuleFor(x => x.Patch.Branding!.Greetings)
                .Must(g => g is null || g.All(kv => WidgetLanguages.All.Contains(kv.Key) && (kv.Value is null || kv.Value.Length <= 500)))
                .WithMessage($"keys must be languages ({string.Join(", ", WidgetLanguages.All)}), texts at most 500 characters (null removes one)")
                .OverridePropertyName("branding.greetings");
        });
        RuleFor(x => x.Patch.Hours).Must(h => h is null || BusinessHours.Problem(h) is null)
            .WithMessage(x => BusinessHours.Problem(x.Patch.Hours!) ?? "").OverridePropertyName("hours");
        RuleFor(x => x.Patch.HoursByRoutingKey)
            .Must(m => m is null || (m.Count <= 100 && m.All(kv => Operators.OperatorRules.IsRoutingKey(kv.Key) && BusinessHours.Problem(kv.Value) is null)))
            .WithMessage("keys must be routing keys (at most 100), each schedule valid (time_zone, weekly HH:mm-HH:mm, holidays yyyy-MM-dd)")
            .OverridePropertyName("hours_by_routing_key");
        RuleFor(x => x.Patch.Faq).Must(f => f is null || f.Count <= 200).WithMessage("must have at most 200 entries").OverridePropertyName("faq");
        RuleForEach(x => x.Patch.Faq).Must(e => e is not null && e.Question?.Trim().Length is >= 1 and <= 300 && e.Answer?.Trim().Length is >= 1 and <= 2000)
            .WithMessage("needs a question (1 to 300 characters) and an answer (1 to 2000)").OverridePropertyName("faq");
        RuleFor(x => x.Patch.Quotas).Null().When(x => !x.AllowQuotas)
            .WithMessage("are set by the platform admin").OverridePropertyName("quotas");
        this.ApplyQuotaRules(x => x.Patch.Quotas);
    }

    private static bool IsHttps(string value) =>
        value.Length <= 2048 && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == "https";
}

/// <summary>
/// Changes only the fields sent: the patch is applied to the tenant as it is now and written only if nobody wrote in
/// between (compare and set on its version), else applied again to the newer one. So an admin's quota change and a
/// console settings save at the same moment both land. With If-Match, a tenant that moved on is 412 instead.
/// </summary>
public sealed class UpdateTenantHandler(ITenantRepository tenants, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<UpdateTenantCommand, Tenant>
{
    private const int Attempts = 10;

    public async Task<Tenant> Handle(UpdateTenantCommand request, CancellationToken cancellationToken)
    {
        var patch = request.Patch;
        for (var attempt = 1; ; attempt++)
        {
            var tenant = await tenants.GetWithFaqAsync(request.TenantId, cancellationToken)
                ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
            if (request.IfMatch is { } expected && expected != tenant.Version)
            {
                throw new PreconditionFailedException($"The tenant changed since version {expected} (it is at {tenant.Version}); read it again");
            }

            var configuration = Apply(tenant.Configuration, patch);
            var quotas = Apply(tenant.Quotas, patch.Quotas);
            var name = patch.Name?.Trim() ?? tenant.Name;
            var audit = AuditEntry.For(caller, clock, tenant.TenantId, "tenant.updated", tenant.TenantId.ToString(),
                new Dictionary<string, object?> { ["fields"] = ChangedFields(patch) });
            if (await tenants.UpdateAsync(tenant.TenantId, tenant.Version, name, configuration, quotas, audit, cancellationToken) is { } version)
            {
                return tenant with { Name = name, Configuration = configuration, Quotas = quotas, UpdatedAt = clock.GetUtcNow(), Version = version };
            }

            if (attempt == Attempts)
            {
                throw new ConflictException(ErrorCodes.Conflict, "The tenant keeps changing; try again");
            }
        }
    }

    private static TenantConfiguration Apply(TenantConfiguration c, TenantPatch p) => c with
    {
        AllowedOrigins = p.AllowedOrigins?.Select(o => o!.ToLowerInvariant()).Distinct().ToList() ?? c.AllowedOrigins,
        AllowNativeClients = p.AllowNativeClients ?? c.AllowNativeClients,
        Branding = p.Branding is { } b
            ? c.Branding with
            {
                Title = b.Title?.Trim() ?? c.Branding.Title,
                Greeting = b.Greeting ?? c.Branding.Greeting,
                PrimaryColor = b.PrimaryColor?.ToUpperInvariant() ?? c.Branding.PrimaryColor,
                AvatarUrl = b.AvatarUrl is null ? c.Branding.AvatarUrl : b.AvatarUrl.Length == 0 ? null : b.AvatarUrl,
                Position = b.Position ?? c.Branding.Position,
                Language = b.Language ?? c.Branding.Language,
                Greetings = b.Greetings is null ? c.Branding.Greetings : MergeGreetings(c.Branding.Greetings, b.Greetings),
            }
            : c.Branding,
        FeatureFlags = p.FeatureFlags is { } f
            ? new FeatureFlags
            {
                Bot = f.Bot ?? c.FeatureFlags.Bot,
                HumanHandoff = f.HumanHandoff ?? c.FeatureFlags.HumanHandoff,
                TypingIndicators = f.TypingIndicators ?? c.FeatureFlags.TypingIndicators,
                AutoAssign = f.AutoAssign ?? c.FeatureFlags.AutoAssign,
                Attachments = f.Attachments ?? c.FeatureFlags.Attachments,
                Voice = f.Voice ?? c.FeatureFlags.Voice,
            }
            : c.FeatureFlags,
        WebhookUrl = p.WebhookUrl is null ? c.WebhookUrl : p.WebhookUrl.Length == 0 ? null : p.WebhookUrl,
        WebhookEvents = p.WebhookEvents is null ? c.WebhookEvents : p.WebhookEvents.Count == 0 ? null : p.WebhookEvents.Select(e => e!).Distinct().ToList(),
        MaxWaitSeconds = p.MaxWaitSeconds is null ? c.MaxWaitSeconds : p.MaxWaitSeconds == 0 ? null : p.MaxWaitSeconds,
        MaxConcurrent = p.MaxConcurrent ?? c.MaxConcurrent,
        MaxAttachmentBytes = p.MaxAttachmentBytes ?? c.MaxAttachmentBytes,
        Faq = p.Faq?.Select(e => new FaqEntry(e.Question.Trim(), e.Answer.Trim())).ToList() ?? c.Faq,
        // A schedule without any day is "always open": it clears the hours.
        Hours = p.Hours is null ? c.Hours : p.Hours.Weekly.Count == 0 ? null : p.Hours,
        HoursByRoutingKey = p.HoursByRoutingKey ?? c.HoursByRoutingKey,
    };

    /// <summary>Only the languages sent change: a text sets one, null (or empty) removes it.</summary>
    private static IReadOnlyDictionary<string, string> MergeGreetings(IReadOnlyDictionary<string, string> current, IReadOnlyDictionary<string, string?> patch)
    {
        var merged = new Dictionary<string, string>(current);
        foreach (var (language, text) in patch)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                merged.Remove(language);
            }
            else
            {
                merged[language] = text;
            }
        }

        return merged;
    }

    private static TenantQuotas Apply(TenantQuotas q, TenantQuotas? p) => p is null ? q : new TenantQuotas
    {
        MessagesPerMonth = p.MessagesPerMonth ?? q.MessagesPerMonth,
        ConcurrentVisitorConnections = p.ConcurrentVisitorConnections ?? q.ConcurrentVisitorConnections,
        Operators = p.Operators ?? q.Operators,
        BackendRequestsPerMinute = p.BackendRequestsPerMinute ?? q.BackendRequestsPerMinute,
        VisitorMessagesPerMinute = p.VisitorMessagesPerMinute ?? q.VisitorMessagesPerMinute,
        WidgetSessionsPerMinute = p.WidgetSessionsPerMinute ?? q.WidgetSessionsPerMinute,
    };

    private static string[] ChangedFields(TenantPatch p) =>
        new (string Name, object? Value)[]
        {
            ("name", p.Name), ("allowed_origins", p.AllowedOrigins), ("allow_native_clients", p.AllowNativeClients),
            ("branding", p.Branding), ("feature_flags", p.FeatureFlags), ("webhook_url", p.WebhookUrl),
            ("webhook_events", p.WebhookEvents), ("max_wait_seconds", p.MaxWaitSeconds), ("quotas", p.Quotas), ("faq", p.Faq),
            ("max_concurrent", p.MaxConcurrent), ("hours", p.Hours), ("hours_by_routing_key", p.HoursByRoutingKey),
            ("max_attachment_bytes", p.MaxAttachmentBytes),
        }.Where(f => f.Value is not null).Select(f => f.Name).ToArray();
}
