using System.Buffers;
using System.Text.Json;
using ImageCore.Isr;

namespace ImageCore.Execution;

/// <summary>
/// A planned run held as numbers: what <see cref="QuantumGraphPlanner"/> finds (the raws, the direct warps with their raws,
/// the patches, each step's order) and nothing per quantum. The <see cref="QuantumGraph"/> is made from it
/// (<see cref="ToGraph"/>); a plan directory is made from it without the graph (<see cref="Cluster"/> and
/// <see cref="PlanDirectory.Write(string, CompactPlan, CompactPlan.Clusters)"/>): the ids, paths and JSON of the quanta are
/// written as bytes straight from the numbers. For a night (1.2 million quanta, 5 million strings) the graph's objects
/// were most of planning's time and memory; the bytes are those of <see cref="PlanDirectory.Write(string, QuantumGraph,
/// ClusterPlan)"/> of <see cref="ToGraph"/> and <see cref="QuantumClusterer.Cluster"/>, which tests compare them with.
/// <para>Positions: the graph lists the quanta step by step, each step in its order: ISR <c>k</c> (and characterize
/// <c>k</c>) is the raw <c>RawOrder[k]</c>, warp <c>k</c> (and PSF-matched warp <c>k</c>) the warp <c>WarpOrder[k]</c>,
/// coadd <c>c</c> the patch of warps <c>PatchStart[c] .. PatchStart[c + 1]</c>.</para>
/// </summary>
internal sealed class CompactPlan
{
    private enum Kind { Isr, Characterize, Warp, PsfMatch, Coadd }

    private readonly int _characterizeBase, _warpBase, _psfMatchBase, _coaddBase;
    private readonly int[] _rawPosition;    // raw -> k (its ISR quantum's place in its step)
    private readonly int[] _warpPosition;   // warp -> k
    private readonly byte[][] _rawPath, _detector;   // each raw's path and detector name, JSON-escaped
    private readonly byte[] _postIsr, _calexp, _warp, _psfMatchedWarp, _coadd;   // output directories, JSON-escaped, with '/'

    /// <summary>A plan of the raws <paramref name="raws"/> (listed in <paramref name="rawOrder"/>) and the warps
    /// <paramref name="warpKeys"/> (sorted by tract, patch and visit; warp <c>w</c>'s raws, in raw order, are
    /// <c>warpRaws[warpStart[w] .. warpStart[w + 1])</c>; listed in <paramref name="warpOrder"/>), through the steps
    /// <paramref name="steps"/>.</summary>
    public CompactPlan(DataRepository data, DataRepository output, int scale, int warpBorder, string order, IReadOnlyList<string> steps,
                       IReadOnlyList<UnplannedRaw> unplanned, RawQuantum[] raws, int[] rawOrder,
                       (int Tract, int Patch, int Visit)[] warpKeys, int[] warpStart, int[] warpRaws, int[] warpOrder)
    {
        (Data, Output, Scale, WarpBorder, Order, Steps, Unplanned) = (data, output, scale, warpBorder, order, steps, unplanned);
        (Raws, RawOrder, WarpKeys, WarpStart, WarpRaws, WarpOrder) = (raws, rawOrder, warpKeys, warpStart, warpRaws, warpOrder);
        HasCharacterize = steps.Contains(PipelineSteps.Characterize);
        HasWarp = steps.Contains(PipelineSteps.Warp);
        HasPsfMatch = HasWarp && steps.Contains(PipelineSteps.PsfMatch);
        HasCoadd = HasPsfMatch && steps.Contains(PipelineSteps.Coadd);
        var patchStart = new List<int>();   // the warps are sorted by tract, patch and visit: a patch's are a run
        for (int w = 0; w < warpKeys.Length; w++)
            if (w == 0 || warpKeys[w].Tract != warpKeys[w - 1].Tract || warpKeys[w].Patch != warpKeys[w - 1].Patch) patchStart.Add(w);
        patchStart.Add(warpKeys.Length);
        PatchStart = [.. patchStart];
        _characterizeBase = raws.Length;
        _warpBase = _characterizeBase + (HasCharacterize ? raws.Length : 0);
        _psfMatchBase = _warpBase + (HasWarp ? warpKeys.Length : 0);
        _coaddBase = _psfMatchBase + (HasPsfMatch ? warpKeys.Length : 0);
        Count = _coaddBase + (HasCoadd ? PatchStart.Length - 1 : 0);
        _rawPosition = Inverse(rawOrder);
        _warpPosition = Inverse(warpOrder);
        var names = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        _detector = new byte[raws.Length][];
        _rawPath = new byte[raws.Length][];
        for (int r = 0; r < raws.Length; r++)
        {
            if (!names.TryGetValue(raws[r].Detector, out var name)) names[raws[r].Detector] = name = Escaped(raws[r].Detector);
            _detector[r] = name;
            _rawPath[r] = Escaped(raws[r].Path);
        }
        _postIsr = Directory(output, DataRepository.PostIsrDirectoryName);
        _calexp = Directory(output, DataRepository.CalexpDirectoryName);
        _warp = Directory(output, DataRepository.WarpDirectoryName);
        _psfMatchedWarp = Directory(output, DataRepository.PsfMatchedWarpDirectoryName);
        _coadd = Directory(output, DataRepository.CoaddDirectoryName);
    }

