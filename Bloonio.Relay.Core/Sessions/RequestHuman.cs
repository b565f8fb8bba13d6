using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>The visitor's "talk to a human": an escalation on behalf of the session in the visitor token.</summary>
public sealed record RequestHumanCommand(Guid TenantId, Guid SessionId, Guid VisitorId, string? Reason) : IRequest<Unit>, ITenantScoped;

public sealed class RequestHumanHandler(ISessionRepository sessions, IMediator mediator) : IRequestHandler<RequestHumanCommand, Unit>
{
    public async Task<Unit> Handle(RequestHumanCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken);
        if (session is null || session.VisitorId != request.VisitorId)
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        await mediator.Send(new EscalateSessionCommand(request.TenantId, request.SessionId, request.Reason ?? "visitor asked for a human"),
            cancellationToken);
        return Unit.Value;
    }
}
