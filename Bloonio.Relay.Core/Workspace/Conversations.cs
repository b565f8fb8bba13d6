using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Sessions;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

/// <summary>
/// Conversations of a tenant, newest first, filtered and searched (PostgreSQL full-text search over message text, and the
/// visitor's name, email and user id), a page at a time (an opaque cursor). An operator given <see cref="OperatorId"/>
/// sees only its queues' conversations and those it took part in; the backend sees all.
/// </summary>
public sealed record ListConversationsQuery(Guid TenantId, ConversationFilter Filter, Guid? OperatorId = null)
    : IRequest<ConversationPage>, ITenantScoped;

public sealed class ListConversationsValidator : AbstractValidator<ListConversationsQuery>
{
    public ListConversationsValidator()
    {
        RuleFor(x => x.Filter.Status).Must(s => s is null or SessionStatuses.Open or SessionStatuses.Waiting or SessionStatuses.Assigned or SessionStatuses.Closed)
            .WithMessage("must be open, waiting, assigned or closed").OverridePropertyName("status");
        RuleFor(x => x.Filter.RoutingKey).Must(k => k is null || OperatorRules.IsRoutingKey(k)).WithMessage("is not a routing key")
            .OverridePropertyName("routing_key");
        RuleFor(x => x.Filter.Tag).Must(t => t is null || Tags.IsValid(t)).WithMessage(Tags.Rule).OverridePropertyName("tag");
        RuleFor(x => x.Filter.Q).Must(q => q is null || q.Length <= 200).WithMessage("must be at most 200 characters").OverridePropertyName("q");
        RuleFor(x => x.Filter.Limit).InclusiveBetween(1, 100).When(x => x.Filter.Limit is not null).OverridePropertyName("limit");
        RuleFor(x => x.Filter.Cursor).Must(c => c is null || ConversationCursor.TryParse(c, out _)).WithMessage("is not a cursor from a previous page")
            .OverridePropertyName("cursor");
        RuleFor(x => x.Filter).Must(f => f.From is null || f.To is null || f.From < f.To).WithMessage("from must be before to").OverridePropertyName("from");
    }
}

public sealed class ListConversationsHandler(IWorkspaceRepository workspace, OperatorAccess access) : IRequestHandler<ListConversationsQuery, ConversationPage>
{
    public async Task<ConversationPage> Handle(ListConversationsQuery request, CancellationToken cancellationToken)
    {
        var scope = ConversationScope.Tenant;
        if (request.OperatorId is { } operatorId)
        {
            var membership = await access.RequireAsync(request.TenantId, operatorId, cancellationToken);
            scope = new ConversationScope(membership.RoutingKeys, operatorId);
        }

        return await workspace.ListAsync(request.TenantId, request.Filter, scope, cancellationToken);
    }
}

/// <summary>One conversation in full (journal, notes, assignment history, ticket, tags, visitor context, past sessions).</summary>
public sealed record GetConversationQuery(Guid TenantId, Guid SessionId, Guid? OperatorId = null) : IRequest<ConversationDetail>, ITenantScoped;

public sealed class GetConversationHandler(IWorkspaceRepository workspace, OperatorAccess access) : IRequestHandler<GetConversationQuery, ConversationDetail>
{
    public async Task<ConversationDetail> Handle(GetConversationQuery request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        await Conversations.RequireVisibleAsync(access, request.TenantId, request.OperatorId, detail, cancellationToken);
        return detail;
    }
}

public static class Conversations
{
    /// <summary>An operator restricted to routing keys reaches a conversation of its queues, or one it held; else it is not found.</summary>
    public static async Task RequireVisibleAsync(OperatorAccess access, Guid tenantId, Guid? operatorId, ConversationDetail detail, CancellationToken ct)
    {
        if (operatorId is not { } id)
        {
            return;
        }

        var membership = await access.RequireAsync(tenantId, id, ct);
        if (!OperatorAccess.Serves(membership, detail.Summary.RoutingKey) && detail.Assignments.All(a => a.OperatorId != id))
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }
    }
}

/// <summary>The position after the last conversation of a page: its creation time and id, opaque to clients.</summary>
public static class ConversationCursor
{
    public static string Make(DateTimeOffset createdAt, Guid sessionId) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{createdAt.UtcTicks}:{sessionId:N}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryParse(string cursor, out (DateTimeOffset CreatedAt, Guid SessionId) position)
    {
        position = default;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], out var ticks) && ticks > 0 && ticks < DateTimeOffset.MaxValue.UtcTicks
                && Guid.TryParseExact(parts[1], "N", out var id))
            {
                position = (new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
