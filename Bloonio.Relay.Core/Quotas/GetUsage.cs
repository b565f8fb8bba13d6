using System.Globalization;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Quotas;

/// <summary>SPEC 10: a month's usage per day against the tenant's quotas (<c>period</c> = YYYY-MM, default this month).</summary>
public sealed record GetUsageQuery(Guid TenantId, string? Period) : IRequest<UsageReport>, ITenantScoped;

public sealed record UsageMessages(long Visitor, long Operator, long Bot, long System);

public sealed record UsageDayView(
    DateOnly Date, UsageMessages Messages, long Sessions, long Escalations, long BotReplies, long WebhookDeliveries, long PeakConcurrentConnections);

public sealed record UsageReport(
    string Period, EffectiveQuotas Quotas, int MessagesThisMonth, int MessagesPercentOfQuota, IReadOnlyList<UsageDayView> Days, UsageDayView Totals);

public sealed class GetUsageValidator : AbstractValidator<GetUsageQuery>
{
    public GetUsageValidator() =>
        RuleFor(x => x.Period).Must(p => p is null || DateOnly.TryParseExact(p + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            .WithMessage("must be a month as YYYY-MM");
}

public sealed class GetUsageHandler(ITenantRepository tenants, IUsageStore usage, IOptions<QuotaDefaults> quotas, TimeProvider clock)
    : IRequestHandler<GetUsageQuery, UsageReport>
{
    public async Task<UsageReport> Handle(GetUsageQuery request, CancellationToken cancellationToken)
    {
        var tenant = await tenants.GetAsync(request.TenantId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        var month = request.Period is { } p
            ? DateOnly.ParseExact(p + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture)
            : DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime) is var today ? new DateOnly(today.Year, today.Month, 1) : default;
        var days = (await usage.ListAsync(request.TenantId, month, month.AddMonths(1).AddDays(-1), cancellationToken)).Select(View).ToList();
        var effective = quotas.Value.For(tenant.Quotas);
        var used = (int)Math.Min(int.MaxValue, await usage.MessagesThisMonthAsync(request.TenantId, month, cancellationToken));
        var totals = new UsageDayView(month,
            new UsageMessages(days.Sum(d => d.Messages.Visitor), days.Sum(d => d.Messages.Operator), days.Sum(d => d.Messages.Bot), days.Sum(d => d.Messages.System)),
            days.Sum(d => d.Sessions), days.Sum(d => d.Escalations), days.Sum(d => d.BotReplies), days.Sum(d => d.WebhookDeliveries),
            days.Count == 0 ? 0 : days.Max(d => d.PeakConcurrentConnections));
        return new UsageReport(month.ToString("yyyy-MM", CultureInfo.InvariantCulture), effective, used,
            (int)Math.Floor(100.0 * used / effective.MessagesPerMonth), days, totals);
    }

    private static UsageDayView View(UsageDay day)
    {
        long Get(string metric) => day.Metrics.GetValueOrDefault(metric);
        return new UsageDayView(day.Date,
            new UsageMessages(Get(UsageMetrics.VisitorMessages), Get(UsageMetrics.OperatorMessages), Get(UsageMetrics.BotMessages), Get(UsageMetrics.SystemMessages)),
            Get(UsageMetrics.Sessions), Get(UsageMetrics.Escalations), Get(UsageMetrics.BotMessages), Get(UsageMetrics.WebhookDeliveries),
            Get(UsageMetrics.PeakConnections));
    }
}
