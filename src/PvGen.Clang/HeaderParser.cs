using System.Runtime.InteropServices;
using System.Text;
using PvGen.Clang.Interop;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Clang;

/// <summary>Turns an ops-table header into an <see cref="OpsModel"/>, using libclang's layout for the target.</summary>
public static unsafe class HeaderParser
{
    private const string SignaturePrefix = "__pvgen_signature_";

    public static ParseResult Parse(ParseRequest request)
    {
        string header = Path.GetFullPath(request.HeaderPath);
        if (!File.Exists(header))
        {
            return Fail(DiagnosticIds.FileNotFound, $"header '{request.HeaderPath}' not found", null);
        }

        if (!NativeLibrary.TryLoad("libclang", typeof(HeaderParser).Assembly, null, out _))
        {
            return Fail(DiagnosticIds.LibClangUnavailable, "libclang cannot be loaded; is the libclang.runtime.linux-x64 package restored?", null);
        }

        var signatures = CollectSignatures(request.Config);
        string mainPath = Path.Combine(Path.GetDirectoryName(header)!, ".pvgen-main.c");
        string mainText = BuildMainFile(header, request.KernelTree is null, signatures);
        var args = CompilerFlags.For(request);

        void* index = ClangApi.CreateIndex();
        try
        {
            void* unit = ClangApi.ParseUnit(index, mainPath, mainText, args, CXTranslationUnitFlags.SkipFunctionBodies, out CXErrorCode code);
            if (code != CXErrorCode.Success || unit is null)
            {
                return Fail(DiagnosticIds.ClangError, $"libclang could not parse '{request.HeaderPath}' (error {code})", null);
            }

            try
            {
                var parsed = new Walker(request, header, mainPath, signatures).Run(unit);
                return parsed with { Inclusions = Inclusions(unit, mainPath) };
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

    private static List<string> Inclusions(void* unit, string mainPath) =>
        [.. ClangApi.Inclusions(unit)
            .Select(file => Path.GetFullPath(file))
            .Where(file => file != mainPath)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)];

    private static ParseResult Fail(string id, string message, SourceLocation? location) =>
        new(null, [new Diagnostic(id, Severity.Error, message, location)]);

    /// <summary>Every distinct configured signature, keyed by the config entry that gave it.</summary>
    private static List<(string Key, string Signature)> CollectSignatures(OpsConfig? config) =>
        config?.Ops.Where(kv => kv.Value.Signature is not null).Select(kv => (kv.Key, kv.Value.Signature!)).ToList() ?? [];

    private static string BuildMainFile(string header, bool withPrelude, List<(string Key, string Signature)> signatures)
    {
        var text = new StringBuilder();
        if (withPrelude)
        {
            text.Append(CompilerFlags.Prelude);
        }

        text.Append("#include \"").Append(header.Replace("\\", "\\\\", StringComparison.Ordinal)).Append("\"\n");

        // Configured signatures become typedefs so clang types them in the header's own scope.
        for (int i = 0; i < signatures.Count; i++)
        {
            text.Append(SignatureTypedef(signatures[i].Signature, SignaturePrefix + i)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>"RET (PARAMS)" becomes "typedef RET NAME(PARAMS);" (the last balanced group is the parameter list).</summary>
    internal static string SignatureTypedef(string signature, string name)
    {
        string text = signature.Trim();
        int close = text.LastIndexOf(')');
        int depth = 0;
        for (int i = close; i >= 0; i--)
        {
            depth += text[i] == ')' ? 1 : text[i] == '(' ? -1 : 0;
            if (depth == 0)
            {
                string result = text[..i].Trim();
                return $"typedef {(result.Length == 0 ? "int" : result)} {name}{text[i..close]});";
            }
        }

        // Not of the form RET (PARAMS): let clang say what is wrong with it.
        return $"typedef {text} {name};";
    }

    /// <summary>One parse: diagnostics first, then the struct's members depth-first in declaration order.</summary>
    private sealed class Walker(ParseRequest request, string header, string mainPath, List<(string Key, string Signature)> signatures)
    {
        private readonly List<Diagnostic> diagnostics = [];
        private readonly List<Op> ops = [];
        private readonly List<DataMember> data = [];
        private readonly Dictionary<string, CXType> signatureTypes = [];
        private readonly Dictionary<string, CXCursor> signatureDecls = [];

        public ParseResult Run(void* unit)
        {
            CollectClangDiagnostics(unit);
            if (diagnostics.Any(d => d.Severity == Severity.Error))
            {
                return new ParseResult(null, diagnostics);
            }

            var topLevel = ClangApi.Children(LibClang.clang_getTranslationUnitCursor(unit));
            foreach (var cursor in topLevel.Where(c => c.Kind == CXCursorKind.TypedefDecl))
            {
                string name = ClangApi.Spelling(cursor);
                if (name.StartsWith(SignaturePrefix, StringComparison.Ordinal))
                {
                    signatureTypes[signatures[int.Parse(name[SignaturePrefix.Length..], System.Globalization.CultureInfo.InvariantCulture)].Key] =
                        LibClang.clang_getTypedefDeclUnderlyingType(cursor);
                    signatureDecls[signatures[int.Parse(name[SignaturePrefix.Length..], System.Globalization.CultureInfo.InvariantCulture)].Key] = cursor;
                }
            }

            if (FindStruct(topLevel) is not { } structDecl)
            {
                ReportUnknownStruct(topLevel);
                return new ParseResult(null, diagnostics);
            }

            CXType structType = LibClang.clang_getCursorType(structDecl);
            WalkRecord(structDecl, baseOffset: 0, prefix: string.Empty);
            var location = Locate(structDecl);
            if (ops.Count == 0 && !diagnostics.Any(d => d.Severity == Severity.Error))
            {
                diagnostics.Add(new Diagnostic(DiagnosticIds.NoFunctionPointers, Severity.Error,
                    $"struct '{request.StructName}' has no function-pointer members", location));
            }

            if (request.Config is { } configured)
            {
                diagnostics.AddRange(configured.Problems(ops, request.StructName));
            }

            foreach (var op in ops.Where(o => o.Slot > 255))
            {
                diagnostics.Add(new Diagnostic(DiagnosticIds.TooManySlots, Severity.Warning,
                    $"op '{op.Path}' is slot {op.Slot}: a one-byte patch type cannot number it", op.Location));
                break;
            }

            if (diagnostics.Any(d => d.Severity == Severity.Error))
            {
                return new ParseResult(null, diagnostics);
            }

            var declared = DeclaredTables(topLevel, structDecl);
            if (request.Symbol is null && declared.Count > 1)
            {
                Warn(DiagnosticIds.AmbiguousSymbol,
                    $"several tables of type 'struct {request.StructName}' are declared ({string.Join(", ", declared)}); pass --symbol", location);
            }

            var model = new OpsModel(
                OpsModel.SchemaId,
                request.StructName,
                request.Symbol ?? (declared.Count == 1 ? declared[0] : null),
                request.Target,
                LibClang.clang_Type_getSizeOf(structType),
                ops.ToEquatableArray(),
                data.ToEquatableArray(),
                location);
            return new ParseResult(model, diagnostics);
        }

        private void CollectClangDiagnostics(void* unit)
        {
            foreach (var clang in ClangDiagnostics.Errors(unit, WarningIsError))
            {
                if (clang.File == mainPath && clang.Line > 0)
                {
                    diagnostics.Add(SignatureDiagnostic(clang.Line, clang.Message));
                    continue;
                }

                var location = new SourceLocation(Relative(clang.File), clang.Line, clang.Column);
                if (!clang.ClangSaidError)
                {
                    diagnostics.Add(new Diagnostic(DiagnosticIds.ClangWarning, Severity.Error, ClangDiagnostics.Describe(clang), location));
                }
                else if (clang.Message.EndsWith("file not found", StringComparison.Ordinal))
                {
                    diagnostics.Add(new Diagnostic(DiagnosticIds.MissingSystemHeader, Severity.Error,
                        clang.Message + " (pvgen parses without the host's system headers: add -I DIR, --resource-dir DIR or --kernel-tree SRC)", location));
                }
                else
                {
                    diagnostics.Add(new Diagnostic(DiagnosticIds.ClangError, Severity.Error, clang.Message, location));
                }
            }
        }

        /// <summary>
        /// Whether check's compile of the generated code sees a warning in this file as a warning, and so as an error: the
        /// header (included by path) and any file outside the kernel's include directories, which check passes as -isystem.
        /// The synthetic main file is ours and never compiled again.
        /// </summary>
        private bool WarningIsError(string file)
        {
            if (file == mainPath)
            {
                return false;
            }

            return file == header || !kernelIncludeDirs.Any(dir => file.StartsWith(dir + "/", StringComparison.Ordinal));
        }

        private readonly string[] kernelIncludeDirs = request.Environment.MapPaths(Path.GetFullPath) is { KernelTree: { } src } environment
            ? [.. CompileEnvironment.KernelIncludeDirs(src, environment.KernelBuild ?? src).Select(dir => dir.TrimEnd('/'))]
            : [];

        /// <summary>A problem on a line of the synthetic main file is a problem with one configured signature.</summary>
        private Diagnostic SignatureDiagnostic(int line, string message)
        {
            int preludeLines = request.KernelTree is null ? CompilerFlags.Prelude.Count(c => c == '\n') : 0;
            int index = line - preludeLines - 2;
            var configLocation = request.Config?.Location ?? new SourceLocation("pvgen.json", 1, 1);
            if (index >= 0 && index < signatures.Count)
            {
                string key = signatures[index].Key;
                return new Diagnostic(DiagnosticIds.BadSignature, Severity.Error,
                    $"signature of '{key}' (\"{signatures[index].Signature}\") does not parse: {message}", request.Config!.Ops[key].Location ?? configLocation);
            }

            return new Diagnostic(DiagnosticIds.ClangError, Severity.Error, message, configLocation);
        }

        private CXCursor? FindStruct(List<CXCursor> topLevel)
        {
            foreach (var cursor in topLevel)
            {
                if (cursor.Kind == CXCursorKind.StructDecl && LibClang.clang_isCursorDefinition(cursor) != 0 && ClangApi.Spelling(cursor) == request.StructName)
                {
                    return cursor;
                }
            }

            // Also accept a typedef name for a struct ("typedef struct {...} ops_t;").
            foreach (var cursor in topLevel)
            {
                if (cursor.Kind == CXCursorKind.TypedefDecl && ClangApi.Spelling(cursor) == request.StructName)
                {
                    var target = LibClang.clang_getCanonicalType(LibClang.clang_getTypedefDeclUnderlyingType(cursor));
                    var decl = LibClang.clang_getCursorDefinition(LibClang.clang_getTypeDeclaration(target));
                    if (target.Kind == CXTypeKind.Record && decl.Kind == CXCursorKind.StructDecl)
                    {
                        return decl;
                    }
                }
            }

            return null;
        }

        private void ReportUnknownStruct(List<CXCursor> topLevel)
        {
            var names = topLevel
                .Where(c => c.Kind == CXCursorKind.StructDecl && LibClang.clang_isCursorDefinition(c) != 0)
                .Select(ClangApi.Spelling)
                .Where(n => n.Length > 0)
                .Distinct()
                .ToList();
            string hint = Suggestions.Hint(request.StructName, names);
            diagnostics.Add(new Diagnostic(DiagnosticIds.UnknownStruct, Severity.Error,
                $"struct '{request.StructName}' is not defined in '{Relative(header)}'{hint}", new SourceLocation(Relative(header), 1, 1)));
        }

        private void WalkRecord(CXCursor record, long baseOffset, string prefix)
        {
            foreach (var field in ClangApi.Children(record))
            {
                if (field.Kind is CXCursorKind.StructDecl or CXCursorKind.UnionDecl && LibClang.clang_Cursor_isAnonymousRecordDecl(field) != 0)
                {
                    // An anonymous member (struct { ... }; inside the table): libclang shows only its record, not the
                    // implicit field. Its members are the enclosing record's in C, so their paths keep the prefix.
                    WalkAnonymousMember(record, field, baseOffset, prefix);
                    continue;
                }

                if (field.Kind != CXCursorKind.FieldDecl)
                {
                    continue;
                }

                string name = ClangApi.Spelling(field);
                string path = prefix + name;
                long offset = baseOffset + (LibClang.clang_Cursor_getOffsetOfField(field) / 8);
                CXType declared = LibClang.clang_getCursorType(field);
                CXType canonical = LibClang.clang_getCanonicalType(declared);
                var location = Locate(field);
                string spelled = ClangApi.Spelling(declared);

                if (LibClang.clang_Cursor_isBitField(field) != 0)
                {
                    Warn(DiagnosticIds.BitfieldMember, $"bit-field member '{path}' is treated as data", location);
                    AddData(path, name, offset, canonical, spelled, location);
                    continue;
                }

                switch (canonical.Kind)
                {
                    case CXTypeKind.Pointer when ClangApi.IsFunction(LibClang.clang_getCanonicalType(LibClang.clang_getPointeeType(canonical))):
                        AddOp(field, path, name, offset, declared, spelled, location);
                        break;

                    case CXTypeKind.Record:
                        WalkRecordMember(field, path, name, offset, canonical, spelled, location);
                        break;

                    case CXTypeKind.ConstantArray or CXTypeKind.IncompleteArray:
                        if (HoldsFunctionPointers(LibClang.clang_getArrayElementType(canonical)))
                        {
                            Error(DiagnosticIds.ArrayMember, $"array member '{path}' holds function pointers; an op must be a single named member", location);
                        }
                        else
                        {
                            Warn(DiagnosticIds.ArrayMember, $"array member '{path}' is treated as data", location);
                            AddData(path, name, offset, canonical, spelled, location);
                        }

                        break;

                    default:
                        AddData(path, name, offset, canonical, spelled, location);
                        break;
                }
            }
        }

        /// <summary>
        /// Where an anonymous member starts: a named field inside it, found by name from the enclosing record (C11 makes
        /// the names visible there), minus its offset inside the anonymous record.
        /// </summary>
        private void WalkAnonymousMember(CXCursor parent, CXCursor anonymous, long baseOffset, string prefix)
        {
            var location = Locate(anonymous);
            CXType type = LibClang.clang_getCursorType(anonymous);
            if (FirstNamedField(anonymous) is not { } leaf)
            {
                return;
            }

            long inParent = LibClang.clang_Type_getOffsetOf(LibClang.clang_getCursorType(parent), leaf);
            long inAnonymous = LibClang.clang_Type_getOffsetOf(type, leaf);
            if (inParent < 0 || inAnonymous < 0)
            {
                Error(DiagnosticIds.ClangError, $"cannot lay out the anonymous member that holds '{prefix}{leaf}' (libclang error {Math.Min(inParent, inAnonymous)})", location);
                return;
            }

            long offset = baseOffset + (inParent - inAnonymous) / 8;
            // libclang spells the type with the file's absolute path; the model stays machine-independent.
            string spelled = anonymous.Kind == CXCursorKind.UnionDecl ? "union (anonymous)" : "struct (anonymous)";
            WalkRecordMember(anonymous, prefix, string.Empty, offset, LibClang.clang_getCanonicalType(type), spelled, location, dataPath: prefix + leaf);
        }

        /// <summary>An anonymous member's data is named by the field that reaches it (its path's last part).</summary>
        private static string DataName(string? dataPath, string name) => dataPath is null ? name : dataPath[(dataPath.LastIndexOf('.') + 1)..];

        /// <summary>The first named field of a record, looking through nested anonymous members.</summary>
        private static string? FirstNamedField(CXCursor record)
        {
            foreach (var child in ClangApi.Children(record))
            {
                if (child.Kind == CXCursorKind.FieldDecl && ClangApi.Spelling(child) is { Length: > 0 } name)
                {
                    return name;
                }

                if (child.Kind is CXCursorKind.StructDecl or CXCursorKind.UnionDecl && LibClang.clang_Cursor_isAnonymousRecordDecl(child) != 0
                    && FirstNamedField(child) is { } nested)
                {
                    return nested;
                }
            }

            return null;
        }

        /// <param name="dataPath">For an anonymous member: the C path that reaches its start (its first named field), used when it is data.</param>
        private void WalkRecordMember(CXCursor field, string path, string name, long offset, CXType canonical, string spelled, SourceLocation location, string? dataPath = null)
        {
            CXCursor decl = LibClang.clang_getTypeDeclaration(canonical);
            string recordName = ClangApi.Spelling(decl);
            bool anonymous = name.Length == 0;
            if (decl.Kind == CXCursorKind.StructDecl && recordName == request.CalleeSaveType)
            {
                AddCalleeSaveOp(path, name, offset, spelled, location, field);
            }
            else if (decl.Kind == CXCursorKind.UnionDecl)
            {
                string what = anonymous ? $"anonymous union{(path.Length > 0 ? $" in '{path.TrimEnd('.')}'" : string.Empty)}" : $"union member '{path}'";
                if (HoldsFunctionPointers(canonical))
                {
                    Error(DiagnosticIds.UnionMember, $"{what} holds function pointers; which one a site calls is ambiguous", location);
                }
                else
                {
                    Warn(DiagnosticIds.UnionMember, $"{what} is treated as data", location);
                    AddData(dataPath ?? path, DataName(dataPath, name), offset, canonical, spelled, location);
                }
            }
            else if (HoldsFunctionPointers(canonical))
            {
                // A group of ops (pv_cpu_ops cpu; pv_lazy_ops lazy_mode): recurse, keeping the path.
                WalkRecord(decl, offset, anonymous ? path : path + ".");
            }
            else
            {
                AddData(dataPath ?? path, DataName(dataPath, name), offset, canonical, spelled, location);
            }
        }

        /// <summary>A function pointer, or a record or array that holds one or a callee-save member (a group of only callee-save ops is a group).</summary>
        private bool HoldsFunctionPointers(CXType type)
        {
            type = LibClang.clang_getCanonicalType(type);
            if (type.Kind == CXTypeKind.Pointer)
            {
                return ClangApi.IsFunction(LibClang.clang_getCanonicalType(LibClang.clang_getPointeeType(type)));
            }

            if (type.Kind is CXTypeKind.ConstantArray or CXTypeKind.IncompleteArray)
            {
                return HoldsFunctionPointers(LibClang.clang_getArrayElementType(type));
            }

            if (type.Kind != CXTypeKind.Record)
            {
                return false;
            }

            var declaration = LibClang.clang_getTypeDeclaration(type);
            if (declaration.Kind == CXCursorKind.StructDecl && ClangApi.Spelling(declaration) == request.CalleeSaveType)
            {
                return true;
            }

            foreach (var child in ClangApi.Children(declaration))
            {
                if (child.Kind == CXCursorKind.FieldDecl && HoldsFunctionPointers(LibClang.clang_getCursorType(child)))
                {
                    return true;
                }
            }

            return false;
        }

        private void AddOp(CXCursor field, string path, string name, long offset, CXType declared, string spelled, SourceLocation location)
        {
            // The function type as written (keeps typedef'd parameter types such as pte_t).
            CXType pointer = ClangApi.Desugar(declared);
            CXType function = LibClang.clang_getPointeeType(pointer);
            if (LibClang.clang_isFunctionTypeVariadic(function) != 0)
            {
                Error(DiagnosticIds.VariadicOp, $"op '{path}' is variadic; its arguments cannot be bound to registers", location);
                return;
            }

            bool prototyped = LibClang.clang_getNumArgTypes(function) >= 0;
            if (!prototyped || LibClang.clang_getCanonicalType(function).Kind == CXTypeKind.FunctionNoProto)
            {
                Warn(DiagnosticIds.NoPrototype, $"op '{path}' has no prototype; declare its parameters (or (void))", location);
            }

            var parameters = Parameters(function, ParamNames(field, declared));
            ops.Add(new Op(path, name, offset, Slot(offset), spelled, TypeOf(LibClang.clang_getResultType(function)),
                parameters, CalleeSave: false, SignatureKnown: prototyped, location, Comment(field)));
        }

        private void AddCalleeSaveOp(string path, string name, long offset, string spelled, SourceLocation location, CXCursor field)
        {
            string? key = request.Config?.KeyFor(path);
            if (key is not null && signatureTypes.TryGetValue(key, out var function))
            {
                var parameters = Parameters(function, ParamNames(signatureDecls[key], LibClang.clang_getCursorType(signatureDecls[key])));
                ops.Add(new Op(path, name, offset, Slot(offset), spelled, TypeOf(LibClang.clang_getResultType(function)),
                    parameters, CalleeSave: true, SignatureKnown: true, location, Comment(field)));
            }
            else
            {
                ops.Add(new Op(path, name, offset, Slot(offset), spelled, CType.Void,
                    EquatableArray<Param>.Empty, CalleeSave: true, SignatureKnown: false, location, Comment(field)));
            }
        }

        private static EquatableArray<Param> Parameters(CXType function, List<string> names)
        {
            int count = Math.Max(0, LibClang.clang_getNumArgTypes(function));
            var parameters = new List<Param>(count);
            for (uint i = 0; i < count; i++)
            {
                string paramName = i < names.Count && names[(int)i].Length > 0 ? names[(int)i] : $"arg{i}";
                parameters.Add(new Param(paramName, TypeOf(LibClang.clang_getArgType(function, i))));
            }

            return parameters.ToEquatableArray();
        }

        /// <summary>Parameter names: on the member itself, else on the typedef(s) it was declared through.</summary>
        private static List<string> ParamNames(CXCursor declaration, CXType declared)
        {
            for (int guard = 0; guard < 16; guard++)
            {
                var names = ClangApi.Children(declaration).Where(c => c.Kind == CXCursorKind.ParmDecl).Select(ClangApi.Spelling).ToList();
                if (names.Count > 0)
                {
                    return names;
                }

                // Look through the sugar to the next typedef declaration.
                CXType type = declared;
                while (type.Kind is CXTypeKind.Elaborated or CXTypeKind.Attributed or CXTypeKind.Pointer)
                {
                    type = type.Kind switch
                    {
                        CXTypeKind.Elaborated => LibClang.clang_Type_getNamedType(type),
                        CXTypeKind.Attributed => LibClang.clang_Type_getModifiedType(type),
                        _ => LibClang.clang_getPointeeType(type),
                    };
                }

                if (type.Kind != CXTypeKind.Typedef)
                {
                    break;
                }

                declaration = LibClang.clang_getTypeDeclaration(type);
                declared = LibClang.clang_getTypedefDeclUnderlyingType(declaration);
            }

            return [];
        }

        private static CType TypeOf(CXType type)
        {
            string spelling = ClangApi.Spelling(type);
            CXType canonical = LibClang.clang_getCanonicalType(type);
            string canonicalSpelling = ClangApi.Spelling(canonical);
            if (canonicalSpelling.Contains("(unnamed", StringComparison.Ordinal) || canonicalSpelling.Contains("(anonymous", StringComparison.Ordinal))
            {
                // Anonymous records spell with an absolute path; the typedef name is stable.
                canonicalSpelling = spelling;
            }

            long size = canonical.Kind == CXTypeKind.Void ? 0 : LibClang.clang_Type_getSizeOf(canonical);
            return new CType(spelling, canonicalSpelling, KindOf(canonical), (int)Math.Max(0, size));
        }

        private static TypeKind KindOf(CXType canonical) => ClangApi.KindOf(canonical);

        private void AddData(string path, string name, long offset, CXType canonical, string spelled, SourceLocation location) =>
            data.Add(new DataMember(path, name, offset, Math.Max(0, LibClang.clang_Type_getSizeOf(canonical)), spelled, location));

        private int Slot(long offset) => (int)(offset / request.Target.PointerSize);

        private static string? Comment(CXCursor cursor)
        {
            string text = ClangApi.Take(LibClang.clang_Cursor_getRawCommentText(cursor));
            return text.Length == 0 ? null : text.Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        /// <summary>Every "extern struct NAME SYM;" of the ops struct in the translation unit, in declaration order.</summary>
        private static List<string> DeclaredTables(List<CXCursor> topLevel, CXCursor structDecl)
        {
            var candidates = new List<string>();
            foreach (var cursor in topLevel)
            {
                if (cursor.Kind != CXCursorKind.VarDecl || LibClang.clang_Cursor_getStorageClass(cursor) != CXStorageClass.Extern)
                {
                    continue;
                }

                CXType type = LibClang.clang_getCanonicalType(LibClang.clang_getCursorType(cursor));
                if (type.Kind == CXTypeKind.Record &&
                    LibClang.clang_equalCursors(LibClang.clang_getCursorDefinition(LibClang.clang_getTypeDeclaration(type)), structDecl) != 0)
                {
                    string name = ClangApi.Spelling(cursor);
                    if (!candidates.Contains(name))
                    {
                        candidates.Add(name);
                    }
                }
            }

            return candidates;
        }

        private SourceLocation Locate(CXCursor cursor)
        {
            var (file, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(cursor));
            return new SourceLocation(Relative(file), line, column);
        }

        private string Relative(string file) => PathDisplay.Relative(file, request.BaseDirectory);

        private void Warn(string id, string message, SourceLocation location) => diagnostics.Add(new Diagnostic(id, Severity.Warning, message, location));

        private void Error(string id, string message, SourceLocation location) => diagnostics.Add(new Diagnostic(id, Severity.Error, message, location));
    }
}
