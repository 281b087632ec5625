using Xunit;

namespace PvGen.TestSupport;

/// <summary>
/// Golden files for generated text. Set PVGEN_UPDATE_GOLDEN=1 to rewrite them from the current output
/// (then review the diff); otherwise any difference fails with the first differing line.
/// </summary>
public static class Golden
{
    public static bool Updating => Environment.GetEnvironmentVariable("PVGEN_UPDATE_GOLDEN") == "1";

    /// <param name="relativePath">Path under tests/golden/.</param>
    public static void Match(string relativePath, string actual) => MatchFile(Path.Combine("tests", "golden", relativePath), actual);

    /// <summary>A checked-in file rendered from code (docs, schemas): the same rule, the same switch.</summary>
    /// <param name="relativePath">Path under the repository root.</param>
    public static void MatchFile(string relativePath, string actual)
    {
        string path = Path.Combine(Repo.Root, relativePath);
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"golden file {path} is missing; run the tests with PVGEN_UPDATE_GOLDEN=1 to create it");
        string expected = File.ReadAllText(path);
        if (expected == actual)
        {
            return;
        }

        string[] e = expected.Split('\n'), a = actual.Split('\n');
        int line = 0;
        while (line < Math.Min(e.Length, a.Length) && e[line] == a[line])
        {
            line++;
        }

        Assert.Fail($"{relativePath} differs from the golden file at line {line + 1}:\n  expected: {(line < e.Length ? e[line] : "<end>")}\n  actual:   {(line < a.Length ? a[line] : "<end>")}\n(PVGEN_UPDATE_GOLDEN=1 refreshes golden files.)");
    }
}
