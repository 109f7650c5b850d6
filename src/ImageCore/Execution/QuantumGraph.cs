using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageCore.Execution;

/// <summary>
/// What a run will do, planned before any pixel is processed (<see cref="QuantumGraphPlanner"/>): every quantum of
/// every step with its data id, the files it reads and writes and the quanta that write its inputs, and the raws that
/// could not be planned. Steps run in <see cref="Steps"/> order and a quantum depends only on quanta of earlier steps,
/// so any subset can be run (<see cref="Pipeline.Run(QuantumGraph, PipelineConfig, IReadOnlySet{string}?, IProgress{PipelineProgress}?, CancellationToken)"/>)
/// once the inputs of its quanta exist. Within a step the quanta are listed in the order they are taken
/// (<see cref="Order"/>). Serialised with <see cref="ToJson"/> and read back with <see cref="FromJson(string)"/>, through
/// source-generated metadata (no reflection: usable in a native AOT build). Immutable; checked when made.
/// </summary>
public sealed class QuantumGraph
{
    /// <summary>The <see cref="Version"/> this code writes and reads.</summary>
    public const int FormatVersion = 1;

    private readonly Dictionary<string, int> _position;
    // Each quantum's dependencies as positions in Quanta, in its DependsOn order: those of quantum p are
    // _dependencies[_dependencyStart[p] .. _dependencyStart[p + 1]), found once here instead of by id in every user.
    private readonly int[] _dependencyStart;
    private readonly int[] _dependencies;

    /// <summary>A graph; checked as described under the exceptions.</summary>
    /// <param name="version">Must be <see cref="FormatVersion"/>.</param>
    /// <param name="data">The repository the raws and calibrations are read from.</param>
    /// <param name="output">The repository the outputs and the report are written to.</param>
    /// <param name="scale">The data's scale (SIMSCALE; 1 for real data), which scales the sky map.</param>
    /// <param name="warpBorder">Pixels the direct warps grow each patch's outer box by, at the data's scale.</param>
    /// <param name="order">The quantum order the quanta are listed in (<see cref="QuantumOrder"/>'s text form).</param>
    /// <param name="steps">The steps, in the order they run.</param>
    /// <param name="quanta">The quanta, step by step in <paramref name="steps"/> order.</param>
    /// <param name="unplanned">The raws that could not be planned.</param>
    /// <exception cref="ArgumentException">Another version; a null list, entry or field; a repeated quantum id or step; a
    /// quantum of a step not in <paramref name="steps"/> or listed after a later step's; a dependency that is not in the
    /// graph or not of an earlier step.</exception>
    [JsonConstructor]
    public QuantumGraph(int version, string data, string output, int scale, int warpBorder, string order, IReadOnlyList<string> steps,
                        IReadOnlyList<Quantum> quanta, IReadOnlyList<UnplannedRaw> unplanned)
    {
        if (version != FormatVersion) throw new ArgumentException($"quantum graph version {version}: this ImageCore reads version {FormatVersion}");
        Version = version;
        Data = data ?? throw new ArgumentException("the quantum graph has no data repository");
        Output = output ?? throw new ArgumentException("the quantum graph has no output repository");
        if (scale < 1) throw new ArgumentException($"the quantum graph's scale must be >= 1 (is {scale})");
        if (warpBorder < 0) throw new ArgumentException($"the quantum graph's warp border must be >= 0 (is {warpBorder})");
        Scale = scale;
        WarpBorder = warpBorder;
        Order = order ?? throw new ArgumentException("the quantum graph has no order");
        Steps = steps ?? throw new ArgumentException("the quantum graph has no steps");
        Quanta = quanta ?? throw new ArgumentException("the quantum graph has no quanta list");
        Unplanned = unplanned ?? throw new ArgumentException("the quantum graph has no unplanned list");

        var stepIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string? step in Steps)
            if (step is null || !stepIndex.TryAdd(step, stepIndex.Count)) throw new ArgumentException($"the quantum graph's steps must be distinct names (has {step ?? "null"} twice)");
        _position = new Dictionary<string, int>(Quanta.Count, StringComparer.Ordinal);
        _dependencyStart = new int[Quanta.Count + 1];
        var dependencies = new List<int>(Quanta.Count);
        var stepOf = new int[Quanta.Count];
        int lastStep = 0;
        foreach (var q in Quanta)
        {
            if (q is null || q.Id is null || q.Step is null || q.DataId is null || q.Inputs is null || q.Outputs is null || q.DependsOn is null
                || HasNull(q.Inputs) || HasNull(q.Outputs) || HasNull(q.DependsOn))
                throw new ArgumentException($"quantum {q?.Id ?? "#" + _position.Count}: its id, step, data id, inputs, outputs and dependencies must be given");
            if (!stepIndex.TryGetValue(q.Step, out int index)) throw new ArgumentException($"quantum {q.Id}: step {q.Step} is not one of the graph's steps ({string.Join(", ", Steps)})");
            if (index < lastStep) throw new ArgumentException($"quantum {q.Id}: a {q.Step} quantum after the {Steps[lastStep]} quanta (quanta are listed step by step)");
            lastStep = index;
            int position = _position.Count;
            for (int i = 0; i < q.DependsOn.Count; i++)
            {
                string dep = q.DependsOn[i];
                if (!_position.TryGetValue(dep, out int upstream)) throw new ArgumentException($"quantum {q.Id} depends on {dep}, which is not an earlier quantum of the graph");
                if (stepOf[upstream] >= index) throw new ArgumentException($"quantum {q.Id} depends on {dep} of its own or a later step");
                dependencies.Add(upstream);
            }
            if (!_position.TryAdd(q.Id, position)) throw new ArgumentException($"quantum id {q.Id} is repeated");
            stepOf[position] = index;
            _dependencyStart[position + 1] = dependencies.Count;
        }
        _dependencies = [.. dependencies];
        foreach (var u in Unplanned)
            if (u is null || u.Step is null || u.Name is null || u.Path is null || u.Message is null)
                throw new ArgumentException("an unplanned raw's step, name, path and message must be given");
    }

