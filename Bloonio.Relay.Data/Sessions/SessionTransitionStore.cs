using System.Data;
using System.Threading.Channels;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

/// <summary>
/// Carries out the state machine's decisions, each in one transaction, with one lock order: the session row, its open
/// assignment, the holder's count (a per-operator transaction lock), then the tenant's rows. What to do is asked of
/// <see cref="SessionStateMachine"/> with the snapshot read under those locks; this class only reads and writes.
/// </summary>
public sealed class SessionTransitionStore(NpgsqlDataSource dataSource, EventCommits commits) : ISessionTransitions, IAsyncDisposable
{
    private const int MaxBatch = 128;

    /// <summary>Batches that may put an append off (its session locked elsewhere) before one waits for the lock.</summary>
    private const int MaxDeferrals = 2;

    /// <summary>The unique index that refuses a message repeating its session's client_message_id.</summary>
    private const string RepeatedClientMessageId = "messages_session_id_client_message_id_key";

    private const string BotRepliesSql = """
        INSERT INTO bot_replies (message_id, tenant_id, session_id, seq, created_at)
        SELECT * FROM unnest(@botIds, @botTenants, @botSessions, @botSeqs, @botAts);
        """;

    private static readonly string RepeatsSql = $"""
        SELECT {SessionSql.MessageColumns} FROM messages m
        JOIN unnest(@askedSessions, @askedIds) AS d(session_id, client_message_id) ON m.session_id = d.session_id AND m.client_message_id = d.client_message_id;
        """;

    private static readonly object Deferred = new();

