using PvGen.Clang.Interop;
using PvGen.Model;

namespace PvGen.Clang;

/// <summary>One libclang diagnostic as pvgen takes it: an error of ours, with clang's words and location.</summary>
internal sealed record ClangDiagnostic(string Message, string File, int Line, int Column, bool ClangSaidError);

/// <summary>
/// The one rule for what a libclang diagnostic becomes, in every parse (ops header, kernel import, caller corpus).
/// Errors are errors. A warning is an error where pvgen's generated code makes the compilers read it as a warning
/// under -Werror (check builds the exerciser with <see cref="CompileEnvironment.CheckWarnings"/>: gcc 12 and clang 19 both stop there,
/// e.g. "no semicolon at end of struct or union"), so generate never writes output that check must reject. Elsewhere a
/// warning is not ours (a kernel header check includes with -isystem, a source only read): it is not reported.
/// </summary>
internal static unsafe class ClangDiagnostics
{
    /// <summary>The unit's diagnostics that are errors by the rule, in clang's order.</summary>
    /// <param name="warningIsError">Whether a warning in this file (absolute path) reaches a -Werror compile as a warning.</param>
    public static List<ClangDiagnostic> Errors(void* unit, Func<string, bool> warningIsError)
    {
        var errors = new List<ClangDiagnostic>();
        uint count = LibClang.clang_getNumDiagnostics(unit);
        for (uint i = 0; i < count; i++)
        {
            void* diagnostic = LibClang.clang_getDiagnostic(unit, i);
            try
            {
                var severity = LibClang.clang_getDiagnosticSeverity(diagnostic);
                if (severity < CXDiagnosticSeverity.Warning)
                {
                    continue;
                }

                var (file, line, column) = ClangApi.Expansion(LibClang.clang_getDiagnosticLocation(diagnostic));
                bool error = severity >= CXDiagnosticSeverity.Error;
                if (error || warningIsError(file))
                {
                    errors.Add(new ClangDiagnostic(ClangApi.Take(LibClang.clang_getDiagnosticSpelling(diagnostic)), file, line, column, error));
                }
            }
            finally
            {
                LibClang.clang_disposeDiagnostic(diagnostic);
            }
        }

        return errors;
    }

    /// <summary>What a warning made an error says: clang's words and why it stops generation.</summary>
    public static string Describe(ClangDiagnostic diagnostic) => diagnostic.ClangSaidError
        ? diagnostic.Message
        : $"{diagnostic.Message} (a warning, but check compiles this header with {string.Join(' ', CompileEnvironment.CheckWarnings)}, where gcc and clang reject it)";
}
