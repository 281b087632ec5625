using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using PvGen.Clang.Interop;
using PvGen.Model;
using PvGen.Model.Kernel;

namespace PvGen.Clang;

/// <summary>A kernel's paravirt.h to read: the header, its paravirt_types.h, the trees and the table.</summary>
public sealed record ImportRequest
{
    /// <summary>arch/x86/include/asm/paravirt.h of the tree.</summary>
    public required string ParavirtHeader { get; init; }

    /// <summary>The header with the ops struct and the PVOP_* families (default: paravirt_types.h next to paravirt.h).</summary>
    public string? TypesHeader { get; init; }

    public required string KernelTree { get; init; }

    public string? KernelBuild { get; init; }

    public Target Target { get; init; } = Target.X86_64;

    public string StructName { get; init; } = "paravirt_patch_template";

    public string? Symbol { get; init; }

    public string CalleeSaveType { get; init; } = "paravirt_callee_save";

    /// <summary>Locations in diagnostics and the model are relative to this directory when below it.</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}

/// <summary>The import (null when an error stopped it) and every diagnostic, in order.</summary>
public sealed record ImportResult(ParavirtImport? Import, IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool Succeeded => Import is not null && !Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// Reads what a kernel's paravirt.h knows about each op, from clang's own view of it under the kernel's flags: the
/// expanded inline-asm statements of the wrappers (operands, clobbers, template; libclang 21+), the PVOP_* macro
/// invocations they came from (tokens), and the native alternatives and conditions evaluated by clang itself.
/// </summary>
public static unsafe class ParavirtReader
{
    private const string EvalPrefix = "__pvgen_import_";

    public static ImportResult Read(ImportRequest request)
    {
        string header = Path.GetFullPath(request.ParavirtHeader);
        string types = Path.GetFullPath(request.TypesHeader ?? Path.Combine(Path.GetDirectoryName(header)!, "paravirt_types.h"));
        foreach (string file in new[] { header, types })
        {
            if (!File.Exists(file))
            {
                return Fail(DiagnosticIds.FileNotFound, $"header '{PathDisplay.Relative(file, request.BaseDirectory)}' not found");
            }
        }

        if (!NativeLibrary.TryLoad("libclang", typeof(ParavirtReader).Assembly, null, out _))
        {
            return Fail(DiagnosticIds.LibClangUnavailable, "libclang cannot be loaded; is the libclang.runtime.linux-x64 package restored?");
        }

        var parseRequest = new ParseRequest
        {
            HeaderPath = types,
            StructName = request.StructName,
            Symbol = request.Symbol,
            Target = request.Target,
            KernelTree = request.KernelTree,
            KernelBuild = request.KernelBuild,
            CalleeSaveType = request.CalleeSaveType,
            BaseDirectory = request.BaseDirectory,
        };
        var parsed = HeaderParser.Parse(parseRequest);
        if (!parsed.Succeeded)
        {
            return new ImportResult(null, parsed.Diagnostics);
        }

        var model = parsed.Model!;
        if (model.TableSymbol is null)
        {
            return Fail(DiagnosticIds.ImportUnsupported, $"struct {model.Struct} has no single table symbol; import reads kernels with one pv_ops table (4.20 and later)");
        }

        var args = CompilerFlags.For(parseRequest with { HeaderPath = header });
        var reader = new Reader(request, header, types, model);
        var first = WithUnit(header, $"#include \"{header}\"\n", args, reader.Collect);
        if (first is not null)
        {
            return first;
        }

        var second = WithUnit(header, reader.EvaluationFile(), args, reader.Evaluate);
        return second ?? reader.Finish();
    }

    private static ImportResult Fail(string id, string message, SourceLocation? location = null) =>
        new(null, [new Diagnostic(id, Severity.Error, message, location)]);

    /// <summary>Parses one unit (bodies and macro expansions kept), stops on clang errors, else hands it to <paramref name="use"/>.</summary>
    private static ImportResult? WithUnit(string header, string mainText, List<string> args, Func<nint, ImportResult?> use)
    {
        string mainPath = Path.Combine(Path.GetDirectoryName(header)!, ".pvgen-import.c");
        void* index = ClangApi.CreateIndex();
        try
        {
            void* unit = ClangApi.ParseUnit(index, mainPath, mainText, args, CXTranslationUnitFlags.DetailedPreprocessingRecord, out var code);
            if (code != CXErrorCode.Success || unit is null)
            {
                return Fail(DiagnosticIds.ClangError, $"libclang could not parse '{header}' (error {code})");
            }

            try
            {
                // Only read, never compiled by check: its warnings are not ours.
                var errors = ClangDiagnostics.Errors(unit, _ => false)
                    .Select(e => new Diagnostic(DiagnosticIds.ClangError, Severity.Error, e.Message, new SourceLocation(e.File, e.Line, e.Column))).ToList();
                return errors.Count > 0 ? new ImportResult(null, errors) : use((nint)unit);
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

    /// <summary>A macro definition of paravirt_types.h: its lines, parameters and the identifiers its body uses.</summary>
    private sealed record MacroDef(string Name, int First, int Last, bool FunctionLike, List<string> Parameters, HashSet<string> BodyNames, SourceLocation Location);

    /// <summary>One pv site found in the first parse, before the second parse evaluates its macro arguments.</summary>
    private sealed class PendingCall
    {
        public required string Op;
        public required string Wrapper;
        public string? Family;
        public bool CalleeSave;
        public string ReturnType = "void";
        public List<string> ArgumentTypes = [];
        public List<string> Clobbers = [];
        public bool Jump;
        public string? AltTokens;
        public string? CondTokens;
        public string? RetTokens;
        public string? Template;
        public required SourceLocation Location;
        public string? NativeAsm;
        public long? ConditionValue;
    }

    private sealed class Reader(ImportRequest request, string header, string types, OpsModel model)
    {
        private readonly List<Diagnostic> diagnostics = [];
        private readonly List<PendingCall> calls = [];
        private readonly List<PvWrapper> wrappers = [];
        private readonly List<MacroDef> definitions = [];
        private readonly HashSet<string> expandedInHeader = new(StringComparer.Ordinal);
        private readonly HashSet<string> usedFamilies = new(StringComparer.Ordinal);
        private SiteRecording? recording;

        private string Relative(string file) => PathDisplay.Relative(file, request.BaseDirectory);

        private SourceLocation Locate(string file, int line, int column) => new(Relative(file), line, column);

        private void Error(string message, SourceLocation? where) => diagnostics.Add(new Diagnostic(DiagnosticIds.ImportUnmatched, Severity.Error, message, where));

        public ImportResult? Collect(nint unitHandle)
        {
            void* unit = (void*)unitHandle;
            var topLevel = ClangApi.Children(LibClang.clang_getTranslationUnitCursor(unit));
            var expansions = new Dictionary<(int Line, int Column), CXCursor>();
            foreach (var cursor in topLevel)
            {
                switch (cursor.Kind)
                {
                    case CXCursorKind.MacroDefinition:
                        if (FileOf(cursor) == types)
                        {
                            definitions.Add(Definition(unit, cursor));
                        }

                        break;
                    case CXCursorKind.MacroExpansion:
                        var (file, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(cursor));
                        if (file == header)
                        {
                            expansions[(line, column)] = cursor;
                            expandedInHeader.Add(ClangApi.Spelling(cursor));
                        }

                        break;
                }
            }

            foreach (var function in topLevel.Where(c => c.Kind == CXCursorKind.FunctionDecl && LibClang.clang_isCursorDefinition(c) != 0 && FileOf(c) == header))
            {
                ReadWrapper(unit, function, expansions);
            }

            if (calls.Count == 0)
            {
                Error($"'{Relative(header)}' calls no op of {model.TableSymbol} (is CONFIG_PARAVIRT set in the build tree's configuration?)", Locate(header, 1, 1));
            }

            return diagnostics.Any(d => d.Severity == Severity.Error) ? new ImportResult(null, diagnostics) : null;
        }

        private static string FileOf(CXCursor cursor) => ClangApi.Expansion(LibClang.clang_getCursorLocation(cursor)).File;

        private MacroDef Definition(void* unit, CXCursor cursor)
        {
            var (file, first, last) = ClangApi.Lines(cursor);
            var tokens = ClangApi.Tokens(unit, cursor);
            // A macro #undef'd later (paravirt.h undefines some families) no longer says it was function-like: a '(' right after the name does.
            bool functionLike = LibClang.clang_Cursor_isMacroFunctionLike(cursor) != 0
                || (tokens.Count > 1 && tokens[1].Spelling == "(" && tokens[1].Start == tokens[0].End);
            var parameters = new List<string>();
            int body = 1;
            if (functionLike && tokens.Count > 1 && tokens[1].Spelling == "(")
            {
                int i = 2;
                for (; i < tokens.Count && tokens[i].Spelling != ")"; i++)
                {
                    if (tokens[i].Spelling != ",")
                    {
                        parameters.Add(tokens[i].Spelling);
                    }
                }

                body = i + 1;
            }

            var names = tokens.Skip(body).Where(t => t.Kind is CXTokenKind.Identifier or CXTokenKind.Keyword).Select(t => t.Spelling).ToHashSet(StringComparer.Ordinal);
            var (_, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(cursor));
            return new MacroDef(ClangApi.Spelling(cursor), first, last, functionLike, parameters, names, Locate(file, line, column));
        }

        private void ReadWrapper(void* unit, CXCursor function, Dictionary<(int, int), CXCursor> expansions)
        {
            string name = ClangApi.Spelling(function);
            var (_, fline, fcolumn) = ClangApi.Expansion(LibClang.clang_getCursorLocation(function));
            var ops = new List<string>();
            var body = ClangApi.Descendants(function, c => c.Kind is CXCursorKind.GCCAsmStmt or CXCursorKind.CallExpr);
            foreach (var statement in body)
            {
                var call = statement.Kind == CXCursorKind.GCCAsmStmt ? ReadAsm(unit, statement, name, expansions) : ReadDirectCall(statement, name);
                if (call is not null)
                {
                    calls.Add(call);
                    ops.Add(call.Op);
                }
            }

            if (ops.Count > 0)
            {
                wrappers.Add(new PvWrapper(name, Signature(function), ops.Distinct().ToEquatableArray(), Locate(header, fline, fcolumn)));
            }
        }

        /// <summary>"RET (TYPE NAME, ...)" of a function declaration, with its parameter names.</summary>
        private static string Signature(CXCursor function)
        {
            CXType type = LibClang.clang_getCursorType(function);
            string result = ClangApi.Spelling(LibClang.clang_getResultType(type));
            var parameters = ClangApi.Children(function).Where(c => c.Kind == CXCursorKind.ParmDecl)
                .Select(p => Declarator(ClangApi.Spelling(LibClang.clang_getCursorType(p)), ClangApi.Spelling(p))).ToList();
            return $"{result} ({(parameters.Count == 0 ? "void" : string.Join(", ", parameters))})";
        }

        private static string Declarator(string type, string name)
        {
            if (name.Length == 0)
            {
                return type;
            }

            int pointerToFunction = type.IndexOf("(*)", StringComparison.Ordinal);
            if (pointerToFunction >= 0)
            {
                return type[..(pointerToFunction + 2)] + name + type[(pointerToFunction + 2)..];
            }

            return type.EndsWith('*') ? type + name : type + " " + name;
        }

        /// <summary>An asm statement's output or input operands: each constraint and the expression bound to it.</summary>
        private static List<(string Constraint, CXCursor Expression)> AsmOperands(CXCursor statement, bool inputs)
        {
            var operands = new List<(string, CXCursor)>();
            uint count = inputs ? LibClang.clang_Cursor_getGCCAssemblyNumInputs(statement) : LibClang.clang_Cursor_getGCCAssemblyNumOutputs(statement);
            for (uint i = 0; i < count; i++)
            {
                CXString constraint;
                CXCursor expression;
                uint found = inputs
                    ? LibClang.clang_Cursor_getGCCAssemblyInput(statement, i, &constraint, &expression)
                    : LibClang.clang_Cursor_getGCCAssemblyOutput(statement, i, &constraint, &expression);

                // 0: no such operand (i is below the count, so clang and we disagree on the statement); nothing was written.
                if (found != 0)
                {
                    operands.Add((ClangApi.Take(constraint), expression));
                }
            }

            return operands;
        }

        private PendingCall? ReadAsm(void* unit, CXCursor statement, string wrapper, Dictionary<(int, int), CXCursor> expansions)
        {
            string? op = null;
            var arguments = new SortedDictionary<int, string>();
            var clobbers = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (constraint, _) in AsmOperands(statement, inputs: false))
            {
                if (RegisterOf(constraint) is { } register)
                {
                    clobbers.Add(register);
                }
            }

            foreach (var (text, expression) in AsmOperands(statement, inputs: true))
            {
                if (TablePath(expression) is { } path)
                {
                    op = path;
                }
                else if (RegisterOf(text) is { } register && ArgumentIndex(register) is int position)
                {
                    arguments[position] = ArgumentType(expression);
                }
            }

            if (op is null)
            {
                return null;
            }

            uint clobberCount = LibClang.clang_Cursor_getGCCAssemblyNumClobbers(statement);
            for (uint i = 0; i < clobberCount; i++)
            {
                if (Canonical(ClangApi.Take(LibClang.clang_Cursor_getGCCAssemblyClobber(statement, i))) is { } register)
                {
                    clobbers.Add(register);
                }
            }

            string template = ClangApi.Take(LibClang.clang_Cursor_getGCCAssemblyTemplate(statement));
            var (file, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(statement));
            var where = Locate(file, line, column);
            bool calleeSave = op.EndsWith(".func", StringComparison.Ordinal);
            if (calleeSave)
            {
                op = op[..^".func".Length];
            }

            var call = new PendingCall
            {
                Op = op,
                Wrapper = wrapper,
                CalleeSave = calleeSave,
                ArgumentTypes = [.. arguments.Values],
                Clobbers = [.. OrderedRegisters(clobbers)],
                Template = template,
                Jump = IndirectMnemonic(template) == "jmp",
                Location = where,
            };
            var era = template.Contains(".parainstructions", StringComparison.Ordinal) ? SiteRecording.ParaInstructions
                : template.Contains(".altinstructions", StringComparison.Ordinal) ? SiteRecording.AltInstructions
                : (SiteRecording?)null;
            if (era is null)
            {
                Error($"the site of '{op}' in {wrapper}() is recorded in neither .parainstructions nor .altinstructions", where);
            }
            else if (recording is { } seen && seen != era)
            {
                Error($"sites of one header are recorded in two ways ({seen} and {era})", where);
            }

            recording ??= era;
            if (!expansions.TryGetValue((line, column), out var expansion))
            {
                Error($"the site of '{op}' in {wrapper}() does not come from a macro of '{Relative(types)}'", where);
                return call;
            }

            ReadInvocation(unit, expansion, call);
            return call;
        }

        /// <summary>The macro invocation a site came from: the family, and the tokens of its result type, alternative and condition.</summary>
        private void ReadInvocation(void* unit, CXCursor expansion, PendingCall call)
        {
            string family = ClangApi.Spelling(expansion);
            call.Family = family;
            usedFamilies.Add(family);
            var definition = definitions.LastOrDefault(d => d.Name == family);
            if (definition is null)
            {
                Error($"'{family}' (used by {call.Wrapper}() for '{call.Op}') is not defined in '{Relative(types)}'", call.Location);
                return;
            }

            var arguments = MacroArguments(ClangApi.Tokens(unit, expansion));
            if (arguments.Count != definition.Parameters.Count)
            {
                Error($"{family} takes {definition.Parameters.Count} arguments; {call.Wrapper}() passes {arguments.Count}", call.Location);
                return;
            }

            string? Argument(string parameter) => definition.Parameters.IndexOf(parameter) is int i and >= 0 ? arguments[i] : null;
            call.RetTokens = Argument("rettype");
            call.AltTokens = Argument("alt");
            call.CondTokens = Argument("cond");
        }

        /// <summary>Splits NAME ( a , b ( c , d ) , e ) at top-level commas into the argument token texts.</summary>
        private static List<string> MacroArguments(List<ClangToken> tokens)
        {
            var arguments = new List<string>();
            if (tokens.Count < 3 || tokens[1].Spelling != "(")
            {
                return arguments;
            }

            // Tokens are joined as the source spaced them (one space where there was any), so ALT_NOT(X86_FEATURE_XENPV) stays as written.
            var current = new StringBuilder();
            int depth = 0, previousEnd = -1;
            for (int i = 2; i < tokens.Count; i++)
            {
                string token = tokens[i].Spelling;
                if (depth == 0 && token is "," or ")")
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                    previousEnd = -1;
                    if (token == ")")
                    {
                        break;
                    }

                    continue;
                }

                depth += token is "(" or "[" or "{" ? 1 : token is ")" or "]" or "}" ? -1 : 0;
                if (current.Length > 0 && tokens[i].Start > previousEnd)
                {
                    current.Append(' ');
                }

                current.Append(token);
                previousEnd = tokens[i].End;
            }

            return arguments;
        }

        /// <summary>An ordinary C call through the table (the kernel has a few, e.g. __set_fixmap).</summary>
        private PendingCall? ReadDirectCall(CXCursor call, string wrapper)
        {
            var children = ClangApi.Children(call);
            if (children.Count == 0 || TablePath(children[0]) is not { } path || model.Ops.FirstOrDefault(o => o.Path == path) is not { } op)
            {
                return null;
            }

            var (file, line, column) = ClangApi.Expansion(LibClang.clang_getCursorLocation(call));
            return new PendingCall
            {
                Op = path,
                Wrapper = wrapper,
                ReturnType = op.ReturnType.Spelling,
                ArgumentTypes = [.. op.Params.Select(p => p.Type.Spelling)],
                Clobbers = [.. CallerSaved()],
                Location = Locate(file, line, column),
            };
        }

        private IEnumerable<string> CallerSaved() => request.Target.PointerSize == 8
            ? ["rax", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10", "r11"]
            : ["eax", "ecx", "edx"];

        /// <summary>"cpu.write_cr3" for an expression pv_ops.cpu.write_cr3 (through parentheses and implicit conversions), else null.</summary>
        private string? TablePath(CXCursor expression)
        {
            var names = new List<string>();
            var cursor = expression;
            for (int guard = 0; guard < 32; guard++)
            {
                switch (cursor.Kind)
                {
                    case CXCursorKind.UnexposedExpr or CXCursorKind.ParenExpr:
                        var inner = ClangApi.Children(cursor);
                        if (inner.Count != 1)
                        {
                            return null;
                        }

                        cursor = inner[0];
                        continue;
                    case CXCursorKind.MemberRefExpr:
                        names.Add(ClangApi.Spelling(cursor));
                        var bases = ClangApi.Children(cursor);
                        if (bases.Count == 0)
                        {
                            return null;
                        }

                        cursor = bases[0];
                        continue;
                    case CXCursorKind.DeclRefExpr when names.Count > 0 && ClangApi.Spelling(cursor) == model.TableSymbol:
                        names.Reverse();
                        return string.Join('.', names);
                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary>The type the wrapper passes: the operand of the macro's (unsigned long) cast, else the operand itself.</summary>
        private static string ArgumentType(CXCursor expression)
        {
            var cursor = expression;
            while (cursor.Kind == CXCursorKind.ParenExpr && ClangApi.Children(cursor) is [var inner])
            {
                cursor = inner;
            }

            if (cursor.Kind == CXCursorKind.CStyleCastExpr && ClangApi.Children(cursor) is { Count: > 0 } operands)
            {
                cursor = operands[^1];
            }

            return ClangApi.Spelling(LibClang.clang_getCursorType(cursor));
        }

        /// <summary>The register a single-register constraint names ("=D", "a", "+c"), in the target's full width; else null.</summary>
        private string? RegisterOf(string constraint)
        {
            string letters = constraint.TrimStart('=', '+', '&');
            if (letters.Length != 1)
            {
                return null;
            }

            bool wide = request.Target.PointerSize == 8;
            return letters[0] switch
            {
                'a' => wide ? "rax" : "eax",
                'b' => wide ? "rbx" : "ebx",
                'c' => wide ? "rcx" : "ecx",
                'd' => wide ? "rdx" : "edx",
                'S' => wide ? "rsi" : "esi",
                'D' => wide ? "rdi" : "edi",
                _ => null,
            };
        }

        /// <summary>The argument position a register carries in the target's C ABI (x86-64: rdi rsi rdx rcx r8 r9; i386 regparm: eax edx ecx).</summary>
        private int? ArgumentIndex(string register)
        {
            string[] order = request.Target.PointerSize == 8 ? ["rdi", "rsi", "rdx", "rcx", "r8", "r9"] : ["eax", "edx", "ecx"];
            int index = Array.IndexOf(order, register);
            return index >= 0 ? index : null;
        }

        /// <summary>A clobber name in full width ("eax" and "rax" are one register), or null for memory, cc and the like.</summary>
        private string? Canonical(string clobber)
        {
            string name = clobber.TrimStart('%');
            if (request.Target.PointerSize == 8)
            {
                if (name is "eax" or "ecx" or "edx" or "ebx" or "esi" or "edi")
                {
                    name = "r" + name[1..];
                }

                return name is "rax" or "rbx" or "rcx" or "rdx" or "rsi" or "rdi" or "r8" or "r9" or "r10" or "r11" ? name : null;
            }

            return name is "eax" or "ebx" or "ecx" or "edx" or "esi" or "edi" ? name : null;
        }

        /// <summary>Registers in the kernel's CLBR_* bit order (rax rcx rdx rdi rsi r8-r11), then any others.</summary>
        private static IEnumerable<string> OrderedRegisters(HashSet<string> registers)
        {
            string[] order = ["rax", "eax", "rcx", "ecx", "rdx", "edx", "rdi", "edi", "rsi", "esi", "r8", "r9", "r10", "r11", "rbx", "ebx"];
            return registers.OrderBy(r => Array.IndexOf(order, r) is int i and >= 0 ? i : int.MaxValue).ThenBy(r => r, StringComparer.Ordinal);
        }

        /// <summary>The mnemonic of the template's indirect call or jump ("call *%..." / "jmp *%..."), or null.</summary>
        private static string? IndirectMnemonic(string template)
        {
            foreach (string instruction in template.Split(['\n', ';']))
            {
                string text = instruction.Trim();
                int star = text.IndexOf("*%", StringComparison.Ordinal);
                if (star > 0)
                {
                    string mnemonic = text[..star].Trim();
                    if (mnemonic is "call" or "callq" or "calll")
                    {
                        return "call";
                    }

                    if (mnemonic is "jmp" or "jmpq" or "jmpl")
                    {
                        return "jmp";
                    }
                }
            }

            return null;
        }

        /// <summary>The second unit: the header again, plus one declaration per macro argument for clang to evaluate.</summary>
        public string EvaluationFile()
        {
            var text = new StringBuilder($"#include \"{header}\"\n");
            for (int i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                if (call.AltTokens is { } alt)
                {
                    text.Append(CultureInfo.InvariantCulture, $"static const char {EvalPrefix}alt_{i}[] = {alt};\n");
                }

                if (call.CondTokens is { } cond)
                {
                    text.Append(CultureInfo.InvariantCulture, $"static const long long {EvalPrefix}cond_{i} = ({cond});\n");
                }

                if (call.RetTokens is { } ret)
                {
                    text.Append(CultureInfo.InvariantCulture, $"typedef {ret} {EvalPrefix}ret_{i};\n");
                }
            }

            return text.ToString();
        }

        public ImportResult? Evaluate(nint unitHandle)
        {
            void* unit = (void*)unitHandle;
            foreach (var cursor in ClangApi.Children(LibClang.clang_getTranslationUnitCursor(unit)))
            {
                string name = ClangApi.Spelling(cursor);
                if (!name.StartsWith(EvalPrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                string[] parts = name[EvalPrefix.Length..].Split('_');
                var call = calls[int.Parse(parts[1], CultureInfo.InvariantCulture)];
                switch (parts[0])
                {
                    case "alt":
                        var (_, text) = ClangApi.Evaluate(cursor);
                        if (text is null)
                        {
                            Error($"the native alternative of '{call.Op}' in {call.Wrapper}() ({call.AltTokens}) is not a string clang can evaluate", call.Location);
                        }
                        else
                        {
                            call.NativeAsm = UnescapeTemplate(text, call);
                        }

                        break;
                    case "cond":
                        var (value, _) = ClangApi.Evaluate(cursor);
                        call.ConditionValue = value;
                        if (value is null)
                        {
                            Error($"the condition of '{call.Op}' in {call.Wrapper}() ({call.CondTokens}) is not a constant clang can evaluate", call.Location);
                        }

                        break;
                    case "ret":
                        call.ReturnType = ClangApi.Spelling(LibClang.clang_getTypedefDeclUnderlyingType(cursor));
                        break;
                }
            }

            return diagnostics.Any(d => d.Severity == Severity.Error) ? new ImportResult(null, diagnostics) : null;
        }

        /// <summary>An asm template fragment as the assembler sees it: %% is %, and operand references cannot stand alone.</summary>
        private string? UnescapeTemplate(string text, PendingCall call)
        {
            var result = new StringBuilder(text.Length);
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] != '%')
                {
                    result.Append(text[i]);
                }
                else if (i + 1 < text.Length && text[i + 1] == '%')
                {
                    result.Append('%');
                    i++;
                }
                else
                {
                    diagnostics.Add(new Diagnostic(DiagnosticIds.ImportUnmatched, Severity.Warning,
                        $"the native alternative of '{call.Op}' (\"{text}\") refers to asm operands; it is kept as written", call.Location));
                    return text;
                }
            }

            return result.ToString().Trim();
        }

        public ImportResult Finish()
        {
            var opPaths = model.Ops.Select(o => o.Path).ToHashSet(StringComparer.Ordinal);
            foreach (var call in calls.Where(c => !opPaths.Contains(c.Op)))
            {
                Error($"{call.Wrapper}() calls '{call.Op}', which struct {model.Struct} does not have", call.Location);
            }

            foreach (var call in calls.Where(c => c.Family is not null && opPaths.Contains(c.Op)))
            {
                var op = model.Ops.First(o => o.Path == call.Op);
                if (op.CalleeSave != call.CalleeSave)
                {
                    Error($"{call.Wrapper}() calls '{call.Op}' {(call.CalleeSave ? "through .func" : "directly")}, but the op is {(op.CalleeSave ? "" : "not ")}callee-save", call.Location);
                }
            }

            var families = Families();
            var section = Section();
            if (diagnostics.Any(d => d.Severity == Severity.Error))
            {
                return new ImportResult(null, diagnostics);
            }

            var called = calls.Select(c => c.Op).ToHashSet(StringComparer.Ordinal);
            var import = new ParavirtImport(
                model,
                header,
                recording!.Value,
                families.ToEquatableArray(),
                wrappers.ToEquatableArray(),
                calls.Select(c => new PvopCall(c.Op, c.Wrapper, c.Family, c.CalleeSave, c.ReturnType, c.ArgumentTypes.ToEquatableArray(), c.NativeAsm,
                    c.CondTokens, c.ConditionValue, c.Clobbers.ToEquatableArray(), c.Jump, c.Location)).ToEquatableArray(),
                model.Ops.Select(o => o.Path).Where(p => !called.Contains(p)).ToEquatableArray(),
                section);
            return new ImportResult(import, diagnostics);
        }

        /// <summary>
        /// The families: the roots of the machinery (macros of the section no other macro of it uses). Classified by the
        /// kernel's naming, PVOP_[ALT_][V]CALL[EE]N, and checked against what the sites that used them show.
        /// </summary>
        private List<PvopFamily> Families()
        {
            var section = SectionMacros();
            var used = section.SelectMany(d => d.BodyNames).ToHashSet(StringComparer.Ordinal);
            var families = new List<PvopFamily>();
            foreach (var definition in section.Where(d => !used.Contains(d.Name) && d.FunctionLike))
            {
                if (Classify(definition.Name) is not { } kind)
                {
                    Error($"'{definition.Name}' is part of the PVOP machinery of '{Relative(types)}' but not named PVOP_[ALT_][V]CALL[EE]N; pvgen cannot generate it", definition.Location);
                    continue;
                }

                var family = new PvopFamily(definition.Name, definition.Parameters.ToEquatableArray(), kind.Returns, kind.CalleeSave, kind.Alternative, kind.Arity, definition.Location);
                string[] expected = [.. kind.Returns ? ["rettype"] : Array.Empty<string>(), "op", .. Enumerable.Range(1, kind.Arity).Select(i => $"arg{i}"),
                    .. kind.Alternative ? ["alt", "cond"] : Array.Empty<string>()];
                if (!family.Parameters.SequenceEqual(expected))
                {
                    Error($"{family.Name}({string.Join(", ", family.Parameters)}) does not take the parameters its name implies ({string.Join(", ", expected)})", definition.Location);
                }

                foreach (var call in calls.Where(c => c.Family == family.Name))
                {
                    if (call.CalleeSave != family.CalleeSave || call.ArgumentTypes.Count != family.Arity || (call.RetTokens is not null) != family.Returns)
                    {
                        Error($"{call.Wrapper}() uses {family.Name} for '{call.Op}' but the site does not match the family (callee-save {call.CalleeSave}, {call.ArgumentTypes.Count} arguments)", call.Location);
                    }
                }

                families.Add(family);
            }

            foreach (string name in usedFamilies.Where(n => families.All(f => f.Name != n)))
            {
                var where = calls.First(c => c.Family == name).Location;
                Error($"'{name}' makes pv sites but other macros of '{Relative(types)}' expand it; pvgen replaces whole families only", where);
            }

            return [.. families.OrderBy(f => f.Location.Line)];
        }

        private static (bool Returns, bool CalleeSave, bool Alternative, int Arity)? Classify(string name)
        {
            const string prefix = "PVOP_";
            if (!name.StartsWith(prefix, StringComparison.Ordinal))
            {
                return null;
            }

            string rest = name[prefix.Length..];
            bool alternative = rest.StartsWith("ALT_", StringComparison.Ordinal);
            if (alternative)
            {
                rest = rest[4..];
            }

            bool returns = !rest.StartsWith('V');
            if (!returns)
            {
                rest = rest[1..];
            }

            if (!rest.StartsWith("CALL", StringComparison.Ordinal))
            {
                return null;
            }

            rest = rest[4..];
            bool calleeSave = rest.StartsWith("EE", StringComparison.Ordinal);
            if (calleeSave)
            {
                rest = rest[2..];
            }

            return rest.Length > 0 && rest.All(char.IsAsciiDigit) ? (returns, calleeSave, alternative, int.Parse(rest, CultureInfo.InvariantCulture)) : null;
        }

        /// <summary>
        /// The macro definitions a drop-in replaces: everything the used families reach, plus every definition that
        /// reaches one of those (a family paravirt.h does not use must not be left pointing at removed helpers).
        /// </summary>
        private List<MacroDef> SectionMacros()
        {
            var byName = definitions.GroupBy(d => d.Name).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
            var inSection = new HashSet<string>(StringComparer.Ordinal);
            var work = new Stack<string>(usedFamilies.Where(byName.ContainsKey));
            while (work.Count > 0)
            {
                string name = work.Pop();
                if (inSection.Add(name))
                {
                    foreach (string next in byName[name].BodyNames.Where(byName.ContainsKey))
                    {
                        work.Push(next);
                    }
                }
            }

            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (var definition in byName.Values.Where(d => !inSection.Contains(d.Name) && d.BodyNames.Overlaps(inSection)))
                {
                    grew |= inSection.Add(definition.Name);
                }
            }

            return [.. byName.Values.Where(d => inSection.Contains(d.Name)).OrderBy(d => d.First)];
        }

        private MacroSection Section()
        {
            var macros = SectionMacros();
            foreach (var definition in macros.Where(d => expandedInHeader.Contains(d.Name) && !usedFamilies.Contains(d.Name)))
            {
                var where = definition.Location;
                Error($"'{Relative(header)}' uses '{definition.Name}' directly, outside the PVOP families; a drop-in that replaces the families would break it", where);
            }

            return new MacroSection(
                types,
                macros.Select(d => new LineRange(d.First, d.Last)).ToEquatableArray(),
                macros.Select(d => d.Name).ToEquatableArray(),
                macros.Count == 0 ? 0 : macros.Max(d => d.Last));
        }
    }
}
