namespace PvGen.Model;

/// <summary>Paths as they appear in models and reports: relative with '/' below the base, so output is the same on every machine.</summary>
public static class PathDisplay
{
    public static string Relative(string path, string baseDirectory)
    {
        if (path.Length == 0)
        {
            return path;
        }

        string full = Path.GetFullPath(path);
        string relative = Path.GetRelativePath(Path.GetFullPath(baseDirectory), full);
        bool below = !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
        return (below ? relative : full).Replace('\\', '/');
    }
}
