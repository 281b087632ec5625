using System.Text;
using PvGen.Model;
using PvGen.Model.Kernel;
using PvGen.X86;

namespace PvGen.Generation;

/// <summary>What a drop-in needs: the import of the tree's paravirt.h, the style, and the template layers.</summary>
public sealed record DropInRequest
{
    public required ParavirtImport Import { get; init; }

    /// <summary>"macro" (the kernel's inline-asm sites, records as the kernel writes them) or "plain" (typed C calls).</summary>
    public required string Style { get; init; }

    /// <summary>The command that reproduces the file, for its banner (relative paths only).</summary>
    public required string Invocation { get; init; }

    /// <summary>How paravirt.h and paravirt_types.h are named in the banner (tree-relative).</summary>
    public required string ParavirtDisplay { get; init; }

    public required string TypesDisplay { get; init; }

    public string? TemplateDirectory { get; init; }

    public string? TemplateDirectoryDisplay { get; init; }
}

/// <summary>
/// Renders the kernel's own PVOP_* families in either style (templates/kernel/) and splices them into paravirt_types.h
/// in place of the kernel's machinery: every definition of the import's macro section is removed, the block goes after
/// the last one, and nothing else of the file changes.
/// </summary>
public static class DropIn
{
    public static readonly string[] Styles = ["macro", "plain"];

    /// <summary>The new paravirt_types.h text.</summary>
    public static string Render(DropInRequest request, string typesHeaderText)
    {
        if (!Styles.Contains(request.Style))
        {
            throw new PvGenException(new Diagnostic(DiagnosticIds.BadOption, Severity.Error,
                $"unknown drop-in style '{request.Style}'; use macro or plain", null));
        }

        var import = request.Import;
        if (import.Model.Target.PointerSize != 8)
        {
            throw new PvGenException(new Diagnostic(DiagnosticIds.ImportUnsupported, Severity.Error,
                "drop-in families are generated for x86_64 kernels only", import.Model.Location));
        }

        var loader = new LayeredTemplateLoader(request.TemplateDirectory, request.TemplateDirectoryDisplay ?? request.TemplateDirectory);
        var renderer = new TemplateRenderer(loader);
        string block = renderer.Render($"kernel/{request.Style}.sbn-c", TemplateModel(request).ToScriptObject());
        return Splice(typesHeaderText, import.Section, block);
    }

    /// <summary>The file without the section's definitions, the block after the last of them.</summary>
    public static string Splice(string text, MacroSection section, string block)
    {
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = text.Split('\n');
        var removed = new bool[lines.Length + 1];
        foreach (var range in section.Ranges)
        {
            if (range.First < 1 || range.Last > lines.Length || range.First > range.Last)
            {
                throw new PvGenException(new Diagnostic(DiagnosticIds.DropInMismatch, Severity.Error,
                    $"macro section lines {range.First}-{range.Last} are not in the file ({lines.Length} lines): was it changed since the import?", new SourceLocation(section.File, 1, 1)));
            }

            for (int line = range.First; line <= range.Last; line++)
            {
                removed[line] = true;
            }
        }

        var output = new StringBuilder(text.Length + block.Length);
        for (int line = 1; line <= lines.Length; line++)
        {
            if (!removed[line])
            {
                output.Append(lines[line - 1].TrimEnd('\r'));
                if (line < lines.Length)
                {
                    output.Append(newline);
                }
            }

            if (line == section.InsertAfter)
            {
                output.Append(block.Replace("\n", newline, StringComparison.Ordinal));
            }
        }

        return output.ToString();
    }

