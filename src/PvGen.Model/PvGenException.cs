namespace PvGen.Model;

/// <summary>
/// The one exception that stops a run: it carries the diagnostics to print (an input or usage problem, exit code 2).
/// Stages throw it; the CLI prints its diagnostics and nothing else.
/// </summary>
public sealed class PvGenException : Exception
{
    public PvGenException(Diagnostic diagnostic)
        : this([diagnostic])
    {
    }

    public PvGenException(IEnumerable<Diagnostic> diagnostics)
        : this(diagnostics.ToArray())
    {
    }

    private PvGenException(Diagnostic[] diagnostics)
        : base(diagnostics.Length == 0 ? "pvgen stopped" : diagnostics[^1].ToString())
    {
        Diagnostics = diagnostics;
    }

    public PvGenException()
        : this(Array.Empty<Diagnostic>())
    {
    }

    public PvGenException(string message)
        : this(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null))
    {
    }

    public PvGenException(string message, Exception innerException)
        : base(message, innerException)
    {
        Diagnostics = [new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null)];
    }

    /// <summary>Every diagnostic to print, in order (notes and warnings collected before the error included).</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; }

    /// <summary>The diagnostic that stopped the run (the last one).</summary>
    public Diagnostic Diagnostic => Diagnostics[Diagnostics.Count - 1];

    /// <summary>An error with an id, a message and an optional location.</summary>
    public static PvGenException Error(string id, string message, SourceLocation? where = null) =>
        new(new Diagnostic(id, Severity.Error, message, where));
}
