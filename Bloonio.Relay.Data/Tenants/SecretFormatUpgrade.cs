using Bloonio.Relay.Core.Security;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Bloonio.Relay.Data.Tenants;

/// <summary>
/// Re-encrypts tenant secrets stored in an older format (AES-GCM without associated data) so each is bound to its tenant,
/// and those under a previous master key (<c>Relay:PreviousMasterKeys</c>) under the current one, at start-up after the
/// migrations. Row by row, each update conditional on the old ciphertext: nodes starting together
/// do it once, and a secret rotated meanwhile is left alone.
/// </summary>
public sealed class SecretFormatUpgrade(NpgsqlDataSource dataSource, ISecretProtector protector, ILogger<SecretFormatUpgrade> logger)
{
    public async Task<int> RunAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(Guid SecretId, Guid TenantId, byte[] Ciphertext)>(new CommandDefinition(
            // Every secret while a master key rotation is in progress; else only those of the old format.
            "SELECT secret_id, tenant_id, ciphertext FROM tenant_secrets WHERE get_byte(ciphertext, 0) = 1 OR @rotating",
            new { rotating = protector.Rotating }, cancellationToken: ct))).ToList();
        var upgraded = 0;
        foreach (var row in rows)
        {
            var current = protector.Upgrade(row.Ciphertext, SecretPurpose.TenantSecret(row.TenantId));
            if (current is not null)
            {
                upgraded += await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE tenant_secrets SET ciphertext = @current WHERE secret_id = @SecretId AND ciphertext = @Ciphertext",
                    new { current, row.SecretId, row.Ciphertext }, cancellationToken: ct));
            }
        }

        if (upgraded > 0)
        {
            logger.LogInformation("Re-encrypted {Count} tenant secrets under the current master key, each bound to its tenant", upgraded);
        }

        return upgraded;
    }
}