    /// <summary>The format version (<see cref="FormatVersion"/>).</summary>
    public int Version { get; }

    /// <summary>The repository the raws and calibrations are read from (as given to the planner).</summary>
    public string Data { get; }

    /// <summary>The repository the outputs and the report are written to (as given to the planner).</summary>
    public string Output { get; }

    /// <summary>The data's scale: the sky map's pixel scale is multiplied and its patch sizes divided by it
    /// (<see cref="Pipeline.SkyMapFor"/>).</summary>
    public int Scale { get; }

    /// <summary>Pixels the direct warps grow each patch's outer box by, at the data's scale.</summary>
    public int WarpBorder { get; }

    /// <summary>The order the quanta of each step are listed in, which is the order they are taken in.</summary>
    public string Order { get; }

    /// <summary>The steps, in the order they run.</summary>
    public IReadOnlyList<string> Steps { get; }

    /// <summary>Every quantum, step by step.</summary>
    public IReadOnlyList<Quantum> Quanta { get; }

    /// <summary>Raws that could not be planned.</summary>
    public IReadOnlyList<UnplannedRaw> Unplanned { get; }

    /// <summary>The quantum with id <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">None has it.</exception>
    public Quantum this[string id] => Quanta[PositionOf(id)];

    /// <summary>Whether a quantum has id <paramref name="id"/>.</summary>
    public bool Contains(string id) => _position.ContainsKey(id);

    /// <summary>The place of the quantum with id <paramref name="id"/> in <see cref="Quanta"/>.</summary>
    /// <exception cref="KeyNotFoundException">None has it.</exception>
    internal int PositionOf(string id) =>
        _position.TryGetValue(id, out int p) ? p : throw new KeyNotFoundException($"the quantum graph has no quantum {id}");

