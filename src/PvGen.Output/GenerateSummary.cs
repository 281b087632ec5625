using PvGen.Generation;
using PvGen.Model;
using PvGen.Project.Workflows;

namespace PvGen.Output;

/// <summary>What `pvgen generate` prints: the wrappers and files, and the change report against the last generation.</summary>
public static class GenerateSummary
{
    /// <param name="display">The output directory as the user named it.</param>
    public static void Print(GenerateResult result, string display, bool checkOnly)
    {
        if (checkOnly)
        {
            foreach (string file in result.Stale)
            {
                Console.Error.WriteLine(new Diagnostic(DiagnosticIds.StaleOutput, Severity.Error, $"{display}/{file} is stale: run pvgen generate (without --check)", null));
            }

            PrintChanges(result.Changes, display);
            Console.Out.WriteLine(result.Stale.Count == 0 ? $"{display}: up to date ({result.Facts.Files.Count - 1} files)" : $"{display}: {result.Stale.Count} stale file(s)");
            return;
        }

        var facts = result.Facts;
        Console.Out.WriteLine($"{display}: {facts.Wrappers} wrappers ({facts.AnnotatedSites} annotated sites in macro style), "
            + $"{result.Written.Count} file(s) written, {result.Unchanged.Count} unchanged");
        if (facts.Files.Any(f => f.EndsWith("_macro.h", StringComparison.Ordinal)))
        {
            Console.Out.WriteLine($"  records   {facts.RecordFormat} in {facts.Section} ({facts.FormatDescription}; from {facts.FormatSource})");
        }

        foreach (string path in result.Written)
        {
            Console.Out.WriteLine($"  wrote     {path}");
        }

        PrintChanges(result.Changes, display);
    }

    private static void PrintChanges(IReadOnlyList<OpChange>? changes, string display)
    {
        if (changes is null)
        {
            Console.Out.WriteLine($"change report: no previous model in {display}/{Generator.ModelFile} (first generation)");
            return;
        }

        if (changes.Count == 0)
        {
            Console.Out.WriteLine("change report: no op changes");
            return;
        }

        Console.Out.WriteLine($"change report ({changes.Count} change(s) since the last generation):");
        foreach (var change in changes)
        {
            Console.Out.WriteLine($"  {change}");
        }

        int breaks = changes.Count(c => c.IsAbiBreak);
        if (breaks > 0)
        {
            Console.Error.WriteLine(new Diagnostic(DiagnosticIds.AbiBreak, Severity.Warning,
                $"{breaks} op(s) renumbered: an ABI break, every module built against the old layout must be rebuilt", null));
        }
    }
}
