using System.CommandLine;
using PvGen.Clang;
using PvGen.Model;
using PvGen.Model.Config;

namespace PvGen.Cli;

/// <summary>
/// The input options of every verb that reads a header, declared once. Each one may also come
/// from pvgen.json; the command line wins.
/// </summary>
internal sealed class InputOptions
{
    public readonly Argument<string?> Header = new("header")
    {
        Description = "The C header that declares the ops struct (or 'header' in pvgen.json). With --kernel-tree, a path inside the tree also works.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public readonly Option<string?> Struct = new("--struct", "-s") { Description = "Name of the ops struct, e.g. paravirt_patch_template." };
    public readonly Option<string?> Symbol = new("--symbol") { Description = "The table's symbol, e.g. pv_ops (default: the one 'extern struct NAME SYM;' in the header)." };
    public readonly Option<string?> Target = new("--target", "-t") { Description = "Target ABI for the layout: x86_64 (default) or i386." };
    public readonly Option<string[]> IncludeDirs = new("--include-dir", "-I") { Description = "Add a directory to the include search path (repeatable)." };
    public readonly Option<string[]> Defines = new("--define", "-D") { Description = "Define a macro, NAME or NAME=VALUE (repeatable), e.g. -D CONFIG_PARAVIRT_XXL." };
    public readonly Option<string[]> Includes = new("--include") { Description = "Include FILE before the header (repeatable)." };
    public readonly Option<string?> Std = new("--std") { Description = "C language standard (default gnu11)." };
    public readonly Option<string?> KernelTree = new("--kernel-tree") { Description = "A kernel source tree: parse with the kernel's own include flags and configuration." };
    public readonly Option<string?> KernelBuild = new("--kernel-build") { Description = "The kernel build tree holding generated headers and .config (default: the source tree)." };
    public readonly Option<string?> ResourceDir = new("--resource-dir") { Description = "Use this clang resource directory instead of PvGen's freestanding headers." };
    public readonly Option<string?> CalleeSaveType = new("--callee-save-type") { Description = "Struct wrapping callee-save ops (default paravirt_callee_save)." };
    public readonly Option<string?> Config = new("--config", "-c") { Description = "Project file with any of these options (default: ./pvgen.json when present)." };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Header);
        foreach (Option option in new Option[] { Struct, Symbol, Target, IncludeDirs, Defines, Includes, Std, KernelTree, KernelBuild, ResourceDir, CalleeSaveType, Config })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Merges pvgen.json and the command line into one parse request, or explains what is missing.</summary>
    /// <param name="targetName">Overrides --target and the config's target (diff parses once per target of its list).</param>
    public ParseRequest Resolve(System.CommandLine.ParseResult result, string? targetName = null)
    {
        PvGenConfig config = LoadConfig(result.GetValue(Config));
        string? Pick(Option<string?> option, string? fromConfig) => result.GetValue(option) ?? fromConfig;
        static string CliPath(string path) => Path.GetFullPath(path);

        string? kernelTree = result.GetValue(KernelTree) is { } kt ? CliPath(kt) : config.KernelTree is { } ckt ? config.Resolve(ckt) : null;
        string? kernelBuild = result.GetValue(KernelBuild) is { } kb ? CliPath(kb) : config.KernelBuild is { } ckb ? config.Resolve(ckb) : null;
        string? header = result.GetValue(Header) is { } h ? CliPath(h) : config.Header is { } ch ? config.Resolve(ch) : null;
        if (header is null)
        {
            throw Usage("no header given: pass HEADER or set 'header' in pvgen.json");
        }

        if (!File.Exists(header) && kernelTree is not null && result.GetValue(Header) is { } relative && File.Exists(Path.Combine(kernelTree, relative)))
        {
            header = Path.Combine(kernelTree, relative);
        }

        string structName = Pick(Struct, config.Struct) ?? throw Usage("no ops struct given: pass --struct NAME or set 'struct' in pvgen.json");
        targetName ??= Pick(Target, config.Target) ?? "x86_64";
        var target = Model.Target.FromName(targetName) ?? throw Usage($"unknown target '{targetName}': use x86_64 or i386");

        string[] cliIncludeDirs = result.GetValue(IncludeDirs) ?? [];
        string[] cliIncludes = result.GetValue(Includes) ?? [];
        return new ParseRequest
        {
            HeaderPath = header,
            StructName = structName,
            Symbol = Pick(Symbol, config.Symbol),
            Target = target,
            IncludeDirs = [.. (config.IncludeDirs ?? []).Select(config.Resolve), .. cliIncludeDirs.Select(CliPath)],
            Defines = [.. config.Defines ?? [], .. result.GetValue(Defines) ?? []],
            Includes = [.. (config.Includes ?? []).Select(config.Resolve), .. cliIncludes.Select(CliPath)],
            Std = Pick(Std, config.Std) ?? "gnu11",
            KernelTree = kernelTree,
            KernelBuild = kernelBuild,
            ResourceDir = result.GetValue(ResourceDir) is { } rd ? CliPath(rd) : config.ResourceDir is { } crd ? config.Resolve(crd) : null,
            CalleeSaveType = Pick(CalleeSaveType, config.CalleeSaveType) ?? "paravirt_callee_save",
            Config = config,
            BaseDirectory = Environment.CurrentDirectory,
        };
    }

    private static PvGenConfig LoadConfig(string? path)
    {
        if (path is not null)
        {
            if (!File.Exists(path))
            {
                throw new CliException(new Diagnostic(DiagnosticIds.FileNotFound, Severity.Error, $"config file '{path}' not found", null));
            }

            return Checked(PvGenConfig.Load(path));
        }

        return File.Exists("pvgen.json") ? Checked(PvGenConfig.Load("pvgen.json")) : new PvGenConfig();
    }

    private static PvGenConfig Checked(PvGenConfig config)
    {
        var unknown = config.Extra?.Keys.Where(k => !KnownSections.Contains(k)).ToList() ?? [];
        if (unknown.Count > 0)
        {
            string hint = string.Join("; ", unknown.Select(k => $"'{k}'" + Suggestion(k)));
            throw new CliException(new Diagnostic(DiagnosticIds.BadConfig, Severity.Error, $"unknown key(s) in config: {hint}",
                new SourceLocation(config.SourcePath ?? "pvgen.json", 1, 1)));
        }

        return config;
    }

    /// <summary>Sections owned by later stages; they bind them themselves. (Declared before KnownKeys: static initialisers run in order.)</summary>
    public static readonly string[] KnownSections = ["$schema", "generate", "check", "scan", "diff", "csharp", "import"];

    private static readonly string[] KnownKeys =
        ["header", "struct", "symbol", "target", "include_dirs", "defines", "includes", "std", "kernel_tree", "kernel_build", "resource_dir", "callee_save_type", "ops", .. KnownSections];


    private static string Suggestion(string key)
    {
        var best = KnownKeys.OrderBy(k => EditDistance.Between(k, key)).First();
        return EditDistance.Between(best, key) <= 3 ? $" (did you mean '{best}'?)" : string.Empty;
    }

    private static CliException Usage(string message) => new(new Diagnostic(DiagnosticIds.BadOption, Severity.Error, message, null));
}

/// <summary>An input or usage problem: printed as a diagnostic, exit code 2.</summary>
internal sealed class CliException(Diagnostic diagnostic) : Exception(diagnostic.Message)
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}
