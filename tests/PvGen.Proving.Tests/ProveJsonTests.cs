using System.Text.Encodings.Web;
using System.Text.Json;
using PvGen.Proving.Reports;

namespace PvGen.Proving.Tests;

/// <summary>
/// pvgen.prove/1 is written with source-generated metadata (NativeAOT has no reflection serializer). The oracle is the
/// reflection serializer with the options the report was written with before: the same report must give the same bytes.
/// </summary>
public sealed class ProveJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Fact]
    public void A_real_proof_is_written_as_the_reflection_serializer_writes_it()
    {
        var report = Proof.Run("linux-5.10-x86_64", "x86_64", "plain", "para16");
        Assert.NotEmpty(report.Builds);
        Assert.NotEmpty(report.Builds[0].Sites);

        Assert.Equal(JsonSerializer.Serialize(report, Reflection) + "\n", ProveJson.Render(report));
    }
}
