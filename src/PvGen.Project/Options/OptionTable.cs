using PvGen.X86;
using PvGen.X86.Records;

namespace PvGen.Project.Options;

/// <summary>
/// Every option of pvgen, declared once (rust-bindgen style). A verb lists the ones it takes (<see cref="Verbs"/>);
/// the command line, pvgen.json, --help, the JSON schema and the README are all bound or rendered from here.
/// Adding an option is one entry here plus its use where the resolver builds the stage's request. An entry is one row:
/// its spellings, kind and place in pvgen.json first, then (continued) its default and help; an entry whose help is
/// computed from another table keeps a block of its own.
/// </summary>
public static class OptionTable
{
    /// <summary>Options shared by several verbs that are not inputs of the parse.</summary>
    public static class Common
    {
        public static readonly OptionSpec Config = new() { Name = "config", Aliases = ["-c"], Kind = OptionKind.Path, ValueName = "FILE",
            Default = "./pvgen.json when present", Help = "The project file (pvgen.json) with any of the options that have a pvgen.json key; the command line wins." };

        public static readonly OptionSpec Model = new() { Name = "model", Aliases = ["-m"], Kind = OptionKind.Path, ValueName = "FILE",
            Help = "A pvgen.model/1 JSON (from 'pvgen parse --format json') instead of parsing a header." };

        public static OptionSpec Jobs(string? section) => new()
        {
            Name = "jobs", Aliases = ["-j"], Kind = OptionKind.Integer, ValueName = "N", JsonKey = section is null ? null : "jobs", Section = section,
            Help = "How many files or builds are worked on in parallel.", Default = "the number of processors",
        };

        public static OptionSpec Output(string what) => new()
        {
            Name = "output", Aliases = ["-o"], Kind = OptionKind.Path, ValueName = what == "directory" ? "DIR" : "FILE",
            Help = what == "directory"
                ? "The output directory."
                : "Write to FILE (atomically, only when the content changes) instead of standard output.",
        };

        public static OptionSpec Format(string? section, string help, string @default, params string[] choices) => new()
        {
            Name = "format", Aliases = ["-f"], Kind = OptionKind.Choice, JsonKey = section is null ? null : "format", Section = section,
            Help = help, Default = @default, Choices = choices,
        };

        public static OptionSpec KeepBuild(string section, string help) => new()
        {
            Name = "keep-build", Kind = OptionKind.Path, ValueName = "DIR", JsonKey = "keep_build", Section = section, Help = help,
            Default = "a temporary directory, removed at the end",
        };

        public static OptionSpec Compilers(string section) => new()
        {
            Name = "cc", Kind = OptionKind.TextList, SplitCommas = true, ValueName = "CC", JsonKey = "cc", Section = section,
            Help = "C compilers, by name or path (repeatable or comma-separated): gcc, clang, clang-19, /opt/bin/gcc-14.",
            Default = "gcc, and clang when installed",
        };

        public static OptionSpec Optimizations(string section, string @default) => new()
        {
            Name = "opt", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "LEVEL", JsonKey = "opt", Section = section,
            Help = "Optimisation levels (repeatable or comma-separated).", Default = @default,
            Choices = ["O0", "O1", "O2", "O3", "Os", "Oz"],
            ChoiceAliases = new Dictionary<string, string> { ["-O0"] = "O0", ["-O1"] = "O1", ["-O2"] = "O2", ["-O3"] = "O3", ["-Os"] = "Os", ["-Oz"] = "Oz" },
        };
    }

    /// <summary>The inputs of the parse: which header, which struct, and the environment it is compiled in. Top level of pvgen.json.</summary>
    public static class Input
    {
        public static readonly OptionSpec Header = new() { Name = "header", Kind = OptionKind.Path, Positional = Positional.ZeroOrOne, JsonKey = "header",
            Help = "The C header that declares the ops struct. With --kernel-tree, a path inside the tree also works." };

        public static readonly OptionSpec Struct = new() { Name = "struct", Aliases = ["-s"], Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "struct",
            Help = "The ops struct, e.g. paravirt_patch_template." };

        public static readonly OptionSpec Symbol = new() { Name = "symbol", Kind = OptionKind.Text, ValueName = "SYM", JsonKey = "symbol",
            Default = "the one 'extern struct NAME SYM;' in the header", Help = "The table's symbol, e.g. pv_ops." };

