using System.Collections.Generic;

namespace PvGen.Model;

public enum Severity
{
    Note,
    Warning,
    Error,
}

/// <summary>One finding, printed in the gcc form "file:line:col: error: message [PVG0101]".</summary>
public sealed record Diagnostic(string Id, Severity Severity, string Message, SourceLocation? Location)
{
    public override string ToString() => Format(Location is null ? "pvgen" : Location.ToString(), Severity, Message, Id);

    /// <summary>
    /// The gcc form every diagnostic and finding prints in: "where: severity: message [id]". A message of several lines
    /// (a tool's own output indented under ours) keeps the id on its first line, where editors and CI look for it.
    /// </summary>
    public static string Format(string where, Severity severity, string message, string id)
    {
        int newline = message.IndexOf('\n');
        return newline < 0
            ? $"{where}: {severity.Name()}: {message} [{id}]"
            : $"{where}: {severity.Name()}: {message.Substring(0, newline).TrimEnd(':')} [{id}]{message.Substring(newline)}";
    }
}

/// <summary>Severity names as gcc, SARIF-level mapping and JSON reports spell them: one map.</summary>
public static class SeverityNames
{
    public static string Name(this Severity severity) => severity switch
    {
        Severity.Note => "note",
        Severity.Warning => "warning",
        _ => "error",
    };
}

/// <summary>
/// Every stable diagnostic id, declared once. Ranges: PVG00xx input and usage, PVG01xx parse,
/// PVG02xx check, PVG03xx generate and templates, PVG04xx scan, PVG05xx diff, PVG06xx C# bindings, PVG07xx prove,
/// PVG08xx real kernels (import of paravirt.h, drop-ins, Kbuild builds).
/// </summary>
public static class DiagnosticIds
{
    // Input and usage.
    public const string FileNotFound = "PVG0001";
    public const string BadConfig = "PVG0002";
    public const string BadOption = "PVG0003";
    public const string BadModelJson = "PVG0004";
    public const string OutputNotWritable = "PVG0005";

    // Parse.
    public const string ClangError = "PVG0101";
    public const string ClangWarning = "PVG0102";
    public const string UnknownStruct = "PVG0103";
    public const string NoFunctionPointers = "PVG0104";
    public const string VariadicOp = "PVG0105";
    public const string ArrayMember = "PVG0106";
    public const string BitfieldMember = "PVG0107";
    public const string UnionMember = "PVG0108";
    public const string AmbiguousSymbol = "PVG0109";
    public const string UnknownOpInConfig = "PVG0110";
    public const string BadSignature = "PVG0111";
    public const string MissingSystemHeader = "PVG0112";
    public const string LibClangUnavailable = "PVG0113";
    public const string TooManySlots = "PVG0114";
    public const string NoPrototype = "PVG0115";

    // Scan.
    public const string ScanObjectFailed = "PVG0401";
    public const string AnnotateFailed = "PVG0402";
    public const string ScanInputSkipped = "PVG0403";

    // Diff.
    public const string DiffModelUnsupported = "PVG0502";
    public const string DiffNoCorpus = "PVG0503";

    // Prove.
    public const string ProveDifference = "PVG0701";

    // Generate and templates.
    public const string TemplateError = "PVG0301";
    public const string TemplateNotFound = "PVG0302";
    public const string CalleeSaveWithoutSignature = "PVG0303";
    public const string MacroPlainFallback = "PVG0304";
    public const string BadGenerateConfig = "PVG0305";
    public const string BadWrapperName = "PVG0306";
    public const string BadClobber = "PVG0307";
    public const string StaleOutput = "PVG0308";
    public const string OverrideOutdated = "PVG0309";
    public const string AbiBreak = "PVG0310";
    public const string NoTableSymbol = "PVG0311";
    public const string BadNativeBytes = "PVG0312";
    public const string OpSkipped = "PVG0313";
    public const string NativeNotForTarget = "PVG0314";
    public const string OverrideUnused = "PVG0315";

