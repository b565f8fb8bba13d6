using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;

namespace Bloonio.Relay.Core.Operators;

public static partial class OperatorRules
{
    public const int MaxRoutingKeys = 50;

    [GeneratedRegex(@"\A[A-Za-z0-9_.:-]{1,64}\z")]
    private static partial Regex RoutingKeyShape();

    public static bool IsRoutingKey(string? key) => key is not null && RoutingKeyShape().IsMatch(key);

    public static IRuleBuilderOptions<T, string?> MustBeRoutingKey<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(IsRoutingKey).WithMessage("must be 1 to 64 characters of A-Z a-z 0-9 _ . : -");

    /// <summary>Email is the operator's stable key: trimmed and lower-cased before storage and lookup.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>Duplicates removed (first occurrence kept); null or [] both mean tenant-wide, stored as null.</summary>
    public static IReadOnlyList<string>? NormalizeRoutingKeys(IReadOnlyList<string?>? keys) =>
        keys is null || keys.Count == 0 ? null : keys.Select(k => k!).Distinct(StringComparer.Ordinal).ToList();

    public static void ApplyEmailRule<T>(this AbstractValidator<T> validator, Func<T, string?> email) =>
        validator.RuleFor(x => email(x)).NotEmpty().WithMessage("is required").DependentRules(() =>
            validator.RuleFor(x => email(x)).MustBeEmail().OverridePropertyName("email")).OverridePropertyName("email");
}