        public static readonly OptionSpec Target = new() { Name = "target", Aliases = ["-t"], Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "ARCH", JsonKey = "target", Choices = ["x86_64", "i386"], ChoiceAliases = new Dictionary<string, string> { ["x86-64"] = "x86_64", ["amd64"] = "x86_64", ["i686"] = "i386", ["x86"] = "i386" },
            Default = "x86_64", Help = "Target ABI for the layout. diff takes a comma-separated list and parses the header once per target." };

        public static readonly OptionSpec IncludeDirs = new() { Name = "include-dir", Aliases = ["-I"], Kind = OptionKind.PathList, ValueName = "DIR", JsonKey = "include_dirs", Accumulates = true,
            Help = "Add a directory to the include search path (repeatable)." };

        public static readonly OptionSpec Defines = new() { Name = "define", Aliases = ["-D"], Kind = OptionKind.TextList, ValueName = "NAME[=VALUE]", JsonKey = "defines", Accumulates = true,
            Help = "Define a macro (repeatable), e.g. -D CONFIG_PARAVIRT_XXL." };

        public static readonly OptionSpec Includes = new() { Name = "include", Kind = OptionKind.PathList, ValueName = "FILE", JsonKey = "includes", Accumulates = true,
            Help = "Include FILE before the header (repeatable)." };

        public static readonly OptionSpec Std = new() { Name = "std", Kind = OptionKind.Text, ValueName = "STD", JsonKey = "std",
            Default = "gnu11", Help = "C language standard." };

        public static readonly OptionSpec KernelTree = new() { Name = "kernel-tree", Kind = OptionKind.Path, ValueName = "SRC", JsonKey = "kernel_tree",
            Help = "A kernel source tree: parse with the kernel's own include flags and configuration." };

        public static readonly OptionSpec KernelBuild = new() { Name = "kernel-build", Kind = OptionKind.Path, ValueName = "OBJ", JsonKey = "kernel_build",
            Default = "the source tree", Help = "The kernel build tree holding generated headers and .config." };

        public static readonly OptionSpec ResourceDir = new() { Name = "resource-dir", Kind = OptionKind.Path, ValueName = "DIR", JsonKey = "resource_dir",
            Help = "Use this clang resource directory instead of PvGen's freestanding stddef.h/stdint.h/stdbool.h/stdarg.h." };

        public static readonly OptionSpec CalleeSaveType = new() { Name = "callee-save-type", Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "callee_save_type",
            Default = "paravirt_callee_save", Help = "The struct wrapping callee-save ops." };

        /// <summary>Everything that decides the model, in the order help lists it.</summary>
        public static readonly OptionSpec[] All = [Header, Struct, Symbol, Target, IncludeDirs, Defines, Includes, Std, KernelTree, KernelBuild, ResourceDir, CalleeSaveType, Common.Config];
    }

    /// <summary>pvgen generate and pvgen model: the "generate" section.</summary>
    public static class Generate
    {
        public const string Section = "generate";

        public static readonly OptionSpec Styles = new() { Name = "style", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "STYLE", JsonKey = "styles", Section = Section, Choices = ["macro", "plain", "marker", "csharp", "both"],
            Default = "both", Help = "Wrapper styles to write (repeatable or comma-separated); both = macro,plain." };

        public static readonly OptionSpec Templates = new() { Name = "templates", Kind = OptionKind.Path, ValueName = "DIR", JsonKey = "templates", Section = Section,
            Help = "Template override directory: any file there replaces the default of the same name." };

        public static readonly OptionSpec TemplateSet = new()
        {
            Name = "template-set", Kind = OptionKind.Choice, ValueName = "SET", JsonKey = "template_set", Section = Section,
            Help = "Which template set renders the annotated style: " + string.Join("; ", Generation.TemplateSets.All.Select(s => $"{s.Name} ({s.Description}, written as BASE_{s.AnnotatedStyle}.h)"))
                + ". --templates DIR overrides any template of either set.",
            Default = Generation.TemplateSets.DefaultName, Choices = Generation.TemplateSets.Names,
        };

