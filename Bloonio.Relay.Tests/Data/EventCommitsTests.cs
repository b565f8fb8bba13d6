using Bloonio.Relay.Data.Events;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>A commit's wake-up is a hint: a listener that throws neither reaches the writer (whose transaction is
/// committed) nor keeps the others from being woken.</summary>
public sealed class EventCommitsTests
{
    [Test]
    public void AThrowingListenerNeitherReachesTheWriterNorSilencesTheOthers()
    {
        var commits = new EventCommits();
        var woken = 0;
        commits.Subscribe(() => throw new InvalidOperationException("a broken listener"));
        commits.Subscribe(() => woken++);

        Assert.DoesNotThrow(commits.Committed);
        Assert.That(woken, Is.EqualTo(1));
    }
}
