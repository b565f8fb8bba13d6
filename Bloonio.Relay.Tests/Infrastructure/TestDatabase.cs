using Npgsql;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL database per test run, created before the first test and dropped after the last. Tests
/// never share data: each creates its own tenant.
/// </summary>
public static class TestDatabase
{
    public static string ServerConnectionString { get; } =
        Environment.GetEnvironmentVariable("RELAY_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=relay;Password=relay;Database=postgres";

    public static string Name { get; } = $"relay_test_{Environment.ProcessId}_{DateTime.UtcNow.Ticks}";

    public static string ConnectionString { get; } =
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = Name, MaxPoolSize = 200 }.ConnectionString;

    public static async Task CreateAsync() => await ExecuteOnServerAsync($"CREATE DATABASE \"{Name}\"");

    public static async Task DropAsync()
    {
        await RelayFactory.DisposeSharedAsync();
        NpgsqlConnection.ClearAllPools();
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }

    /// <summary>A fresh empty database for tests of the migrations themselves; dropped with <see cref="DropExtraAsync"/>.</summary>
    public static async Task<string> CreateExtraAsync(string suffix)
    {
        var name = $"{Name}_{suffix}";
        await ExecuteOnServerAsync($"CREATE DATABASE \"{name}\"");
        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Applies every migration to that database (as a node does at its start).</summary>
    public static async Task MigrateAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new Bloonio.Relay.Data.Migrations.MigrationRunner(dataSource,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Bloonio.Relay.Data.Migrations.MigrationRunner>.Instance).RunAsync(default);
    }

    public static async Task DropExtraAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await ExecuteOnServerAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    private static async Task ExecuteOnServerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
