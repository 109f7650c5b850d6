namespace ImageCore;

/// <summary>The checks configuration records make in their <c>Validate</c>: each throws a <see cref="ConfigException"/>
/// naming the setting's full path, its value and the allowed range.</summary>
internal static class ConfigChecks
{
    /// <summary>A section (nested record) that a configuration file may have set to null.</summary>
    public static T NotNull<T>(T? section, string setting) where T : class =>
        section ?? throw new ConfigException(setting, null, "is null; it must be a section (leave it out for the defaults)");

    /// <summary><paramref name="min"/> &lt;= value &lt;= <paramref name="max"/>.</summary>
    public static void InRange(int value, int min, int max, string setting)
    {
        if (value < min || value > max) throw new ConfigException(setting, value, $"must be {min}..{max}");
    }

    /// <summary>An odd number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void OddInRange(int value, int min, int max, string setting)
    {
        if (value < min || value > max || value % 2 == 0) throw new ConfigException(setting, value, $"must be odd and {min}..{max}");
    }

    /// <summary>A finite value in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void FiniteInRange(double value, double min, double max, string setting)
    {
        if (!(value >= min && value <= max) || !double.IsFinite(value)) throw new ConfigException(setting, value, $"must be finite and in [{min:R}, {max:R}]");
    }

    /// <summary>A finite value &gt; 0 and at most <paramref name="max"/>.</summary>
    public static void FinitePositive(double value, double max, string setting)
    {
        if (!(value > 0 && value <= max) || !double.IsFinite(value)) throw new ConfigException(setting, value, $"must be finite, > 0 and <= {max:R}");
    }

    /// <summary>A finite value &gt;= 0, or +infinity where <paramref name="allowInfinity"/> (a threshold that never triggers).</summary>
    public static void NonNegative(double value, string setting, bool allowInfinity = false)
    {
        if (!(value >= 0) || (!allowInfinity && double.IsInfinity(value)))
            throw new ConfigException(setting, value, allowInfinity ? "must be >= 0 (+infinity allowed)" : "must be finite and >= 0");
    }

    /// <summary>A defined member of <typeparamref name="TEnum"/>.</summary>
    public static void Defined<TEnum>(TEnum value, string setting) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ConfigException(setting, value, $"must be one of {string.Join(", ", Enum.GetNames<TEnum>())}");
    }
}
