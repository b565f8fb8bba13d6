using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;

namespace Bloonio.Relay.Core.Sessions;

public static class SessionRules
{
    public const int MaxTextLength = 4000;
    public const int MaxMetadataBytes = 4096;
    public const int MaxHistoryPage = 200;

    public static byte[] HashResumeToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// SPEC 7: the tenant's flags bind whoever opens a session, whatever mode it asks for: without the bot every session
    /// is human; without the hand-off to humans (and with the bot) every session stays with the bot.
    /// </summary>
    public static string EffectiveMode(string? requested, FeatureFlags flags) =>
        !flags.Bot ? SessionModes.Human : !flags.HumanHandoff ? SessionModes.Bot : requested ?? SessionModes.Bot;

    /// <summary>SPEC 13: message text is 1–4 000 characters after trimming.</summary>
    public static IRuleBuilderOptions<T, string?> MustBeMessageText<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(t => t is not null && t.Trim().Length is >= 1 and <= MaxTextLength)
            .WithMessage($"is required, 1 to {MaxTextLength} characters after trimming");

    public static IRuleBuilderOptions<T, string?> MustBeClientMessageId<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(id => id is null || id.Length is >= 1 and <= 128).WithMessage("must be 1 to 128 characters");

    public static IRuleBuilderOptions<T, IReadOnlyList<Guid>?> MustBeAttachmentList<T>(this IRuleBuilder<T, IReadOnlyList<Guid>?> rule) =>
        rule.Must(ids => ids is null || ids.Count <= Attachments.MessageAttachments.Max && ids.Distinct().Count() == ids.Count)
            .WithMessage($"must be at most {Attachments.MessageAttachments.Max} different attachment ids");

    public static IRuleBuilderOptions<T, string?> MustBeMode<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(m => m is null or SessionModes.Bot or SessionModes.Human).WithMessage("must be bot or human");

    public static IRuleBuilderOptions<T, string?> MustBeOptionalRoutingKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(k => k is null || OperatorRules.IsRoutingKey(k)).WithMessage("must be 1 to 64 characters of A-Z a-z 0-9 _ . : -");

    public static IRuleBuilderOptions<T, JsonElement?> MustBeMetadata<T>(this IRuleBuilder<T, JsonElement?> rule) =>
        rule.Must(m => m is null || m.Value.ValueKind is JsonValueKind.Null
                || (m.Value.ValueKind == JsonValueKind.Object && Encoding.UTF8.GetByteCount(m.Value.GetRawText()) <= MaxMetadataBytes))
            .WithMessage($"must be a JSON object of at most {MaxMetadataBytes} bytes");

    public static string MetadataJson(JsonElement? metadata) =>
        metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : "{}";

    public static void ApplyVisitorRules<T>(this AbstractValidator<T> validator, Func<T, VisitorInfo?> visitor) =>
        validator.When(x => visitor(x) is not null, () =>
        {
            validator.RuleFor(x => visitor(x)!.DisplayName).Must(n => n is null || n.Trim().Length <= 120)
                .WithMessage("must be at most 120 characters").OverridePropertyName("visitor.display_name");
            validator.RuleFor(x => visitor(x)!.Email).Must(e => e is null || TenantRules.IsEmail(e))
                .WithMessage("must be a valid email address").OverridePropertyName("visitor.email");
        });
}

public sealed record VisitorInfo(string? DisplayName, string? Email);
