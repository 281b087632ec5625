using PvGen.Model;

namespace PvGen.Cli;

/// <summary>Prints diagnostics to stderr in the gcc form editors and CI understand.</summary>
internal static class DiagnosticPrinter
{
    public static void Print(IEnumerable<Diagnostic> diagnostics, TextWriter? writer = null)
    {
        writer ??= Console.Error;
        foreach (var diagnostic in diagnostics)
        {
            writer.WriteLine(diagnostic.ToString());
        }
    }
}
