using System.Reflection;
using System.Reflection.Emit;

namespace ImageCore.Tests.Architecture;

/// <summary>
/// The namespace dependencies of compiled code, read from metadata and IL: for every type (nested and compiler-made
/// ones included, so lambdas and iterators count for the type that wrote them), the types named by its base type,
/// interfaces, fields, properties, method signatures, attributes, and every type, method and field token in its method
/// bodies. Each type is put in a stage by <c>stageOf</c> (null: not counted), and an edge is kept when the stages differ.
/// </summary>
internal static class NamespaceDependencies
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue =
        typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Every (from stage, to stage) edge with one example each: "Type -> Type".</summary>
    public static Dictionary<(string From, string To), string> Edges(Assembly assembly, Func<Type, string?> stageOf)
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var type in assembly.GetTypes())
        {
            string? from = stageOf(type);
            if (from is null) continue;
            foreach (var used in TypesUsedBy(type))
            {
                string? to = stageOf(used);
                if (to is null || to == from) continue;
                edges.TryAdd((from, to), $"{type.FullName} -> {used.FullName}");
            }
        }
        return edges;
    }

    /// <summary>The stage of a type in namespace <c>prefix + Stage[.Sub...]</c>; the prefix itself is stage "" (the root).</summary>
    public static string? StageUnder(Type type, string prefix)
    {
        while (type.IsNested) type = type.DeclaringType!;
        string ns = type.Namespace ?? "";
        if (ns == prefix.TrimEnd('.')) return "";
        if (!ns.StartsWith(prefix, StringComparison.Ordinal)) return null;
        string rest = ns[prefix.Length..];
        int dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    private static IEnumerable<Type> TypesUsedBy(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (!found.Add(t)) return;
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var a in t.GetGenericArguments()) Add(a);
            }
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var a in type.GetCustomAttributesData()) Add(a.AttributeType);
        foreach (var f in type.GetFields(all)) Add(f.FieldType);
        foreach (var p in type.GetProperties(all)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var a in m.GetCustomAttributesData()) Add(a.AttributeType);
            foreach (var t in BodyTypes(m)) Add(t);
        }
        return found;
    }

    /// <summary>The declaring and operand types of every token in <paramref name="method"/>'s IL.</summary>
    private static IEnumerable<Type> BodyTypes(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException) { yield break; }
        if (il is null) yield break;
        var module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, pos);
                    pos += 4;
                    MemberInfo? member;
                    try { member = module.ResolveMember(token, typeArgs, methodArgs); }
                    catch (ArgumentException) { member = null; }
                    if (member is Type t) yield return t;
                    else if (member is not null)
                    {
                        if (member.DeclaringType is { } declaring) yield return declaring;
                        if (member is FieldInfo f) yield return f.FieldType;
                        if (member is MethodInfo m)
                        {
                            yield return m.ReturnType;
                            foreach (var a in m.IsGenericMethod ? m.GetGenericArguments() : []) yield return a;
                        }
                    }
                    break;
                case OperandType.InlineSwitch:
                    pos += 4 + 4 * BitConverter.ToInt32(il, pos);
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    pos += 1;
                    break;
                case OperandType.InlineVar:
                    pos += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    pos += 8;
                    break;
                default:   // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
                    pos += 4;
                    break;
            }
        }
    }
}
