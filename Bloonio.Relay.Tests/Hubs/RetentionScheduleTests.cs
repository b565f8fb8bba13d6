using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>
/// With the sweep's loop on, retention (days-scale work) is applied once per Relay:RetentionIntervalSeconds in the
/// cluster: not with every sweep, and not by a second node while the first holds retention's lease.
/// </summary>
[NonParallelizable]
public sealed class RetentionScheduleTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        // Loops on, but their first pass an hour away: the test runs every pass itself.
        ["Relay:MaintenanceIntervalSeconds"] = "3600", ["Relay:RetentionIntervalSeconds"] = "3600",
    };

    [Test]
    public async Task RetentionRunsOncePerIntervalInTheCluster()
    {
        await using var a = new RelayFactory(Settings);
        await using var b = new RelayFactory(Settings);
        var (maintenanceA, maintenanceB) = (a.Services.GetRequiredService<RelayMaintenance>(), b.Services.GetRequiredService<RelayMaintenance>());
        await ReleaseLeasesAsync(); // the nodes have started (and migrated): no lease left by another fixture
        try
        {
            var first = await maintenanceA.RunOnceAsync(default);
            var again = await maintenanceA.RunOnceAsync(default);
            Assert.That(first.Purged, Is.Not.Null, "the first sweep applies retention");
            Assert.That(again, Is.Not.SameAs(Bloonio.Relay.Core.Assignments.SweepResult.Skipped), "the node holds the sweep's lease");
            Assert.That(again.Purged, Is.Null, "the next sweep does not, within the interval");

            // Node B sweeps once A's sweep lease is gone; its own interval has passed (it never applied retention), but
            // retention's lease is A's.
            await ReleaseLeasesAsync("sweep");
            var other = await maintenanceB.RunOnceAsync(default);
            Assert.That(other, Is.Not.SameAs(Bloonio.Relay.Core.Assignments.SweepResult.Skipped));
            Assert.That(other.Purged, Is.Null, "another node within the interval");
        }
        finally
        {
            await ReleaseLeasesAsync(); // the other fixtures sweep with the loop off and take these leases for no time
        }
    }

    private static async Task ReleaseLeasesAsync(params string[] names)
    {
        await using var db = new NpgsqlConnection(TestDatabase.ConnectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("DELETE FROM work_leases WHERE name = ANY(@names)", db);
        command.Parameters.AddWithValue("names", names.Length > 0 ? names : ["sweep", "retention"]);
        await command.ExecuteNonQueryAsync();
    }
}
