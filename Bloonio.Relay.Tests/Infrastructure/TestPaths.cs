using NUnit.Framework;

namespace Bloonio.Relay.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>The repository root (the folder holding Relay.sln), found above the test binaries.</summary>
    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Relay.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("Relay.sln not found above the test directory");
    }
}
