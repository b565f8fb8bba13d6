using System.Threading.Channels;
using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Data.Common;

/// <summary>
/// Group commit's plumbing: what callers ask for while a batch is being written waits for the next batch, which one
/// writer (so batches stay large) hands to <paramref name="writeBatch"/> — one statement and one commit for all. The
/// batch writer settles each item's <see cref="Pending{TResult}.Done"/>. On disposal, what was accepted is written
/// before the node goes; after it, callers are told to retry (the node is stopping).
/// </summary>
public sealed class GroupCommit<TItem>(int maxBatch, Func<List<TItem>, Task> writeBatch) : IAsyncDisposable
    where TItem : IGroupCommitItem
{
    private readonly Channel<TItem> _items = Channel.CreateUnbounded<TItem>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _writer;

    public void Add(TItem item)
    {
        if (!_items.Writer.TryWrite(item))
        {
            throw new UnavailableException("This node is shutting down; retry in a few seconds");
        }

        EnsureWriter();
    }

    public async ValueTask DisposeAsync()
    {
        _items.Writer.TryComplete();
        // An item accepted just before the completion is written even if its caller had not started the writer yet.
        await EnsureWriter();
    }

    private Task EnsureWriter()
    {
        if (_writer is null)
        {
            lock (_items)
            {
                _writer ??= Task.Run(WriteAsync);
            }
        }

        return _writer;
    }

    private async Task WriteAsync()
    {
        System.Diagnostics.Activity.Current = null; // the writer belongs to no request's trace
        while (await _items.Reader.WaitToReadAsync())
        {
            var batch = new List<TItem>();
            while (batch.Count < maxBatch && _items.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                await writeBatch(batch);
            }
            catch (Exception ex)
            {
                // The batch writer settles its items; if it could not, they fail here and the writer goes on.
                foreach (var item in batch)
                {
                    item.Fail(ex);
                }
            }
        }
    }
}

/// <summary>An item a group commit can fail when its batch writer could not settle it.</summary>
public interface IGroupCommitItem
{
    void Fail(Exception exception);
}

/// <summary>An item of a group commit, settled once its batch is committed (or has failed).</summary>
public abstract record Pending<TResult> : IGroupCommitItem
{
    public TaskCompletionSource<TResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Fail(Exception exception) => Done.TrySetException(exception);
}
