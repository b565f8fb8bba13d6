using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

/// <summary>
/// How conversations went over a period (default the last 30 days): how many, first response time, time to accept,
/// resolution time and CSAT, in total and per routing key.
/// </summary>
public sealed record GetReportQuery(Guid TenantId, DateTimeOffset? From = null, DateTimeOffset? To = null) : IRequest<Report>, ITenantScoped;

public sealed record Report(DateTimeOffset From, DateTimeOffset To, ReportRow Total, IReadOnlyList<ReportRow> ByRoutingKey);

public sealed class GetReportValidator : AbstractValidator<GetReportQuery>
{
    public GetReportValidator() =>
        RuleFor(x => x).Must(q => q.From is null || q.To is null || (q.From < q.To && q.To - q.From <= TimeSpan.FromDays(366)))
            .WithMessage("from must be before to, at most a year apart").OverridePropertyName("from");
}

public sealed class GetReportHandler(IWorkspaceRepository workspace, TimeProvider clock) : IRequestHandler<GetReportQuery, Report>
{
    public async Task<Report> Handle(GetReportQuery request, CancellationToken cancellationToken)
    {
        var to = request.To ?? clock.GetUtcNow();
        var from = request.From ?? to.AddDays(-30);
        var rows = await workspace.ReportAsync(request.TenantId, from, to, cancellationToken);
        return new Report(from, to, rows.First(r => r.IsTotal), rows.Where(r => !r.IsTotal).ToList());
    }

    /// <summary>The report as CSV (one line per routing key, then the total), for spreadsheets.</summary>
    public static string Csv(Report report)
    {
        static string N(double? value) => value is { } v ? v.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) : "";
        var csv = new System.Text.StringBuilder("routing_key,conversations,closed,first_response_seconds,accept_seconds,resolution_seconds,csat,ratings\n");
        foreach (var r in report.ByRoutingKey.Append(report.Total))
        {
            var key = r.IsTotal ? "(total)" : r.RoutingKey is { Length: > 0 } k ? k : "(none)";
            csv.Append(key).Append(',').Append(r.Conversations).Append(',').Append(r.Closed).Append(',').Append(N(r.FirstResponseSeconds)).Append(',')
                .Append(N(r.AcceptSeconds)).Append(',').Append(N(r.ResolutionSeconds)).Append(',').Append(N(r.Csat)).Append(',').Append(r.Ratings).Append('\n');
        }

        return csv.ToString();
    }
}
