using System.Text;
using System.Runtime.InteropServices;

namespace PvGen.Clang.Interop;

/// <summary>One token: its kind, text and byte offsets in its file (end exclusive).</summary>
internal readonly record struct ClangToken(CXTokenKind Kind, string Spelling, int Start, int End);

/// <summary>Managed conveniences over <see cref="LibClang"/>: strings, child lists, type sugar.</summary>
internal static unsafe class ClangApi
{
    private static int crashRecoveryDisabled;

    /// <summary>
    /// A new index. libclang's crash recovery takes over SIGSEGV for the whole process, and .NET then dies with "illegal
    /// instruction" on any NullReferenceException after a parse; LIBCLANG_DISABLE_CRASH_RECOVERY (read by libclang through
    /// the C environment, which .NET's Environment does not write) keeps the runtime's own handler.
    /// </summary>
    public static void* CreateIndex()
    {
        if (Interlocked.Exchange(ref crashRecoveryDisabled, 1) == 0)
        {
            LibClang.setenv("LIBCLANG_DISABLE_CRASH_RECOVERY", "1", 1);
        }

        return LibClang.clang_createIndex(0, 0);
    }

    /// <summary>
    /// Parses <paramref name="mainPath"/> with <paramref name="args"/>; given <paramref name="mainText"/>, from that text
    /// (an unsaved file) rather than from the disk. The strings are pinned only for the call: libclang copies them.
    /// </summary>
    public static void* ParseUnit(void* index, string mainPath, string? mainText, IReadOnlyList<string> args,
        CXTranslationUnitFlags flags, out CXErrorCode code)
    {
        var pinned = new List<GCHandle>();
        try
        {
            byte* Pin(string value)
            {
                var handle = GCHandle.Alloc(Encoding.UTF8.GetBytes(value + "\0"), GCHandleType.Pinned);
                pinned.Add(handle);
                return (byte*)handle.AddrOfPinnedObject();
            }

            byte** argv = stackalloc byte*[args.Count];
            for (int i = 0; i < args.Count; i++)
            {
                argv[i] = Pin(args[i]);
            }

            void* unit;
            if (mainText is null)
            {
                code = LibClang.clang_parseTranslationUnit2(index, Pin(mainPath), argv, args.Count, null, 0, flags, &unit);
                return unit;
            }

            var unsaved = new CXUnsavedFile
            {
                Filename = Pin(mainPath), Contents = Pin(mainText), Length = (nuint)Encoding.UTF8.GetByteCount(mainText),
            };
            code = LibClang.clang_parseTranslationUnit2(index, unsaved.Filename, argv, args.Count, &unsaved, 1, flags, &unit);
            return unit;
        }
        finally
        {
            foreach (var handle in pinned)
            {
                handle.Free();
            }
        }
    }

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
        Visit(parent, &CollectChild, children);
        return children;
    }

    /// <summary>Walks the children of <paramref name="parent"/> with a visitor that finds <paramref name="state"/> through its client data.</summary>
    private static void Visit(CXCursor parent, delegate* unmanaged<CXCursor, CXCursor, void*, CXChildVisitResult> visitor, object state)
    {
        var handle = GCHandle.Alloc(state);
        try
        {
            // The result says whether a visitor broke the walk off; ours never do.
            _ = LibClang.clang_visitChildren(parent, visitor, (void*)GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>Every file the translation unit read, by the name clang opened it under, in the order clang reports them.</summary>
    public static List<string> Inclusions(void* unit)
    {
        var files = new List<string>();
        var handle = GCHandle.Alloc(files);
        try
        {
            LibClang.clang_getInclusions(unit, &CollectInclusion, (void*)GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }

        return files;
    }

    [UnmanagedCallersOnly]
    private static void CollectInclusion(void* file, CXSourceLocation* stack, uint depth, void* clientData) =>
        ((List<string>)GCHandle.FromIntPtr((nint)clientData).Target!).Add(Take(LibClang.clang_getFileName(file)));

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

    /// <summary>What register class a canonical type travels in.</summary>
    public static Model.TypeKind KindOf(CXType canonical) => canonical.Kind switch
    {
        CXTypeKind.Void => Model.TypeKind.Void,
        CXTypeKind.Bool => Model.TypeKind.Bool,
        CXTypeKind.CharS or CXTypeKind.SChar or CXTypeKind.Short or CXTypeKind.Int or CXTypeKind.Long or CXTypeKind.LongLong or CXTypeKind.Int128 => Model.TypeKind.SignedInteger,
        CXTypeKind.CharU or CXTypeKind.UChar or CXTypeKind.UShort or CXTypeKind.UInt or CXTypeKind.ULong or CXTypeKind.ULongLong or CXTypeKind.UInt128
            or CXTypeKind.Char16 or CXTypeKind.Char32 or CXTypeKind.WChar => Model.TypeKind.UnsignedInteger,
        CXTypeKind.Enum => Model.TypeKind.Enum,
        CXTypeKind.Pointer => IsFunction(LibClang.clang_getCanonicalType(LibClang.clang_getPointeeType(canonical))) ? Model.TypeKind.FunctionPointer : Model.TypeKind.Pointer,
        CXTypeKind.Record => LibClang.clang_getTypeDeclaration(canonical).Kind == CXCursorKind.UnionDecl ? Model.TypeKind.Union : Model.TypeKind.Struct,
        CXTypeKind.Float or CXTypeKind.Double or CXTypeKind.LongDouble => Model.TypeKind.Float,
        _ => Model.TypeKind.Other,
    };

    public static bool IsFunction(CXType type) =>
        type.Kind is CXTypeKind.FunctionProto or CXTypeKind.FunctionNoProto;

    /// <summary>Every cursor below <paramref name="parent"/> (depth-first, in source order) that <paramref name="keep"/> accepts.</summary>
    public static List<CXCursor> Descendants(CXCursor parent, Func<CXCursor, bool> keep)
    {
        var found = new List<CXCursor>();
        Visit(parent, &CollectDescendant, (found, keep));
        return found;
    }

    [UnmanagedCallersOnly]
    private static CXChildVisitResult CollectDescendant(CXCursor cursor, CXCursor parent, void* clientData)
    {
        var (found, keep) = ((List<CXCursor>, Func<CXCursor, bool>))GCHandle.FromIntPtr((nint)clientData).Target!;
        if (keep(cursor))
        {
            found.Add(cursor);
        }

        return CXChildVisitResult.Recurse;
    }

    /// <summary>The tokens of a cursor's extent, as clang lexes them.</summary>
    public static List<ClangToken> Tokens(void* unit, CXCursor cursor)
    {
        CXToken* tokens;
        uint count;
        LibClang.clang_tokenize(unit, LibClang.clang_getCursorExtent(cursor), &tokens, &count);
        var result = new List<ClangToken>((int)count);
        try
        {
            for (uint i = 0; i < count; i++)
            {
                var extent = LibClang.clang_getTokenExtent(unit, tokens[i]);
                void* file;
                uint line, column, start, end;
                LibClang.clang_getSpellingLocation(LibClang.clang_getRangeStart(extent), &file, &line, &column, &start);
                LibClang.clang_getSpellingLocation(LibClang.clang_getRangeEnd(extent), &file, &line, &column, &end);
                result.Add(new ClangToken(LibClang.clang_getTokenKind(tokens[i]), Take(LibClang.clang_getTokenSpelling(unit, tokens[i])), (int)start, (int)end));
            }
        }
        finally
        {
            if (tokens is not null)
            {
                LibClang.clang_disposeTokens(unit, tokens, count);
            }
        }

        return result;
    }

    /// <summary>The file and first/last line a cursor's text spans (spelling locations).</summary>
    public static (string File, int First, int Last) Lines(CXCursor cursor)
    {
        var extent = LibClang.clang_getCursorExtent(cursor);
        void* file;
        uint first, last, column, offset;
        LibClang.clang_getSpellingLocation(LibClang.clang_getRangeStart(extent), &file, &first, &column, &offset);
        string name = file is null ? string.Empty : Take(LibClang.clang_getFileName(file));
        LibClang.clang_getSpellingLocation(LibClang.clang_getRangeEnd(extent), &file, &last, &column, &offset);
        return (name, (int)first, (int)last);
    }

    /// <summary>What clang evaluates a declaration's initialiser to: an integer, a string, or nothing.</summary>
    public static (long? Integer, string? Text) Evaluate(CXCursor cursor)
    {
        void* result = LibClang.clang_Cursor_Evaluate(cursor);
        if (result is null)
        {
            return (null, null);
        }

        try
        {
            return LibClang.clang_EvalResult_getKind(result) switch
            {
                CXEvalResultKind.Int => (LibClang.clang_EvalResult_getAsLongLong(result), null),
                CXEvalResultKind.StrLiteral => (null, Marshal.PtrToStringUTF8((nint)LibClang.clang_EvalResult_getAsStr(result))),
                _ => (null, null),
            };
        }
        finally
        {
            LibClang.clang_EvalResult_dispose(result);
        }
    }
}
