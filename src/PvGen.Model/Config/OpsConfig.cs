namespace PvGen.Model.Config;

/// <summary>
/// Per-op settings in pvgen.json, keyed by an op path or a glob over paths ("irq.*");
/// an exact path beats a pattern, and a longer pattern beats a shorter one. Bound by the project resolver
/// from the option table's op keys; the stages read them through <see cref="OpsConfig.ForOp"/>.
/// </summary>
public sealed record OpConfig
{
    /// <summary>C signature for callee-save ops, e.g. "unsigned long (void)" or "void (unsigned long flags)".</summary>
    public string? Signature { get; init; }

    /// <summary>Wrapper name override (default: prefix + path with dots as underscores).</summary>
    public string? Name { get; init; }

    /// <summary>Registers the site may clobber, e.g. ["rax"] or ["any"].</summary>
    public IReadOnlyList<string>? Clobbers { get; init; }

    public bool? Skip { get; init; }

    /// <summary>Reached with jmp, not call (iret, sysexit).</summary>
    public bool? Jump { get; init; }

    /// <summary>
    /// Native replacement bytes in hex, e.g. "9c 58": one string for every target, or per target (machine code is one
    /// target's: "57 9d" is push %rdi; popf on x86-64, where i386's argument register makes it "50 9d"). Read through
    /// <see cref="NativeFor"/>.
    /// </summary>
    public PerTarget<string>? Native { get; init; }

    /// <summary>The native bytes for <paramref name="arch"/>, or null; <paramref name="onlyFor"/> names the targets that have some when this one has none.</summary>
    public string? NativeFor(string arch, out IReadOnlyList<string>? onlyFor)
    {
        onlyFor = null;
        if (Native is null)
        {
            return null;
        }

        string? bytes = Native.For(arch);
        if (bytes is null)
        {
            onlyFor = [.. Native.ByTarget!.Keys.Order(StringComparer.Ordinal)];
        }

        return bytes;
    }

    // The keys `pvgen import` writes from a kernel's paravirt.h (wrapper, wrapper_signature, callee_save, native_asm,
    // condition) record what the header says and are read by no stage: the resolver checks them against the option
    // table (OptionTable.Op) and binds none of them here.

    /// <summary>Where the entry is written (its key in pvgen.json), for diagnostics about it.</summary>
    public SourceLocation? Location { get; init; }
}

/// <summary>The "ops" object of pvgen.json: what the header cannot say about each op.</summary>
/// <param name="SourcePath">The pvgen.json it came from, as given (null when there is none).</param>
public sealed record OpsConfig(string? SourcePath, IReadOnlyDictionary<string, OpConfig> Ops)
{
    public static readonly OpsConfig Empty = new(null, new Dictionary<string, OpConfig>());

    /// <summary>Where diagnostics about the configuration as a whole point.</summary>
    public SourceLocation Location => new(SourcePath ?? "pvgen.json", 1, 1);

    /// <summary>The settings for one op: the exact path first, else the most specific matching glob.</summary>
    public OpConfig? ForOp(string opPath)
    {
        if (Ops.TryGetValue(opPath, out var exact))
        {
            return exact;
        }

        OpConfig? best = null;
        int bestLength = -1;
        foreach (var (pattern, config) in Ops)
        {
            if (IsPattern(pattern) && pattern.Length > bestLength && Matches(pattern, opPath))
            {
                best = config;
                bestLength = pattern.Length;
            }
        }

        return best;
    }

    /// <summary>The key under which <see cref="ForOp"/> found an op's settings (for messages), or null.</summary>
    public string? KeyFor(string opPath) => ForOp(opPath) is { } config ? Ops.First(kv => ReferenceEquals(kv.Value, config)).Key : null;

