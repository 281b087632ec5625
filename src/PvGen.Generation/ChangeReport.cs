using PvGen.Model;

namespace PvGen.Generation;

public enum ChangeKind
{
    Added,
    Removed,
    SignatureChanged,
    Renumbered,
    StructResized,
}

/// <summary>One difference between the model the outputs were last generated from and the current one.</summary>
public sealed record OpChange(ChangeKind Kind, string Path, string Detail)
{
    /// <summary>A renumbering moves every module's calls to another op: the binary interface breaks.</summary>
    public bool IsAbiBreak => Kind is ChangeKind.Renumbered;

    public override string ToString() => $"{Kind switch
    {
        ChangeKind.Added => "added",
        ChangeKind.Removed => "removed",
        ChangeKind.SignatureChanged => "signature",
        ChangeKind.Renumbered => "renumbered",
        _ => "resized",
    },-11}{Path}: {Detail}{(IsAbiBreak ? " [ABI break]" : string.Empty)}";
}

/// <summary>Compares two models by op path: what a maintainer must know after editing the ops header.</summary>
public static class ChangeReport
{
    public static IReadOnlyList<OpChange> Compare(OpsModel previous, OpsModel current)
    {
        var changes = new List<OpChange>();
        var before = previous.Ops.ToDictionary(o => o.Path, StringComparer.Ordinal);
        var after = current.Ops.ToDictionary(o => o.Path, StringComparer.Ordinal);
        if (previous.StructSize != current.StructSize)
        {
            changes.Add(new OpChange(ChangeKind.StructResized, $"struct {current.Struct}", $"{previous.StructSize} -> {current.StructSize} bytes"));
        }

        foreach (var op in current.Ops)
        {
            if (!before.TryGetValue(op.Path, out var old))
            {
                changes.Add(new OpChange(ChangeKind.Added, op.Path, $"slot {op.Slot}, {Signature(op)}"));
                continue;
            }

            if (Signature(old) != Signature(op))
            {
                changes.Add(new OpChange(ChangeKind.SignatureChanged, op.Path, $"{Signature(old)} -> {Signature(op)}"));
            }

            if (old.Slot != op.Slot || old.Offset != op.Offset)
            {
                changes.Add(new OpChange(ChangeKind.Renumbered, op.Path, $"slot {old.Slot} -> {op.Slot} (offset 0x{old.Offset:x} -> 0x{op.Offset:x})"));
            }
        }

        foreach (var op in previous.Ops.Where(o => !after.ContainsKey(o.Path)))
        {
            changes.Add(new OpChange(ChangeKind.Removed, op.Path, $"was slot {op.Slot}"));
        }

        return changes;
    }

    public static string Signature(Op op) =>
        (op.SignatureKnown || !op.CalleeSave
            ? $"{op.ReturnType.Spelling} ({(op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(p => p.Type.Spelling)))})"
            : "(signature not configured)")
        + (op.CalleeSave ? " callee-save" : string.Empty);
}
