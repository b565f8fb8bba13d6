using Bloonio.Relay.Core.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Common;

public sealed class WorkLeases(NpgsqlDataSource dataSource) : IWorkLeases
{
    /// <summary>This process, as a lease holder.</summary>
    private readonly string _holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    public async Task<bool> TryAcquireAsync(string name, TimeSpan ttl, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool?>(new CommandDefinition("""
            INSERT INTO work_leases (name, holder, until) VALUES (@name, @holder, now() + @ttl)
            ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, until = EXCLUDED.until
            WHERE work_leases.until <= now() OR work_leases.holder = EXCLUDED.holder
            RETURNING true
            """, new { name, holder = _holder, ttl }, cancellationToken: ct)) == true;
    }
}
