using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.Project.Options;

namespace PvGen.Project.Workflows;

/// <summary>The parse inputs of any verb: which header and struct, in which environment; and the model they give.</summary>
public static class ParseInputs
{
    /// <summary>The parse request the settings describe.</summary>
    /// <param name="target">The target to lay out for (diff parses once per target of its list); else the one target given.</param>
    public static ParseRequest Request(Settings settings, Target? target = null)
    {
        string? kernelTree = settings.Path(InputOpts.KernelTree);
        string? kernelBuild = settings.Path(InputOpts.KernelBuild);
        foreach (var (option, path) in new[] { (InputOpts.KernelTree, kernelTree), (InputOpts.KernelBuild, kernelBuild) })
        {
            if (path is not null && !Directory.Exists(path))
            {
                throw PvGenException.Error(DiagnosticIds.FileNotFound, $"{Settings.Name(option, settings.Where(option))}: directory '{settings.Display(path)}' not found", settings.Where(option));
            }
        }

        string header = Header(settings, kernelTree);
        string structName = settings.Text(InputOpts.Struct)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "no ops struct given: pass --struct NAME or set \"struct\" in pvgen.json");
        return Environment(settings, header, structName, target ?? SingleTarget(settings)) with
        {
            Symbol = settings.Text(InputOpts.Symbol),
            Config = settings.Config.Ops,
        };
    }

    /// <summary>A parse of the header a model was made from, for its struct and target, in the settings' environment (no per-op config).</summary>
    public static ParseRequest ForModel(Settings settings, string header, OpsModel model) => Environment(settings, header, model.Struct, model.Target);

    private static ParseRequest Environment(Settings settings, string header, string structName, Target target) => new()
    {
        HeaderPath = header,
        StructName = structName,
        Target = target,
        IncludeDirs = settings.List(InputOpts.IncludeDirs),
        Defines = Defines(settings),
        Includes = settings.List(InputOpts.Includes),
        Std = Std(settings),
        KernelTree = settings.Path(InputOpts.KernelTree),
        KernelBuild = settings.Path(InputOpts.KernelBuild),
        ResourceDir = settings.Path(InputOpts.ResourceDir),
        CalleeSaveType = settings.Text(InputOpts.CalleeSaveType) ?? "paravirt_callee_save",
        BaseDirectory = settings.WorkingDirectory,
    };

    /// <summary>Every target the settings name (diff and prove run per target); a kernel tree decides when none is named.</summary>
    public static IReadOnlyList<Target> Targets(Settings settings)
    {
        var named = settings.List(InputOpts.Target).Select(t => Target.FromName(t)!).ToList();
        string? tree = settings.Path(InputOpts.KernelBuild) ?? settings.Path(InputOpts.KernelTree);
        var configured = tree is null ? null : KernelConfig.TargetOf(tree);
        if (named.Count == 0)
        {
            return [configured ?? Target.X86_64];
        }

        if (configured is not null && named.Any(t => t != configured))
        {
            throw settings.Invalid(InputOpts.Target, $"the kernel tree is configured for {configured.Arch} (its .config), not {string.Join(", ", named.Where(t => t != configured).Select(t => t.Arch))}");
        }

        return named;
    }

    /// <summary>Parses the header; its warnings go into <paramref name="diagnostics"/>, an error stops the run with all of them.</summary>
    public static ParseResult Parse(ParseRequest request, List<Diagnostic> diagnostics)
    {
        var parsed = HeaderParser.Parse(request);
        diagnostics.AddRange(parsed.Diagnostics);
        return parsed.Succeeded ? parsed : throw new PvGenException(diagnostics);
    }

    /// <summary>The model a verb works on: --model FILE, or the header parsed from the settings; null when the verb was given neither.</summary>
    public static OpsModel? ModelOrParse(Settings settings, List<Diagnostic> diagnostics, bool required)
    {
        string? modelPath = settings.Path(OptionTable.Common.Model);
        bool parse = settings.IsSet(InputOpts.Struct) || settings.IsSet(InputOpts.Header);
        if (modelPath is not null && parse && settings.GivenOnCommandLine(InputOpts.Struct))
        {
            throw PvGenException.Error(DiagnosticIds.BadOption, "give either --model or a header to parse (--config/--struct), not both");
        }

        if (modelPath is not null)
        {
            return ModelJson.Load(settings.Display(modelPath));
        }

        if (!parse)
        {
            return required
                ? throw PvGenException.Error(DiagnosticIds.BadOption, $"pvgen {settings.Verb.Path} needs a model: --model MODEL.json (from 'pvgen parse --format json'), or a header to parse (--config pvgen.json, or HEADER --struct NAME)")
                : null;
        }

        return Parse(Request(settings), diagnostics).Model;
    }

    /// <summary>
    /// One rule for a relative header path, wherever it is written: against the working directory (command line) or the
    /// config's directory (pvgen.json); when no file is there and a kernel tree is given, against the tree.
    /// </summary>
    private static string Header(Settings settings, string? kernelTree)
    {
        string header = settings.Path(InputOpts.Header)
            ?? throw PvGenException.Error(DiagnosticIds.BadOption, "no header given: pass HEADER or set \"header\" in pvgen.json");
        if (!File.Exists(header) && kernelTree is not null)
        {
            string raw = settings.RawText(InputOpts.Header)!;
            if (!Path.IsPathRooted(raw) && File.Exists(Path.Combine(kernelTree, raw)))
            {
                return Path.Combine(kernelTree, raw);
            }
        }

        return header;
    }

    private static Target SingleTarget(Settings settings)
    {
        var targets = Targets(settings);
        return targets.Count == 1 ? targets[0] : throw settings.Invalid(InputOpts.Target, $"pvgen {settings.Verb.Path} lays out for one target (got {string.Join(", ", targets.Select(t => t.Arch))}); diff takes several");
    }

    /// <summary>A C standard clang knows: libclang says only "AstReadError" for any other.</summary>
    private static string Std(Settings settings)
    {
        string std = settings.Text(InputOpts.Std) ?? InputOpts.Std.Default!;
        return CompilerFlags.CStandards.Contains(std, StringComparer.Ordinal)
            ? std
            : throw settings.Invalid(InputOpts.Std, $"'{std}' is not a C standard clang knows{Suggestions.Hint(std, CompilerFlags.CStandards)}");
    }

    /// <summary>-D values are C macro names: a bad one is an error here, not a libclang message without a file.</summary>
    private static IReadOnlyList<string> Defines(Settings settings)
    {
        var defines = settings.List(InputOpts.Defines);
        foreach (string define in defines)
        {
            string name = define.Split('=', 2)[0];
            if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw settings.Invalid(InputOpts.Defines, $"'{define}' does not define a macro: NAME or NAME=VALUE, NAME a C identifier");
            }
        }

        return defines;
    }
}
