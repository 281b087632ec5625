using System.Runtime.InteropServices;

namespace PvGen.Clang.Interop;

/// <summary>Thin source-generated P/Invoke over the libclang C API: one line per entry point, grouped by what it works on, no logic.</summary>
internal static unsafe partial class LibClang
{
    private const string Lib = "libclang";

    // Index and translation unit.
    [LibraryImport(Lib)] public static partial void* clang_createIndex(int excludeDeclarationsFromPch, int displayDiagnostics);
    [LibraryImport(Lib)] public static partial void clang_disposeIndex(void* index);
    [LibraryImport(Lib)] public static partial CXErrorCode clang_parseTranslationUnit2(
        void* index, byte* sourceFilename, byte** commandLineArgs, int numCommandLineArgs,
        CXUnsavedFile* unsavedFiles, uint numUnsavedFiles, CXTranslationUnitFlags options, void** translationUnit);
    [LibraryImport(Lib)] public static partial void clang_disposeTranslationUnit(void* translationUnit);
    [LibraryImport(Lib)] public static partial CXCursor clang_getTranslationUnitCursor(void* translationUnit);
    /// <summary>Calls the visitor once per file the translation unit read (the main file, then each inclusion).</summary>
    [LibraryImport(Lib)] public static partial void clang_getInclusions(void* translationUnit, delegate* unmanaged<void*, CXSourceLocation*, uint, void*, void> visitor, void* clientData);

    // Diagnostics.
    [LibraryImport(Lib)] public static partial uint clang_getNumDiagnostics(void* translationUnit);
    [LibraryImport(Lib)] public static partial void* clang_getDiagnostic(void* translationUnit, uint index);
    [LibraryImport(Lib)] public static partial void clang_disposeDiagnostic(void* diagnostic);
    [LibraryImport(Lib)] public static partial CXDiagnosticSeverity clang_getDiagnosticSeverity(void* diagnostic);
    [LibraryImport(Lib)] public static partial CXString clang_getDiagnosticSpelling(void* diagnostic);
    [LibraryImport(Lib)] public static partial CXSourceLocation clang_getDiagnosticLocation(void* diagnostic);

    // Strings and version.
    [LibraryImport(Lib)] public static partial byte* clang_getCString(CXString value);
    [LibraryImport(Lib)] public static partial void clang_disposeString(CXString value);
    [LibraryImport(Lib)] public static partial CXString clang_getClangVersion();

    // Cursors.
    [LibraryImport(Lib)] public static partial uint clang_visitChildren(CXCursor parent, delegate* unmanaged<CXCursor, CXCursor, void*, CXChildVisitResult> visitor, void* clientData);
    [LibraryImport(Lib)] public static partial CXCursorKind clang_getCursorKind(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXString clang_getCursorSpelling(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXType clang_getCursorType(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXSourceLocation clang_getCursorLocation(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_isCursorDefinition(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXCursor clang_getCursorDefinition(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_equalCursors(CXCursor a, CXCursor b);
    [LibraryImport(Lib)] public static partial int clang_Cursor_isNull(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXStorageClass clang_Cursor_getStorageClass(CXCursor cursor);
    [LibraryImport(Lib)] public static partial long clang_Cursor_getOffsetOfField(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_isBitField(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_isAnonymousRecordDecl(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXString clang_Cursor_getRawCommentText(CXCursor cursor);

    // Types.
    /// <summary>Offset in bits of a field found by name, also through anonymous members (C11 makes their names the record's).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long clang_Type_getOffsetOf(CXType type, string fieldName);
    [LibraryImport(Lib)] public static partial CXType clang_getCanonicalType(CXType type);
    [LibraryImport(Lib)] public static partial CXString clang_getTypeSpelling(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_getPointeeType(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_getResultType(CXType type);
    [LibraryImport(Lib)] public static partial int clang_getNumArgTypes(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_getArgType(CXType type, uint index);
    [LibraryImport(Lib)] public static partial uint clang_isFunctionTypeVariadic(CXType type);
    [LibraryImport(Lib)] public static partial CXCursor clang_getTypeDeclaration(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_getTypedefDeclUnderlyingType(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXType clang_Type_getNamedType(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_Type_getModifiedType(CXType type);
    [LibraryImport(Lib)] public static partial long clang_Type_getSizeOf(CXType type);
    [LibraryImport(Lib)] public static partial CXType clang_getArrayElementType(CXType type);

    // Files, locations and extents.
    [LibraryImport(Lib)] public static partial void clang_getExpansionLocation(CXSourceLocation location, void** file, uint* line, uint* column, uint* offset);
    [LibraryImport(Lib)] public static partial CXString clang_getFileName(void* file);
    [LibraryImport(Lib)] public static partial CXSourceRange clang_getCursorExtent(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXSourceLocation clang_getRangeStart(CXSourceRange range);
    [LibraryImport(Lib)] public static partial CXSourceLocation clang_getRangeEnd(CXSourceRange range);
    [LibraryImport(Lib)] public static partial void clang_getSpellingLocation(CXSourceLocation location, void** file, uint* line, uint* column, uint* offset);

    // Tokens and macros.
    [LibraryImport(Lib)] public static partial void clang_tokenize(void* translationUnit, CXSourceRange range, CXToken** tokens, uint* numTokens);
    [LibraryImport(Lib)] public static partial void clang_disposeTokens(void* translationUnit, CXToken* tokens, uint numTokens);
    [LibraryImport(Lib)] public static partial CXString clang_getTokenSpelling(void* translationUnit, CXToken token);
    [LibraryImport(Lib)] public static partial CXTokenKind clang_getTokenKind(CXToken token);
    [LibraryImport(Lib)] public static partial CXSourceRange clang_getTokenExtent(void* translationUnit, CXToken token);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_isMacroFunctionLike(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXCursor clang_getCursorReferenced(CXCursor cursor);

    // Evaluation of constant expressions.
    [LibraryImport(Lib)] public static partial void* clang_Cursor_Evaluate(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXEvalResultKind clang_EvalResult_getKind(void* result);
    [LibraryImport(Lib)] public static partial long clang_EvalResult_getAsLongLong(void* result);
    [LibraryImport(Lib)] public static partial byte* clang_EvalResult_getAsStr(void* result);
    [LibraryImport(Lib)] public static partial void clang_EvalResult_dispose(void* result);

    // GCC inline assembly statements (LLVM 21 and later).
    [LibraryImport(Lib)] public static partial CXString clang_Cursor_getGCCAssemblyTemplate(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_getGCCAssemblyNumOutputs(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_getGCCAssemblyNumInputs(CXCursor cursor);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_getGCCAssemblyInput(CXCursor cursor, uint index, CXString* constraint, CXCursor* expression);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_getGCCAssemblyOutput(CXCursor cursor, uint index, CXString* constraint, CXCursor* expression);
    [LibraryImport(Lib)] public static partial uint clang_Cursor_getGCCAssemblyNumClobbers(CXCursor cursor);
    [LibraryImport(Lib)] public static partial CXString clang_Cursor_getGCCAssemblyClobber(CXCursor cursor, uint index);

    // libc, for the one environment variable libclang reads when an index is created.
    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)] public static partial int setenv(string name, string value, int overwrite);
}
