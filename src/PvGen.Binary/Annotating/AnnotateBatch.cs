using PvGen.Model.IO;

namespace PvGen.Binary.Annotating;

/// <summary>`pvgen annotate OBJ... -o OUT`: every object annotated in memory first, then all written, or none.</summary>
public static class AnnotateBatch
{
    /// <summary>The objects and where each one's output goes: OUT itself for one input, OUT/NAME for several.</summary>
    public static IReadOnlyList<(string Input, string Output)> Outputs(IReadOnlyList<string> inputs, string output)
    {
        if (inputs.Count == 1 && !Directory.Exists(output))
        {
            return [(inputs[0], output)];
        }

        var clash = inputs.GroupBy(Path.GetFileName).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw new AnnotateException($"two inputs are named {clash.Key}: their outputs in {output} would collide; annotate them separately");
        }

        return [.. inputs.Select(input => (input, Path.Combine(output, Path.GetFileName(input))))];
    }

    /// <summary>
    /// Annotates every input; when all succeed, writes each output atomically (and only when it changes) and returns
    /// the results with <paramref name="written"/> true. When any fails, writes nothing: no partial output.
    /// </summary>
    public static IReadOnlyList<AnnotatedObject> Run(IReadOnlyList<(string Input, string Output)> jobs, AnnotateOptions options, out bool written)
    {
        var results = jobs.Select(job => ObjectAnnotator.Annotate(job.Input, options)).ToList();
        written = results.All(r => r.Error is null);
        if (written)
        {
            for (int i = 0; i < jobs.Count; i++)
            {
                AtomicFile.WriteIfChanged(jobs[i].Output, results[i].Output!);
            }
        }

        return results;
    }
}