    /// <summary>A raw as the plan needs it: its path, visit and detector.</summary>
    internal readonly record struct RawQuantum(string Path, int Visit, int DetectorId, string Detector);

    /// <summary>The data repository.</summary>
    public DataRepository Data { get; }

    /// <summary>The output repository.</summary>
    public DataRepository Output { get; }

    /// <summary>The data's scale.</summary>
    public int Scale { get; }

    /// <summary>The warps' border, at the data's scale.</summary>
    public int WarpBorder { get; }

    /// <summary>The quantum order's text form.</summary>
    public string Order { get; }

    /// <summary>The steps, in the order they run.</summary>
    public IReadOnlyList<string> Steps { get; }

    /// <summary>The raws that could not be planned.</summary>
    public IReadOnlyList<UnplannedRaw> Unplanned { get; }

    /// <summary>The raws, in the order they were found.</summary>
    public RawQuantum[] Raws { get; }

    /// <summary>The raws in ISR's (and characterize's) order.</summary>
    public int[] RawOrder { get; }

    /// <summary>The warps' (tract, patch, visit), sorted.</summary>
    public (int Tract, int Patch, int Visit)[] WarpKeys { get; }

    /// <summary>Where each warp's raws start in <see cref="WarpRaws"/> (and, last, their count).</summary>
    public int[] WarpStart { get; }

    /// <summary>The warps' raws, warp by warp, each warp's in raw order.</summary>
    public int[] WarpRaws { get; }

    /// <summary>The warps in the warp step's order.</summary>
    public int[] WarpOrder { get; }

    /// <summary>Where each patch's warps start in <see cref="WarpKeys"/> (and, last, their count).</summary>
    public int[] PatchStart { get; }

    /// <summary>The number of quanta.</summary>
    public int Count { get; }

    private bool HasCharacterize { get; }

    private bool HasWarp { get; }

    private bool HasPsfMatch { get; }

    private bool HasCoadd { get; }

    private static int[] Inverse(int[] order)
    {
        var inverse = new int[order.Length];
        for (int k = 0; k < order.Length; k++) inverse[order[k]] = k;
        return inverse;
    }

    private static byte[] Escaped(string text) => JsonEncodedText.Encode(text).EncodedUtf8Bytes.ToArray();

    /// <summary><c>Path.Combine(root, name)</c> and a separator, escaped: what <see cref="DataRepository"/>'s paths of that
    /// directory start with.</summary>
    private static byte[] Directory(DataRepository repository, string name) => Escaped(Path.Combine(repository.Root, name) + "/");

    private (Kind Kind, int K) At(int position) =>
        position < _characterizeBase ? (Kind.Isr, position)
        : position < _warpBase ? (Kind.Characterize, position - _characterizeBase)
        : position < _psfMatchBase ? (Kind.Warp, position - _warpBase)
        : position < _coaddBase ? (Kind.PsfMatch, position - _psfMatchBase)
        : (Kind.Coadd, position - _coaddBase);

    /// <summary>The place of the quantum whose output the warps read for raw <paramref name="raw"/> (characterize's, or ISR's
    /// without it).</summary>
    private int PerRaw(int raw) => (HasCharacterize ? _characterizeBase : 0) + _rawPosition[raw];

