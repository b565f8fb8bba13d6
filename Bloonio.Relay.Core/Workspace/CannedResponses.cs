using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

/// <summary>
/// Canned responses of a tenant: a title, a <c>/shortcut</c>, a text with variables (<c>{{visitor.name}}</c>,
/// <c>{{visitor.email}}</c>, <c>{{operator.name}}</c>), optionally for one routing key's queue only.
/// </summary>
public static partial class CannedText
{
    public const int MaxPerTenant = 500;

    [GeneratedRegex(@"\A[a-z0-9_-]{1,32}\z")]
    private static partial Regex ShortcutShape();

    [GeneratedRegex(@"\{\{\s*(visitor\.name|visitor\.email|operator\.name)\s*\}\}")]
    private static partial Regex Variable();

    public static bool IsShortcut(string? shortcut) => shortcut is not null && ShortcutShape().IsMatch(shortcut);

    /// <summary>The text with its variables filled in; a value that is unknown becomes an empty string, never the braces.</summary>
    public static string Render(string text, string? visitorName, string? visitorEmail, string? operatorName) =>
        Variable().Replace(text, m => m.Groups[1].Value switch
        {
            "visitor.name" => visitorName ?? "",
            "visitor.email" => visitorEmail ?? "",
            _ => operatorName ?? "",
        });
}

/// <summary>
/// The canned responses an operator may use (those of its queues and the tenant-wide ones); with a session, each also
/// comes rendered for it (its visitor, this operator).
/// </summary>
public sealed record ListCannedResponsesQuery(Guid TenantId, Guid? OperatorId = null, Guid? SessionId = null)
    : IRequest<IReadOnlyList<CannedView>>, ITenantScoped;

public sealed record CannedView(Guid CannedId, string Title, string Shortcut, string Text, string? RoutingKey, string? Rendered);

public sealed class ListCannedResponsesHandler(IWorkspaceRepository workspace, OperatorAccess access)
    : IRequestHandler<ListCannedResponsesQuery, IReadOnlyList<CannedView>>
{
    public async Task<IReadOnlyList<CannedView>> Handle(ListCannedResponsesQuery request, CancellationToken cancellationToken)
    {
        var all = await workspace.ListCannedAsync(request.TenantId, cancellationToken);
        OperatorMembership? membership = null;
        if (request.OperatorId is { } id)
        {
            membership = await access.RequireAsync(request.TenantId, id, cancellationToken);
            all = all.Where(c => c.RoutingKey is null || OperatorAccess.Serves(membership, c.RoutingKey)).ToList();
        }

        VisitorView? visitor = null;
        if (request.SessionId is { } sessionId)
        {
            var detail = await workspace.GetAsync(request.TenantId, sessionId, cancellationToken, full: false)
                         ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
            await Conversations.RequireVisibleAsync(access, request.TenantId, request.OperatorId, detail, cancellationToken);
            visitor = detail.Summary.Visitor;
        }

        return all.Select(c => new CannedView(c.CannedId, c.Title, c.Shortcut, c.Text, c.RoutingKey,
            visitor is null ? null : CannedText.Render(c.Text, visitor.DisplayName, visitor.Email, membership?.DisplayName))).ToList();
    }
}

/// <summary>Creates (no id) or replaces (an id) a canned response; the backend API and the console.</summary>
public sealed record SaveCannedResponseCommand(
    Guid TenantId, Guid? CannedId, string? Title, string? Shortcut, [property: MultilineText] string? Text, string? RoutingKey)
    : IRequest<CannedResponse>, ITenantScoped;

