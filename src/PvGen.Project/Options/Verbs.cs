namespace PvGen.Project.Options;

/// <summary>One verb of pvgen: its help and the options it takes from <see cref="OptionTable"/>, in help order.</summary>
/// <param name="Path">"scan", or "templates export" for a verb under a group.</param>
public sealed record VerbSpec(string Path, string Summary, string Description, IReadOnlyList<string> Examples, IReadOnlyList<OptionSpec> Options)
{
    public string Name => Path.Split(' ')[^1];

    /// <summary>The option this verb takes under a name (names are unique within a verb).</summary>
    public OptionSpec? Find(string name) => Options.FirstOrDefault(o => o.Name == name);
}

/// <summary>Every verb, declared once. The CLI builds its commands from these; the README's option lists are rendered from them.</summary>
public static class Verbs
{
    private static readonly OptionSpec[] Inputs = OptionTable.Input.All;

    public static readonly VerbSpec Parse = new("parse",
        "Parse the ops header into a typed model (table, or pvgen.model/1 JSON).",
        "Parse the header that declares an ops table into a typed model: one op per function-pointer member (through nested groups), with its offset, slot, C signature and flags.",
        [
            "pvgen parse examples/toy/toy_ops.h --struct toy_ops",
            "pvgen parse --config examples/linux-5.10-x86_64/pvgen.json --format json -o pv_ops.pvgen.json",
            "pvgen parse arch/x86/include/asm/paravirt_types.h --struct paravirt_patch_template --kernel-tree /usr/src/linux-headers-6.1.0-common --kernel-build /usr/src/linux-headers-6.1.0-amd64",
        ],
        [.. Inputs, OptionTable.Common.Format(null, "table (for people) or json (the pvgen.model/1 contract).", "table", "table", "json"), OptionTable.Common.Output("file")]);

    private static readonly OptionSpec[] GenerateInputs =
    [
        .. Inputs, OptionTable.Generate.Styles, OptionTable.Generate.TemplateSet, OptionTable.Generate.Templates, .. OptionTable.Generate.Settings, .. OptionTable.CSharp.All,
    ];

    public static readonly VerbSpec Generate = new("generate",
        "Generate call-site wrappers (macro and plain style, C#) from the header or a model.",
        "Generate call-site wrappers from the ops header (or a pvgen.model/1 JSON given as HEADER) through Scriban templates. Writes, in the output directory: BASE_macro.h, BASE_plain.h, BASE_exercise.c, BASE.manifest.json and .pvgen/model.json (the model the change report compares against next time). Files are written together, atomically, and only when their content changes. Per-op settings: \"ops\" in pvgen.json.",
        [
            "pvgen generate --config examples/toy/pvgen.json -o out/toy",
            "pvgen generate pv_ops.pvgen.json --style macro -o include/generated --templates my-templates",
            "pvgen generate --config examples/linux-5.10-x86_64/pvgen.json -o out --check",
        ],
        [.. GenerateInputs, OptionTable.Common.Output("directory"), OptionTable.Generate.Check]);

    public static readonly VerbSpec Model = new("model",
        "Print the object the generate templates see, as JSON.",
        "Print the object the generate templates see, as JSON: every variable a template may use (ops, their wrappers, register bindings, settings). Same inputs as pvgen generate.",
        ["pvgen model --config examples/toy/pvgen.json -o toy.template-model.json"],
        [.. GenerateInputs, OptionTable.Common.Output("file")]);

    public static readonly VerbSpec TemplatesExport = new("templates export",
        "Write the default templates, to copy and override.",
        "Write the default templates and templates.manifest.json (their SHA-256) into DIR. Edit any of them and pass --templates DIR to pvgen generate: files present there replace the defaults, the rest come from the tool. When a default changes in a later pvgen, generate warns about overrides exported from the older one.",
        ["pvgen templates export my-templates"],
        [new OptionSpec { Name = "dir", Kind = OptionKind.Path, Positional = Positional.ExactlyOne, Help = "Directory to write the templates into." }]);

    public static readonly VerbSpec Scan = new("scan",
        "Find every reference to the ops table in ELF objects (the reloc approach).",
        "Find every reference to the ops table in ELF objects: each relocation against the table symbol inside an executable section, decoded and classified as call, jmp (tail call), load (pointer hoisted into a register, or the table's address through the GOT), address (taken) or other. Loads are followed to the indirect calls they feed. The pv site records, when present, are read (the format detected per object: .parainstructions, or 6.8+ .altinstructions ALT_FLAG_DIRECT_CALL entries with their native alternatives) and matched to the sites. The symbol is --symbol, else the model's table symbol, else pv_ops. With --model (or a header and the parse options, e.g. --config pvgen.json), every site is named by its op. Exit codes: 0 ok, 1 some object could not be scanned (the scan goes on), 2 usage or input error.",
        [
            "pvgen scan build/ --format json -o sites.json",
            "pvgen scan /lib/modules/6.1.0-50-amd64 --model pv_ops.pvgen.json",
            "pvgen scan vmlinux.o drivers/xen/built-in.a --config examples/linux-5.10-x86_64/pvgen.json --format asm",
        ],
        [
            OptionTable.Scan.Paths, OptionTable.Common.Model, .. Inputs.Where(o => o != OptionTable.Input.Header),
            OptionTable.Scan.Format, OptionTable.Common.Output("file"), OptionTable.Scan.Jobs, OptionTable.Scan.RecordFormat, OptionTable.Scan.SitesFrom, OptionTable.Scan.ReadAll,
        ]);