    /// <summary>The object templates/kernel/*.sbn-c see (documented in the README).</summary>
    public static ModelNode TemplateModel(DropInRequest request)
    {
        var import = request.Import;
        var model = import.Model;
        var abi = CallAbi.X86_64;
        int maxArity = import.Families.Count == 0 ? 0 : import.Families.Max(f => f.Arity);
        if (maxArity > abi.ArgumentRegisters.Count)
        {
            throw new PvGenException(new Diagnostic(DiagnosticIds.ImportUnsupported, Severity.Error,
                $"a family takes {maxArity} arguments; the x86-64 sites bind at most {abi.ArgumentRegisters.Count}", import.Model.Location));
        }

        var arguments = abi.ArgumentRegisters.Take(Math.Max(maxArity, 0)).ToList();
        var result = abi.ReturnRegister;
        var scratch = abi.CallerSaved.Where(r => r != result && !arguments.Contains(r)).ToList();
        string Variable(Register r) => "__pvgen_" + r.Name;
        int allMask = abi.CallerSaved.Aggregate(0, (m, r) => m | (1 << r.Bit));

        var families = import.Families.Select(f =>
        {
            var args = Enumerable.Range(1, f.Arity).Select(i => $"arg{i}").ToList();
            return new ModelNode()
                .Add("name", f.Name)
                .Add("params", f.Parameters.ToList())
                .Add("param_list", string.Join(", ", f.Parameters))
                .Add("returns", f.Returns)
                .Add("callee_save", f.CalleeSave)
                .Add("alternative", f.Alternative)
                .Add("arity", f.Arity)
                .Add("kind", f.CalleeSave ? "CALLEE" : f.Returns ? "CALL" : "VCALL")
                .Add("target", f.CalleeSave ? "op.func" : "op")
                .Add("args", args)
                .Add("arg_inputs", args.Select((a, i) => $"\"{arguments[i].Constraint}\" ((unsigned long)({a}))").ToList())
                .Add("used", import.Calls.Any(c => c.Family == f.Name));
        }).ToList();

        return new ModelNode()
            .Add("generator", new ModelNode().Add("name", "pvgen").Add("version", TemplateModelBuilder.Version))
            .Add("invocation", request.Invocation)
            .Add("style", request.Style)
            .Add("era", import.Recording == SiteRecording.ParaInstructions ? "parainstructions" : "altinstructions")
            .Add("struct", model.Struct)
            .Add("symbol", model.TableSymbol)
            .Add("source", new ModelNode().Add("paravirt_h", request.ParavirtDisplay).Add("types_h", request.TypesDisplay))
            .Add("section", new ModelNode().Add("macros", import.Section.Macros.ToList()).Add("insert_after", import.Section.InsertAfter))
            .Add("abi", new ModelNode()
                .Add("arguments", arguments.Select(r => new ModelNode().Add("name", r.Name).Add("constraint", r.Constraint).Add("variable", Variable(r))
                    .Add("output", $"\"={r.Constraint}\" ({Variable(r)})")).ToList())
                .Add("result", new ModelNode().Add("name", result.Name).Add("constraint", result.Constraint).Add("variable", Variable(result))
                    .Add("output", $"\"={result.Constraint}\" ({Variable(result)})"))
                .Add("scratch", scratch.Select(r => r.Name).ToList())
                .Add("all_mask", CNames.Hex(allMask))
                .Add("result_mask", CNames.Hex(1L << result.Bit)))
            .Add("families", families)
            .Add("ops", model.Ops.Select(o => new ModelNode().Add("path", o.Path).Add("callee_save", o.CalleeSave)).ToList())
            .Add("view", View(import));
    }

    /// <summary>
    /// The typed view of the table for the plain style, one line per member in layout order: groups nest, an op paravirt.h
    /// calls is typed as its wrapper calls it (callee-save ops as a struct with a typed .func), any other member keeps its
    /// declared type.
    /// </summary>
    private static List<ModelNode> View(ParavirtImport import)
    {
        var model = import.Model;
        var lines = new List<ModelNode>();
        var open = new List<string>();
        string Indent(int depth) => new('\t', depth + 1);
        var members = model.Ops.Select(o => (o.Path, o.Offset, Op: (Op?)o)).Concat(model.Data.Select(d => (d.Path, d.Offset, Op: (Op?)null)))
            .OrderBy(m => m.Offset).ThenBy(m => m.Path, StringComparer.Ordinal);
        foreach (var (path, _, op) in members)
        {
            var parts = path.Split('.');
            int common = 0;
            while (common < open.Count && common < parts.Length - 1 && open[common] == parts[common])
            {
                common++;
            }

            while (open.Count > common)
            {
                lines.Add(Line(Indent(open.Count - 1), $"}} {open[^1]};"));
                open.RemoveAt(open.Count - 1);
            }

            for (int i = common; i < parts.Length - 1; i++)
            {
                lines.Add(Line(Indent(open.Count), "struct {"));
                open.Add(parts[i]);
            }

            string name = parts[^1];
            var call = op is null ? null : import.CallsOf(op.Path).FirstOrDefault();
            string declared = $"__typeof__((({StructRef(model)} *)0)->{path}) {name};";
            string text = (op, call) switch
            {
                ({ CalleeSave: true }, not null) => $"struct {{ {Pointer(call.ReturnType, "func", call.ArgumentTypes)}; }} {name};",
                (not null, not null) => Pointer(call.ReturnType, name, call.ArgumentTypes) + ";",
                _ => declared,
            };
            lines.Add(Line(Indent(open.Count), text));
        }

        while (open.Count > 0)
        {
            lines.Add(Line(Indent(open.Count - 1), $"}} {open[^1]};"));
            open.RemoveAt(open.Count - 1);
        }

        return lines;
    }

    private static string StructRef(OpsModel model) => $"struct {model.Struct}";

    private static string Pointer(string returnType, string name, IReadOnlyList<string> arguments) =>
        $"{CNames.TypeForDeclaration(returnType)} (*{name})({(arguments.Count == 0 ? "void" : string.Join(", ", arguments.Select(CNames.TypeForDeclaration)))})";

    private static ModelNode Line(string indent, string text) => new ModelNode().Add("indent", indent).Add("text", text);
}
