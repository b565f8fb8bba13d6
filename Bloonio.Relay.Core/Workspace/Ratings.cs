using System.Text;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

public sealed record Rating(Guid SessionId, int Score, string? Comment, DateTimeOffset UpdatedAt);

/// <summary>
/// The visitor rates an ended conversation, 1 to 5 with an optional comment (changeable: the last one counts).
/// <c>session.rated</c> carries the rating and the transcript, for the tenant to email it.
/// </summary>
public sealed record RateSessionCommand(Guid TenantId, Guid SessionId, int? Score, [property: MultilineText] string? Comment)
    : IRequest<Rating>, ITenantScoped;

public sealed class RateSessionValidator : AbstractValidator<RateSessionCommand>
{
    public RateSessionValidator()
    {
        RuleFor(x => x.Score).NotNull().InclusiveBetween(1, 5).WithMessage("must be 1 to 5");
        RuleFor(x => x.Comment).Must(c => c is null || c.Length <= 1000).WithMessage("must be at most 1000 characters");
    }
}

public sealed class RateSessionHandler(IWorkspaceRepository workspace, TimeProvider clock) : IRequestHandler<RateSessionCommand, Rating>
{
    public async Task<Rating> Handle(RateSessionCommand request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        if (detail.Summary.Status != SessionStatuses.Closed)
        {
            throw new ConflictException(ErrorCodes.Conflict, "A conversation is rated once it has ended");
        }

        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        return await workspace.RateAsync(request.TenantId, request.SessionId, request.Score!.Value, comment,
            Transcripts.Lines(detail.Messages), clock.GetUtcNow(), cancellationToken);
    }
}

/// <summary>The conversation as text, for the visitor to download (the journal as it is now, retention applied).</summary>
public sealed record GetTranscriptQuery(Guid TenantId, Guid SessionId) : IRequest<string>, ITenantScoped;

public sealed class GetTranscriptHandler(IWorkspaceRepository workspace) : IRequestHandler<GetTranscriptQuery, string>
{
    public async Task<string> Handle(GetTranscriptQuery request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        var text = new StringBuilder();
        foreach (var line in Transcripts.Lines(detail.Messages))
        {
            text.Append(line.CreatedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture)).Append("  ")
                .Append(line.Sender).Append(": ").AppendLine(line.Text);
        }

        return text.ToString();
    }
}

public sealed record TranscriptLine(int Seq, string SenderType, string Sender, string Text, DateTimeOffset CreatedAt);

public static class Transcripts
{
    public const int MaxLines = 500;

    /// <summary>The visitor's view of the journal: what they saw, named as they saw it (no internal notes, never).</summary>
    public static IReadOnlyList<TranscriptLine> Lines(IReadOnlyList<JournalMessage> messages) =>
        messages.TakeLast(MaxLines).Select(m => new TranscriptLine(m.Seq, m.Sender.Type, m.Sender.Type switch
        {
            SenderTypes.Visitor => "You",
            SenderTypes.Bot => m.Sender.DisplayName ?? "Assistant",
            SenderTypes.Operator => m.Sender.DisplayName ?? "Agent",
            _ => "—",
        }, m.Text, m.CreatedAt.ToUniversalTime())).ToList();
}