    // C# bindings (PvGen.SourceGenerator and `pvgen generate --style csharp`).
    public const string CSharpBadModel = "PVG0601";
    public const string CSharpUnsupportedSchema = "PVG0602";
    public const string CSharpUnmappableType = "PVG0603";
    public const string CSharpDuplicateType = "PVG0604";
    public const string CSharpBadOption = "PVG0605";
    public const string CSharpGeneratorFailure = "PVG0606";

    // Real kernels: import of paravirt.h, drop-in macro families, Kbuild builds.
    public const string ImportUnmatched = "PVG0801";
    public const string ImportUnsupported = "PVG0802";
    public const string KernelTreeUnusable = "PVG0803";
    public const string KbuildFailed = "PVG0804";
    public const string DropInMismatch = "PVG0805";

    // Check (compile, type safety, annotations verified from the object).
    public const string RecordNotOnInstruction = "PVG0201";
    public const string SiteNotIndirectCall = "PVG0202";
    public const string WrongSlot = "PVG0203";
    public const string LengthMismatch = "PVG0204";
    public const string SiteTooShort = "PVG0205";
    public const string TooShortForNative = "PVG0206";
    public const string ClobberMismatch = "PVG0207";
    public const string OverlappingRecords = "PVG0208";
    public const string RecordWithoutSite = "PVG0209";
    public const string UnannotatedReference = "PVG0210";
    public const string NotTypeSafe = "PVG0211";
    public const string WrapperTypeMismatch = "PVG0212";
    public const string CompileFailed = "PVG0213";
    public const string ObjectUnreadable = "PVG0214";
    public const string SiteCountMismatch = "PVG0215";
    public const string DirectCallNotFf15 = "PVG0216";
    public const string DirectCallInstrLength = "PVG0217";
    public const string DirectCallReplacement = "PVG0218";
    public const string DirectCallNotFirst = "PVG0219";
    public const string NativeDoesNotFit = "PVG0220";
    public const string NativeMismatch = "PVG0221";
    public const string RecordFormatMismatch = "PVG0222";
    public const string VmiRegisterMismatch = "PVG0223";
    public const string NativeRegisterUse = "PVG0224";
    public const string VmiRecordUnreadable = "PVG0225";
    public const string NothingVerified = "PVG0226";

