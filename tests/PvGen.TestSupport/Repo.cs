namespace PvGen.TestSupport;

/// <summary>Locations in the repository, found from the test binary (works from any working directory).</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Examples => Path.Combine(Root, "examples");

    public static string Example(string name, params string[] parts) => Path.Combine([Examples, name, .. parts]);

    /// <summary>A fresh, empty directory under the system temp dir, unique per call.</summary>
    public static string TempDir(string label)
    {
        string dir = Path.Combine(Path.GetTempPath(), "pvgen-tests", $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        string? built = typeof(Repo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PvGenRepoRoot")?.Value;
        if (built is not null && File.Exists(Path.Combine(built, "PvGen.sln")))
        {
            return built;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PvGen.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PvGen.sln not found above " + AppContext.BaseDirectory);
    }
}
