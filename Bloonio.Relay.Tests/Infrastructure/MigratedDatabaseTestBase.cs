using Dapper;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// A fixture with a freshly migrated database of its own, for tests of the data layer that write rows no relay would
/// (a stray queue entry, events committed and not numbered); dropped after the fixture.
/// </summary>
public abstract class MigratedDatabaseTestBase
{
    private string _connectionString = "";

    protected NpgsqlDataSource DataSource { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task CreateMigratedDatabaseAsync()
    {
        _connectionString = await TestDatabase.CreateExtraAsync(GetType().Name.ToLowerInvariant());
        await TestDatabase.MigrateAsync(_connectionString);
        DataSource = NpgsqlDataSource.Create(_connectionString);
    }

    /// <summary>A tenant row, nothing else.</summary>
    protected async Task<Guid> TenantAsync()
    {
        var tenant = Guid.NewGuid();
        await using var db = await DataSource.OpenConnectionAsync();
        await db.ExecuteAsync("INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (@tenant, 'x', now(), now())", new { tenant });
        return tenant;
    }

    [OneTimeTearDown]
    public async Task DropMigratedDatabaseAsync()
    {
        await DataSource.DisposeAsync();
        await TestDatabase.DropExtraAsync(_connectionString);
    }
}
