using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Data.Sessions;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>
/// The group-commit writer hands each batch's outcomes to the callers away from itself: a caller's continuation (its live
/// push and ack) runs on the thread pool, never on the writer, so a slow caller cannot hold up the batches after it.
/// </summary>
public sealed class AppendAckTests : MigratedDatabaseTestBase
{
    [Test]
    public async Task ACallerThatWaitsAfterItsAckDoesNotHoldUpTheNextBatch()
    {
        var tenant = await TenantAsync();
        var (session, visitor) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var db = await DataSource.OpenConnectionAsync())
        {
            await db.ExecuteAsync("""
                INSERT INTO sessions (session_id, tenant_id, visitor_id, mode, resume_token_hash, created_at, updated_at)
                VALUES (@session, @tenant, @visitor, 'bot', @hash, now(), now())
                """, new { session, tenant, visitor, hash = Guid.NewGuid().ToByteArray() });
        }

        await using var store = new SessionTransitionStore(DataSource, new EventCommits());
        NewMessage Message(string text) => new(Guid.CreateVersion7(), new Sender(SenderTypes.Visitor, visitor), text, null, DateTimeOffset.UtcNow);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var (firstAcked, secondAcked) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            new TaskCompletionSource<AppendOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        Task<AppendOutcome> first;
        Task<AppendOutcome?> firstCaller;
        // The session's row is held locked until the first caller's continuation is in place, so the first append cannot
        // be acknowledged before it (the writer puts the append off, then waits for the lock).
        await using (var holder = await DataSource.OpenConnectionAsync())
        await using (var hold = await holder.BeginTransactionAsync())
        {
            await holder.ExecuteAsync("SELECT 1 FROM sessions WHERE session_id = @session FOR UPDATE", new { session }, hold);
            first = store.AppendAsync(tenant, session, Message("one"), Author.Visitor, visitor, timeout.Token);
            // Runs on whichever thread completes the first append, and holds it until the second append is acknowledged:
            // had the writer completed the first append itself, the second would not be written until this gave up.
            firstCaller = first.ContinueWith(_ =>
            {
                firstAcked.SetResult();
                return secondAcked.Task.Wait(TimeSpan.FromSeconds(30)) ? secondAcked.Task.Result : null;
            }, TaskContinuationOptions.ExecuteSynchronously);
            await hold.CommitAsync();
        }

        await firstAcked.Task;
        secondAcked.SetResult(await store.AppendAsync(tenant, session, Message("two"), Author.Visitor, visitor, timeout.Token));

        var seenByFirstCaller = await firstCaller;
        Assert.That(seenByFirstCaller?.Message.Seq, Is.EqualTo(2), "the second append was acknowledged while the first caller waited");
        Assert.That((await first).Message.Seq, Is.EqualTo(1));
    }
}
