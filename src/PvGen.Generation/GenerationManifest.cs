using System.Text.Json;
using System.Text.Json.Serialization;
using PvGen.Model;
using PvGen.Model.Json;
using PvGen.X86;

namespace PvGen.Generation;

/// <summary>One op as the manifest describes it: what its wrapper is and what its site record must say.</summary>
/// <param name="ClobberMask">The CLBR_* mask the op's records carry.</param>
/// <param name="MacroStyle">"asm" (an annotated site), "plain" (a plain call by design) or "none" (skipped).</param>
public sealed record ManifestOp(
    string? Name,
    string Path,
    long Offset,
    int Slot,
    int ArgCount,
    int ArgWords,
    int ReturnSize,
    bool CalleeSave,
    bool Jump,
    bool Skipped,
    IReadOnlyList<string> Clobbers,
    int ClobberMask,
    string? Native,
    string? Wrapper,
    string MacroStyle,
    string? Reason)
{
    [JsonIgnore]
    public bool Annotated => MacroStyle == "asm";

    /// <summary>Bytes of the native replacement, when configured.</summary>
    [JsonIgnore]
    public int? NativeLength => Model.Config.NativeBytes.Length(Native);
}

/// <summary>How the macro style records its sites.</summary>
/// <param name="Format">The record format's one name (para8, para16, para6, alt14).</param>
/// <param name="ClobberEra">The CLBR_* generation of the clobber masks ("2.6.20", "2.6.25").</param>
public sealed record ManifestRecord(string Section, string Format, int Size, string ClobberEra, string CallForm, int SiteLength);

/// <summary>
/// The compile environment of the header, with paths relative to the output directory (so a moved tree still
/// checks); <see cref="GenerationManifest.Cflags"/> is the same environment as flags, for tools that want a command line.
/// </summary>
public sealed record ManifestEnvironment(string? KernelTree, string? KernelBuild, IReadOnlyList<string> Defines, IReadOnlyList<string> IncludeDirs, IReadOnlyList<string> Includes)
{
    /// <summary>The environment with its paths made absolute against the directory the manifest lives in.</summary>
    public CompileEnvironment Resolve(Target target, string directory) =>
        new CompileEnvironment(target, KernelTree, KernelBuild, Defines, IncludeDirs, Includes).MapPaths(p => System.IO.Path.GetFullPath(p, directory));
}

/// <summary>
/// <c>pvgen.manifest/1</c>: what `pvgen generate` wrote and what `pvgen check` must prove about it. One type, written
/// and read by the same code.
/// </summary>
public sealed record GenerationManifest(
    string Schema,
    string GeneratorVersion,
    string Struct,
    string? Symbol,
    string Arch,
    int PointerSize,
    long StructSize,
    IReadOnlyList<string> Styles,
    IReadOnlyList<string> Cflags,
    ManifestEnvironment Environment,
    ManifestRecord Record,
    IReadOnlyDictionary<string, int> ClobberBits,
    IReadOnlyList<ManifestOp> Ops,
    IReadOnlyList<string> MacroPlainCalls,
    IReadOnlyList<string> Skipped)
{
    public const string SchemaId = "pvgen.manifest/1";

    public static GenerationManifest From(GenerationRequest request, TemplateModelBuilder.Plan plan)
    {
        var model = request.Model;
        var abi = CallAbi.For(model.Target);
        string Relative(string path) => request.OutputDirectory is { } output ? System.IO.Path.GetRelativePath(output, path).Replace('\\', '/') : path;
        var environment = request.Environment;
        return new GenerationManifest(
            SchemaId,
            TemplateModelBuilder.Version,
            model.Struct,
            model.TableSymbol,
            model.Target.Arch,
            model.Target.PointerSize,
            model.StructSize,
            request.Styles,
            environment.Flags(kernelDirsAsSystem: true, display: Relative),
            new ManifestEnvironment(
                environment.KernelTree is { } tree ? Relative(tree) : null,
                environment.KernelBuild is { } build ? Relative(build) : null,
                environment.Defines,
                [.. environment.IncludeDirs.Select(Relative)],
                [.. environment.Includes.Select(Relative)]),
            new ManifestRecord(plan.Section, plan.Format.Name, plan.Format.Stride, ClobberMasks.Name(plan.ClobberEra), plan.CallForm,
                SiteEncodings.IndirectCall(model.Target.PointerSize, plan.CallForm == "rip").Length),
            abi.Registers.ToDictionary(r => r.Name, r => r.Bit),
            [.. plan.Ops.Select(Op)],
            [.. plan.Ops.Where(o => !o.Skipped && !o.Binding.IsAsm).Select(o => o.Op.Path)],
            [.. plan.Ops.Where(o => o.Skipped).Select(o => o.Op.Path)]);
    }

    /// <summary>What one op's plan says about its wrapper and its record.</summary>
    public static ManifestOp Op(OpPlan op) => new(
        op.Skipped ? null : op.Wrapper,
        op.Op.Path,
        op.Op.Offset,
        op.Op.Slot,
        op.Op.Params.Count,
        op.Binding.ArgumentWords,
        op.Op.ReturnType.Size,
        op.Op.CalleeSave,
        op.Jump,
        op.Skipped,
        [.. op.Clobbers.Select(r => r.Name)],
        op.ClobberMask,
        op.Native,
        op.Skipped ? null : op.Wrapper,
        op.Skipped ? "none" : op.Binding.IsAsm ? "asm" : "plain",
        op.Skipped ? op.SkipReason : op.Binding.Reason);

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<GenerationManifest> Info =
        ContractJson.Unescaped(ManifestJsonContext.Default.Options).InfoFor<GenerationManifest>();

    public static string Serialize(GenerationManifest manifest) => ContractJson.Serialize(manifest, Info);

    /// <summary>Reads a manifest; a problem is a <see cref="PvGenException"/> located in the file.</summary>
    public static GenerationManifest Load(string path)
    {
        string text = File.ReadAllText(path);
        GenerationManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(text, Info);
        }
        catch (JsonException e)
        {
            throw PvGenException.Error(DiagnosticIds.BadOption, $"cannot read the manifest: {RuntimeMessages.OfJson(e)}", JsonLocations.Of(e, path));
        }

        if (manifest is null || manifest.Schema != SchemaId)
        {
            throw PvGenException.Error(DiagnosticIds.BadOption, $"unsupported manifest schema '{manifest?.Schema}', expected '{SchemaId}': regenerate the directory", new SourceLocation(path, 1, 1));
        }

        return manifest;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    IndentSize = 2,
    NewLine = "\n",
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(GenerationManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