    // One writer: appends are decided in the order they arrived, and batches stay large (two writers were measured
    // slower: half the batch each, twice the transactions, PostgreSQL's CPU per message doubled).
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });

    private Task? _writer;

    public Task<TransitionOutcome?> RunAsync(TransitionCommand command, CancellationToken ct) => DbConflicts.RetryAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var sessionId = command.SessionId ?? await SessionOfAsync(connection, command.TenantId, command.AssignmentId!.Value, ct)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "Assignment not found");
        await using var tx = await connection.BeginTransactionAsync(ct);
        var snapshot = await LockAsync(connection, tx, command.TenantId, sessionId, ct)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        if (command.Trigger == SessionTrigger.Abandon && snapshot.Assignment?.OperatorId is { } assignee)
        {
            snapshot = snapshot with { AssigneeLastSeen = await LastSeenAsync(connection, tx, command.TenantId, assignee, ct) };
        }

        if (command.Holder is { } holder)
        {
            snapshot = snapshot with { TargetOpenAssignments = await CountHeldAsync(connection, tx, command.TenantId, holder, ct) };
        }

        if (SessionStateMachine.Decide(snapshot, command) is not { } transition)
        {
            return null;
        }

        var outcome = await CarryOutAsync(connection, tx, snapshot, transition, command, ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        return outcome;
    });

    /// <summary>
    /// Group commit: appends that arrive while a batch is being written wait for the next one, which writes them all in
    /// one transaction (one fsync). Each is decided on its own (the batch locks all its sessions in id order first), and
    /// acknowledged only after the commit. A batch that fails as a whole is written again one append at a time, so a bad
    /// message fails alone.
    /// </summary>
    public Task<AppendOutcome> AppendAsync(Guid tenantId, Guid sessionId, NewMessage message, Author author, Guid? authorId,
        CancellationToken ct)
    {
        var append = new PendingAppend(tenantId, sessionId, message, author, authorId);
        if (!_appends.Writer.TryWrite(append))
        {
            throw new UnavailableException("This node is shutting down; retry in a few seconds");
        }

        EnsureWriting();
        return append.Done.Task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _appends.Writer.TryComplete();
        if (_writer is { } writing)
        {
            await writing; // what was accepted is written before the node goes
        }
    }

    private void EnsureWriting()
    {
        if (_writer is null)
        {
            lock (_appends)
            {
                _writer ??= Task.Run(WriteAppendsAsync);
            }
        }
    }

    private async Task WriteAppendsAsync()
    {
        // The writer outlives the call that started it: it belongs to no request's trace (each batch has its own span).
        System.Diagnostics.Activity.Current = null;
        // Appends put off by a batch (their session was locked elsewhere) lead the next one, in their order.
        var carried = new List<PendingAppend>();
        while (carried.Count > 0 || await _appends.Reader.WaitToReadAsync())
        {
            var batch = new List<PendingAppend>(carried);
            while (batch.Count < MaxBatch && _appends.Reader.TryRead(out var append))
            {
                batch.Add(append);
            }

            try
            {
                carried = await WriteBatchAsync(batch);
            }
            catch (Exception ex)
            {
                // WriteBatchAsync settles its appends itself; should anything around that throw (a tracing listener), the
                // batch fails here and the writer lives on: a dead writer would leave every later append waiting.
                Complete(batch.Select(a => (a, (object)ex)).ToList());
                carried = [];
            }
        }
    }

    /// <returns>The appends put off to the next batch.</returns>
    private async Task<List<PendingAppend>> WriteBatchAsync(IReadOnlyList<PendingAppend> batch)
    {
        // One span per batch, in the first caller's trace and linked to the others', so a message's trace reaches PostgreSQL.
        using var span = RelayTelemetry.Source.StartActivity("relay.append_batch", System.Diagnostics.ActivityKind.Internal, batch[0].Caller,
            links: batch.Skip(1).Where(a => a.Caller != default).Select(a => new System.Diagnostics.ActivityLink(a.Caller)));
        span?.SetTag("relay.batch.size", batch.Count);
        object[] results;
        try
        {
            try
            {
                results = await DbConflicts.RetryAsync(() => AppendBatchAsync(batch, checkDuplicates: false));
            }
            catch (Exception ex) when (ex is RepeatsToCheck
                                       or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: RepeatedClientMessageId })
            {
                // A client sent again what was stored in an earlier batch (it missed the ack), or a refused append may be
                // such a repeat: the batch is written again, this time reading the stored messages its client_message_ids
                // name, so a retry gets the first ack, even after the session moved on.
                results = await DbConflicts.RetryAsync(() => AppendBatchAsync(batch, checkDuplicates: true));
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            var putOff = new List<PendingAppend>();
            foreach (var append in batch)
            {
                putOff.AddRange(await WriteBatchAsync([append]));
            }

            return putOff;
        }
        catch (Exception ex)
        {
            Complete([(batch[0], ex)]);
            return [];
        }

        var deferred = new List<PendingAppend>();
        var done = new List<(PendingAppend, object)>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is AppendOutcome or Exception)
            {
                done.Add((batch[i], results[i]));
            }
            else
            {
                batch[i].Deferrals++;
                deferred.Add(batch[i]);
            }
        }

        Complete(done);
        return deferred;
    }

    /// <summary>
    /// Hands a batch's outcomes to its callers from one thread-pool work item, where each caller's continuation (its live
    /// push and its ack) runs in turn, and the writer goes on with the next batch at once. One work item per caller was a
    /// thread-pool hop per message, often a thread woken up; P2's p99 was lower this way in every alternated pair of runs
    /// (docs/benchmarks.md). A continuation that has to wait (a slow client's pipe) yields and the next one runs.
    /// </summary>
    private static void Complete(List<(PendingAppend Append, object Result)> done)
    {
        if (done.Count == 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static outcomes =>
        {
            foreach (var (append, result) in outcomes)
            {
                if (result is AppendOutcome outcome)
                {
                    append.Done.TrySetResult(outcome);
                }
                else
                {
                    append.Done.TrySetException((Exception)result);
                }
            }
        }, done, preferLocal: false);
    }

    /// <returns>Per append, its outcome or the domain exception that refuses it.</returns>
    private async Task<object[]> AppendBatchAsync(IReadOnlyList<PendingAppend> batch, bool checkDuplicates)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        try
        {
            return await AppendBatchAsync(connection, batch, checkDuplicates);
        }
        catch (Exception)
        {
            // The batch's transaction is begun and committed in its own statements (below), so it is ended here when a
            // statement failed; a connection that broke is not reused by the pool anyway.
            try
            {
                await connection.ExecuteAsync("ROLLBACK");
            }
            catch (Exception)
            {
                // broken: dropped by the pool
            }

            throw;
        }
    }

    /// <remarks>
    /// BEGIN rides with the first round trip and COMMIT with the last (unless a queue transition follows the writes): two
    /// round trips per batch instead of three. On a busy 2-core machine each round trip is two waits for a CPU, and the
    /// batch's locks are held for all of them.
    /// </remarks>
    /// <param name="checkDuplicates">
    /// Whether to read, before deciding, the stored messages that the batch's client_message_ids name. A repeat is rare (a
    /// client that missed an ack), and the unique index finds it anyway: a batch is first written without that read (one
    /// index probe per message less), and written again with it if the index refused a repeat. Repeats within the batch
    /// are found in memory either way.
    /// </param>
    private async Task<object[]> AppendBatchAsync(NpgsqlConnection connection, IReadOnlyList<PendingAppend> batch, bool checkDuplicates)
    {
        const System.Data.IDbTransaction? tx = null; // begun and committed in SQL: see the remarks
        // A session locked by another transaction (another node's batch, a transition) is skipped, not waited for: its
        // appends go to the next batch, and this one commits the others meanwhile; so two nodes writing in the same
        // sessions do not take turns at each other's commits. An append put off MaxDeferrals times waits for the lock.
        var urgent = batch.Where(a => a.Deferrals >= MaxDeferrals).Select(a => (a.SessionId, a.TenantId)).ToHashSet();
        var waited = urgent.OrderBy(k => k.SessionId).ToArray();
        var skippable = batch.Select(a => (a.SessionId, a.TenantId)).Where(k => !urgent.Contains(k)).Distinct().ToArray();
        var asked = checkDuplicates ? batch.Where(a => a.Message.ClientMessageId is not null).ToList() : [];

        // One round trip: the sessions locked in id order (one order for every batch on every node: those it waits for
        // first, then the others without waiting), their open assignments, the messages that repeat a client_message_id.
        Dictionary<Guid, SessionSnapshot> snapshots;
        Dictionary<(Guid, string), JournalMessage> stored;
        // A statement with nothing to read is left out (most batches wait for no session): each costs PostgreSQL a plan
        // check, a snapshot and its relations' locks, whatever its rows.
        var sessionReads = (waited.Length > 0 ? 1 : 0) + (skippable.Length > 0 ? 1 : 0);
        await using (var read = await connection.QueryMultipleAsync(new CommandDefinition($"""
            BEGIN;
            {(waited.Length > 0 ? LockedSessionsSql("waited", skip: false) + ";" : "")}
            {(skippable.Length > 0 ? LockedSessionsSql("skippable", skip: true) + ";" : "")}
            SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.session_id = ANY(@skippableIds || @waitedIds) AND a.status <> 'closed';
            {(checkDuplicates ? RepeatsSql : "")}
            """,
            new
            {
                waitedIds = waited.Select(k => k.SessionId).ToArray(), waitedTenants = waited.Select(k => k.TenantId).ToArray(),
                skippableIds = skippable.Select(k => k.SessionId).ToArray(), skippableTenants = skippable.Select(k => k.TenantId).ToArray(),
                askedSessions = asked.Select(a => a.SessionId).ToArray(), askedIds = asked.Select(a => a.Message.ClientMessageId!).ToArray(),
            }, tx)))
        {
            var sessions = new List<SessionRow>();
            for (var r = 0; r < sessionReads; r++)
            {
                sessions.AddRange(await read.ReadAsync<SessionRow>());
            }

            snapshots = sessions.ToDictionary(r => r.SessionId, r => new SessionSnapshot(r.ToSession(), null));
            foreach (var assignment in await read.ReadAsync<AssignmentRow>())
            {
                // Read after the locks were taken, without one of its own: no writer changes an assignment without its
                // session's lock. Those of sessions skipped here are not this batch's business.
                if (snapshots.TryGetValue(assignment.SessionId, out var snapshot))
                {
                    snapshots[assignment.SessionId] = snapshot with { Assignment = assignment.ToAssignment() };
                }
            }

            stored = checkDuplicates
                ? (await read.ReadAsync<MessageRow>()).ToDictionary(m => (m.SessionId, m.ClientMessageId!), m => m.ToMessage())
                : [];
        }

        var results = new object[batch.Count];
        var inserts = new List<JournalMessage>();
        var queues = new List<(int Index, SessionSnapshot Snapshot, Transition Queue)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var append = batch[i];
            if (!snapshots.TryGetValue(append.SessionId, out var snapshot) || snapshot.Session.TenantId != append.TenantId)
            {
                // Skipped (locked elsewhere: the next batch), or not there (only a batch that waited can tell).
                results[i] = urgent.Contains((append.SessionId, append.TenantId))
                    ? new NotFoundException(ErrorCodes.SessionNotFound, "Session not found")
                    : Deferred;
                continue;
            }

            var assignee = snapshot.Assignment is { Status: AssignmentStatuses.Assigned } open ? open.OperatorId : null;
            if (append.Message.ClientMessageId is { } clientId && stored.TryGetValue((append.SessionId, clientId), out var first))
            {
                // A retry finds the first message even after the session moved on: what was acknowledged stays acknowledged.
                results[i] = new AppendOutcome(first, Duplicate: true, assignee);
                continue;
            }

            AppendDecision decision;
            try
            {
                decision = SessionStateMachine.Append(snapshot, append.Author, append.AuthorId);
            }
            catch (RelayException refused)
            {
                if (!checkDuplicates && append.Message.ClientMessageId is not null)
                {
                    throw new RepeatsToCheck(); // refused now, but it may repeat one acknowledged before (ended with a ROLLBACK)
                }

                results[i] = refused;
                continue;
            }

            var sender = append.Author == Author.Visitor && append.Message.Sender.DisplayName is null
                ? append.Message.Sender with { DisplayName = snapshot.Session.VisitorDisplayName }
                : append.Message.Sender;
            var message = new JournalMessage(append.Message.MessageId, append.TenantId, append.SessionId, snapshot.Session.LastSeq + 1, sender,
                append.Message.Text, append.Message.ClientMessageId, append.Message.CreatedAt, append.Message.Extras);
            inserts.Add(message);
            if (message.ClientMessageId is { } id)
            {
                stored[(message.SessionId, id)] = message;
            }

            snapshot = snapshot with { Session = snapshot.Session with { LastSeq = message.Seq } };
            if (decision.Queue is { } queue)
            {
                queues.Add((i, snapshot, queue));
                snapshot = snapshot with
                {
                    Session = snapshot.Session with { Status = queue.To },
                    Assignment = new Assignment(Guid.Empty, append.TenantId, append.SessionId, snapshot.Session.RoutingKey, AssignmentStatuses.Waiting,
                        null, message.CreatedAt, null, message.CreatedAt),
                };
            }

            snapshots[append.SessionId] = snapshot;
            results[i] = new AppendOutcome(message, Duplicate: false, decision.Assignee, decision.ToBot);
        }

        if (inserts.Count > 0)
        {
            // The entries, their events and the sessions' last_seq in one round trip.
            var ends = inserts.GroupBy(m => m.SessionId).Select(g => g.MaxBy(m => m.Seq)!).ToList();
            var parameters = new DynamicParameters(new
            {
                endIds = ends.Select(m => m.SessionId).ToArray(), endSeqs = ends.Select(m => m.Seq).ToArray(),
                endAts = ends.Select(m => m.CreatedAt).ToArray(),
            });
            var journal = JournalWriter.InsertManySql(inserts, parameters);
            // The bot's work is stored with the message it answers: a restart or a full lane loses none.
            var toBot = results.OfType<AppendOutcome>().Where(o => o is { ToBot: true, Duplicate: false }).Select(o => o.Message).ToList();
            if (toBot.Count > 0)
            {
                parameters.AddDynamicParams(new
                {
                    botIds = toBot.Select(m => m.MessageId).ToArray(), botTenants = toBot.Select(m => m.TenantId).ToArray(),
                    botSessions = toBot.Select(m => m.SessionId).ToArray(), botSeqs = toBot.Select(m => m.Seq).ToArray(),
                    botAts = toBot.Select(m => m.CreatedAt).ToArray(),
                });
            }

            await connection.ExecuteAsync(new CommandDefinition($"""
                {journal}
                UPDATE sessions s SET last_seq = e.seq, updated_at = e.at FROM unnest(@endIds, @endSeqs, @endAts) AS e(id, seq, at)
                WHERE s.session_id = e.id;
                {(toBot.Count > 0 ? BotRepliesSql : "")}
                {(queues.Count == 0 ? "COMMIT;" : "")}
                """, parameters, tx));
        }

        foreach (var (index, snapshot, queue) in queues)
        {
            var message = ((AppendOutcome)results[index]).Message;
            var command = new TransitionCommand(message.TenantId, SessionTrigger.HumanMessage, message.CreatedAt, message.SessionId);
            var queued = await CarryOutAsync(connection, tx!, snapshot, queue, command, default);
            results[index] = ((AppendOutcome)results[index]) with { CreatedAssignment = queued.After };
        }

        if (inserts.Count == 0 || queues.Count > 0)
        {
            await connection.ExecuteAsync("COMMIT");
        }
        if (inserts.Count > 0)
        {
            commits.Committed(); // never throws: the batch is committed
            foreach (var message in inserts)
            {
                RelayTelemetry.MessageStored(message.TenantId, message.Sender.Type);
            }
        }

        return results;
    }

    /// <summary>Sessions of a batch, locked in id order.</summary>
    private static string LockedSessionsSql(string parameterPrefix, bool skip) => $"""
        SELECT {SessionSql.SessionColumns}
        FROM sessions s JOIN unnest(@{parameterPrefix}Ids, @{parameterPrefix}Tenants) AS k(session_id, tenant_id)
            ON s.session_id = k.session_id AND s.tenant_id = k.tenant_id
        ORDER BY s.session_id FOR UPDATE OF s{(skip ? " SKIP LOCKED" : "")}
        """;

    /// <summary>A batch written without reading for repeats refused an append that names a client_message_id.</summary>
    private sealed class RepeatsToCheck : Exception;

    private sealed record PendingAppend(Guid TenantId, Guid SessionId, NewMessage Message, Author Author, Guid? AuthorId)
    {
        /// <summary>The caller's trace: the batch that writes this append is part of it (or linked to it).</summary>
        public System.Diagnostics.ActivityContext Caller { get; } = System.Diagnostics.Activity.Current?.Context ?? default;

        /// <summary>How many batches put this append off because its session was locked elsewhere.</summary>
        public int Deferrals { get; set; }

        /// <summary>Completed only from <see cref="Complete"/>'s work item, never on the writer: continuations run inline there.</summary>
        public TaskCompletionSource<AppendOutcome> Done { get; } = new();
    }

    private static async Task<Guid?> SessionOfAsync(NpgsqlConnection connection, Guid tenantId, Guid assignmentId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "SELECT session_id FROM assignments WHERE tenant_id = @tenantId AND assignment_id = @assignmentId",
            new { tenantId, assignmentId }, cancellationToken: ct));

    /// <summary>The session row, then its open assignment, both locked until the transaction ends.</summary>
    private static async Task<SessionSnapshot?> LockAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid sessionId, CancellationToken ct)
    {
        var session = await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionSql.SessionColumns} FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId FOR UPDATE",
            new { tenantId, sessionId }, tx, cancellationToken: ct));
        if (session is null)
        {
            return null;
        }

        var assignment = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition(
            $"SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.session_id = @sessionId AND a.status <> 'closed' FOR UPDATE",
            new { sessionId }, tx, cancellationToken: ct));
        return new SessionSnapshot(session.ToSession(), assignment?.ToAssignment());
    }

    private static async Task<DateTimeOffset?> LastSeenAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid operatorId,
        CancellationToken ct) =>
        await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT last_connected_at FROM operator_memberships WHERE tenant_id = @tenantId AND operator_id = @operatorId",
            new { tenantId, operatorId }, tx, cancellationToken: ct)) is { } seen ? DbJson.Utc(seen) : null;

    /// <summary>
    /// How many assignments the operator holds in this tenant, counted under a transaction lock of that operator's, so
    /// two claims for the same operator (on any nodes) count one after the other and max_concurrent is never passed.
    /// </summary>
    private static async Task<int> CountHeldAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid operatorId, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = $"holder:{tenantId}:{operatorId}" }, tx, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM assignments WHERE tenant_id = @tenantId AND operator_id = @operatorId AND status = 'assigned'",
            new { tenantId, operatorId }, tx, cancellationToken: ct));
    }

    /// <summary>Writes what the table row says: the session, its assignment, the notice, the events.</summary>
    private static async Task<TransitionOutcome> CarryOutAsync(IDbConnection connection, IDbTransaction tx, SessionSnapshot snapshot,
        Transition transition, TransitionCommand command, CancellationToken ct)
    {
        var (before, now) = (snapshot.Assignment, command.Now);
        var routingKey = command.Trigger switch
        {
            SessionTrigger.Escalate => command.RoutingKey ?? snapshot.Session.RoutingKey,
            SessionTrigger.TransferToQueue => command.RoutingKey,
            _ => snapshot.Session.RoutingKey,
        };
        var session = (await connection.QuerySingleAsync<SessionRow>(new CommandDefinition($"""
            UPDATE sessions s SET status = @To, mode = CASE WHEN @handBack THEN 'bot' ELSE s.mode END, routing_key = @routingKey,
                ticket_id = COALESCE(@TicketId, s.ticket_id), escalated_at = CASE WHEN @escalate THEN @now ELSE s.escalated_at END,
                closed_at = CASE WHEN @To = 'closed' THEN @now END, last_seq = s.last_seq + CASE WHEN @Notice THEN 1 ELSE 0 END, updated_at = @now
            WHERE s.session_id = @SessionId
            RETURNING {SessionSql.SessionColumns}
            """,
            new
            {
                transition.To, transition.Notice, snapshot.Session.SessionId, routingKey, command.TicketId, now,
                handBack = transition.Trigger == SessionTrigger.HandBack, escalate = transition.Trigger == SessionTrigger.Escalate,
            }, tx, cancellationToken: ct))).ToSession();

        var after = transition switch
        {
            { AssignmentFrom: null, AssignmentTo: null } => null,
            { AssignmentFrom: null } => await InsertWaitingAsync(connection, tx, session, now, ct),
            _ => await UpdateAssignmentAsync(connection, tx, before!, transition, command, ct),
        };

        JournalMessage? notice = null;
        if (transition.Notice)
        {
            var n = command.Notice ?? throw new InvalidOperationException($"{transition.Trigger} writes a notice; none was given");
            notice = new JournalMessage(n.MessageId, session.TenantId, session.SessionId, session.LastSeq, n.Sender, n.Text, null, n.CreatedAt);
            await JournalWriter.InsertAsync(connection, tx, notice, ct);
            RelayTelemetry.MessageStored(session.TenantId, n.Sender.Type); // counted before the commit: a rolled-back notice is rare
        }

        var outcome = new TransitionOutcome(transition, session, before, after, notice);
        foreach (var e in SessionStateMachine.Events(outcome, command, () => Guid.CreateVersion7(now)))
        {
            await EventWriter.AppendAsync(connection, tx, session.TenantId, e, ct);
        }

        return outcome;
    }

    private static async Task<Assignment> InsertWaitingAsync(IDbConnection connection, IDbTransaction tx, Session session, DateTimeOffset now,
        CancellationToken ct)
    {
        var assignment = new Assignment(Guid.CreateVersion7(now), session.TenantId, session.SessionId, session.RoutingKey,
            AssignmentStatuses.Waiting, null, now, null, now);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO assignments (assignment_id, tenant_id, session_id, routing_key, status, waiting_since, created_at)
            VALUES (@AssignmentId, @TenantId, @SessionId, @RoutingKey, 'waiting', @WaitingSince, @CreatedAt)
            """, assignment, tx, cancellationToken: ct));
        return assignment;
    }

    private static async Task<Assignment> UpdateAssignmentAsync(IDbConnection connection, IDbTransaction tx, Assignment before,
        Transition transition, TransitionCommand command, CancellationToken ct)
    {
        var to = transition.AssignmentTo!;
        var toQueue = command.Trigger == SessionTrigger.TransferToQueue;
        return (await connection.QuerySingleAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = @to,
                operator_id = CASE @to WHEN 'assigned' THEN @holder WHEN 'waiting' THEN NULL ELSE a.operator_id END,
                assigned_at = CASE @to WHEN 'assigned' THEN @now WHEN 'waiting' THEN NULL ELSE a.assigned_at END,
                routing_key = CASE WHEN @toQueue THEN @RoutingKey ELSE a.routing_key END,
                waiting_since = CASE WHEN @toQueue THEN @now ELSE a.waiting_since END,
                closed_at = CASE @to WHEN 'closed' THEN @now END,
                resolution = CASE @to WHEN 'closed' THEN @resolution ELSE a.resolution END
            WHERE a.assignment_id = @AssignmentId
            RETURNING {SessionSql.AssignmentColumns}
            """,
            new
            {
                to, holder = command.Holder, now = command.Now, toQueue, command.RoutingKey, before.AssignmentId,
                resolution = SessionStateMachine.Resolution(command),
            }, tx, cancellationToken: ct))).ToAssignment();
    }
}
