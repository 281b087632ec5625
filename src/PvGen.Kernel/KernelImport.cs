using System.Globalization;
using System.Text;
using LibObjectFile.Elf;
using PvGen.Checking.Toolchain;
using PvGen.Clang;
using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.Model.Kernel;
using PvGen.X86;

namespace PvGen.Kernel;

/// <summary>The import of a kernel's paravirt.h, with each native alternative assembled to its bytes.</summary>
/// <param name="Natives">Op path to the native alternative's bytes ("9c 58"), assembled by the system assembler.</param>
public sealed record KernelImport(ParavirtImport Import, IReadOnlyDictionary<string, string> Natives, IReadOnlyList<Diagnostic> Diagnostics);

/// <summary>`pvgen import`: paravirt.h read through libclang, natives assembled, written as a pvgen.json ops object.</summary>
public static class KernelImporter
{
    /// <returns>The import, or null with the diagnostics that stopped it.</returns>
    public static (KernelImport? Import, IReadOnlyList<Diagnostic> Diagnostics) Run(ImportRequest request, string? assembler = null)
    {
        var read = ParavirtReader.Read(request);
        if (!read.Succeeded)
        {
            return (null, read.Diagnostics);
        }

        var diagnostics = read.Diagnostics.ToList();
        var natives = Assemble(read.Import!, assembler, diagnostics);
        if (diagnostics.Any(d => d.Severity == Severity.Error))
        {
            return (null, diagnostics);
        }

        return (new KernelImport(read.Import!, natives, diagnostics), diagnostics);
    }

