using System.Text;
using System.Text.Json;

namespace Bloonio.Relay.Bench;

public sealed record Options(bool Smoke, int Pairs, int Tenants, TimeSpan Warmup, TimeSpan Measure, int IdleConnections, int ReconnectClients,
    TimeSpan Idle, string Output, IReadOnlySet<string>? Only = null, string? Trace = null)
{
    /// <summary>The warm-up of the first window on a server just started (the JIT's optimizing tier is done by then).</summary>
    public TimeSpan FreshWarmup => Smoke ? Warmup : TimeSpan.FromSeconds(Math.Max(15, Warmup.TotalSeconds));

    /// <summary>Whether a scenario runs (<c>--only p1,p5</c> narrows the run; the table then shows what was measured).</summary>
    public bool Runs(string scenario) => Only is null || Only.Contains(scenario);

    public static Options Parse(string[] args)
    {
        var smoke = args.Contains("--smoke");
        int Int(string name, int full, int quick) =>
            Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : smoke ? quick : full;
        return new Options(smoke, Int("--pairs", 50, 10), Int("--tenants", 100, 20), TimeSpan.FromSeconds(Int("--warmup", 3, 1)),
            TimeSpan.FromSeconds(Int("--seconds", 15, 2)), Int("--idle-connections", 1000, 100), Int("--reconnect-clients", 5000, 100),
            TimeSpan.FromSeconds(Int("--idle-seconds", 60, 2)),
            Array.IndexOf(args, "--out") is var o and >= 0 ? args[o + 1] : Path.Combine(Machine.RepositoryRoot(), "bench", "results", "latest.md"),
            Array.IndexOf(args, "--only") is var x and >= 0 ? args[x + 1].Split(',').ToHashSet() : null,
            Array.IndexOf(args, "--trace") is var t and >= 0 ? args[t + 1] : null);
    }
}

/// <summary>The table of figures and ratios, printed and written as markdown (docs/benchmarks.md quotes it).</summary>
public sealed class Report(Options options)
{
    private readonly List<string> _notes = [];
    private readonly List<(int Pairs, double Rate)> _sweep = [];

    public double Rate { get; set; }

    public double P4Rate { get; set; }

    /// <summary>Two nodes with no conversation crossing them (each pair on one node).</summary>
    public Window? P4Local { get; set; }

    public void Note(string note) => _notes.Add(note);

    public void Sweep(int pairs, double rate) => _sweep.Add((pairs, rate));