    /// <summary>The places in <see cref="Quanta"/> of the quanta that the quantum at <paramref name="position"/> depends
    /// on, in its <see cref="Quantum.DependsOn"/> order.</summary>
    internal ReadOnlySpan<int> DependencyPositions(int position) =>
        _dependencies.AsSpan(_dependencyStart[position], _dependencyStart[position + 1] - _dependencyStart[position]);

    private static bool HasNull(IReadOnlyList<string> list)
    {
        for (int i = 0; i < list.Count; i++)
            if (list[i] is null) return true;
        return false;
    }

    /// <summary>
    /// The part of the graph that running the quanta <paramref name="ids"/> needs: those quanta, and the quanta they depend
    /// on with their own dependencies left out (a run of the part reads their outputs from disk, as a run of a selection
    /// does), listed in this graph's order, with this graph's settings and no unplanned raws. A batch job reads this
    /// instead of the whole graph (<see cref="PlanDirectory"/>).
    /// </summary>
    /// <exception cref="KeyNotFoundException">An id that is not in the graph.</exception>
    public QuantumGraph Subgraph(IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var upstream = new HashSet<string>(StringComparer.Ordinal);
        foreach (string id in ids)
        {
            wanted.Add(this[id].Id);
            foreach (string dep in this[id].DependsOn) upstream.Add(dep);
        }
        upstream.ExceptWith(wanted);
        var part = wanted.Concat(upstream).OrderBy(id => _position[id])
            .Select(id => upstream.Contains(id) ? this[id] with { DependsOn = [] } : this[id]).ToList();
        return new QuantumGraph(Version, Data, Output, Scale, WarpBorder, Order, Steps, part, []);
    }

    /// <summary>The graph as indented JSON (camelCase names; data-id keys a quantum does not have are left out).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, QuantumGraphJsonContext.Default.QuantumGraph);

