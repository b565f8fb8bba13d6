using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bloonio.Relay.Data.Migrations;

/// <summary>
/// Applies the embedded <c>sql/NNNN_*.sql</c> scripts in order, once each, every script in a transaction with its
/// journal row, under a PostgreSQL advisory lock so nodes starting together take turns.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Any constant works; it only has to be the same on every node ("bloonio" in ASCII).
    private const long LockKey = 0x626C6F6F6E696F;

    public static IReadOnlyList<(string Version, string Name, string Sql)> Scripts()
    {
        var assembly = typeof(MigrationRunner).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n.Split('.')[^2]; // resource names are <Assembly>.sql.<file>.sql
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return (Version: file[..4], Name: file, Sql: reader.ReadToEnd());
            })
            .OrderBy(s => s.Version, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<IReadOnlyList<string>> RunAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@LockKey)", new { LockKey }, cancellationToken: ct));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version     text PRIMARY KEY,
                    name        text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now())
                """, cancellationToken: ct));
            var applied = (await connection.QueryAsync<string>(
                new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: ct))).ToHashSet();

            var done = new List<string>();
            foreach (var script in Scripts().Where(s => !applied.Contains(s.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: tx, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name) VALUES (@Version, @Name)",
                    new { script.Version, script.Name }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Migration}", script.Name);
                done.Add(script.Name);
            }

            return done;
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@LockKey)", new { LockKey }, cancellationToken: CancellationToken.None));
        }
    }
}
