using System.Collections.Generic;
using System.Text;

namespace PvGen.Model.Json;

/// <summary>
/// The line starts of a UTF-8 document, so that a byte offset (Utf8JsonReader.TokenStartIndex) becomes a 1-based line
/// and column. Also compiled into the source generator (netstandard2.0), which locates its model errors the same way.
/// </summary>
public sealed class LineIndex
{
    private readonly byte[] utf8;
    private readonly List<int> starts = [0];

    public LineIndex(byte[] utf8)
    {
        this.utf8 = utf8;
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }
    }

    /// <summary>Where the byte at <paramref name="offset"/> is; the column counts characters, as editors do.</summary>
    public SourceLocation At(string file, long offset)
    {
        int line = starts.BinarySearch((int)offset);
        line = line >= 0 ? line : ~line - 1;
        int column = Encoding.UTF8.GetCharCount(utf8, starts[line], (int)offset - starts[line]) + 1;
        return new SourceLocation(file, line + 1, column);
    }
}
