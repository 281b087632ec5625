using System.CommandLine;
using PvGen.Clang;
using PvGen.Generation;
using PvGen.Kernel;
using PvGen.Model;

namespace PvGen.Cli;

/// <summary><c>pvgen import</c>: what a kernel's paravirt.h knows about each op, as a pvgen.json; optionally the drop-in headers.</summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var header = new Argument<string>("paravirt-h") { Description = "The kernel's arch/x86/include/asm/paravirt.h (a path inside --kernel-tree also works)." };
        var tree = new Option<string>("--kernel-tree") { Description = "The kernel source tree (or Debian's linux-headers-*-common).", Required = true };
        var build = new Option<string?>("--kernel-build") { Description = "The build tree with .config and generated headers (Debian's linux-headers-*-FLAVOUR; default: the source tree)." };
        var types = new Option<string?>("--types-header") { Description = "The header with the ops struct and PVOP_* families (default: paravirt_types.h next to paravirt.h)." };
        var structName = new Option<string?>("--struct", "-s") { Description = "The ops struct (default paravirt_patch_template)." };
        var symbol = new Option<string?>("--symbol") { Description = "The table symbol (default: the header's one extern, pv_ops)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the pvgen.json to FILE (atomically, only when it changes) instead of stdout." };
        var dropIn = new Option<string?>("--drop-in") { Description = "Also write the drop-in paravirt_types.h of each style to DIR/macro/... and DIR/plain/... (tree paths)." };
        var templates = new Option<string?>("--templates") { Description = "Template override directory for the drop-ins (files there replace templates/kernel/*)." };
        var command = new Command("import", """
            Read a kernel's paravirt.h through libclang, with the kernel's own flags, and write what it knows about
            every op it calls as a pvgen.json: the wrapper and its C signature, whether the op is callee-save (and
            the signature its wrapper calls it with, which the ops struct does not carry), its native alternative
            (assembled to bytes) and condition, clobbers, jump ops; ops the header never calls are listed under
            "import". The file is a pvgen.json for the other verbs (pvgen parse --config FILE reads the same table).

            Examples:
              pvgen import arch/x86/include/asm/paravirt.h --kernel-tree /usr/src/linux-headers-6.1.0-57-common \
                  --kernel-build /usr/src/linux-headers-6.1.0-57-amd64 -o pv_ops.import.json
              pvgen import arch/x86/include/asm/paravirt.h --kernel-tree SRC --kernel-build OBJ -o pv.json --drop-in out
            """);
        command.Arguments.Add(header);
        foreach (Option option in new Option[] { tree, build, types, structName, symbol, output, dropIn, templates })
        {
            command.Options.Add(option);
        }

        command.SetAction(result => Cli.Run(() =>
        {
            string kernelTree = Path.GetFullPath(result.GetValue(tree)!);
            string paravirt = Path.GetFullPath(result.GetValue(header)!);
            if (!File.Exists(paravirt) && File.Exists(Path.Combine(kernelTree, result.GetValue(header)!)))
            {
                paravirt = Path.Combine(kernelTree, result.GetValue(header)!);
            }

            var request = new ImportRequest
            {
                ParavirtHeader = paravirt,
                TypesHeader = result.GetValue(types) is { } t ? Path.GetFullPath(t) : null,
                KernelTree = kernelTree,
                KernelBuild = result.GetValue(build) is { } b ? Path.GetFullPath(b) : null,
                StructName = result.GetValue(structName) ?? "paravirt_patch_template",
                Symbol = result.GetValue(symbol),
                BaseDirectory = Environment.CurrentDirectory,
            };
            var (import, diagnostics) = KernelImporter.Run(request);
            DiagnosticPrinter.Print(diagnostics);
            if (import is null)
            {
                return ExitCodes.InputError;
            }

            string? path = result.GetValue(output) is { } o ? Path.GetFullPath(o) : null;
            string json = KernelImporter.Json(import, request, path is null ? Environment.CurrentDirectory : Path.GetDirectoryName(path)!);
            if (result.GetValue(dropIn) is { } directory)
            {
                WriteDropIns(import, kernelTree, Path.GetFullPath(directory), result.GetValue(templates));
            }

            if (path is null)
            {
                Console.Out.Write(json);
            }
            else
            {
                Cli.Write(path, json);
            }

            var i = import.Import;
            Console.Error.WriteLine($"pvgen: {i.Wrappers.Count} wrappers in {GenerateCommand.Relative(i.Header)} call {i.Calls.Select(c => c.Op).Distinct().Count()} of the {i.Model.Ops.Count} ops of {i.Model.TableSymbol} "
                + $"({i.Families.Count} PVOP families, {i.Calls.Count(c => c.NativeAsm is not null)} native alternatives, sites recorded in .{i.Recording.ToString().ToLowerInvariant()}); "
                + (i.UncalledOps.Count == 0 ? "every op is called" : $"never called: {string.Join(", ", i.UncalledOps)}"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void WriteDropIns(KernelImport import, string kernelTree, string directory, string? templates)
    {
        var i = import.Import;
        string typesRelative = Path.GetRelativePath(kernelTree, i.Section.File);
        string text = File.ReadAllText(i.Section.File);
        foreach (string style in DropIn.Styles)
        {
            string rendered;
            try
            {
                rendered = DropIn.Render(new DropInRequest
                {
                    Import = i,
                    Style = style,
                    Invocation = "pvgen import PARAVIRT_H --kernel-tree SRC --kernel-build OBJ --drop-in DIR",
                    ParavirtDisplay = Path.GetRelativePath(kernelTree, i.Header),
                    TypesDisplay = typesRelative,
                    TemplateDirectory = templates is null ? null : Path.GetFullPath(templates),
                    TemplateDirectoryDisplay = templates,
                }, text);
            }
            catch (TemplateException e)
            {
                throw new CliException(e.ToDiagnostic());
            }
            catch (GenerationException e)
            {
                throw new CliException(e.Diagnostic);
            }

            Cli.Write(Path.Combine(directory, style, typesRelative), rendered);
        }
    }
}
