using Bloonio.Relay.Core.Common;
namespace Bloonio.Relay.Core.Tenants;

public static class TenantStatuses
{
    public const string Active = "active";
    public const string Suspended = "suspended";
}

/// <summary>SPEC 3: what a tenant configures for itself. Stored as one jsonb document.</summary>
public sealed record TenantConfiguration
{
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    public bool AllowNativeClients { get; init; }
    public Branding Branding { get; init; } = new();
    public FeatureFlags FeatureFlags { get; init; } = new();
    public string? WebhookUrl { get; init; }

    /// <summary>Null means every event type.</summary>
    public IReadOnlyList<string>? WebhookEvents { get; init; }

    /// <summary>Question/answer pairs the development brain answers from.</summary>
    public IReadOnlyList<FaqEntry> Faq { get; init; } = [];

    /// <summary>A WAITING assignment older than this closes with <c>reason: timeout</c>; null = never.</summary>
    public int? MaxWaitSeconds { get; init; }

    /// <summary>When humans answer (null = always); a routing key may have its own.</summary>
    public Schedule? Hours { get; init; }

    public IReadOnlyDictionary<string, Schedule> HoursByRoutingKey { get; init; } = new Dictionary<string, Schedule>();

    /// <summary>How many conversations an operator holds at once in this tenant (a membership may override it).</summary>
    public int MaxConcurrent { get; init; } = TenantRules.DefaultMaxConcurrent;

    /// <summary>The largest attachment this tenant takes, in bytes (null: 10 MiB).</summary>
    public int? MaxAttachmentBytes { get; init; }
}

public sealed record FaqEntry([MultilineText] string Question, [MultilineText] string Answer);

public sealed record Branding
{
    public string Title { get; init; } = "Chat with us";
    [MultilineText]
    public string Greeting { get; init; } = "Hi! How can we help?";
    public string PrimaryColor { get; init; } = "#4F46E5";
    public string? AvatarUrl { get; init; }
    public string Position { get; init; } = "right";

    /// <summary>The widget's language when the visitor's browser asks for none it speaks (en, fr, de, es, ar).</summary>
    public string Language { get; init; } = "en";

    /// <summary>The greeting in other languages (language → text); <see cref="Greeting"/> otherwise.</summary>
    [MultilineText]
    public IReadOnlyDictionary<string, string> Greetings { get; init; } = new Dictionary<string, string>();
}

public static class WidgetLanguages
{
    public static readonly IReadOnlyList<string> All = ["en", "fr", "de", "es", "ar"];
}

public sealed record FeatureFlags
{
    public bool Bot { get; init; } = true;
    public bool HumanHandoff { get; init; } = true;
    public bool TypingIndicators { get; init; } = true;
    public bool AutoAssign { get; init; }
    public bool Attachments { get; init; }
    public bool Voice { get; init; }
}

/// <summary>Per-tenant overrides of the default quotas (SPEC 10); null = the configured default.</summary>
public sealed record TenantQuotas
{
    public int? MessagesPerMonth { get; init; }
    public int? ConcurrentVisitorConnections { get; init; }
    public int? Operators { get; init; }
    public int? BackendRequestsPerMinute { get; init; }
    public int? VisitorMessagesPerMinute { get; init; }
    public int? WidgetSessionsPerMinute { get; init; }
}

public sealed record Tenant(
    Guid TenantId,
    string Name,
    string Status,
    string? OwnerEmail,
    TenantConfiguration Configuration,
    TenantQuotas Quotas,
    string WidgetPublicKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version = 1);

/// <summary>A tenant version as an HTTP entity tag (admin API: ETag, If-Match): <c>"v7"</c>.</summary>
public static class TenantETag
{
    public static string Of(Tenant tenant) => $"\"v{tenant.Version}\"";

    public static long? Parse(string value) =>
        value is { Length: > 3 } v && v.StartsWith("\"v", StringComparison.Ordinal) && v.EndsWith('"') && long.TryParse(v[2..^1], out var n) ? n : null;
}

/// <summary>A tenant as created: the plain secret is only in memory, to be shown once.</summary>
public sealed record NewTenant(Tenant Tenant, byte[] ProtectedSecret);
