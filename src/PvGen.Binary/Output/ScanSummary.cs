namespace PvGen.Binary.Output;

/// <summary>Running totals over a scan, for the summary object and the table's footer.</summary>
public sealed class ScanSummary
{
    private readonly Dictionary<SiteKind, int> byKind = Enum.GetValues<SiteKind>().ToDictionary(k => k, _ => 0);
    private readonly SortedDictionary<string, OpCount> byOp = new(StringComparer.Ordinal);

    public int Objects { get; private set; }

    public int ObjectsWithSites { get; private set; }

    public int Skipped { get; private set; }

    public int Errors { get; private set; }

    /// <summary>Objects whose sites were found from decoded operands, without relocations (a 6.5+ vmlinux).</summary>
    public int ObjectsFromOperands { get; private set; }

    public int Sites { get; private set; }

    public int Feeds { get; private set; }

    public int Annotations { get; private set; }

    public int AnnotatedSites { get; private set; }

    public int UnannotatedCalls { get; private set; }

    public int OrphanAnnotations { get; private set; }

    /// <summary>Annotations that are DIRECT_CALL .altinstructions entries (6.8+ pv sites).</summary>
    public int DirectCallAnnotations { get; private set; }

    /// <summary>Native alternatives at pv sites (the other entries of their groups).</summary>
    public int NativeAlternatives { get; private set; }

    /// <summary>Every .altinstructions entry read.</summary>
    public int AltEntries { get; private set; }

    /// <summary>Entries that are not at a pv site: the kernel's CPU-feature alternatives, counted, not pv sites.</summary>
    public int OtherAlternatives { get; private set; }

    /// <summary>Objects by the format their pv records were read in.</summary>
    public IReadOnlyDictionary<string, int> ByRecordFormat => byRecordFormat;

    private readonly SortedDictionary<string, int> byRecordFormat = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<SiteKind, int> ByKind => byKind;

    /// <summary>Markers of the marker style (NONE relocations against the table).</summary>
    public int Markers { get; private set; }

    public int MarkersPaired { get; private set; }

    public int MarkersUnpaired => Markers - MarkersPaired;

    /// <summary>Bytes from a paired marker to its site: how many markers sat at each distance.</summary>
    public IReadOnlyDictionary<long, int> MarkerDistances => markerDistances;

    private readonly SortedDictionary<long, int> markerDistances = [];

    /// <summary>The largest marker-to-site distance, or null when nothing was paired.</summary>
    public long? MaxMarkerDistance => markerDistances.Count == 0 ? null : markerDistances.Keys.Max();

    /// <summary>Per op (or "slot N" without a model): sites by kind.</summary>
    public IReadOnlyDictionary<string, OpCount> ByOp => byOp;

    public void Add(ScannedObject scanned)
    {
        Objects++;
        Skipped += scanned.Skipped ? 1 : 0;
        Errors += scanned.Error is null ? 0 : 1;
        ObjectsFromOperands += scanned.SitesFrom == SiteSource.Operands ? 1 : 0;
        ObjectsWithSites += scanned.Sites.Count > 0 ? 1 : 0;
        Sites += scanned.Sites.Count;
        Annotations += scanned.Annotations.Count;
        foreach (var site in scanned.Sites)
        {
            byKind[site.Kind]++;
            Feeds += site.Feeds.Count;
            AnnotatedSites += site.Annotated ? 1 : 0;
            string key = NameOf(site.Op, site.Slot, site.TargetOffset);
            byOp[key] = (byOp.TryGetValue(key, out var count) ? count : OpCount.Zero).With(site.Kind);
        }

        if (scanned.Annotations.Count > 0)
        {
            UnannotatedCalls += scanned.UnannotatedCalls.Count();
        }

        OrphanAnnotations += scanned.OrphanAnnotations.Count();
        Markers += scanned.Markers.Count;
        foreach (var marker in scanned.Markers.Where(m => m.Distance is not null))
        {
            MarkersPaired++;
            markerDistances[marker.Distance!.Value] = markerDistances.GetValueOrDefault(marker.Distance.Value) + 1;
        }

        DirectCallAnnotations += scanned.Annotations.Count(a => a.Alt is not null);
        NativeAlternatives += scanned.Annotations.Sum(a => a.Natives.Count);
        AltEntries += scanned.Alternatives?.Entries ?? 0;
        OtherAlternatives += scanned.Alternatives?.Other ?? 0;
        if (scanned.AnnotationFormat is { } format && scanned.Annotations.Count > 0)
        {
            byRecordFormat[format.Name] = byRecordFormat.GetValueOrDefault(format.Name) + 1;
        }
    }

    public static string NameOf(string? op, int? slot, long targetOffset) =>
        op ?? (slot is { } s ? $"slot {s} (+0x{targetOffset:x})" : $"offset {targetOffset}");
}

/// <summary>Sites of one op, by kind.</summary>
public sealed record OpCount(int Call, int Jmp, int Load, int Address, int Other)
{
    public static readonly OpCount Zero = new(0, 0, 0, 0, 0);

    public int Total => Call + Jmp + Load + Address + Other;

    public OpCount With(SiteKind kind) => kind switch
    {
        SiteKind.Call => this with { Call = Call + 1 },
        SiteKind.Jmp => this with { Jmp = Jmp + 1 },
        SiteKind.Load => this with { Load = Load + 1 },
        SiteKind.Address => this with { Address = Address + 1 },
        _ => this with { Other = Other + 1 },
    };
}
