using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Core.Attachments;

/// <summary>
/// Attachments sent with a message: taken for that send (all or none; a retried send with the same client message id
/// takes them again), given back if the send is refused. At most <see cref="Max"/> per message.
/// </summary>
public sealed class MessageAttachments(IAttachmentRepository attachments)
{
    public const int Max = 10;

    /// <summary>What a send took: the attachments it carries, and those it took now (to give back if the send fails).</summary>
    public sealed record Taken(IReadOnlyList<AttachmentRef>? Refs, IReadOnlyList<Guid> Fresh, string Claim)
    {
        public static Taken None(string claim) => new(null, [], claim);
    }

    public async Task<Taken> TakeAsync(Guid tenantId, Guid sessionId, Participant who, IReadOnlyList<Guid>? ids, string claim, CancellationToken ct)
    {
        if (ids is not { Count: > 0 })
        {
            return Taken.None(claim);
        }

        var taken = await attachments.ClaimAsync(tenantId, sessionId, who.Type, who.Id, ids, claim, ct)
            ?? throw new ValidationFailedException([new FieldError("attachments",
                "must be files you uploaded into this conversation and have not sent with another message")]);
        return new Taken(taken.Taken.Select(a => a.ToRef()).ToList(), taken.Fresh, claim);
    }

    /// <summary>
    /// Gives back what a failed send took now; what an earlier attempt of the same send (same claim) took stays, since
    /// that attempt's message may be stored. Never throws: the send's own failure is the one to report.
    /// </summary>
    public async Task ReleaseAsync(Guid tenantId, Taken taken)
    {
        if (taken.Fresh.Count == 0)
        {
            return;
        }

        try
        {
            await attachments.ReleaseAsync(tenantId, taken.Fresh, taken.Claim, CancellationToken.None);
        }
        catch (Exception)
        {
            // the database away: the files stay taken by this claim (a retry of the same send takes them again)
        }
    }

    /// <summary>A message that is only attachments reads as their names (in transcripts, search and notifications).</summary>
    public static string TextOf(string? text, IReadOnlyList<AttachmentRef>? sent) =>
        string.IsNullOrWhiteSpace(text) && sent is { Count: > 0 } ? string.Join(", ", sent.Select(a => a.Name)) : text!.Trim();

    /// <summary>The claim of a send: its client message id (a retry is the same send), else one of its own.</summary>
    public static string ClaimOf(string? clientMessageId) => clientMessageId ?? Guid.NewGuid().ToString("N");
}

/// <summary>
/// Retention: attachments go with the journal of their conversation (closed before the cutoff), bytes first, in
/// batches of 200, at most 10 per pass.
/// </summary>
public sealed class AttachmentRetention(IAttachmentRepository attachments, IAttachmentStorage storage)
{
    public async Task<int> PurgeAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        var purged = 0;
        for (var batch = 0; batch < 10; batch++)
        {
            var expired = await attachments.ExpiredAsync(cutoff, 200, ct);
            if (expired.Count == 0)
            {
                break;
            }

            await storage.DeleteAsync(expired.SelectMany(a => new[] { a.StorageKey, a.ThumbnailKey }).ToList(), ct);
            await attachments.DeleteAsync(expired.Select(a => a.AttachmentId).ToList(), ct);
            purged += expired.Count;
        }

        return purged;
    }
}
