using PvGen.Generation;
using PvGen.Model;
using PvGen.Model.Config;
using PvGen.X86;

namespace PvGen.Checking.Annotations;

/// <summary>What a record for one slot must say, from the model and its configuration.</summary>
/// <param name="Jump">The op is reached by jmp (iret), so its site is an indirect jump.</param>
/// <param name="NativeLength">Bytes of the op's native replacement, when configured.</param>
/// <param name="ClobberMask">The CLBR_* mask a record must carry, when clobbers are configured.</param>
/// <param name="Annotated">False when the op is a plain call by design (macro style's fallback), so its sites carry no record.</param>
/// <param name="Native">The configured native bytes ("9c 58"), which a native alternative at the op's sites must equal.</param>
public sealed record ExpectedOp(string Path, int Slot, bool Jump, int? NativeLength, int? ClobberMask, bool Annotated = true, string? Native = null);

public static class ExpectedOps
{
    /// <summary>
    /// Per slot, what the configuration says (ops without configuration expect a call and nothing else).
    /// Bad "native" bytes or clobber names are configuration errors (exit 2), as in `pvgen generate`.
    /// </summary>
    public static IReadOnlyDictionary<int, ExpectedOp> From(OpsModel model, PvGenConfig? config)
    {
        var abi = CallAbi.For(model.Target);
        var where = new SourceLocation(config?.SourcePath ?? "pvgen.json", 1, 1);
        var era = ClobberEraOf(config, where);
        var expected = new Dictionary<int, ExpectedOp>();
        foreach (var op in model.Ops)
        {
            var settings = config?.ForOp(op.Path);
            if (settings?.Clobbers?.FirstOrDefault(name => name != "any" && abi.Find(name) is null) is { } unknown)
            {
                throw new ConfigException(new Diagnostic(DiagnosticIds.BadClobber, Severity.Error,
                    $"op '{op.Path}': '{unknown}' is not a register the {model.Target.Arch} call ABI can clobber ({string.Join(", ", abi.Registers.Select(r => r.Name))})", where));
            }

            int? mask = settings?.Clobbers is { } clobbers
                ? ClobberMasks.MaskOf(MacroBinder.ClobberSet(op, abi, clobbers), abi, era)
                : null;
            int? native = settings?.Native is { } hex
                ? NativeLength(hex) ?? throw new ConfigException(new Diagnostic(DiagnosticIds.BadNativeBytes, Severity.Error,
                    $"op '{op.Path}': native bytes \"{hex}\" are not hex bytes such as \"9c 58\"", where))
                : null;
            expected[op.Slot] = new ExpectedOp(op.Path, op.Slot, settings?.Jump ?? false, native, mask, Native: settings?.Native is { } bytes ? NativeBytes.Normalise(bytes) : null);
        }

        return expected;
    }

    /// <summary>The CLBR_* era the configuration's "generate.clobber_era" names, as generate applies it.</summary>
    private static ClobberEra ClobberEraOf(PvGenConfig? config, SourceLocation where)
    {
        if (config?.Extra is not { } extra || !extra.TryGetValue("generate", out var section))
        {
            return ClobberMasks.DefaultEra;
        }

        try
        {
            var settings = GenerateSettings.Bind(section, config.SourcePath ?? "pvgen.json");
            return settings.ClobberEra is { } name ? ClobberMasks.Parse(name)!.Value : ClobberMasks.DefaultEra;
        }
        catch (GenerationException e)
        {
            throw new ConfigException(e.Diagnostic with { Location = e.Diagnostic.Location ?? where });
        }
    }

    /// <summary>Bytes in a native replacement, or null when the text is not hex bytes.</summary>
    public static int? NativeLength(string? hex) =>
        hex is null ? null : NativeBytes.Normalise(hex)?.Split(' ').Length;
}
