namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// Carries out <see cref="SessionStateMachine"/>'s decisions. Every method is one transaction that takes its locks in
/// one order: the session row, then its open assignment, then (when an operator is to hold the assignment) that
/// operator's count in the tenant, then the tenant's rows (month counter, event sequence). Deadlocks and serialization
/// failures are retried a bounded number of times; then the caller gets a 409 <c>conflict</c>.
/// </summary>
public interface ISessionTransitions
{
    /// <summary>The transition asked for, decided under the locks; null when there was nothing to do.</summary>
    Task<TransitionOutcome?> RunAsync(TransitionCommand command, CancellationToken ct);

    /// <summary>
    /// Appends to the journal: the next seq, or the first message again for a repeated client_message_id (stored
    /// nothing). Who may write, who hears it live and whether the human queue starts are decided under the session's
    /// lock (<see cref="SessionStateMachine.Append"/>).
    /// </summary>
    Task<AppendOutcome> AppendAsync(Guid tenantId, Guid sessionId, NewMessage message, Author author, Guid? authorId, CancellationToken ct);
}
