using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

public static partial class Tags
{
    public const int MaxPerSession = 20;
    public const string Rule = "must be 1 to 32 of a-z, 0-9, _ . : - (starting with a letter or digit)";

    [GeneratedRegex(@"\A[a-z0-9][a-z0-9_.:-]{0,31}\z")]
    private static partial Regex Shape();

    public static bool IsValid(string tag) => Shape().IsMatch(tag);

    /// <summary>Trimmed, lower-cased, without duplicates, in order.</summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string?> tags) =>
        tags.Where(t => t is not null).Select(t => t!.Trim().ToLowerInvariant()).Distinct().ToList();
}

/// <summary>Replaces a session's tags (operators of its queue, the backend); webhooks and the feed get <c>session.tagged</c>.</summary>
public sealed record SetTagsCommand(Guid TenantId, Guid SessionId, IReadOnlyList<string?>? Tags, Guid? OperatorId = null)
    : IRequest<IReadOnlyList<string>>, ITenantScoped;

public sealed class SetTagsValidator : AbstractValidator<SetTagsCommand>
{
    public SetTagsValidator()
    {
        RuleFor(x => x.Tags).NotNull().WithMessage("is required (an empty list removes every tag)")
            .Must(t => t is null || t.Count <= Tags.MaxPerSession).WithMessage($"must have at most {Tags.MaxPerSession} tags");
        RuleForEach(x => x.Tags).Must(t => t is not null && Tags.IsValid(t.Trim().ToLowerInvariant())).WithMessage(Tags.Rule);
    }
}

public sealed class SetTagsHandler(IWorkspaceRepository workspace, OperatorAccess access, TimeProvider clock)
    : IRequestHandler<SetTagsCommand, IReadOnlyList<string>>
{
    public async Task<IReadOnlyList<string>> Handle(SetTagsCommand request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken, full: false)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        await Conversations.RequireVisibleAsync(access, request.TenantId, request.OperatorId, detail, cancellationToken);
        var tags = Tags.Normalize(request.Tags!);
        return await workspace.SetTagsAsync(request.TenantId, request.SessionId, tags, clock.GetUtcNow(), cancellationToken)
            ? tags
            : throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
    }
}

/// <summary>
/// An internal note: operators only. Stored beside the journal (after its current last message), never pushed to the
/// visitor, never in the visitor's History, never sent to the brain; <c>note.created</c> for webhooks and the feed.
/// </summary>
public sealed record AddNoteCommand(Guid TenantId, Guid SessionId, [property: MultilineText] string? Text, Guid? OperatorId = null)
    : IRequest<Note>, ITenantScoped;

public sealed class AddNoteValidator : AbstractValidator<AddNoteCommand>
{
    public AddNoteValidator() =>
        RuleFor(x => x.Text).Must(t => !string.IsNullOrWhiteSpace(t) && t.Length <= 4000).WithMessage("is required, at most 4000 characters");
}

public sealed class AddNoteHandler(IWorkspaceRepository workspace, OperatorAccess access, Sessions.IRelayNotifier notifier, TimeProvider clock)
    : IRequestHandler<AddNoteCommand, Note>
{
    public async Task<Note> Handle(AddNoteCommand request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken, full: false)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        await Conversations.RequireVisibleAsync(access, request.TenantId, request.OperatorId, detail, cancellationToken);
        var author = request.OperatorId is { } id ? (await access.RequireAsync(request.TenantId, id, cancellationToken)).DisplayName : null;
        var note = await workspace.AddNoteAsync(request.TenantId, request.SessionId, request.OperatorId, author, request.Text!.Trim(), clock.GetUtcNow(),
                       cancellationToken)
                   ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        // Live to the operators who may have it open (its queue, its holder); never to the visitor.
        await notifier.ToSessionOperatorsAsync(request.TenantId, detail.Summary.RoutingKey, detail.Summary.OperatorId, "note", note, cancellationToken);
        return note;
    }
}
