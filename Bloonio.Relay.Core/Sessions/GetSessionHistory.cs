using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>The journal after <c>after_seq</c>, in order, for a reconnecting visitor or operator (and the backend API).</summary>
/// <param name="OperatorId">When an operator asks, the session must be assigned to it (else not found).</param>
public sealed record GetSessionHistoryQuery(Guid TenantId, Guid SessionId, int AfterSeq, int? Limit, Guid? OperatorId = null)
    : IRequest<IReadOnlyList<JournalMessage>>, ITenantScoped;

public sealed class GetSessionHistoryValidator : AbstractValidator<GetSessionHistoryQuery>
{
    public GetSessionHistoryValidator()
    {
        RuleFor(x => x.AfterSeq).GreaterThanOrEqualTo(0).WithMessage("must be 0 or more");
        RuleFor(x => x.Limit).InclusiveBetween(1, SessionRules.MaxHistoryPage).WithMessage($"must be between 1 and {SessionRules.MaxHistoryPage}");
    }
}

public sealed class GetSessionHistoryHandler(ISessionRepository sessions, Assignments.IAssignmentRepository assignments)
    : IRequestHandler<GetSessionHistoryQuery, IReadOnlyList<JournalMessage>>
{
    public async Task<IReadOnlyList<JournalMessage>> Handle(GetSessionHistoryQuery request, CancellationToken cancellationToken)
    {
        if (request.OperatorId is { } op
            && (await assignments.FindOpenForSessionAsync(request.TenantId, request.SessionId, cancellationToken))?.OperatorId != op)
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        _ = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        return await sessions.ListMessagesAsync(request.TenantId, request.SessionId, request.AfterSeq,
            request.Limit ?? SessionRules.MaxHistoryPage, cancellationToken);
    }
}