    /// <summary>Each op's native alternative, assembled in one run of the compiler driver (one section per op), read back with LibObjectFile.</summary>
    private static Dictionary<string, string> Assemble(ParavirtImport import, string? assembler, List<Diagnostic> diagnostics)
    {
        var natives = import.Calls.Where(c => c.NativeAsm is not null).GroupBy(c => c.Op).Select(g => g.First()).ToList();
        var bytes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (natives.Count == 0)
        {
            return bytes;
        }

        string work = Path.Combine(Path.GetTempPath(), $"pvgen-import-{Guid.NewGuid():N}"[..26]);
        Directory.CreateDirectory(work);
        try
        {
            var source = new StringBuilder();
            for (int i = 0; i < natives.Count; i++)
            {
                source.Append(CultureInfo.InvariantCulture, $".section .pvgen.native.{i},\"ax\",@progbits\n{natives[i].NativeAsm}\n");
            }

            string input = Path.Combine(work, "natives.s");
            string output = Path.Combine(work, "natives.o");
            File.WriteAllText(input, source.ToString());
            string compiler = assembler ?? Processes.Which("gcc") ?? "gcc";
            string[] arguments = [import.Model.Target.PointerSize == 8 ? "-m64" : "-m32", "-c", input, "-o", output];
            var run = CompilerDriver.Run(compiler, arguments, work, 60);
            if (run.ExitCode != 0)
            {
                diagnostics.Add(new Diagnostic(DiagnosticIds.ImportUnmatched, Severity.Error,
                    "the native alternatives of paravirt.h do not assemble:" + CompilerOutput.Lines(run.ExitCode, run.Stderr, [compiler, .. arguments]), null));
                return bytes;
            }

            using var stream = File.OpenRead(output);
            var elf = ElfFile.Read(stream);
            for (int i = 0; i < natives.Count; i++)
            {
                var section = elf.Sections.OfType<ElfStreamSection>().First(s => s.Name.Value == $".pvgen.native.{i}");
                var data = new byte[section.Stream.Length];
                section.Stream.Position = 0;
                section.Stream.ReadExactly(data);
                bytes[natives[i].Op] = string.Join(' ', data.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return bytes;
    }

    /// <summary>
    /// The pvgen.json of an import: the parse inputs (so `pvgen parse --config FILE` reads the same table) and an "ops"
    /// object keyed by op path with what the header knows; the "import" section keeps the rest (families, sites, the
    /// macro section a drop-in replaces). Paths are relative to the file's directory when below it.
    /// </summary>
    public static string Json(KernelImport result, ImportRequest request, string outputDirectory)
    {
        var import = result.Import;
        var model = import.Model;
        string Rel(string path) => PathDisplay.Relative(path, outputDirectory);
        return JsonWriting.Render(w =>
        {
            w.WriteStartObject();
            w.WriteString("header", Rel(import.Section.File));
            w.WriteString("struct", model.Struct);
            w.WriteString("symbol", model.TableSymbol);
            w.WriteString("target", model.Target.Arch);
            w.WriteString("kernel_tree", Rel(request.KernelTree));
            w.WriteString("kernel_build", Rel(request.KernelBuild ?? request.KernelTree));
            w.WriteStartObject("ops");
            foreach (var op in model.Ops)
            {
                var calls = import.CallsOf(op.Path).ToList();
                if (calls.Count == 0)
                {
                    continue;
                }

                var call = calls[0];
                var wrapper = import.Wrappers.First(x => x.Name == call.Wrapper);
                w.WriteStartObject(op.Path);
                w.WriteString("wrapper", wrapper.Name);
                w.WriteString("wrapper_signature", wrapper.Signature);
                if (op.CalleeSave)
                {
                    w.WriteBoolean("callee_save", true);
                    w.WriteString("signature", SiteSignature(call));
                }

                if (result.Natives.TryGetValue(op.Path, out string? native))
                {
                    w.WriteString("native", native);
                    w.WriteString("native_asm", call.NativeAsm);
                }

                if (call.Condition is not null)
                {
                    w.WriteString("condition", call.Condition);
                }

                if (call.Jump)
                {
                    w.WriteBoolean("jump", true);
                }

                // Every caller-saved register is the ABI's default: "any" says so in one word.
                w.WriteStrings("clobbers", CallAbi.For(model.Target).CallerSaved.All(r => call.Clobbers.Contains(r.Name)) ? ["any"] : call.Clobbers);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteObject("import", w =>
            {
                w.WriteString("paravirt_h", Rel(import.Header));
                w.WriteString("recording", import.Recording == SiteRecording.ParaInstructions ? "parainstructions" : "altinstructions");
                w.WriteNumber("wrappers", import.Wrappers.Count);
                w.WriteNumber("ops_called", import.Calls.Select(c => c.Op).Distinct().Count());
                w.WriteNumber("ops_in_table", model.Ops.Count);
                w.WriteStrings("uncalled_ops", import.UncalledOps);
                w.WriteStrings("direct_calls", import.Calls.Where(c => c.Family is null).Select(c => c.Op).Distinct());
                w.WriteStrings("jump_ops", import.Calls.Where(c => c.Jump).Select(c => c.Op).Distinct());
                w.WriteObjects("families", import.Families, (w, family) =>
                {
                    w.WriteString("name", family.Name);
                    w.WriteStrings("params", family.Parameters);
                    w.WriteNumber("sites", import.Calls.Count(c => c.Family == family.Name));
                });
                w.WriteObject("macro_section", w =>
                {
                    w.WriteString("file", Rel(import.Section.File));
                    w.WriteNumber("insert_after", import.Section.InsertAfter);
                    w.WriteStrings("lines", import.Section.Ranges.Select(r => r.First == r.Last ? $"{r.First}" : $"{r.First}-{r.Last}"));
                    w.WriteStrings("macros", import.Section.Macros);
                });
                w.WriteObjects("calls", import.Calls, (w, call) =>
                {
                    w.WriteString("op", call.Op);
                    w.WriteString("wrapper", call.Wrapper);
                    w.WriteString("family", call.Family);
                    w.WriteString("site_signature", SiteSignature(call));
                    if (call.ConditionValue is { } value)
                    {
                        w.WriteString("condition_value", "0x" + value.ToString("x", CultureInfo.InvariantCulture));
                    }

                    w.WriteString("location", $"{Rel(Path.GetFullPath(call.Location.File, request.BaseDirectory))}:{call.Location.Line}:{call.Location.Column}");
                });
            });
            w.WriteEndObject();
        });
    }

    /// <summary>The drop-in paravirt_types.h of each style, as macro/TREE-PATH and plain/TREE-PATH.</summary>
    public static IReadOnlyList<GeneratedFile> DropIns(KernelImport result, string kernelTree, string? templates, string? templatesDisplay)
    {
        var import = result.Import;
        string typesRelative = Path.GetRelativePath(kernelTree, import.Section.File).Replace('\\', '/');
        string text = File.ReadAllText(import.Section.File);
        return [.. DropIn.Styles.Select(style => new GeneratedFile($"{style}/{typesRelative}", DropIn.Render(new DropInRequest
        {
            Import = import,
            Style = style,
            Invocation = "pvgen import PARAVIRT_H --kernel-tree SRC --kernel-build OBJ --drop-in DIR",
            ParavirtDisplay = Path.GetRelativePath(kernelTree, import.Header).Replace('\\', '/'),
            TypesDisplay = typesRelative,
            TemplateDirectory = templates,
            TemplateDirectoryDisplay = templatesDisplay,
        }, text)))];
    }

    /// <summary>One line for people: what was read and matched.</summary>
    public static string Summary(ParavirtImport i, string baseDirectory) =>
        $"{i.Wrappers.Count} wrappers in {PathDisplay.Relative(i.Header, baseDirectory)} call {i.Calls.Select(c => c.Op).Distinct().Count()} of the {i.Model.Ops.Count} ops of {i.Model.TableSymbol} "
        + $"({i.Families.Count} PVOP families, {i.Calls.Count(c => c.NativeAsm is not null)} native alternatives, sites recorded in .{i.Recording.ToString().ToLowerInvariant()}); "
        + (i.UncalledOps.Count == 0 ? "every op is called" : $"never called: {string.Join(", ", i.UncalledOps)}");

    /// <summary>"RET (ARG, ...)" as the site calls the op: the family's result type and the types the wrapper passes.</summary>
    public static string SiteSignature(PvopCall call) =>
        $"{call.ReturnType} ({(call.ArgumentTypes.Count == 0 ? "void" : string.Join(", ", call.ArgumentTypes))})";
}
