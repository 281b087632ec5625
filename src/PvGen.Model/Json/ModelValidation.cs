namespace PvGen.Model.Json;

/// <summary>
/// What a model must satisfy before any stage trusts it: a known schema and target, a positive size, and ops whose
/// offsets, slots and paths are consistent with it. Each problem names the JSON Pointer of the offending value.
/// </summary>
public static class ModelValidation
{
    public readonly record struct Problem(string Pointer, string Message);

    public static IEnumerable<Problem> Problems(OpsModel model)
    {
        if (model.Schema != OpsModel.SchemaId)
        {
            yield return new("/schema", $"unsupported schema '{model.Schema}', expected '{OpsModel.SchemaId}'");
            yield break;
        }

        var known = Target.FromName(model.Target?.Arch ?? string.Empty);
        if (model.Target is null || known is null)
        {
            yield return new("/target/arch", $"unknown target '{model.Target?.Arch}': models are laid out for x86_64 or i386");
            yield break;
        }

        if (model.Target.PointerSize != known.PointerSize || model.Target.Triple != known.Triple)
        {
            yield return new("/target/pointer_size", $"target {known.Arch} has {known.PointerSize}-byte pointers and triple {known.Triple}, not {model.Target.PointerSize} and {model.Target.Triple}");
            yield break;
        }

        if (model.StructSize <= 0)
        {
            yield return new("/struct_size", $"struct_size must be positive (got {model.StructSize})");
        }

        if (string.IsNullOrEmpty(model.Struct))
        {
            yield return new("/struct", "the model names no struct");
        }

        if (model.Ops.Count == 0)
        {
            yield return new("/ops", "a model holds at least one op");
            yield break;
        }

        int pointer = known.PointerSize;
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < model.Ops.Count; i++)
        {
            var op = model.Ops[i];
            string at = $"/ops/{i}";
            if (op is null || string.IsNullOrEmpty(op.Path))
            {
                yield return new(at, $"op {i} has no path");
                continue;
            }

            if (!paths.Add(op.Path))
            {
                yield return new(at + "/path", $"op '{op.Path}' appears twice");
            }

            if (op.Offset < 0 || op.Offset % pointer != 0 || (model.StructSize > 0 && op.Offset + pointer > model.StructSize))
            {
                yield return new(at + "/offset", $"op '{op.Path}': offset {op.Offset} is not a {pointer}-byte slot inside the {model.StructSize}-byte struct");
            }
            else if (op.Slot != op.Offset / pointer)
            {
                yield return new(at + "/slot", $"op '{op.Path}': slot {op.Slot} but offset {op.Offset} is slot {op.Offset / pointer}");
            }
        }
    }
}