        public static readonly OptionSpec Check = new() { Name = "check", Kind = OptionKind.Flag,
            Help = "Write nothing; exit 1 when any output file is stale (for CI)." };

        public static readonly OptionSpec BaseName = new() { Name = "base-name", Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "base_name", Section = Section,
            Default = "the struct name", Help = "Base name of the output files." };

        public static readonly OptionSpec Prefix = new() { Name = "prefix", Kind = OptionKind.Text, ValueName = "PREFIX", JsonKey = "prefix", Section = Section,
            Default = "pv_", Help = "Wrapper name prefix: wrapper = prefix + op path with dots as underscores." };

        public static readonly OptionSpec OpsInclude = new() { Name = "ops-include", Kind = OptionKind.Text, ValueName = "PATH", JsonKey = "include", Section = Section,
            Default = "its path relative to the output directory", Help = "How the generated headers #include the ops header." };

        public static readonly OptionSpec RecordFormat = new()
        {
            Name = "record-format", Kind = OptionKind.Choice, ValueName = "FORMAT", JsonKey = "record_format", JsonAliases = ["record_layout"], Section = Section,
            Help = "Record format of the site table (those that can mark a pv site): " + string.Join(", ", RecordFormats.All.Where(f => f.CanRecordPvSites).Select(f => $"{f.Name} ({f.Stride}-byte {f.Section}, {f.Kernels})")) + ".",
            Default = "the kernel tree's (ALT_FLAG_DIRECT_CALL defined: alt14; else its .parainstructions layout), else para16 on x86_64 and para8 on i386",
            Choices = RecordFormats.GeneratableNames, ChoiceAliases = RecordFormats.LegacyAliases,
        };

        public static readonly OptionSpec ClobberEra = new() { Name = "clobber-era", Kind = OptionKind.Choice, ValueName = "ERA", JsonKey = "clobber_era", Section = Section, Choices = ClobberMasks.Names,
            Default = "the kernel tree's CLBR_* definitions, else 2.6.25", Help = "Which CLBR_* generation clobber masks follow: 2.6.20 (i386 any = 0x7) or 2.6.25 (i386 any = 0xf, incl. EDI)." };

        public static readonly OptionSpec DirectCallSymbol = new() { Name = "direct-call-symbol", Kind = OptionKind.Text, ValueName = "SYM", JsonKey = "direct_call_symbol", Section = Section,
            Default = Alternatives.DefaultDirectCallSymbol, Help = "alt14: the symbol the DIRECT_CALL entry's replacement calls (the kernel's BUG_func)." };

        public static readonly OptionSpec NativeCondition = new()
        {
            Name = "native-condition", Kind = OptionKind.Text, ValueName = "COND", JsonKey = "native_condition", Section = Section,
            Help = $"alt14: the condition of an op's native alternative, one of {string.Join(", ", Alternatives.Conditions.Keys)} or an ft_flags number.",
            Default = "ALT_NOT_XEN",
        };

        public static readonly OptionSpec RecordSection = new() { Name = "section", Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "section", Section = Section,
            Default = "the record format's (.parainstructions, .altinstructions)", Help = "Section that receives the site records." };

        public static readonly OptionSpec CallForm = new() { Name = "call-form", Kind = OptionKind.Choice, ValueName = "FORM", JsonKey = "call_form", Section = Section, Choices = ["rip", "abs"],
            Default = "rip", Help = "x86-64 site instruction: rip (ff 15 rel32, 6 bytes) or abs (ff 14 25 abs32, 7 bytes; kernels before 5.18)." };

        public static readonly OptionSpec CalleeSaveField = new() { Name = "callee-save-field", Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "callee_save_field", Section = Section,
            Default = "func", Help = "Member of the callee-save wrapper struct that holds the function." };

        public static readonly OptionSpec DeclareTable = new() { Name = "declare-table", Kind = OptionKind.Flag, JsonKey = "declare_table", Section = Section,
            Default = "true", Help = "Emit 'extern struct S sym;' in the generated headers (a repeated extern declaration is valid C; turn it off for -Wredundant-decls builds)." };

        public static readonly OptionSpec[] Settings = [BaseName, Prefix, OpsInclude, RecordFormat, ClobberEra, DirectCallSymbol, NativeCondition, RecordSection, CallForm, CalleeSaveField, DeclareTable];
    }

