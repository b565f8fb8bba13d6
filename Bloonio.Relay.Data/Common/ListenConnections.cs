using Npgsql;

namespace Bloonio.Relay.Data.Common;

/// <summary>
/// Makes the node's dedicated, unpooled connections (the notification listener). Built from the configured connection
/// string itself: a data source's <c>ConnectionString</c> has its password removed, so it cannot open one where the
/// server asks for a password.
/// </summary>
public sealed class ListenConnections(string connectionString)
{
    public NpgsqlConnection Create() =>
        new(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, KeepAlive = 15 }.ConnectionString);
}
