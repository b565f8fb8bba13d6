using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;

namespace Bloonio.Relay.Core.Attachments;

/// <summary>Who asks: the session's visitor (its token), an operator of the tenant, or the tenant's backend.</summary>
public sealed record Participant(string Type, Guid? Id = null, Guid? SessionId = null)
{
    public static Participant Visitor(Guid visitorId, Guid sessionId) => new(UploaderTypes.Visitor, visitorId, sessionId);

    public static Participant Operator(Guid operatorId) => new(UploaderTypes.Operator, operatorId);

    public static readonly Participant Backend = new(UploaderTypes.Backend);
}

/// <summary>
/// A conversation's participants only: the visitor of that session, operators who serve its queue (or tenant-wide), the
/// backend. To anyone else the session (and its attachments) does not exist: 404, never 403.
/// </summary>
public sealed class AttachmentAccess(ISessionRepository sessions, OperatorAccess operators)
{
    public async Task<Session> RequireSessionAsync(Guid tenantId, Guid sessionId, Participant who, CancellationToken ct)
    {
        var session = await sessions.GetAsync(tenantId, sessionId, ct);
        var allowed = session is not null && who.Type switch
        {
            UploaderTypes.Visitor => who.SessionId == sessionId,
            UploaderTypes.Operator => OperatorAccess.Serves(await operators.RequireAsync(tenantId, who.Id!.Value, ct), session.RoutingKey),
            _ => true,
        };
        return allowed ? session! : throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
    }
}

/// <summary>An attachment for one of its conversation's participants (to hand them a download link).</summary>
public sealed record GetAttachmentQuery(Guid TenantId, Guid AttachmentId, Participant Who) : IRequest<Attachment>, ITenantScoped;

public sealed class GetAttachmentHandler(IAttachmentRepository attachments, AttachmentAccess access) : IRequestHandler<GetAttachmentQuery, Attachment>
{
    public async Task<Attachment> Handle(GetAttachmentQuery request, CancellationToken cancellationToken)
    {
        var attachment = await attachments.FindAsync(request.TenantId, request.AttachmentId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.NotFound, "Attachment not found");
        try
        {
            await access.RequireSessionAsync(request.TenantId, attachment.SessionId, request.Who, cancellationToken);
        }
        catch (NotFoundException)
        {
            throw new NotFoundException(ErrorCodes.NotFound, "Attachment not found");
        }

        return attachment;
    }
}