    /// <summary>The C# style: the "csharp" section.</summary>
    public static class CSharp
    {
        public const string Section = "csharp";

        public static readonly OptionSpec Namespace = new() { Name = "csharp-namespace", Kind = OptionKind.Text, ValueName = "NAMESPACE", JsonKey = "namespace", Section = Section,
            Default = "PvGen.Generated", Help = "Namespace of the C# bindings." };

        public static readonly OptionSpec TypeName = new() { Name = "csharp-type", Kind = OptionKind.Text, ValueName = "NAME", JsonKey = "type_name", Section = Section,
            Default = "the struct name in PascalCase", Help = "Name of the C# table type." };

        public static readonly OptionSpec OpaquePointers = new() { Name = "csharp-opaque-pointers", Kind = OptionKind.Choice, ValueName = "MODE", JsonKey = "opaque_pointers", Section = Section, Choices = ["typed", "void"],
            Default = "typed", Help = "Pointers to structs the bindings do not define: typed (an empty struct per C type) or void." };

        public static readonly OptionSpec[] All = [Namespace, TypeName, OpaquePointers];
    }

    /// <summary>pvgen scan: the "scan" section.</summary>
    public static class Scan
    {
        public const string Section = "scan";

        public static readonly OptionSpec Paths = new() { Name = "path", Kind = OptionKind.PathList, Positional = Positional.OneOrMore,
            Help = "Objects (.o), modules (.ko), archives (.a), linked kernels, or directories (searched recursively)." };

        public static readonly OptionSpec Format = Common.Format(Section,
            "table (for people), json (the pvgen.scan/1 contract), c or asm (a site table in the role of .parainstructions).",
            "table", "table", "json", "c", "asm");

        public static readonly OptionSpec RecordFormat = ReadFormat(Section);

        public static readonly OptionSpec SitesFrom = new() { Name = "sites-from", Kind = OptionKind.Choice, ValueName = "SOURCE", JsonKey = "sites_from", Section = Section, Choices = ["auto", "relocations", "operands"],
            Default = "auto", Help = "auto (relocations; decoded operands in a linked kernel without relocations, e.g. a 6.5+ vmlinux), relocations, or operands (linked objects: decode even when relocations are there)." };

        public static readonly OptionSpec ReadAll = new() { Name = "read-all", Kind = OptionKind.Flag, JsonKey = "read_all", Section = Section,
            Help = "Parse every object in full, even those whose bytes never mention the symbol (slower; the result is the same)." };

        public static readonly OptionSpec Jobs = Common.Jobs(Section);

        /// <summary>How objects' site records are read: shared by scan and check --object.</summary>
        internal static OptionSpec ReadFormat(string section) => new()
        {
            Name = "record-format", Aliases = ["--annotation-format"], Kind = OptionKind.Choice, ValueName = "FORMAT", JsonKey = "record_format", Section = section,
            Help = "Layout of the pv site records: " + RecordFormats.OptionHelp + ".",
            Default = "auto", Choices = ["auto", .. RecordFormats.Names], ChoiceAliases = RecordFormats.LegacyAliases,
        };
    }

    /// <summary>pvgen check: the "check" section.</summary>
    public static class Check
    {
        public const string Section = "check";

        public static readonly OptionSpec Directory = new() { Name = "dir", Kind = OptionKind.Path, Positional = Positional.ZeroOrOne,
            Help = "A 'pvgen generate' output directory." };

        public static readonly OptionSpec Compilers = Common.Compilers(Section);

        public static readonly OptionSpec Optimizations = Common.Optimizations(Section, "O0,O2");

        public static readonly OptionSpec Objects = new() { Name = "object", Kind = OptionKind.PathList, SplitCommas = true, ValueName = "PATH",
            Help = "Verify the records of these objects, modules, archives or directories instead (with --model, or a header to parse)." };

        public static readonly OptionSpec RecordFormat = Scan.ReadFormat(Section);

        public static readonly OptionSpec Format = Common.Format(Section, "table, json (pvgen.check/1) or sarif (SARIF 2.1.0).", "table", "table", "json", "sarif");