    public static readonly IReadOnlyDictionary<string, string> Titles = new Dictionary<string, string>
    {
        [FileNotFound] = "input file not found",
        [BadConfig] = "invalid pvgen.json",
        [BadOption] = "invalid command-line option",
        [BadModelJson] = "invalid model JSON",
        [OutputNotWritable] = "output cannot be written",
        [ClangError] = "the header does not compile",
        [ClangWarning] = "clang warning in the header (an error: check compiles it under -Werror)",
        [UnknownStruct] = "the ops struct is not defined in the header",
        [NoFunctionPointers] = "the struct has no function-pointer members",
        [VariadicOp] = "variadic op cannot be wrapped",
        [ArrayMember] = "array member treated as data",
        [BitfieldMember] = "bit-field member treated as data",
        [UnionMember] = "union member treated as data",
        [AmbiguousSymbol] = "table symbol cannot be chosen",
        [UnknownOpInConfig] = "configuration names an op that does not exist",
        [BadSignature] = "configured callee-save signature does not parse",
        [MissingSystemHeader] = "a system header is missing",
        [LibClangUnavailable] = "libclang cannot be loaded",
        [TooManySlots] = "more slots than a one-byte patch type can number",
        [NoPrototype] = "op declared without a prototype",
        [ScanObjectFailed] = "object cannot be scanned",
        [AnnotateFailed] = "object cannot be annotated",
        [ScanInputSkipped] = "directory entry skipped (not a regular file, a dangling link, unreadable)",
        [DiffModelUnsupported] = "the model cannot be diffed (no single table symbol)",
        [DiffNoCorpus] = "no caller corpus given",
        [ProveDifference] = "the patched program behaves differently, or could not be proved",
        [TemplateError] = "template error",
        [TemplateNotFound] = "template not found",
        [CalleeSaveWithoutSignature] = "callee-save op without a configured signature is skipped",
        [MacroPlainFallback] = "op generated as a plain call in macro style",
        [BadGenerateConfig] = "invalid 'generate' section in pvgen.json",
        [BadWrapperName] = "wrapper name is invalid or not unique",
        [BadClobber] = "unknown clobber register",
        [StaleOutput] = "generated output is stale",
        [OverrideOutdated] = "a default template changed since it was exported and overridden",
        [AbiBreak] = "ops renumbered: ABI break",
        [NoTableSymbol] = "no table symbol to call through",
        [BadNativeBytes] = "native replacement bytes do not parse",
        [OpSkipped] = "op skipped by configuration",
        [NativeNotForTarget] = "native bytes not given for this target: the site keeps the call",
        [OverrideUnused] = "a file in the template directory overrides no template",
        [CSharpBadModel] = "the model JSON cannot be read",
        [CSharpUnsupportedSchema] = "the model JSON has an unsupported schema id",
        [CSharpUnmappableType] = "a C type has no C# mapping",
        [CSharpDuplicateType] = "two models generate the same C# type",
        [CSharpBadOption] = "invalid C# binding option",
        [CSharpGeneratorFailure] = "the C# generator failed",
        [ImportUnmatched] = "paravirt.h makes a call the import cannot match to the ops table",
        [ImportUnsupported] = "the kernel's paravirt headers are of a shape the import does not read",
        [KernelTreeUnusable] = "the kernel source or build tree cannot be used",
        [KbuildFailed] = "Kbuild failed",
        [DropInMismatch] = "the macro drop-in does not reproduce the kernel's own records",
        [RecordNotOnInstruction] = "annotation record does not start on an instruction boundary",
        [SiteNotIndirectCall] = "annotated site is not an indirect call (or jump) through the table",
        [WrongSlot] = "annotated site calls a different slot than its record's type",
        [LengthMismatch] = "record length differs from the annotated instructions",
        [SiteTooShort] = "site too short for a direct call",
        [TooShortForNative] = "site too short for the op's native replacement",
        [ClobberMismatch] = "record clobbers differ from the op's configured clobbers",
        [OverlappingRecords] = "annotation records overlap",
        [RecordWithoutSite] = "annotation record without a site",
        [UnannotatedReference] = "reference to the table without an annotation",
        [NotTypeSafe] = "wrapper accepts a wrongly typed call",
        [WrapperTypeMismatch] = "wrapper type differs from the op's",
        [CompileFailed] = "generated code does not compile",
        [ObjectUnreadable] = "object cannot be read",
        [SiteCountMismatch] = "object has a different number of annotated sites than wrappers called",
        [DirectCallNotFf15] = "DIRECT_CALL entry does not annotate a 6-byte 'ff 15' call through the table",
        [DirectCallInstrLength] = "DIRECT_CALL entry's instrlen is not 6",
        [DirectCallReplacement] = "DIRECT_CALL entry's replacement is not a 5-byte 'e8' call",
        [DirectCallNotFirst] = "DIRECT_CALL entry is not the first entry at its site",
        [NativeDoesNotFit] = "native alternative does not fit the site",
        [NativeMismatch] = "native alternative differs from the op's configured native bytes",
        [RecordFormatMismatch] = "the object's records are not in the format generate wrote",
        [VmiRegisterMismatch] = "a VMI record names registers the asm does not bind",
        [NativeRegisterUse] = "a native default uses registers outside its site's environment",
        [VmiRecordUnreadable] = "the VMI records cannot be read",
        [NothingVerified] = "no record and no call through the table in the objects: nothing was verified",
    };
}
