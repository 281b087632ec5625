using System.Runtime.InteropServices;

namespace PvGen.Clang.Interop;

/// <summary>Managed conveniences over <see cref="LibClang"/>: strings, child lists, type sugar.</summary>
internal static unsafe class ClangApi
{
    public static string Take(CXString value)
    {
        byte* text = LibClang.clang_getCString(value);
        string result = text is null ? string.Empty : Marshal.PtrToStringUTF8((nint)text) ?? string.Empty;
        LibClang.clang_disposeString(value);
        return result;
    }

    public static string Spelling(CXCursor cursor) => Take(LibClang.clang_getCursorSpelling(cursor));

    public static string Spelling(CXType type) => Take(LibClang.clang_getTypeSpelling(type));

    public static List<CXCursor> Children(CXCursor parent)
    {
        var children = new List<CXCursor>();
        var handle = GCHandle.Alloc(children);
        try
        {
            // The result says whether a visitor broke the walk off; CollectChild never does.
            _ = LibClang.clang_visitChildren(parent, &CollectChild, (void*)GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }

        return children;
    }

    [UnmanagedCallersOnly]
    private static CXChildVisitResult CollectChild(CXCursor cursor, CXCursor parent, void* clientData)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr((nint)clientData).Target!).Add(cursor);
        return CXChildVisitResult.Continue;
    }

    /// <summary>Where a cursor or diagnostic is, at the macro's use site rather than inside its definition.</summary>
    public static (string File, int Line, int Column) Expansion(CXSourceLocation location)
    {
        void* file;
        uint line, column, offset;
        LibClang.clang_getExpansionLocation(location, &file, &line, &column, &offset);
        string name = file is null ? string.Empty : Take(LibClang.clang_getFileName(file));
        return (name, (int)line, (int)column);
    }

    /// <summary>Strips typedef, elaborated and attribute sugar down to the first structural type.</summary>
    public static CXType Desugar(CXType type)
    {
        for (int guard = 0; guard < 64; guard++)
        {
            CXType next = type.Kind switch
            {
                CXTypeKind.Typedef => LibClang.clang_getTypedefDeclUnderlyingType(LibClang.clang_getTypeDeclaration(type)),
                CXTypeKind.Elaborated => LibClang.clang_Type_getNamedType(type),
                CXTypeKind.Attributed => LibClang.clang_Type_getModifiedType(type),
                _ => type,
            };
            if (next.Kind == type.Kind && next.Data0 == type.Data0 && next.Data1 == type.Data1)
            {
                return type;
            }

            type = next;
        }

        return type;
    }

    public static bool IsFunction(CXType type) =>
        type.Kind is CXTypeKind.FunctionProto or CXTypeKind.FunctionNoProto;
}