    /// <summary>
    /// The quantum graph: the quanta of <see cref="QuantumGraphPlanner"/>'s description, step by step, each step's made in
    /// parallel from its place in the step's order alone (so the graph is the same run to run).
    /// </summary>
    public QuantumGraph ToGraph()
    {
        var quanta = new Quantum[Count];
        Parallel.For(0, Raws.Length, k =>
        {
            var raw = Raws[RawOrder[k]];
            var isr = quanta[k] = new Quantum($"{PipelineSteps.Isr}/{InputLayout.VisitName(raw.Visit)}/{raw.Detector}", PipelineSteps.Isr,
                                              new DataId(Visit: raw.Visit, Detector: raw.DetectorId, DetectorName: raw.Detector),
                                              [raw.Path], [Output.PostIsr(raw.Visit, raw.Detector)], []);
            if (HasCharacterize)
                quanta[_characterizeBase + k] = new Quantum($"{PipelineSteps.Characterize}/{InputLayout.VisitName(raw.Visit)}/{raw.Detector}",
                                                            PipelineSteps.Characterize, isr.DataId, [isr.Outputs[0]],
                                                            [Output.Calexp(raw.Visit, raw.Detector)], [isr.Id]);
        });
        if (HasWarp)
        {
            Parallel.For(0, WarpOrder.Length, k =>
            {
                int w = WarpOrder[k];
                var (tract, patch, visit) = WarpKeys[w];
                var members = Members(w);   // raw order
                var byDetector = members.ToArray();
                SortByDetector(byDetector);
                var inputs = new string[members.Length];
                var dependsOn = new string[members.Length];
                for (int i = 0; i < members.Length; i++)
                {
                    inputs[i] = quanta[PerRaw(byDetector[i])].Outputs[0];
                    dependsOn[i] = quanta[PerRaw(members[i])].Id;
                }
                var warp = quanta[_warpBase + k] = new Quantum($"{PipelineSteps.Warp}/{tract:00000}/{patch:000}/{InputLayout.VisitName(visit)}",
                                                               PipelineSteps.Warp, new DataId(Visit: visit, Tract: tract, Patch: patch), inputs,
                                                               [Output.Warp(tract, patch, visit)], dependsOn);
                if (HasPsfMatch)
                    quanta[_psfMatchBase + k] = new Quantum($"{PipelineSteps.PsfMatch}/{tract:00000}/{patch:000}/{InputLayout.VisitName(visit)}",
                                                            PipelineSteps.PsfMatch, warp.DataId, [warp.Outputs[0]],
                                                            [Output.PsfMatchedWarp(tract, patch, visit)], [warp.Id]);
            });
        }
        if (HasCoadd)
        {
            // coadd: one quantum per patch: its direct warps by visit, then their PSF-matched warps in the same order (which a
            // CompareWarp coadd reads; the other statistics use the direct warps alone). It depends on both steps' quanta.
            Parallel.For(0, PatchStart.Length - 1, c =>
            {
                int first = PatchStart[c], count = PatchStart[c + 1] - first;
                var (tract, patch, _) = WarpKeys[first];
                var inputs = new string[2 * count];
                var dependsOn = new string[2 * count];
                for (int i = 0; i < count; i++)
                {
                    var warp = quanta[_warpBase + _warpPosition[first + i]];
                    var matched = quanta[_psfMatchBase + _warpPosition[first + i]];
                    (inputs[i], dependsOn[i]) = (warp.Outputs[0], warp.Id);
                    (inputs[count + i], dependsOn[count + i]) = (matched.Outputs[0], matched.Id);
                }
                quanta[_coaddBase + c] = new Quantum($"{PipelineSteps.Coadd}/{tract:00000}/{patch:000}", PipelineSteps.Coadd, new DataId(Tract: tract, Patch: patch),
                                                     inputs, [Output.Coadd(tract, patch)], dependsOn);
            });
        }
        return new QuantumGraph(QuantumGraph.FormatVersion, Data.Root, Output.Root, Scale, WarpBorder, Order, Steps, quanta, Unplanned);
    }

    private ReadOnlySpan<int> Members(int warp) => WarpRaws.AsSpan(WarpStart[warp], WarpStart[warp + 1] - WarpStart[warp]);

