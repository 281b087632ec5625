using PvGen.Project.Options;

namespace PvGen.Project.Workflows;

/// <summary>
/// The command line that reproduces generated files, run from the output directory: the options given, in table order,
/// with relative paths only (no machine-dependent path ends up in a generated file).
/// </summary>
public static class Invocation
{
    public static string Render(Settings settings, string outputDirectory)
    {
        string Relative(string path) =>
            Path.GetRelativePath(outputDirectory, Path.GetFullPath(path, settings.WorkingDirectory)).Replace('\\', '/');
        var words = new List<string> { "pvgen", settings.Verb.Path };
        foreach (var option in settings.Verb.Options.Where(o => o.Positional != Positional.No))
        {
            words.AddRange((settings.CommandLine(option) ?? []).Select(v => option.Kind is OptionKind.Path or OptionKind.PathList ? Relative(v) : v));
        }

        if (settings.Config.SourcePath is { } config)
        {
            words.AddRange(["--config", Relative(config)]);
        }

        foreach (var option in settings.Verb.Options.Where(o => o.Positional == Positional.No && o.Name is not ("config" or "output" or "check")))
        {
            foreach (string value in settings.CommandLine(option) ?? [])
            {
                if (option.Kind == OptionKind.Flag)
                {
                    words.Add(value == "true" ? option.Display : $"{option.Display}={value}");
                    continue;
                }

                words.AddRange([option.Display, option.Kind is OptionKind.Path or OptionKind.PathList ? Relative(value) : value]);
            }
        }

        words.AddRange(["-o", "."]);
        return string.Join(' ', words.Select(Quote));
    }

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=,+:@".Contains(c)) ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