        public static readonly OptionSpec KeepBuild = Common.KeepBuild(Section, "Keep the probe sources and objects in DIR.");

        public static readonly OptionSpec ExtraDefines = new() { Name = "define", Aliases = ["-D"], Kind = OptionKind.TextList, ValueName = "NAME[=VALUE]",
            Help = "An extra macro for the compiles (the manifest already carries the flags the header was parsed with)." };

        public static readonly OptionSpec ExtraIncludeDirs = new() { Name = "include-dir", Aliases = ["-I"], Kind = OptionKind.PathList, ValueName = "DIR",
            Help = "An extra include directory for the compiles." };

        public static readonly OptionSpec Jobs = Common.Jobs(Section);
    }

    /// <summary>pvgen diff: the "diff" section.</summary>
    public static class Diff
    {
        public const string Section = "diff";

        public static readonly OptionSpec Corpus = new() { Name = "corpus", Kind = OptionKind.PathList, SplitCommas = true, ValueName = "FILE", JsonKey = "corpus", Section = Section,
            Help = "Caller sources built against both styles (repeatable or comma-separated)." };

        public static readonly OptionSpec Compilers = Common.Compilers(Section);

        public static readonly OptionSpec Styles = new() { Name = "style", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "STYLE", JsonKey = "styles", Section = Section, Choices = ["macro", "plain", "marker"],
            Default = "macro,plain", Help = "Styles to build and compare (comma-separated): macro and plain always, marker adds a third column (plain calls marked by NONE relocations, paired with their calls by the scan)." };

        public static readonly OptionSpec Optimizations = Common.Optimizations(Section, "O2");

        public static readonly OptionSpec Pic = new() { Name = "pic", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "no|yes", JsonKey = "pic", Section = Section, Choices = ["no", "yes"],
            Default = "no", Help = "Code models (comma-separated): no, yes (-fpic, module-like) or both." };

        public static readonly OptionSpec Format = Common.Format(Section, "table, md (Markdown), json (pvgen.diff/1) or html (one self-contained page).", "table", "table", "md", "json", "html");

        public static readonly OptionSpec KeepBuild = Common.KeepBuild(Section, "Keep the generated headers, objects and executables in DIR (one subdirectory per build).");

        public static readonly OptionSpec Jobs = Common.Jobs(Section);

        public static readonly OptionSpec KernelSource = new() { Name = "kernel-source", Kind = OptionKind.Path, ValueName = "KSRC", JsonKey = "kernel_source", Section = Section,
            Help = "Diff real kernel objects instead of a corpus: an unpacked kernel tree, or Debian's linux-source-X.Y.tar.xz (extracted once into the kernel cache). The objects are built with the .config of --kernel-build (a linux-headers-* flavour directory) by Kbuild, three times: the kernel's own PVOP macros, the macro drop-in, the plain drop-in." };

        public static readonly OptionSpec Objects = new() { Name = "objects", Kind = OptionKind.TextList, SplitCommas = true, ValueName = "OBJ", JsonKey = "objects", Section = Section,
            Default = "20 heavy pv_ops users of mm/, arch/x86/mm, arch/x86/kernel and kernel/sched (see the README)", Help = "With --kernel-source: the objects to build, as tree paths (repeatable or comma-separated), e.g. mm/memory.o." };

        public static readonly OptionSpec KernelCache = new() { Name = "kernel-cache", Kind = OptionKind.Path, ValueName = "DIR", JsonKey = "kernel_cache", Section = Section,
            Default = "$PVGEN_KERNEL_BUILD_CACHE, else /var/cache/pvgen/kernel-build when writable, else ~/.cache/pvgen/kernel-build", Help = "With --kernel-source: where sources are extracted and trees configured and built, so a second run rebuilds only what changed." };

        public static readonly OptionSpec KernelCompiler = new() { Name = "kernel-cc", Kind = OptionKind.Text, ValueName = "CC", JsonKey = "kernel_cc", Section = Section,
            Default = "the one the configuration names (CONFIG_CC_VERSION_TEXT) when installed, else gcc", Help = "With --kernel-source: the compiler Kbuild runs (CC=)." };

        public static readonly OptionSpec Templates = new() { Name = "templates", Kind = OptionKind.Path, ValueName = "DIR", JsonKey = "templates", Section = Section,
            Help = "With --kernel-source: template override directory for the drop-ins (files there replace templates/kernel/*)." };