    /// <summary>Sorts the raws <paramref name="raws"/> by detector id, keeping the order of equal ids (as <c>OrderBy</c>);
    /// a warp has a few.</summary>
    private void SortByDetector(Span<int> raws)
    {
        for (int i = 1; i < raws.Length; i++)
        {
            int raw = raws[i], id = Raws[raw].DetectorId, j = i - 1;
            for (; j >= 0 && Raws[raws[j]].DetectorId > id; j--) raws[j + 1] = raws[j];
            raws[j + 1] = raw;
        }
    }

    /// <summary>The places of the quanta that the quantum at <paramref name="position"/> depends on, in its dependency
    /// order, added to <paramref name="into"/>.</summary>
    private void AddDependencies(int position, List<int> into)
    {
        var (kind, k) = At(position);
        switch (kind)
        {
            case Kind.Characterize:
                into.Add(k);
                break;
            case Kind.Warp:
                foreach (int raw in Members(WarpOrder[k])) into.Add(PerRaw(raw));
                break;
            case Kind.PsfMatch:
                into.Add(_warpBase + k);
                break;
            case Kind.Coadd:
                for (int w = PatchStart[k]; w < PatchStart[k + 1]; w++) into.Add(_warpBase + _warpPosition[w]);
                for (int w = PatchStart[k]; w < PatchStart[k + 1]; w++) into.Add(_psfMatchBase + _warpPosition[w]);
                break;
        }
    }

    /// <summary>The clusters of a plan: <see cref="QuantumClusterer.Cluster"/>'s, as places (<see cref="Summary"/> is its
    /// summary, equal to its).</summary>
    internal sealed class Clusters(ClusterPlanSummary summary, string[][] ids, string[][] keys, int[][][] quanta, string[][][] dependsOn)
    {
        /// <summary>The plan's summary (<c>plan.json</c>).</summary>
        public ClusterPlanSummary Summary { get; } = summary;

        /// <summary>Per step (in the summary's order), each cluster's id.</summary>
        public string[][] Ids { get; } = ids;

        /// <summary>Per step, each cluster's key in words.</summary>
        public string[][] Keys { get; } = keys;

        /// <summary>Per step, each cluster's quanta (places, ascending).</summary>
        public int[][][] Quanta { get; } = quanta;

        /// <summary>Per step, each cluster's dependencies (cluster ids, ordinal order).</summary>
        public string[][][] DependsOn { get; } = dependsOn;
    }

