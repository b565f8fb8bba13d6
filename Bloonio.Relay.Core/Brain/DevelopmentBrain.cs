using System.Collections.Concurrent;
using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// The built-in brain of development (SPEC 9): answers from the tenant's FAQ by keyword overlap, escalates on
/// "human", "agent" or "operator" or after two questions it could not answer, and makes <c>dev-…</c> tickets.
/// Its miss counter is per node, which is fine for what it is.
/// </summary>
public sealed class DevelopmentBrain(ITenantRepository tenants) : IBrain
{
    private static readonly string[] HandoffWords = ["human", "agent", "operator"];
    private static readonly char[] Separators = [' ', ',', '.', '?', '!', ';', ':', '\'', '"', '(', ')', '\n', '\t'];
    private readonly ConcurrentDictionary<Guid, int> _misses = new();

    public string Name => "development brain";

    public async Task<BrainReply> ReplyAsync(BrainReplyRequest request, CancellationToken ct)
    {
        var words = Words(request.Text);
        if (HandoffWords.Any(words.Contains))
        {
            return new BrainReply("Let me get a human to help you.", [], true, "visitor asked for a human");
        }

        var faq = (await tenants.GetWithFaqAsync(request.TenantId, ct))?.Configuration.Faq ?? [];
        var best = faq
            .Select(entry => (entry, score: Words(entry.Question).Count(words.Contains)))
            .Where(x => x.score >= Math.Min(2, Words(x.entry.Question).Count))
            .OrderByDescending(x => x.score)
            .FirstOrDefault();
        if (best.entry is not null)
        {
            // The other questions it knows, as buttons ("related questions").
            var related = faq.Where(e => e != best.entry).Take(3).Select(e => new Sessions.QuickReply(e.Question.Length > 80 ? e.Question[..80] : e.Question, "faq")).ToList();
            return new BrainReply(best.entry.Answer, [new BrainSource(best.entry.Question, null)], false, null, related.Count > 0 ? related : null);
        }

        var misses = _misses.AddOrUpdate(request.SessionId, 1, (_, n) => n + 1);
        // The questions it can answer, as buttons: a visitor who does not know what to ask taps one.
        var offered = faq.Take(4).Select(e => new Sessions.QuickReply(e.Question.Length > 80 ? e.Question[..80] : e.Question, "faq")).ToList();
        return misses >= 2
            ? new BrainReply("I could not find an answer; let me get a human to help you.", [], true, "two questions without an answer")
            : new BrainReply("Sorry, I don't know that yet. Could you rephrase, or ask for a human?", [], false, null, offered.Count > 0 ? offered : null);
    }

    public Task<string> CreateTicketAsync(TicketRequest request, CancellationToken ct) =>
        Task.FromResult("dev-" + Guid.CreateVersion7().ToString("N")[^10..]);

    /// <summary>The development brain keeps no transcript: the relay's journal is all there is.</summary>
    public Task PersistAsync(Guid tenantId, Guid sessionId, IReadOnlyList<PersistedMessage> messages, CancellationToken ct) => Task.CompletedTask;

    private static HashSet<string> Words(string text) =>
        text.ToLowerInvariant().Split(Separators, StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 2).ToHashSet();
}
