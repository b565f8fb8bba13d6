namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// Bot replies run off the visitor's request path: Send acknowledges once the message (and its bot work, a row in the
/// same transaction) is stored, and a slow or dead brain never holds a hub call (nor the human lane).
/// </summary>
public interface IBotLane
{
    /// <summary>Bot work was committed on this node: look for it now rather than at the next poll.</summary>
    void Wake();
}

/// <summary>One visitor message for the bot to answer, leased by one worker until <c>leased_until</c>.</summary>
public sealed record BotReplyJob(Guid MessageId, Guid TenantId, Guid SessionId, int Seq, string Text, DateTimeOffset CreatedAt, int Attempts);

public interface IBotReplyStore
{
    /// <summary>Leases the oldest unleased (or expired) jobs, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<BotReplyJob>> LeaseAsync(int limit, DateTimeOffset now, DateTimeOffset leasedUntil, CancellationToken ct);

    /// <summary>Answered, escalated, or no longer the bot's: the job is done.</summary>
    Task CompleteAsync(Guid messageId, CancellationToken ct);

    /// <summary>Gives a job back at once (this node is stopping), for another node to take.</summary>
    Task ReleaseAsync(Guid messageId, CancellationToken ct);

    Task<int> PendingAsync(CancellationToken ct);
}
