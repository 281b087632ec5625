namespace PvGen.Model;

/// <summary>"Did you mean" for every name a user can mistype (options, keys, structs, ops, templates): one rule everywhere.</summary>
public static class Suggestions
{
    /// <summary>The closest candidate, when it is close enough to be a typo (edit distance at most max(2, a third of the name)).</summary>
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        int limit = Math.Max(2, given.Length / 3);
        return candidates
            .Select(c => (Name: c, Distance: EditDistance.Between(given, c)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>" (did you mean 'x'?)" or, when nothing is close, " (known: a, b, c)"; empty when there are no candidates.</summary>
    public static string Hint(string given, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        if (list.Count == 0)
        {
            return string.Empty;
        }

        return Closest(given, list) is { } best
            ? $" (did you mean '{best}'?)"
            : list.Count <= 12 ? $" (known: {string.Join(", ", list)})" : string.Empty;
    }
}