    public static readonly VerbSpec Check = new("check",
        "Prove generated wrappers (or anyone's objects) right from the machine code.",
        "Prove generated wrappers right from the compiled machine code. For a 'pvgen generate' directory: compile the exerciser against each style with every compiler at -O0 and -O2 for the model's target; prove each wrapper type-safe (its type is the op's, and wrongly typed calls are rejected with the expected diagnostic); and verify every pv site record against the decoded site, in the family the object carries (detected): .parainstructions records (an indirect call through the record's slot, on an instruction boundary, of the recorded length, room for a direct call and the native replacement, the configured clobbers) or 6.8+ .altinstructions DIRECT_CALL entries (the 6-byte 'ff 15' through the slot its displacement names, instrlen 6, a 5-byte 'e8' replacement, first at its site, native alternatives that fit); no overlaps, no record without a site and no unannotated table reference. Checks a format cannot carry are listed as n/a. With --object, verify records in objects built by anyone (a distribution's modules) against a model. Exit codes: 0 all proved, 1 findings, 2 bad input.",
        [
            "pvgen generate --config examples/toy/pvgen.json -o out/toy && pvgen check out/toy",
            "pvgen check --object /lib/modules/6.1.0-50-amd64 --model pv_ops.pvgen.json",
        ],
        [
            OptionTable.Check.Directory, OptionTable.Check.Compilers, OptionTable.Check.Optimizations, OptionTable.Check.ExtraDefines, OptionTable.Check.ExtraIncludeDirs,
            OptionTable.Check.Objects, OptionTable.Common.Model, OptionTable.Common.Config, OptionTable.Check.RecordFormat, OptionTable.Check.Format,
            OptionTable.Common.Output("file"), OptionTable.Check.KeepBuild, OptionTable.Check.Jobs,
        ]);

    public static readonly VerbSpec Diff = new("diff",
        "Build caller code against both styles and measure the macro approach against the reloc approach.",
        "Build the same caller code against the macro-style and the plain-style wrappers and measure the macro approach (.parainstructions records) against the reloc approach (relocations + disassembly): sites found, tail jumps, site lengths, register save/spill cost and code size per function, sites lost (GOT, pointer loaded and reused, addresses taken, retpoline thunk calls), relocation types and whether they survive a link, and a verdict per op. --target takes a comma-separated list here (x86_64,i386): the header is parsed per target. With --kernel-source the code is a real kernel's: its paravirt.h is imported, drop-in PVOP_* families are generated in both styles, and the objects are built by the kernel's own Kbuild three times (the kernel's macros, the macro drop-in, the plain drop-in; objtool runs as in a real build); the report adds, per object, the proof that the macro drop-in reproduces the kernel's records and the warnings each drop-in adds. --keep-build DIR then keeps the objects as DIR/kernel/..., DIR/macro/..., DIR/plain/....",
        [
            "pvgen diff --config examples/linux-5.10-x86_64/pvgen.json",
            "pvgen diff --config examples/linux-5.10-x86_64/pvgen.json --cc gcc,clang --target x86_64,i386 --opt O2,Os,O0 --pic no,yes",
            "pvgen diff --config examples/linux-5.10-x86_64/pvgen.json --corpus my.c --format html -o diff.html",
            "pvgen diff --config examples/linux-5.10-x86_64/pvgen.json --style macro,plain,marker --keep-build out/diff",
            "pvgen diff --kernel-source /usr/src/linux-source-6.1.tar.xz --kernel-build /usr/src/linux-headers-6.1.0-57-amd64",
            "pvgen diff --kernel-source SRC --kernel-build OBJ --objects mm/memory.o,arch/x86/mm/pgtable.o --format json -o k.json --keep-build objs",
        ],
        [
            .. Inputs, OptionTable.Diff.Corpus, OptionTable.Diff.Styles, OptionTable.Diff.Compilers, OptionTable.Diff.Optimizations, OptionTable.Diff.Pic,
            OptionTable.Diff.Format, OptionTable.Common.Output("file"), OptionTable.Diff.KeepBuild, OptionTable.Diff.Jobs, .. OptionTable.Diff.Kernel,
        ]);

