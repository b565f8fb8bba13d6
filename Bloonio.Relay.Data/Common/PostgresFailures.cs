using System.Net.Sockets;
using Bloonio.Relay.Core.Common;
using Npgsql;

namespace Bloonio.Relay.Data.Common;

/// <summary>PostgreSQL unreachable, restarting or refusing connections: an outage, not a bug.</summary>
public sealed class PostgresFailures : IDependencyFailures
{
    public const string PostgreSql = "PostgreSQL";

    string? IDependencyFailures.Cause(Exception exception) => Cause(exception);

    public static string? Cause(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg when IsUnavailable(pg.SqlState):
                    return PostgreSql;
                case PostgresException:
                    return null; // PostgreSQL answered: a constraint, a bug, not an outage
                case NpgsqlException { IsTransient: true }:
                case NpgsqlException { InnerException: SocketException or IOException or TimeoutException }:
                    return PostgreSql;
            }
        }

        return null;
    }

    // 08: connection exceptions; 57P01–57P03: shut down, crashed, not yet accepting connections; 53300: too many
    // connections. Deadlocks and serialization failures are not outages (DbConflicts retries them).
    private static bool IsUnavailable(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState is "57P01" or "57P02" or "57P03" or "53300";
}
