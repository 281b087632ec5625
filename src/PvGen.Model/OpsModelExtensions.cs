namespace PvGen.Model;

/// <summary>Operations on a whole model.</summary>
public static class OpsModelExtensions
{
    /// <summary>The same model with every location's file mapped (e.g. made relative to an output directory).</summary>
    public static OpsModel MapLocations(this OpsModel model, Func<string, string> map)
    {
        SourceLocation Map(SourceLocation location) => location.File.Length == 0 ? location : location with { File = map(location.File) };
        return model with
        {
            Location = Map(model.Location),
            Ops = model.Ops.Select(o => o with { Location = Map(o.Location) }).ToEquatableArray(),
            Data = model.Data.Select(d => d with { Location = Map(d.Location) }).ToEquatableArray(),
        };
    }
}