public sealed class SaveCannedResponseValidator : AbstractValidator<SaveCannedResponseCommand>
{
    public SaveCannedResponseValidator()
    {
        RuleFor(x => x.Title).Must(t => !string.IsNullOrWhiteSpace(t) && t.Trim().Length <= 120).WithMessage("is required, at most 120 characters");
        RuleFor(x => x.Shortcut).Must(CannedText.IsShortcut).WithMessage("must be 1 to 32 of a-z, 0-9, _ and - (typed after a /)");
        RuleFor(x => x.Text).Must(t => !string.IsNullOrWhiteSpace(t) && t.Length <= 4000).WithMessage("is required, at most 4000 characters");
        RuleFor(x => x.RoutingKey).Must(k => k is null || OperatorRules.IsRoutingKey(k)).WithMessage("is not a routing key");
    }
}

public sealed class SaveCannedResponseHandler(IWorkspaceRepository workspace, TimeProvider clock) : IRequestHandler<SaveCannedResponseCommand, CannedResponse>
{
    public async Task<CannedResponse> Handle(SaveCannedResponseCommand request, CancellationToken cancellationToken)
    {
        if (request.CannedId is { } id && (await workspace.ListCannedAsync(request.TenantId, cancellationToken)).All(c => c.CannedId != id))
        {
            throw new NotFoundException(ErrorCodes.NotFound, "No such canned response");
        }

        var now = clock.GetUtcNow();
        var canned = new CannedResponse(request.CannedId ?? Guid.CreateVersion7(now), request.Title!.Trim(), request.Shortcut!, request.Text!,
            request.RoutingKey, now);
        return await workspace.SaveCannedAsync(request.TenantId, canned, cancellationToken)
               ?? throw new ConflictException(ErrorCodes.Conflict,
                   $"The shortcut /{request.Shortcut} is taken, or the tenant has {CannedText.MaxPerTenant} canned responses already");
    }
}

public sealed record DeleteCannedResponseCommand(Guid TenantId, Guid CannedId) : IRequest<Unit>, ITenantScoped;

public sealed class DeleteCannedResponseHandler(IWorkspaceRepository workspace) : IRequestHandler<DeleteCannedResponseCommand, Unit>
{
    public async Task<Unit> Handle(DeleteCannedResponseCommand request, CancellationToken cancellationToken) =>
        await workspace.DeleteCannedAsync(request.TenantId, request.CannedId, cancellationToken)
            ? Unit.Value
            : throw new NotFoundException(ErrorCodes.NotFound, "No such canned response");
}

/// <summary>The tenant's operators as a transfer dialog shows them: presence, open conversations and capacity, queues.</summary>
public sealed record ListTeammatesQuery(Guid TenantId) : IRequest<IReadOnlyList<TeammateView>>, ITenantScoped;

public sealed record TeammateView(Guid OperatorId, string DisplayName, string? AvatarUrl, string Presence, int Open, int Capacity, IReadOnlyList<string>? RoutingKeys);

public sealed class ListTeammatesHandler(IOperatorRepository operators, IOperatorPresence presence, Tenants.ITenantRepository tenants,
    IAssignmentRepository assignments) : IRequestHandler<ListTeammatesQuery, IReadOnlyList<TeammateView>>
{
    public async Task<IReadOnlyList<TeammateView>> Handle(ListTeammatesQuery request, CancellationToken cancellationToken)
    {
        var tenant = await tenants.GetAsync(request.TenantId, cancellationToken) ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        var members = (await operators.ListAsync(request.TenantId, cancellationToken)).Where(m => m.Active && m.OperatorActive).ToList();
        var online = await presence.GetAsync(request.TenantId, members.Select(m => m.OperatorId).ToList(), cancellationToken);
        var open = (await assignments.ListOperatorLoadAsync(request.TenantId, cancellationToken)).ToDictionary(l => l.OperatorId, l => l.OpenAssignments);
        return members.Select(m => new TeammateView(m.OperatorId, m.DisplayName, m.AvatarUrl, online.GetValueOrDefault(m.OperatorId, Presence.Offline),
                open.GetValueOrDefault(m.OperatorId), Holder.Capacity(m, tenant), m.RoutingKeys))
            .OrderByDescending(t => t.Presence == Presence.Online).ThenBy(t => t.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
    }
}