    /// <summary>
    /// Every "ops" key that names no op (or, as a glob, matches none), with a suggestion: a typo must not silently
    /// configure nothing. One check for every stage that reads a model.
    /// </summary>
    public IEnumerable<Diagnostic> UnknownOps(IReadOnlyList<string> opPaths, string structName)
    {
        foreach (var (key, config) in Ops)
        {
            bool matches = IsPattern(key) ? opPaths.Any(p => Matches(key, p)) : opPaths.Contains(key);
            if (!matches)
            {
                yield return new Diagnostic(DiagnosticIds.UnknownOpInConfig, Severity.Error,
                    $"'{key}' in the configuration matches no op of 'struct {structName}'{Suggestions.Hint(key, opPaths)}", config.Location ?? Location);
            }
        }
    }

    /// <summary>Every problem of the configuration against the ops it configures: keys that name no op, and settings an op contradicts.</summary>
    public IEnumerable<Diagnostic> Problems(IReadOnlyList<Op> ops, string structName) =>
        UnknownOps([.. ops.Select(o => o.Path)], structName).Concat(Contradictions(ops));

    /// <summary>
    /// Settings the op they apply to cannot honour, which would otherwise be obeyed wrongly or ignored in silence:
    /// "jump" on an op that returns a value (the site is a jmp that never comes back, so the wrapper's return would read a
    /// register nobody set), and "signature" where no callee-save op takes it (a prototyped op has its type from the header).
    /// </summary>
    public IEnumerable<Diagnostic> Contradictions(IReadOnlyList<Op> ops)
    {
        foreach (var (key, config) in Ops)
        {
            var governed = ops.Where(o => ReferenceEquals(ForOp(o.Path), config)).ToList();
            if (config.Jump == true && governed.FirstOrDefault(o => o.ReturnType.Kind != TypeKind.Void) is { } returning)
            {
                yield return new Diagnostic(DiagnosticIds.BadConfig, Severity.Error,
                    $"'{key}': \"jump\": true, but op '{returning.Path}' returns {returning.ReturnType.Spelling}; a jump op is left with jmp and never returns to its caller (iret, sysexit), so it must return void",
                    config.Location ?? Location);
            }

            if (config.Signature is not null && governed.Count > 0 && !governed.Any(o => o.CalleeSave))
            {
                var op = governed[0];
                string declared = op.SignatureKnown ? $"{op.ReturnType.Spelling} ({(op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => p.Type.Spelling)))})" : "its declaration";
                yield return new Diagnostic(DiagnosticIds.BadSignature, Severity.Error,
                    $"'{key}': \"signature\" is only for callee-save ops (whose member carries no prototype), and op '{op.Path}' is not one: its type is {declared}, from the header; remove \"signature\"",
                    config.Location ?? Location);
            }
        }
    }

    public static bool IsPattern(string key) => key.IndexOfAny(['*', '?']) >= 0;

    private static bool Matches(string pattern, string opPath) =>
        System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(pattern, opPath, ignoreCase: false);
}

/// <summary>A pvgen.json value given once for every target (<paramref name="All"/>) or per target arch (<paramref name="ByTarget"/>).</summary>
public sealed record PerTarget<T>(T? All, IReadOnlyDictionary<string, T>? ByTarget)
    where T : class
{
    public static PerTarget<T> Every(T value) => new(value, null);

    /// <summary>The value for <paramref name="arch"/>: the one for every target, else its own, else null.</summary>
    public T? For(string arch) => All ?? (ByTarget is not null && ByTarget.TryGetValue(arch, out var own) ? own : null);
}

/// <summary>The "native" bytes of pvgen.json ("9c 58" or "9c,58"), parsed in one place for every stage.</summary>
public static class NativeBytes
{
    /// <summary>Lower-case bytes separated by single spaces, or null when the text is not hex bytes.</summary>
    public static string? Normalise(string hex)
    {
        var parts = hex.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts.Any(p => p.Length != 2 || !p.All(char.IsAsciiHexDigit)))
        {
            return null;
        }

        return string.Join(' ', parts.Select(p => p.ToLowerInvariant()));
    }

    /// <summary>Bytes in a native replacement, or null when the text is not hex bytes.</summary>
    public static int? Length(string? hex) => hex is null ? null : Normalise(hex)?.Split(' ').Length;
}
