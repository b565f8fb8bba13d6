using System.Runtime.CompilerServices;
using Dapper;

namespace Bloonio.Relay.Data.Common;

/// <summary>
/// Dapper maps snake_case columns to the rows' PascalCase members. Set when this assembly loads, not by the service
/// registration: a store built without it (a test, a tool) read every row with empty members, and Dapper cached that
/// mapping for the row type, so later readers in the same process read empty rows too.
/// </summary>
internal static class DapperConventions
{
#pragma warning disable CA2255 // the data layer's own convention, needed before any of its types reads a row
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply() => DefaultTypeMap.MatchNamesWithUnderscores = true;
}
