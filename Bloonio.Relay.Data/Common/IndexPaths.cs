namespace Bloonio.Relay.Data.Common;

/// <summary>
/// Planner settings a transaction takes for itself (<c>set_config(…, true)</c>, undone at its end), for a statement that must
/// read through its indexes whatever the estimates: on a young or busy table the statistics lag, and a guess can scan or
/// hash a whole table. Select them before the statement, in the same transaction (a statement is planned before it runs).
/// </summary>
internal static class IndexPaths
{
    /// <summary>No sequential scan, and no bitmap scan (which, unlike an index scan, does not mark dead entries it finds).</summary>
    public const string NoScans = "set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)";

    /// <summary>Every join a nested loop of index probes.</summary>
    public const string NoHashOrMergeJoins = "set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)";
}
