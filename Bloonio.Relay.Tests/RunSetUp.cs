using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests;

/// <summary>Wraps the whole run (this namespace contains every test): one database created first, dropped last.</summary>
[SetUpFixture]
public sealed class RunSetUp
{
    [OneTimeSetUp]
    public Task CreateDatabaseAsync() => TestDatabase.CreateAsync();

    [OneTimeTearDown]
    public Task DropDatabaseAsync() => TestDatabase.DropAsync();
}
