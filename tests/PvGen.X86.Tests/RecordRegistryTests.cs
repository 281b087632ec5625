using PvGen.X86.Records;
using Xunit;

namespace PvGen.X86.Tests;

/// <summary>
/// The format list is written out for NativeAOT (no reflection at run time); reflection, which the tests may use, is the
/// oracle that it names every layout: a new <see cref="RecordFormat"/> subclass left out of the list fails here.
/// </summary>
public sealed class RecordRegistryTests
{
    [Fact]
    public void ListsEveryConcreteFormatClassOnce()
    {
        var declared = typeof(RecordFormat).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(RecordFormat)) && !t.IsAbstract)
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal);

        var listed = RecordFormats.All.Select(f => f.GetType().FullName!).Order(StringComparer.Ordinal);

        Assert.Equal(declared, listed);
    }

    [Fact]
    public void OrdersParaInstructionsFirstThenByStride()
    {
        // The order help texts and "use one of" messages print: the kernel's history, .parainstructions before .altinstructions.
        Assert.Equal(["para6", "para8", "para16", "alt12", "alt13", "alt14"], RecordFormats.Names);
    }
}
