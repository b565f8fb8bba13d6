using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record HandBackAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId) : IRequest<Assignment>, ITenantScoped;

/// <summary>The operator returns the session to the bot (only when the tenant has the bot).</summary>
public sealed class HandBackAssignmentHandler(
    OperatorAccess access, ITenantRepository tenants, ISessionTransitions transitions, IRelayNotifier notifier, TimeProvider clock)
    : IRequestHandler<HandBackAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(HandBackAssignmentCommand request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        if ((await tenants.GetAsync(request.TenantId, cancellationToken))?.Configuration.FeatureFlags.Bot != true)
        {
            throw new ConflictException(ErrorCodes.BotDisabled, "This tenant has no bot to hand back to");
        }

        var now = clock.GetUtcNow();
        var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System), "You are back with our assistant.", null, now);
        var done = (await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.HandBack, now,
            AssignmentId: request.AssignmentId, OperatorId: request.OperatorId, Notice: notice), cancellationToken))!;
        await notifier.MessageAsync(done.Notice!, request.OperatorId, cancellationToken);
        await notifier.SessionStateAsync(request.TenantId, done.Session.SessionId, SessionStatuses.Open, null, null, cancellationToken);
        return done.After!;
    }
}