    /// <summary>Writes the graph's JSON to <paramref name="stream"/> as it is made (no string of the whole graph): compact
    /// (no white space), or indented as <see cref="ToJson"/>. <see cref="FromJson(string)"/> and
    /// <see cref="FromJson(Stream)"/> read either.</summary>
    public void WriteJson(Stream stream, bool indented)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, SkipValidation = true });
        if (indented)
        {
            JsonSerializer.Serialize(writer, this, QuantumGraphJsonContext.Default.QuantumGraph);
            return;
        }
        WriteCompact(writer, Enumerable.Range(0, Quanta.Count), withDependencies: null, Unplanned, flushEvery: 1 << 16);
    }

    /// <summary>
    /// <see cref="Subgraph"/>(<paramref name="ids"/>) written as <see cref="WriteJson(IBufferWriter{byte})"/> writes it,
    /// byte for byte, without making the part as a graph of its own (its lookups and checks were a tenth of writing a
    /// night's plan): the same fields in the same order, the quanta by their positions in this graph.
    /// </summary>
    /// <exception cref="KeyNotFoundException">An id that is not in the graph.</exception>
    internal void WriteSubgraphJson(IBufferWriter<byte> buffer, IEnumerable<string> ids)
    {
        var wanted = new HashSet<int>();
        foreach (string id in ids) wanted.Add(PositionOf(id));
        var upstream = new HashSet<int>();
        foreach (int p in wanted)
            foreach (int d in DependencyPositions(p))
                if (!wanted.Contains(d)) upstream.Add(d);
        var part = new List<int>(wanted.Count + upstream.Count);
        part.AddRange(wanted);
        part.AddRange(upstream);
        part.Sort();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true });
        WriteCompact(writer, part, wanted, [], flushEvery: int.MaxValue);
    }

    /// <summary><see cref="WriteJson(Stream, bool)"/>, compact, into <paramref name="buffer"/>.</summary>
    internal void WriteJson(IBufferWriter<byte> buffer)
    {
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true });
        WriteCompact(writer, Enumerable.Range(0, Quanta.Count), withDependencies: null, Unplanned, flushEvery: int.MaxValue);
    }

    /// <summary>The graph's fields in the generated serialiser's order, with the quanta at <paramref name="positions"/>
    /// (ascending), written by hand as the generated serialiser writes them compact, byte for byte (it was most of writing
    /// a night's plan): a quantum not in <paramref name="withDependencies"/> (when given) with no dependencies, as in
    /// <see cref="Subgraph"/>. The writer is flushed whenever <paramref name="flushEvery"/> bytes are pending.</summary>
    private void WriteCompact(Utf8JsonWriter writer, IEnumerable<int> positions, HashSet<int>? withDependencies, IReadOnlyList<UnplannedRaw> unplanned,
                              int flushEvery)
    {
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, Version);
        writer.WriteString("data"u8, Data);
        writer.WriteString("output"u8, Output);
        writer.WriteNumber("scale"u8, Scale);
        writer.WriteNumber("warpBorder"u8, WarpBorder);
        writer.WriteString("order"u8, Order);
        writer.WriteStartArray("steps"u8);
        foreach (string step in Steps) writer.WriteStringValue(step);
        writer.WriteEndArray();
        writer.WriteStartArray("quanta"u8);
        foreach (int p in positions)
        {
            WriteQuantum(writer, Quanta[p], withDependencies is null || withDependencies.Contains(p));
            if (writer.BytesPending >= flushEvery) writer.Flush();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("unplanned"u8);
        foreach (var u in unplanned) JsonSerializer.Serialize(writer, u, QuantumGraphJsonContext.Default.UnplannedRaw);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary><paramref name="q"/> as the generated serialiser writes it compact (or with <c>"dependsOn":[]</c>).</summary>
    internal static void WriteQuantum(Utf8JsonWriter writer, Quantum q, bool withDependencies)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, q.Id);
        writer.WriteString("step"u8, q.Step);
        writer.WritePropertyName("dataId"u8);
        DataIdJsonConverter.WriteDataId(writer, q.DataId);
        writer.WriteStartArray("inputs"u8);
        for (int i = 0; i < q.Inputs.Count; i++) writer.WriteStringValue(q.Inputs[i]);
        writer.WriteEndArray();
        writer.WriteStartArray("outputs"u8);
        for (int i = 0; i < q.Outputs.Count; i++) writer.WriteStringValue(q.Outputs[i]);
        writer.WriteEndArray();
        writer.WriteStartArray("dependsOn"u8);
        if (withDependencies)
            for (int i = 0; i < q.DependsOn.Count; i++) writer.WriteStringValue(q.DependsOn[i]);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The graph the JSON in <paramref name="stream"/> holds (<see cref="WriteJson(Stream, bool)"/>, <see cref="ToJson"/>).</summary>
    /// <exception cref="JsonException">As <see cref="FromJson(string)"/>.</exception>
    public static QuantumGraph FromJson(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return JsonSerializer.Deserialize(stream, QuantumGraphJsonContext.Default.QuantumGraph) ?? throw new JsonException("the quantum graph is null");
        }
        catch (ArgumentException e)
        {
            throw new JsonException("not a usable quantum graph: " + e.Message, e);
        }
    }

    /// <summary>The graph <paramref name="json"/> holds, as <see cref="ToJson"/> writes it.</summary>
    /// <exception cref="JsonException">Not JSON, a missing or mistyped field, or a graph that fails the constructor's checks
    /// (the message says which).</exception>
    public static QuantumGraph FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonSerializer.Deserialize(json, QuantumGraphJsonContext.Default.QuantumGraph) ?? throw new JsonException("the quantum graph is null");
        }
        catch (ArgumentException e)
        {
            throw new JsonException("not a usable quantum graph: " + e.Message, e);
        }
    }
}

/// <summary>Source-generated JSON metadata for the quantum graph: camelCase names, indented, every constructor parameter
/// required and unknown names refused (a data id leaves out the keys it does not have).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
                             DefaultIgnoreCondition = JsonIgnoreCondition.Never, RespectRequiredConstructorParameters = true,
                             UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(QuantumGraph))]
internal sealed partial class QuantumGraphJsonContext : JsonSerializerContext;
