using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Docs;

/// <summary>docs/state-machine.md shows the transition table the code runs, not a copy that drifts.</summary>
public sealed class StateMachineDocTests
{
    private const string Begin = "<!-- transitions: generated from SessionStateMachine.Table; StateMachineDocTests checks it -->";
    private const string End = "<!-- /transitions -->";

    [Test]
    public void TheDocumentedTableIsTheCodesTable()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot(), "docs", "state-machine.md"));
        var start = doc.IndexOf(Begin, StringComparison.Ordinal);
        var end = doc.IndexOf(End, StringComparison.Ordinal);
        Assert.That(start >= 0 && end > start, Is.True, $"docs/state-machine.md needs the markers {Begin} … {End}");
        var documented = doc[(start + Begin.Length)..end].Trim();
        Assert.That(documented, Is.EqualTo(SessionStateMachine.ToMarkdown()),
            "docs/state-machine.md is out of date; put this between the markers:\n" + SessionStateMachine.ToMarkdown());
    }

    [Test]
    public void EveryTriggerHasARowAndEveryRowIsReachable()
    {
        Assert.That(SessionStateMachine.Table.Select(t => t.Trigger).Distinct(), Is.EquivalentTo(Enum.GetValues<SessionTrigger>()));
        Assert.That(SessionStateMachine.Table.GroupBy(t => (t.Trigger, t.From)).Where(g => g.Count() > 1), Is.Empty,
            "one row per (trigger, status): the table is a function");
    }
}