    /// <summary>The clusters <see cref="QuantumClusterer.Cluster"/> makes of <see cref="ToGraph"/>, without the graph: ISR and
    /// characterize by (visit group, detector or visit), warps and PSF-matched warps by (tract, visit), coadds by patch;
    /// each step's clusters in key order, a cluster's quanta in the graph's order.</summary>
    /// <exception cref="ConfigException">A bad configuration.</exception>
    public Clusters Cluster(ClusterConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        var visits = Raws.Select(r => r.Visit).Distinct().Order().ToList();
        int groupCount = config.GroupCount(visits.Count);
        var groupOf = new QuantumOrder(QuantumOrderKind.Groups, groupCount).VisitGroups(visits);
        var groups = visits.GroupBy(v => groupOf[v]).OrderBy(g => g.Key).Select(g => new VisitGroup(g.Key, g.Min(), g.Max(), g.Count())).ToList();
        var rawGroup = Raws.Select(r => groupOf[r.Visit]).ToArray();
        bool byDetector = config.IsrKey == IsrClusterKey.Detector;

        var clusterOf = new int[Count];   // by place: the cluster's number over all steps
        var allIds = new List<string>();
        var steps = new List<ClusterStepSummary>();
        int stepCount = Steps.Count;
        var ids = new string[stepCount][];
        var keys = new string[stepCount][];
        var quanta = new int[stepCount][][];
        var dependsOn = new string[stepCount][][];
        int start = 0;
        for (int s = 0; s < stepCount; s++)
        {
            string step = Steps[s];
            int count = StepCount(step);
            // Each quantum's key as the clusterer's (int, int, int) tuple (the first always 0), packed so that it sorts the
            // same; a cluster's quanta in the graph's order.
            var entryKeys = new long[count];
            var entryPositions = new int[count];
            for (int i = 0; i < count; i++)
            {
                int p = start + i;
                var (kind, k) = At(p);
                (int a, int b) = kind switch
                {
                    Kind.Isr or Kind.Characterize => (rawGroup[RawOrder[k]], byDetector ? Raws[RawOrder[k]].DetectorId : Raws[RawOrder[k]].Visit),
                    Kind.Warp or Kind.PsfMatch => (WarpKeys[WarpOrder[k]].Tract, WarpKeys[WarpOrder[k]].Visit),
                    _ => (WarpKeys[PatchStart[k]].Tract, WarpKeys[PatchStart[k]].Patch),
                };
                (entryKeys[i], entryPositions[i]) = (((long)a << 32) | (uint)(b ^ int.MinValue), p);
            }
            Array.Sort(entryKeys, entryPositions);   // not stable: each cluster's places are sorted again below
            var stepIds = new List<string>();
            var stepKeys = new List<string>();
            var stepQuanta = new List<int[]>();
            for (int i = 0; i < count;)
            {
                int j = i;
                while (j < count && entryKeys[j] == entryKeys[i]) j++;
                var members = entryPositions.AsSpan(i, j - i).ToArray();
                Array.Sort(members);
                foreach (int m in members) clusterOf[m] = allIds.Count;
                string id = $"{step}/{stepIds.Count:00000}";
                stepIds.Add(id);
                allIds.Add(id);
                stepKeys.Add(Describe(members[0], rawGroup, byDetector));
                stepQuanta.Add(members);
                i = j;
            }
            var stepDependsOn = new string[stepQuanta.Count][];
            var upstream = new HashSet<int>();
            var scratch = new List<int>();
            for (int c = 0; c < stepQuanta.Count; c++)
            {
                upstream.Clear();
                foreach (int p in stepQuanta[c])
                {
                    scratch.Clear();
                    AddDependencies(p, scratch);
                    foreach (int d in scratch) upstream.Add(clusterOf[d]);
                }
                var names = upstream.Select(u => allIds[u]).ToArray();
                Array.Sort(names, StringComparer.Ordinal);
                stepDependsOn[c] = names;
            }
            (ids[s], keys[s], quanta[s], dependsOn[s]) = ([.. stepIds], [.. stepKeys], [.. stepQuanta], stepDependsOn);
            steps.Add(new ClusterStepSummary(step, stepIds.Count, count));
            start += count;
        }
        var summary = new ClusterPlanSummary(ClusterPlan.FormatVersion, Data.Root, Output.Root, config.VisitsPerGroup,
                                             config.IsrKey.ToString().ToLowerInvariant(), Count, steps, groups);
        return new Clusters(summary, ids, keys, quanta, dependsOn);
    }

    private int StepCount(string step) => step switch
    {
        PipelineSteps.Isr or PipelineSteps.Characterize => Raws.Length,
        PipelineSteps.Warp or PipelineSteps.PsfMatch => WarpKeys.Length,
        _ => PatchStart.Length - 1,
    };

    /// <summary>What the cluster that the quantum at <paramref name="position"/> opens shares, in words, as the clusterer
    /// says it.</summary>
    private string Describe(int position, int[] rawGroup, bool byDetector)
    {
        var (kind, k) = At(position);
        switch (kind)
        {
            case Kind.Isr or Kind.Characterize:
                var raw = Raws[RawOrder[k]];
                return byDetector ? $"group {rawGroup[RawOrder[k]]} detector {raw.Detector}" : $"group {rawGroup[RawOrder[k]]} visit {raw.Visit}";
            case Kind.Warp or Kind.PsfMatch:
                var (tract, _, visit) = WarpKeys[WarpOrder[k]];
                return $"tract {tract} visit {visit}";
            default:
                var (t, p, _) = WarpKeys[PatchStart[k]];
                return $"tract {t} patch {p}";
        }
    }