    public void Print(Window b1, Window b2, Window p1, Window p1Many, (double P50, double P99, long Count) b1Latency,
        (double P50, double P99, long Count) p2, (long Heap, long Rss) b1Idle, (long Heap, long Rss) relayIdle, Window p4,
        (double P50, double P99, long Count) cross, (double P50, double P99, long Count) same, IReadOnlyDictionary<string, double> rest,
        (int Clients, double Seconds, int Failed) p6, double idleCpu, double idleTransactions, double idleStatements)
    {
        static string Us(double seconds) => double.IsNaN(seconds) ? "—" : $"{seconds * 1e6:0}";
        static string Pct(double ratio) => $"{ratio * 100:0.0} %";
        var md = new StringBuilder();
        md.AppendLine("| figure | relay | B1 bare SignalR | B2 raw WebSocket | relay ÷ B1 |");
        md.AppendLine("|---|---|---|---|---|");
        md.AppendLine($"| P1 messages delivered/s, one tenant ({options.Pairs} pairs) | {p1.Rate:0} | {b1.Rate:0} | {b2.Rate:0} | {Pct(p1.Rate / b1.Rate)} |");
        md.AppendLine($"| P1 same, {options.Tenants} tenants (one pair each) | {p1Many.Rate:0} | | | {Pct(p1Many.Rate / b1.Rate)} |");
        md.AppendLine($"| CPU per message, server (µs) | {Us(p1.PerMessage("server"))} | {Us(b1.PerMessage("server"))} | {Us(b2.PerMessage("server"))} | |");
        md.AppendLine($"| CPU per message, PostgreSQL (µs) | {Us(p1.PerMessage("postgres"))} | — | — | |");
        md.AppendLine($"| server + PostgreSQL CPU per message (µs) | {Us(p1.PerMessage("server") + p1.PerMessage("postgres"))} | | | |");
        md.AppendLine($"| PostgreSQL transactions per message | {p1.PerMessage("transactions"):0.00} | | | |");
        md.AppendLine($"| WAL bytes per message (full-page images per 1 000 messages) | {p1.PerMessage("wal"):0} ({p1.PerMessage("fpi") * 1000:0}) | | | |");
        md.AppendLine($"| P2 latency p50 / p99 at {Rate:0} msg/s (ms) | {p2.P50:0.0} / {p2.P99:0.0} | {b1Latency.P50:0.0} / {b1Latency.P99:0.0} | | p99 {p2.P99 / b1Latency.P99:0.00}× |");
        md.AppendLine($"| P3 managed heap per idle connection (KiB) | {relayIdle.Heap / 1024.0:0.0} | {b1Idle.Heap / 1024.0:0.0} | | {relayIdle.Heap / (double)b1Idle.Heap:0.00}× |");
        md.AppendLine($"| P3 RSS per idle connection (KiB) | {relayIdle.Rss / 1024.0:0.0} | {b1Idle.Rss / 1024.0:0.0} | | |");
        md.AppendLine($"| P4 two nodes over Redis (visitor on A, operator on B), msg/s | {p4.Rate:0} | | | {p4.Rate / p1.Rate:0.00}× one node |");
        md.AppendLine($"| P4 CPU per message: two nodes / PostgreSQL / Redis / load generator (µs); one node's P1 | {Us(p4.PerMessage("server"))} / {Us(p4.PerMessage("postgres"))} / {Us(p4.PerMessage("redis"))} / {Us(p4.PerMessage("load"))} | | | {Us(p1.PerMessage("server"))} / {Us(p1.PerMessage("postgres"))} / — / {Us(p1.PerMessage("load"))} |");
        if (P4Local is { Delivered: > 0 } local)
        {
            md.AppendLine($"| P4 diagnostic: two nodes, each pair within one node (no conversation crossing), msg/s; CPU per message: nodes / PostgreSQL / Redis / load generator (µs) | {local.Rate:0}; {Us(local.PerMessage("server"))} / {Us(local.PerMessage("postgres"))} / {Us(local.PerMessage("redis"))} / {Us(local.PerMessage("load"))} | | | {local.Rate / p1.Rate:0.00}× one node |");
        }

        md.AppendLine($"| P4 latency p50 cross-node / same-node at {P4Rate:0} msg/s (ms) | {cross.P50:0.0} / {same.P50:0.0} | | | +{cross.P50 - same.P50:0.0} ms |");
        md.AppendLine($"| P4 latency p99 cross-node / same-node (ms) | {cross.P99:0.0} / {same.P99:0.0} | | | +{cross.P99 - same.P99:0.0} ms |");
        var healthz = rest["healthz"];
        md.AppendLine($"| P5 req/s, 16 at a time: fetch/operator-token | {rest["fetch/operator-token"]:0} | | | {Pct(rest["fetch/operator-token"] / healthz)} of /healthz |");
        md.AppendLine($"| P5 widget/sessions | {rest["widget/sessions"]:0} | | | {Pct(rest["widget/sessions"] / healthz)} of /healthz |");
        md.AppendLine($"| P5 /healthz | {healthz:0} | | | |");
        md.AppendLine($"| P6 {p6.Clients} clients reconnecting after a restart: seconds from the new node's readiness until all are back (failed) | {p6.Seconds:0.0} ({p6.Failed}) | | | |");
        md.AppendLine($"| idle node: CPU; statements/s the relay ran in PostgreSQL | {idleCpu:0.00} %; {idleStatements:0.00} | | | |");
        md.AppendLine($"| idle: PostgreSQL transactions/s in the relay's database (autovacuum off for the window) | {idleTransactions:0.00} | | | |");
        if (_sweep.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Saturation sweep (one tenant, closed loop): " + string.Join(", ", _sweep.Prepend((options.Pairs, p1.Rate))
                .OrderBy(s => s.Pairs).Select(s => $"{s.Pairs} pairs {s.Rate:0} msg/s")));
        }

        md.AppendLine();
        foreach (var note in _notes)
        {
            md.AppendLine($"- {note}");
        }

        Console.WriteLine(md);
        Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
        File.WriteAllText(options.Output, md.ToString());
    }
}