        public static readonly OptionSpec[] Kernel = [KernelSource, Objects, KernelCache, KernelCompiler, Templates];
    }

    /// <summary>pvgen annotate: the "annotate" section.</summary>
    public static class Annotate
    {
        public const string Section = "annotate";

        public static readonly OptionSpec Objects = new() { Name = "object", Kind = OptionKind.PathList, Positional = Positional.OneOrMore,
            Help = "Plain-style relocatable objects (.o) to write site records into." };

        public static readonly OptionSpec RecordFormat = new()
        {
            Name = "record-format", Aliases = ["--format"], Kind = OptionKind.Choice, ValueName = "FORMAT", JsonKey = "record_format", Section = Section,
            Help = "Record format to write: "
                + string.Join(", ", Binary.Annotating.ObjectAnnotator.Writable.Select(f => $"{f.Name} ({f.Stride}-byte {f.Section}, {f.Kernels})"))
                + "; alt14 writes the DIRECT_CALL entry and its replacement in .altinstr_replacement, and records tail jumps with a jmp replacement.",
            Default = "para16 on x86-64, para8 on i386",
            Choices = [.. Binary.Annotating.ObjectAnnotator.Writable.Select(f => f.Name)],
            ChoiceAliases = X86.Records.RecordFormats.LegacyAliases,
        };

        public static readonly OptionSpec Report = new() { Name = "report", Kind = OptionKind.Choice, JsonKey = "report", Section = Section, Choices = ["table", "json"],
            Default = "table", Help = "table (for people) or json (pvgen.annotate/1: the records written and the references left without one, with the reason)." };

        public static readonly OptionSpec Output = new() { Name = "output", Aliases = ["-o"], Kind = OptionKind.Path, ValueName = "OUT",
            Help = "The annotated object (one input), or a directory for several; written only when every input is annotated." };
    }

    /// <summary>pvgen prove: the "prove" section.</summary>
    public static class Prove
    {
        public const string Section = "prove";

        public static readonly OptionSpec Compilers = Common.Compilers(Section);

        public static readonly OptionSpec Optimizations = Common.Optimizations(Section, "O0,O2");

        public static readonly OptionSpec RecordFormats = new() { Name = "record-format", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "FORMAT", JsonKey = "record_formats", Section = Section, Choices = [.. Proving.ProveFormat.Names],
            Default = "every format the target supports", Help = "Record formats to prove (repeatable or comma-separated); each target proves those its kernels used (x86-64: para16, para6, alt14; i386: para8, para6, alt14)." };

        public static readonly OptionSpec Styles = new() { Name = "style", Kind = OptionKind.ChoiceList, SplitCommas = true, ValueName = "STYLE", JsonKey = "styles", Section = Section, Choices = [.. Proving.ProveStyles.Known],
            Default = "macro,plain", Help = "Styles to prove: macro (the generated records), plain (the plain style annotated by pvgen annotate at every patchable reference) and marker (the marker style annotated at the calls its markers pair with)." };

        public static readonly OptionSpec Format = Common.Format(Section, "table (for people) or json (pvgen.prove/1).", "table", "table", "json");

        public static readonly OptionSpec KeepBuild = Common.KeepBuild(Section, "Keep the generated headers, harness sources, objects and programs in DIR.");

        public static readonly OptionSpec Jobs = Common.Jobs(Section);
    }

    /// <summary>The keys of one entry under "ops" in pvgen.json (an exact op path or a glob such as "irq.*").</summary>
    public static class Op
    {
        /// <summary>An op entry's key: pvgen.json only, spelt as its name with underscores.</summary>
        private static OptionSpec Key(string name, OptionKind kind, string help, string? @default = null) =>
            new() { Name = name, Kind = kind, JsonKey = name.Replace('-', '_'), Help = help, Default = @default };