    /// <summary>The graph's JSON before its quanta (up to <c>"quanta":[</c>), and after them (from <c>]</c>: the unplanned raws
    /// when <paramref name="unplanned"/>, none otherwise), as <see cref="QuantumGraph.WriteJson(Stream, bool)"/> writes them.</summary>
    internal (byte[] Head, byte[] Tail) GraphJsonFrame(bool unplanned)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true });
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, QuantumGraph.FormatVersion);
        writer.WriteString("data"u8, Data.Root);
        writer.WriteString("output"u8, Output.Root);
        writer.WriteNumber("scale"u8, Scale);
        writer.WriteNumber("warpBorder"u8, WarpBorder);
        writer.WriteString("order"u8, Order);
        writer.WriteStartArray("steps"u8);
        foreach (string step in Steps) writer.WriteStringValue(step);
        writer.WriteEndArray();
        writer.WriteStartArray("quanta"u8);
        writer.Flush();
        int head = buffer.WrittenCount;
        writer.WriteEndArray();
        writer.WriteStartArray("unplanned"u8);
        if (unplanned)
            foreach (var u in Unplanned) JsonSerializer.Serialize(writer, u, QuantumGraphJsonContext.Default.UnplannedRaw);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        return (buffer.WrittenSpan[..head].ToArray(), buffer.WrittenSpan[head..].ToArray());
    }

    /// <summary>Writes the whole graph's compact JSON (the bytes of <see cref="QuantumGraph.WriteJson(Stream, bool)"/> of
    /// <see cref="ToGraph"/>) to <paramref name="stream"/>.</summary>
    internal void WriteGraphJson(Stream stream)
    {
        var (head, tail) = GraphJsonFrame(unplanned: true);
        var text = new Utf8Text();
        var dependencies = new List<int>();
        text.Add(head);
        for (int p = 0; p < Count; p++)
        {
            if (p > 0) text.Add((byte)',');
            WriteQuantum(text, p, withDependencies: true, dependencies);
            if (text.Length >= 1 << 16)
            {
                stream.Write(text.Span);
                text.Clear();
            }
        }
        text.Add(tail);
        stream.Write(text.Span);
    }

    /// <summary>Cluster <paramref name="index"/> of step <paramref name="step"/> (its place in <see cref="Steps"/>) as its
    /// record in <c>clusters/STEP.jsonl</c>: the cluster's compact JSON, and its part of the graph's (the bytes of
    /// <see cref="QuantumGraph.Subgraph"/>'s), each on a line.</summary>
    internal void WriteRecord(IBufferWriter<byte> buffer, Clusters clusters, int step, int index, byte[] head, byte[] tail, Utf8Text text,
                              List<int> dependencies, List<int> sorted)
    {
        var members = clusters.Quanta[step][index];
        text.Clear();
        text.Add("{\"id\":\""u8);
        text.AddEscaped(clusters.Ids[step][index]);
        text.Add("\",\"step\":\""u8);
        text.AddEscaped(Steps[step]);
        text.Add("\",\"index\":"u8);
        text.Add(index);
        text.Add(",\"key\":\""u8);
        text.AddEscaped(clusters.Keys[step][index]);
        text.Add("\",\"quanta\":["u8);
        for (int i = 0; i < members.Length; i++)
        {
            if (i > 0) text.Add((byte)',');
            text.Add((byte)'"');
            WriteId(text, members[i]);
            text.Add((byte)'"');
        }
        text.Add("],\"dependsOn\":["u8);
        var upstream = clusters.DependsOn[step][index];
        for (int i = 0; i < upstream.Length; i++)
        {
            if (i > 0) text.Add((byte)',');
            text.Add((byte)'"');
            text.AddEscaped(upstream[i]);
            text.Add((byte)'"');
        }
        text.Add("]}\n"u8);
        // The part of the graph: the quanta the members depend on (of earlier steps, so before them), without their own
        // dependencies, then the members.
        sorted.Clear();
        foreach (int p in members) AddDependencies(p, sorted);
        sorted.Sort();
        text.Add(head);
        int written = 0;
        for (int i = 0; i < sorted.Count; i++)
        {
            if (i > 0 && sorted[i] == sorted[i - 1]) continue;
            if (written++ > 0) text.Add((byte)',');
            WriteQuantum(text, sorted[i], withDependencies: false, dependencies);
        }
        foreach (int p in members)
        {
            if (written++ > 0) text.Add((byte)',');
            WriteQuantum(text, p, withDependencies: true, dependencies);
        }
        text.Add(tail);
        text.Add((byte)'\n');
        buffer.Write(text.Span);
    }

    /// <summary>The quantum at <paramref name="position"/> as <see cref="QuantumGraph.WriteQuantum"/> writes it.</summary>
    private void WriteQuantum(Utf8Text text, int position, bool withDependencies, List<int> dependencies)
    {
        var (kind, k) = At(position);
        text.Add("{\"id\":\""u8);
        WriteId(text, kind, k);
        text.Add("\",\"step\":\""u8);
        text.Add(kind switch
        {
            Kind.Isr => "isr"u8,
            Kind.Characterize => "characterize"u8,
            Kind.Warp => "warp"u8,
            Kind.PsfMatch => "psfmatch"u8,
            _ => "coadd"u8,
        });
        text.Add("\",\"dataId\":{"u8);
        switch (kind)
        {
            case Kind.Isr or Kind.Characterize:
                var raw = Raws[RawOrder[k]];
                text.Add("\"visit\":"u8);
                text.Add(raw.Visit);
                text.Add(",\"detector\":"u8);
                text.Add(raw.DetectorId);
                text.Add(",\"detectorName\":\""u8);
                text.Add(_detector[RawOrder[k]]);
                text.Add((byte)'"');
                break;
            case Kind.Warp or Kind.PsfMatch:
                var (tract, patch, visit) = WarpKeys[WarpOrder[k]];
                text.Add("\"visit\":"u8);
                text.Add(visit);
                text.Add(",\"tract\":"u8);
                text.Add(tract);
                text.Add(",\"patch\":"u8);
                text.Add(patch);
                break;
            default:
                var (t, pa, _) = WarpKeys[PatchStart[k]];
                text.Add("\"tract\":"u8);
                text.Add(t);
                text.Add(",\"patch\":"u8);
                text.Add(pa);
                break;
        }
        text.Add("},\"inputs\":["u8);
        switch (kind)
        {
            case Kind.Isr:
                text.Add((byte)'"');
                text.Add(_rawPath[RawOrder[k]]);
                text.Add((byte)'"');
                break;
            case Kind.Characterize:
                WriteQuotedOutput(text, Kind.Isr, k);
                break;
            case Kind.Warp:
                var members = Members(WarpOrder[k]);
                Span<int> byDetector = members.Length <= 64 ? stackalloc int[members.Length] : new int[members.Length];
                members.CopyTo(byDetector);
                SortByDetector(byDetector);
                for (int i = 0; i < byDetector.Length; i++)
                {
                    if (i > 0) text.Add((byte)',');
                    WriteQuotedOutput(text, PerRaw(byDetector[i]));
                }
                break;
            case Kind.PsfMatch:
                WriteQuotedOutput(text, Kind.Warp, k);
                break;
            default:
                dependencies.Clear();
                AddDependencies(position, dependencies);
                for (int i = 0; i < dependencies.Count; i++)
                {
                    if (i > 0) text.Add((byte)',');
                    WriteQuotedOutput(text, dependencies[i]);
                }
                break;
        }
        text.Add("],\"outputs\":["u8);
        WriteQuotedOutput(text, kind, k);
        text.Add("],\"dependsOn\":["u8);
        if (withDependencies)
        {
            dependencies.Clear();
            AddDependencies(position, dependencies);
            for (int i = 0; i < dependencies.Count; i++)
            {
                if (i > 0) text.Add((byte)',');
                text.Add((byte)'"');
                WriteId(text, dependencies[i]);
                text.Add((byte)'"');
            }
        }
        text.Add("]}"u8);
    }

    /// <summary>The id of the quantum at <paramref name="position"/>, escaped, without quotes.</summary>
    private void WriteId(Utf8Text text, int position)
    {
        var (kind, k) = At(position);
        WriteId(text, kind, k);
    }

    private void WriteId(Utf8Text text, Kind kind, int k)
    {
        switch (kind)
        {
            case Kind.Isr or Kind.Characterize:
                text.Add(kind == Kind.Isr ? "isr/"u8 : "characterize/"u8);
                text.Add(Raws[RawOrder[k]].Visit, 6);
                text.Add((byte)'/');
                text.Add(_detector[RawOrder[k]]);
                break;
            case Kind.Warp or Kind.PsfMatch:
                var (tract, patch, visit) = WarpKeys[WarpOrder[k]];
                text.Add(kind == Kind.Warp ? "warp/"u8 : "psfmatch/"u8);
                text.Add(tract, 5);
                text.Add((byte)'/');
                text.Add(patch, 3);
                text.Add((byte)'/');
                text.Add(visit, 6);
                break;
            default:
                var (t, p, _) = WarpKeys[PatchStart[k]];
                text.Add("coadd/"u8);
                text.Add(t, 5);
                text.Add((byte)'/');
                text.Add(p, 3);
                break;
        }
    }

    /// <summary>The output of the quantum at <paramref name="position"/>, escaped and quoted.</summary>
    private void WriteQuotedOutput(Utf8Text text, int position)
    {
        var (kind, k) = At(position);
        WriteQuotedOutput(text, kind, k);
    }

    private void WriteQuotedOutput(Utf8Text text, Kind kind, int k)
    {
        text.Add((byte)'"');
        switch (kind)
        {
            case Kind.Isr or Kind.Characterize:
                text.Add(kind == Kind.Isr ? _postIsr : _calexp);
                text.Add(Raws[RawOrder[k]].Visit, 6);
                text.Add((byte)'/');
                text.Add(_detector[RawOrder[k]]);
                text.Add(".fits"u8);
                break;
            case Kind.Warp or Kind.PsfMatch:
                var (tract, patch, visit) = WarpKeys[WarpOrder[k]];
                text.Add(kind == Kind.Warp ? _warp : _psfMatchedWarp);
                text.Add(tract, 5);
                text.Add((byte)'/');
                text.Add(patch, 3);
                text.Add((byte)'/');
                text.Add(visit, 6);
                text.Add(".fits"u8);
                break;
            default:
                var (t, p, _) = WarpKeys[PatchStart[k]];
                text.Add(_coadd);
                text.Add(t, 5);
                text.Add((byte)'/');
                text.Add(p, 3);
                text.Add(".fits"u8);
                break;
        }
        text.Add((byte)'"');
    }

    /// <summary>A growable UTF-8 byte buffer, reused from record to record (nothing allocated per quantum).</summary>
    internal sealed class Utf8Text
    {
        private byte[] _bytes = new byte[1 << 17];

        /// <summary>The bytes written.</summary>
        public int Length { get; private set; }

        /// <summary>The bytes written.</summary>
        public ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);

        /// <summary>Forgets the bytes written (the buffer stays).</summary>
        public void Clear() => Length = 0;

        private Span<byte> Free(int count)
        {
            if (Length + count > _bytes.Length) Grow(count);
            return _bytes.AsSpan(Length);
        }

        private void Grow(int count) => Array.Resize(ref _bytes, Math.Max(Length + count, 2 * _bytes.Length));

        /// <summary>Appends <paramref name="bytes"/>.</summary>
        public void Add(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Free(bytes.Length));
            Length += bytes.Length;
        }

        /// <summary>Appends one byte.</summary>
        public void Add(byte b)
        {
            if (Length == _bytes.Length) Array.Resize(ref _bytes, 2 * _bytes.Length);
            _bytes[Length++] = b;
        }

        /// <summary>Appends <paramref name="value"/> in decimal, at least <paramref name="digits"/> digits (zero-padded, as the
        /// custom format of that many zeros writes it, or <c>D</c> with that precision).</summary>
        public void Add(int value, int digits = 1)
        {
            var free = Free(12);
            int sign = value < 0 ? 1 : 0;
            uint magnitude = value < 0 ? (uint)(-(long)value) : (uint)value;
            int width = Math.Max(DigitCount(magnitude), digits);
            if (sign == 1) free[0] = (byte)'-';
            int at = sign + width;
            while (at - 2 >= sign)   // two digits at a time from the right (zeros once the value is spent)
            {
                uint pair = magnitude % 100;
                magnitude /= 100;
                free[--at] = (byte)('0' + pair % 10);
                free[--at] = (byte)('0' + pair / 10);
            }
            if (at > sign) free[--at] = (byte)('0' + magnitude);
            Length += sign + width;
        }

        private static int DigitCount(uint value)
        {
            int count = 1;
            while (value >= 10000)
            {
                value /= 10000;
                count += 4;
            }
            return value >= 1000 ? count + 3 : value >= 100 ? count + 2 : value >= 10 ? count + 1 : count;
        }

        /// <summary>Appends <paramref name="text"/> JSON-escaped as <see cref="Utf8JsonWriter"/> escapes a string's content.</summary>
        public void AddEscaped(string text) => Add(JsonEncodedText.Encode(text).EncodedUtf8Bytes);
    }
}
