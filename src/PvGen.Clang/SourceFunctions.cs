using System.Runtime.InteropServices;
using PvGen.Clang.Interop;
using PvGen.Model;

namespace PvGen.Clang;

/// <summary>A parameter of a function defined in a source file.</summary>
/// <param name="Canonical">The canonical type as C spells it (typedefs resolved), for builtin types and prototypes.</param>
/// <param name="Spelling">The type as written.</param>
/// <param name="DeclaredInFile">A struct, union or enum type declared in the source file itself (not visible to another file).</param>
public sealed record SourceParameter(string Name, string Spelling, string Canonical, TypeKind Kind, int Size, bool DeclaredInFile);

/// <summary>A function with external linkage defined in a source file, in declaration order.</summary>
public sealed record SourceFunction(string Name, SourceLocation Location, SourceParameter Result, IReadOnlyList<SourceParameter> Parameters, bool Variadic);

/// <summary>The external functions a source file defines, and the parse's errors.</summary>
public sealed record SourceFunctionList(IReadOnlyList<SourceFunction> Functions, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => !Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>Lists the functions a caller corpus file defines (pvgen prove calls each one), with libclang.</summary>
public static unsafe class SourceFunctions
{
    /// <param name="flags">The file's compile flags (-D, -I, -include of the generated header), as for the compiler.</param>
    public static SourceFunctionList List(string path, Target target, IReadOnlyList<string> flags)
    {
        string file = Path.GetFullPath(path);
        if (!File.Exists(file))
        {
            return new SourceFunctionList([], [new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"'{path}' not found", null)]);
        }

        if (!NativeLibrary.TryLoad("libclang", typeof(SourceFunctions).Assembly, null, out _))
        {
            return new SourceFunctionList([], [new Diagnostic(DiagnosticIds.LibClangUnavailable, Severity.Error, "libclang cannot be loaded", null)]);
        }

        var args = new List<string> { "-x", "c", "-std=gnu11", $"--target={target.Triple}", "-ffreestanding" };
        if (!flags.Contains("-nostdinc"))
        {
            args.AddRange(["-resource-dir", CompilerFlags.DefaultResourceDir, "-nostdlibinc"]);
        }

        args.AddRange(flags);
        void* index = ClangApi.CreateIndex();
        try
        {
            // Bodies parsed: a skipped body is no definition.
            void* unit = ClangApi.ParseUnit(index, file, null, args, CXTranslationUnitFlags.None, out var code);
            if (code != CXErrorCode.Success || unit is null)
            {
                return new SourceFunctionList([], [new Diagnostic(DiagnosticIds.ClangError, Severity.Error, $"libclang could not parse '{path}' (error {code})", null)]);
            }

            try
            {
                return Walk(unit, file);
            }
            finally
            {
                LibClang.clang_disposeTranslationUnit(unit);
            }
        }
        finally
        {
            LibClang.clang_disposeIndex(index);
        }
    }

    private static SourceFunctionList Walk(void* unit, string file)
    {
        // A caller corpus is only read (diff builds it with its own flags): its warnings are not ours.
        var diagnostics = ClangDiagnostics.Errors(unit, _ => false)
            .Select(e => new Diagnostic(DiagnosticIds.ClangError, Severity.Error, e.Message, new SourceLocation(e.File, e.Line, e.Column))).ToList();

        var functions = new List<SourceFunction>();
        foreach (var cursor in ClangApi.Children(LibClang.clang_getTranslationUnitCursor(unit)))
        {
            if (cursor.Kind != CXCursorKind.FunctionDecl || LibClang.clang_isCursorDefinition(cursor) == 0
                || LibClang.clang_Cursor_getStorageClass(cursor) == CXStorageClass.Static)
            {
                continue;
            }

            var (where, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(cursor));
            if (where != file)
            {
                continue; // defined in a header
            }

            var type = LibClang.clang_getCursorType(cursor);
            var parameters = ClangApi.Children(cursor).Where(c => c.Kind == CXCursorKind.ParmDecl)
                .Select(p => Parameter(ClangApi.Spelling(p), LibClang.clang_getCursorType(p), file)).ToList();
            functions.Add(new SourceFunction(ClangApi.Spelling(cursor), new SourceLocation(where, line, column),
                Parameter(string.Empty, LibClang.clang_getResultType(type), file), parameters, LibClang.clang_isFunctionTypeVariadic(type) != 0));
        }

        return new SourceFunctionList(functions, diagnostics);
    }

    private static SourceParameter Parameter(string name, CXType type, string file)
    {
        var canonical = LibClang.clang_getCanonicalType(type);
        var kind = ClangApi.KindOf(canonical);
        long size = canonical.Kind == CXTypeKind.Void ? 0 : LibClang.clang_Type_getSizeOf(canonical);
        bool local = false;
        if (canonical.Kind is CXTypeKind.Record or CXTypeKind.Enum)
        {
            var (where, _, _) = ClangApi.Expansion(LibClang.clang_getCursorLocation(LibClang.clang_getTypeDeclaration(canonical)));
            local = where == file;
        }

        return new SourceParameter(name, ClangApi.Spelling(type), ClangApi.Spelling(canonical), kind, (int)Math.Max(0, size), local);
    }
}
