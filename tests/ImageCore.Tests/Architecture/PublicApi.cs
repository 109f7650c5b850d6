using System.Reflection;
using System.Text;

namespace ImageCore.Tests.Architecture;

/// <summary>
/// The public surface of an assembly as text, one line per public type and per public or protected member, sorted, with
/// C#-like type names: the form committed as <c>docs/api/ImageCore.txt</c>, so that a change to the API shows as a
/// change to that file in review.
/// </summary>
internal static class PublicApi
{
    public static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            lines.Add(TypeLine(type));
            const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = new List<string>();
            foreach (var m in type.GetMembers(declared))
            {
                string? line = m switch
                {
                    ConstructorInfo c when Visible(c) && !type.IsEnum => $"ctor({Parameters(c)})",
                    MethodInfo mi when Visible(mi) && !mi.IsSpecialName => $"{Static(mi)}{Virtual(mi, type)}{Name(mi.ReturnType)} {mi.Name}{GenericArgs(mi)}({Parameters(mi)})",
                    MethodInfo mi when Visible(mi) && mi.Name.StartsWith("op_", StringComparison.Ordinal) => $"static {Name(mi.ReturnType)} {mi.Name}({Parameters(mi)})",
                    PropertyInfo p when Accessors(p) is { Length: > 0 } acc => $"{(p.GetMethod ?? p.SetMethod)!.IsStatic switch { true => "static ", false => "" }}{Name(p.PropertyType)} {PropertyName(p)} {{ {acc} }}",
                    FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName =>
                        type.IsEnum ? $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}"
                                    : $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}",
                    EventInfo e when e.AddMethod is { } add && Visible(add) => $"event {Name(e.EventHandlerType!)} {e.Name}",
                    _ => null,
                };
                if (line is not null) members.Add("    " + line);
            }
            lines.AddRange(members.Order(StringComparer.Ordinal));
        }
        return string.Join("\n", lines) + "\n";
    }

    private static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    private static string Static(MethodInfo m) => m.IsStatic ? "static " : "";

    private static string Virtual(MethodInfo m, Type type) =>
        type.IsInterface || m.IsStatic ? (m.IsAbstract && m.IsStatic ? "abstract " : "") :
        m.IsAbstract ? "abstract " : m.IsVirtual && !m.IsFinal && m.GetBaseDefinition() == m ? "virtual " : m.GetBaseDefinition() != m ? "override " : "";

    private static string Accessors(PropertyInfo p)
    {
        var parts = new List<string>();
        if (p.GetMethod is { } g && Visible(g)) parts.Add("get;");
        if (p.SetMethod is { } s && Visible(s))
            parts.Add(s.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit") ? "init;" : "set;");
        return string.Join(" ", parts);
    }

    private static string PropertyName(PropertyInfo p)
    {
        var index = p.GetIndexParameters();
        return index.Length == 0 ? p.Name : $"this[{string.Join(", ", index.Select(i => $"{Name(i.ParameterType)} {i.Name}"))}]";
    }

    private static string GenericArgs(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) =>
        string.Join(", ", m.GetParameters().Select(p =>
        {
            var sb = new StringBuilder();
            if (p.ParameterType.IsByRef) sb.Append(p.IsOut ? "out " : p.IsIn ? "in " : "ref ");
            if (p.GetCustomAttributes(typeof(ParamArrayAttribute), false).Length > 0) sb.Append("params ");
            sb.Append(Name(p.ParameterType.IsByRef ? p.ParameterType.GetElementType()! : p.ParameterType)).Append(' ').Append(p.Name);
            if (p.HasDefaultValue) sb.Append(" = ").Append(p.DefaultValue switch { null => "default", string s => $"\"{s}\"", bool b => b ? "true" : "false", var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) });
            return sb.ToString();
        }));

    private static string TypeLine(Type t)
    {
        string kind = t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? (t.IsByRefLike ? "ref struct" : "struct")
                    : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) bases.Add(Name(b));
        bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Order(StringComparer.Ordinal));
        return $"{kind} {Name(t, qualified: true)}{(bases.Count > 0 ? " : " + string.Join(", ", bases) : "")}";
    }

    private static string Name(Type t) => Name(t, qualified: false);

    private static string Name(Type t, bool qualified)
    {
        if (t.IsGenericParameter) return t.Name;
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsPointer) return Name(t.GetElementType()!) + "*";
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        string name = t.IsNested ? Name(t.DeclaringType!, qualified) + "." + t.Name : (qualified || !(t.Namespace?.StartsWith("System", StringComparison.Ordinal) ?? false) ? t.FullName ?? t.Name : t.Name);
        if (t.IsGenericType)
        {
            name = name[..name.IndexOf('`')];
            name += "<" + string.Join(", ", t.GetGenericArguments().Select(Name)) + ">";
        }
        return name;
    }
}
