using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>What the hubs send and receive (snake_case in the JSON protocol), per SPEC 6.</summary>
/// <param name="QuickReply">When the visitor tapped a quick reply: the message that offered it and the reply's value.</param>
public sealed record SendArgs(string? ClientMessageId, string? Text, QuickReplyArgs? QuickReply = null, IReadOnlyList<Guid>? Attachments = null);

public sealed record QuickReplyArgs(Guid MessageId, string? Value);

public sealed record OperatorSendArgs(Guid SessionId, string? ClientMessageId, string? Text, IReadOnlyList<Guid>? Attachments = null);

public sealed record HistoryArgs(int AfterSeq, int? Limit);

public sealed record OperatorHistoryArgs(Guid SessionId, int AfterSeq, int? Limit);

public sealed record RequestHumanArgs(string? Reason);

public sealed record AvailabilityArgs(string? Status);

public sealed record TypingArgs(bool IsTyping, Guid? SessionId = null);

public sealed record MarkReadArgs(int Seq, Guid? SessionId = null);

public sealed record AssignmentArgs(Guid AssignmentId);

public sealed record TransferArgs(Guid AssignmentId, string? RoutingKey, Guid? OperatorId);

public sealed record CloseArgs(Guid AssignmentId, string? Resolution);

public sealed record ConversationsArgs(
    string? Status = null, string? RoutingKey = null, Guid? OperatorId = null, string? Tag = null, DateTimeOffset? From = null,
    DateTimeOffset? To = null, string? Q = null, string? Cursor = null, int? Limit = null, bool? Offline = null)
{
    public Core.Workspace.ConversationFilter ToFilter() => new(Status, RoutingKey, OperatorId, Tag, From, To, Q, Cursor, Limit, Offline);
}

public sealed record SessionArgs(Guid SessionId);

public sealed record RateArgs(int? Score, string? Comment);

public sealed record TagsArgs(Guid SessionId, List<string?>? Tags);

public sealed record NoteArgs(Guid SessionId, string? Text);

public sealed record CannedArgs(Guid? SessionId = null);

public sealed record ViewingArgs(Guid SessionId, bool Viewing, bool Typing = false);

/// <param name="Sources">Links under the message (a bot's sources); absent when none.</param>
/// <param name="QuickReplies">Buttons the visitor can tap; absent when none.</param>
/// <param name="InReplyTo">The quick reply this visitor message is.</param>
/// <param name="Attachments">Files sent with the message (their bytes through the attachment link endpoints); absent when none.</param>
public sealed record MessageEvent(
    Guid MessageId, Guid SessionId, int Seq, SenderView Sender, string Text, DateTimeOffset CreatedAt, string? ClientMessageId,
    IReadOnlyList<MessageLink>? Sources = null, IReadOnlyList<QuickReply>? QuickReplies = null, QuickReplyRef? InReplyTo = null,
    IReadOnlyList<Core.Attachments.AttachmentRef>? Attachments = null)
{
    public static MessageEvent From(JournalMessage m) => new(m.MessageId, m.SessionId, m.Seq,
        new SenderView(m.Sender.Type, m.Sender.Id, m.Sender.DisplayName), m.Text, m.CreatedAt, m.ClientMessageId,
        m.Extras?.Sources, m.Extras?.QuickReplies, m.Extras?.InReplyTo, m.Extras?.Attachments);
}

public sealed record SenderView(string Type, Guid? Id, string? DisplayName);

public sealed record SessionStateEvent(
    Guid SessionId, string Status, int? QueuePosition, SessionOperator? Operator, int? EstimatedWaitSeconds = null);

/// <param name="VisitorDisplayName">With the visitor's email, verification and first message: what a queue card shows (hub lists and events).</param>
public sealed record AssignmentView(
    Guid AssignmentId, Guid SessionId, string? RoutingKey, string Status, Guid? OperatorId, DateTimeOffset WaitingSince,
    string? VisitorDisplayName = null, string? VisitorEmail = null, bool? VisitorVerified = null, string? Preview = null,
    string? OperatorDisplayName = null)
{
    public static AssignmentView From(Assignment a) => new(a.AssignmentId, a.SessionId, a.RoutingKey, a.Status, a.OperatorId, a.WaitingSince);

    public static AssignmentView From(Assignment a, IReadOnlyDictionary<Guid, Core.Workspace.QueueCard> cards) =>
        cards.TryGetValue(a.SessionId, out var c)
            ? From(a) with
            {
                VisitorDisplayName = c.VisitorDisplayName, VisitorEmail = c.VisitorEmail, VisitorVerified = c.Verified, Preview = c.Preview,
                OperatorDisplayName = c.OperatorDisplayName,
            }
            : From(a);
}

public sealed record AssignmentRemovedEvent(Guid AssignmentId, string Reason);