        public static readonly OptionSpec Signature = Key("signature", OptionKind.Text, "C signature of a callee-save op, e.g. \"unsigned long (void)\" (the ops struct does not carry it).");
        public static readonly OptionSpec Name = Key("name", OptionKind.Text, "Wrapper name.", @default: "prefix + op path with dots as underscores");
        public static readonly OptionSpec Clobbers = Key("clobbers", OptionKind.TextList, "Registers the site may clobber, e.g. [\"rax\"], or \"any\" for every caller-saved register.");
        public static readonly OptionSpec Skip = Key("skip", OptionKind.Flag, "Generate no wrapper for the op.");
        public static readonly OptionSpec Jump = Key("jump", OptionKind.Flag, "The op is reached with jmp, not call (iret, sysexit).");
        public static readonly OptionSpec Native = Key("native", OptionKind.TextPerTarget, "Native replacement bytes in hex, e.g. \"9c 58\": checked to fit the site. One string for every target, or machine code per target, e.g. {\"x86_64\": \"57 9d\", \"i386\": \"50 9d\"}; a target without bytes keeps the call (a note says so).");
        public static readonly OptionSpec Wrapper = Key("wrapper", OptionKind.Text, "The kernel's inline wrapper that calls the op, e.g. \"write_cr3\" (written by pvgen import; informational).");
        public static readonly OptionSpec WrapperSignature = Key("wrapper-signature", OptionKind.Text, "The wrapper's C type with parameter names, e.g. \"void (unsigned long x)\" (written by pvgen import; informational).");
        public static readonly OptionSpec CalleeSave = Key("callee-save", OptionKind.Flag, "The op is called with the callee-save convention (written by pvgen import; the header's paravirt_callee_save member decides).");
        public static readonly OptionSpec NativeAsm = Key("native-asm", OptionKind.Text, "The native alternative as assembler text, e.g. \"pushf; pop %rax;\" (written by pvgen import; \"native\" holds its bytes).");
        public static readonly OptionSpec Condition = Key("condition", OptionKind.Text, "When the native alternative replaces the call, as the kernel writes it, e.g. \"ALT_NOT(X86_FEATURE_XENPV)\" (written by pvgen import; informational).");

        public static readonly OptionSpec[] All = [Signature, Name, Clobbers, Skip, Jump, Native, Wrapper, WrapperSignature, CalleeSave, NativeAsm, Condition];
    }

    /// <summary>pvgen import: a kernel's paravirt.h to a pvgen.json. Command line only (it writes the pvgen.json).</summary>
    public static class Import
    {
        public static readonly OptionSpec ParavirtHeader = new() { Name = "paravirt-h", Kind = OptionKind.Path, Positional = Positional.ExactlyOne,
            Help = "The kernel's arch/x86/include/asm/paravirt.h (a path inside --kernel-tree also works)." };

        public static readonly OptionSpec KernelTree = new() { Name = "kernel-tree", Kind = OptionKind.Path, ValueName = "SRC",
            Help = "The kernel source tree (or Debian's linux-headers-*-common)." };

        public static readonly OptionSpec KernelBuild = new() { Name = "kernel-build", Kind = OptionKind.Path, ValueName = "OBJ",
            Default = "the source tree", Help = "The build tree with .config and generated headers (Debian's linux-headers-*-FLAVOUR)." };

        public static readonly OptionSpec TypesHeader = new() { Name = "types-header", Kind = OptionKind.Path, ValueName = "FILE",
            Default = "paravirt_types.h next to paravirt.h", Help = "The header with the ops struct and the PVOP_* families." };

        public static readonly OptionSpec Struct = new() { Name = "struct", Aliases = ["-s"], Kind = OptionKind.Text, ValueName = "NAME",
            Default = "paravirt_patch_template", Help = "The ops struct." };

        public static readonly OptionSpec Symbol = new() { Name = "symbol", Kind = OptionKind.Text, ValueName = "SYM",
            Default = "the header's one 'extern struct NAME SYM;' (pv_ops)", Help = "The table's symbol." };

        public static readonly OptionSpec DropIn = new() { Name = "drop-in", Kind = OptionKind.Path, ValueName = "DIR",
            Help = "Also write the drop-in paravirt_types.h of each style, as DIR/macro/<tree path> and DIR/plain/<tree path>." };

        public static readonly OptionSpec Templates = new() { Name = "templates", Kind = OptionKind.Path, ValueName = "DIR",
            Help = "Template override directory for the drop-ins: files there replace templates/kernel/*." };
    }
}