    public static readonly VerbSpec Annotate = new("annotate",
        "Write site records into plain-style objects, objtool-style (the reloc approach made patchable).",
        "Write site records into plain-style objects, from the sites pvgen scan finds: one record per indirect call through the table (and per tail jump where the format can say so: alt14, or an op configured \"jump\": true), with its relocation, so the linker carries the records like those the macro style's inline asm emits. References that cannot be patched in place (a pointer loaded and reused, GOT loads, addresses taken, tail jumps in .parainstructions, encodings alt_replace_call() refuses) get no record and are listed with the reason. Written with LibObjectFile; the output passes readelf -a and pvgen check --object. Bad or already-annotated input: an error, nothing written. Exit codes: 0 annotated, 2 bad input.",
        [
            "pvgen annotate build/irq.o --config examples/linux-5.10-x86_64/pvgen.json -o build/irq.annotated.o",
            "pvgen annotate a.o b.o --symbol pv_ops --record-format alt14 -o annotated/",
        ],
        [
            OptionTable.Annotate.Objects, OptionTable.Common.Model, .. Inputs.Where(o => o != OptionTable.Input.Header),
            OptionTable.Annotate.RecordFormat, OptionTable.Generate.ClobberEra, OptionTable.Generate.DirectCallSymbol, OptionTable.Annotate.Report, OptionTable.Annotate.Output,
        ]);

    public static readonly VerbSpec Prove = new("prove",
        "Patch running programs in every style and record format, and show they behave the same.",
        "Prove at run time that the records are right. For each style (macro; plain annotated with pvgen annotate) and every record format the target supports, build a user-space program from generated templates (prove/*: a table of logging default implementations, a second \"hypervisor\" set, the exerciser and the caller corpus as the workload, and a patcher that walks the records between the linker script's section symbols like the kernel's), run the workload unpatched, then with the table pointing at the hypervisor's set and every recorded site patched (a direct call or jump plus NOPs, alt_replace_call() semantics for DIRECT_CALL entries, native bytes where configured, fitting and safe in user space), and compare the event logs. Patched bytes are verified against the program's symbols, every patched site must run as a direct call, and each reference left indirect is listed with the reason. --target takes a comma-separated list (x86_64,i386). Exit codes: 0 every program behaves the same, 1 a difference (op, site and first differing event named), 2 bad input (or a workload that fails unpatched).",
        [
            "pvgen prove --config examples/linux-5.10-x86_64/pvgen.json",
            "pvgen prove hv.h --struct hv_ops --corpus calls.c --target x86_64,i386 --cc gcc,clang --opt O0,O2",
            "pvgen prove --config examples/toy/pvgen.json --style plain --record-format alt14 --format json -o proof.json",
        ],
        [
            .. Inputs, OptionTable.Diff.Corpus, OptionTable.Prove.Compilers, OptionTable.Prove.Optimizations, OptionTable.Prove.RecordFormats, OptionTable.Prove.Styles,
            OptionTable.Generate.Templates, OptionTable.Prove.Format, OptionTable.Common.Output("file"), OptionTable.Prove.KeepBuild, OptionTable.Prove.Jobs,
        ]);

    public static readonly VerbSpec Import = new("import",
        "Read a kernel's paravirt.h: what it knows about each op, as a pvgen.json.",
        "Read a kernel's paravirt.h through libclang, with the kernel's own flags, and write what it knows about every op it calls as a pvgen.json: the wrapper and its C signature, whether the op is callee-save (and the signature its wrapper calls it with, which the ops struct does not carry), its native alternative (assembled to bytes) and condition, its clobbers, jump ops. Ops the header never calls, the PVOP_* families and the macro section a drop-in replaces are listed under \"import\". The file is a pvgen.json for the other verbs: pvgen parse --config FILE reads the same table with every callee-save op typed.",
        [
            "pvgen import arch/x86/include/asm/paravirt.h --kernel-tree /usr/src/linux-headers-6.1.0-57-common --kernel-build /usr/src/linux-headers-6.1.0-57-amd64 -o pv_ops.import.json",
            "pvgen import arch/x86/include/asm/paravirt.h --kernel-tree SRC --kernel-build OBJ -o pv.json --drop-in out",
        ],
        [
            OptionTable.Import.ParavirtHeader, OptionTable.Import.KernelTree, OptionTable.Import.KernelBuild, OptionTable.Import.TypesHeader,
            OptionTable.Import.Struct, OptionTable.Import.Symbol, OptionTable.Common.Output("file"), OptionTable.Import.DropIn, OptionTable.Import.Templates,
        ]);

    public static readonly IReadOnlyList<VerbSpec> All = [Parse, Generate, Model, TemplatesExport, Scan, Annotate, Check, Diff, Prove, Import];

    /// <summary>Every pvgen.json section and the keys it may hold, from every verb's options (a key may be shared, e.g. cc).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<OptionSpec>> Sections { get; } = All
        .SelectMany(v => v.Options)
        .Where(o => o.JsonKey is not null && o.Section is not null)
        .GroupBy(o => o.Section!, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => (IReadOnlyList<OptionSpec>)g.DistinctBy(o => o.JsonKey).ToList(), StringComparer.Ordinal);

    /// <summary>The top-level keys of pvgen.json (the parse inputs), besides "ops", "$schema" and the sections.</summary>
    public static IReadOnlyList<OptionSpec> TopLevel { get; } = All
        .SelectMany(v => v.Options)
        .Where(o => o.JsonKey is not null && o.Section is null)
        .DistinctBy(o => o.JsonKey)
        .ToList();
}
