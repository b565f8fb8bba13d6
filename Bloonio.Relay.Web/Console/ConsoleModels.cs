using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Core.Webhooks;

namespace Bloonio.Relay.Web.ConsolePages;

public sealed record LoginForm(string? Email, string? Error);

/// <param name="Last30Days">Exactly 30 days, oldest first, today last; a day without traffic is there with zeros.</param>
public sealed record OverviewModel(
    ConsoleContext Ctx, UsageReport Usage, IReadOnlyList<(DateOnly Date, long Messages)> Last30Days, int QueueLength, string Brain,
    Bloonio.Relay.Core.Workspace.Report Report);

public sealed record KeysModel(ConsoleContext Ctx, Tenant Tenant, RotatedKey? Rotated);

public sealed record OperatorsModel(ConsoleContext Ctx, IReadOnlyList<OperatorView> Operators, string? Error, IReadOnlyList<FieldError>? Errors);

public sealed record MembersModel(
    ConsoleContext Ctx, IReadOnlyList<MemberView> Members, IReadOnlyList<InviteView> Invites, string? InviteLink, string? Error,
    IReadOnlyList<FieldError>? Errors, string? ResetLink = null);

public sealed record CannedModel(
    ConsoleContext Ctx, IReadOnlyList<Bloonio.Relay.Core.Workspace.CannedView> Canned, string? Error, IReadOnlyList<FieldError>? Errors);

public sealed record ForgotPasswordModel(string? Email, string? Message, bool Sent);

public sealed record ResetPasswordModel(string Token, string? Error, IReadOnlyList<FieldError>? Errors);

public sealed record SettingsModel(ConsoleContext Ctx, Tenant Tenant, string? Error, IReadOnlyList<FieldError>? Errors)
{
    public string? ErrorFor(string field) => Errors?.FirstOrDefault(e => e.Field == field || e.Field.StartsWith(field + "[", StringComparison.Ordinal))?.Message;
}

public sealed record WebhooksModel(ConsoleContext Ctx, DeliveryLog Log, string? Error);

public sealed record AuditModel(ConsoleContext Ctx, IReadOnlyList<AuditRow> Rows);

public sealed record InboxModel(ConsoleContext Ctx, string OperatorToken);

public sealed record AcceptInviteModel(string Token, string? Error, IReadOnlyList<FieldError>? Errors);

/// <summary>The settings form as posted; empty inputs mean "no change" except where clearing is meaningful.</summary>
public sealed class SettingsForm
{
    public string? AllowedOrigins { get; set; }
    public bool AllowNativeClients { get; set; }
    public string? Title { get; set; }
    public string? Greeting { get; set; }
    public string? PrimaryColor { get; set; }
    public string? Position { get; set; }
    public string? AvatarUrl { get; set; }
    public bool Bot { get; set; }
    public bool HumanHandoff { get; set; }
    public bool TypingIndicators { get; set; }
    public bool AutoAssign { get; set; }
    public bool Attachments { get; set; }

    /// <summary>The largest attachment, in MiB (1–25).</summary>
    public double? MaxAttachmentMiB { get; set; }
    public int? MaxConcurrent { get; set; }
    public string? WebhookUrl { get; set; }
    public List<string>? WebhookEvents { get; set; }
    public string? Faq { get; set; }
    public string? Language { get; set; }

    /// <summary>One line per language: <c>fr: Bonjour ! Comment pouvons-nous aider ?</c>; a language left out is removed.</summary>
    public string? Greetings { get; set; }

    /// <summary>Business hours: the time zone, one line per open day (<c>mon: 09:00-12:00, 13:00-18:00</c>; no line = always open), holidays.</summary>
    public string? HoursTimeZone { get; set; }

    public string? HoursWeekly { get; set; }

    public string? HoursHolidays { get; set; }

    /// <summary>A queue's own hours, one line each: <c>store_42 | America/New_York | mon: 09:00-17:00; tue: 09:00-17:00</c>.</summary>
    public string? HoursByQueue { get; set; }

    public TenantPatch ToPatch(IReadOnlyDictionary<string, string>? currentGreetings = null) => new(
        AllowedOrigins: Lines(AllowedOrigins).Select(l => (string?)l).ToList(),
        AllowNativeClients: AllowNativeClients,
        Branding: new BrandingPatch(Title, Greeting ?? "", PrimaryColor, AvatarUrl ?? "", Position, string.IsNullOrWhiteSpace(Language) ? null : Language,
            GreetingsPatch(currentGreetings)),
        FeatureFlags: new FeatureFlagsPatch(Bot, HumanHandoff, TypingIndicators, AutoAssign, Attachments),
        MaxAttachmentBytes: MaxAttachmentMiB is { } mib ? (int)Math.Round(mib * 1024 * 1024) : null,
        MaxConcurrent: MaxConcurrent,
        WebhookUrl: WebhookUrl ?? "",
        WebhookEvents: (WebhookEvents ?? []).Count == WebhookEventTypes.All.Count ? [] : (WebhookEvents ?? []).Select(e => (string?)e).ToList(),
        Faq: Lines(Faq).Select(l => l.Split('|', 2)).Select(p => new FaqEntry(p[0].Trim(), p.Length > 1 ? p[1].Trim() : "")).ToList(),
        Hours: Schedule(HoursTimeZone, Lines(HoursWeekly), HoursHolidays),
        HoursByRoutingKey: Lines(HoursByQueue).Select(l => l.Split('|', 3, StringSplitOptions.TrimEntries)).GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => Schedule(g.Last().ElementAtOrDefault(1), (g.Last().ElementAtOrDefault(2) ?? "").Split(';',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), null)));

    /// <summary>Days as written (<c>mon: 09:00-12:00, 13:00-18:00</c>); what is not a day or a range is left for validation to name.</summary>
    private static Schedule Schedule(string? timeZone, IEnumerable<string> days, string? holidays) => new()
    {
        TimeZone = string.IsNullOrWhiteSpace(timeZone) ? "UTC" : timeZone.Trim(),
        Weekly = days.Select(d => d.Split(':', 2)).GroupBy(p => p[0].Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)(g.Last().ElementAtOrDefault(1) ?? "")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()),
        Holidays = (holidays ?? "").Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
    };

    /// <summary>The form's text for a schedule's days (the inverse of <see cref="Schedule"/>).</summary>
    public static string DaysText(Schedule? schedule, string separator) =>
        schedule is null ? "" : string.Join(separator, schedule.Weekly.Select(kv => $"{kv.Key}: {string.Join(", ", kv.Value)}"));

    private Dictionary<string, string?> GreetingsPatch(IReadOnlyDictionary<string, string>? current)
    {
        var wanted = Lines(Greetings).Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim().ToLowerInvariant()).ToDictionary(g => g.Key, g => (string?)g.Last()[1].Trim());
        foreach (var gone in (current?.Keys ?? []).Where(k => !wanted.ContainsKey(k)))
        {
            wanted[gone] = null;
        }

        return wanted;
    }

    private static IEnumerable<string> Lines(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
