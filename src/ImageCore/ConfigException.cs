using System.Globalization;

namespace ImageCore;

/// <summary>
/// A configuration value outside its allowed range, or a configuration section that is missing (null). The message
/// names the setting by its full path (<c>IsrConfig.Overscan.TrailingToSkip</c>), the value it has and the rule it
/// breaks, as pex_config does. It is an <see cref="ArgumentException"/> (<see cref="ArgumentException.ParamName"/>
/// is the setting), so callers that refuse bad arguments refuse it too.
/// </summary>
public sealed class ConfigException : ArgumentException
{
    private readonly string _message;

    /// <summary>A bad value of <paramref name="setting"/>.</summary>
    /// <param name="setting">The full path of the setting, e.g. <c>IsrConfig.Overscan.TrailingToSkip</c>.</param>
    /// <param name="value">Its value (null for a missing section).</param>
    /// <param name="rule">What it must be, e.g. <c>must be 0..4096</c>; for a null value, the whole complaint (the
    /// message is then the setting and the rule alone).</param>
    public ConfigException(string setting, object? value, string rule) : base(null, setting)
    {
        Setting = setting;
        Value = value;
        Rule = rule;
        _message = value is null ? $"{setting} {rule}" : $"{setting} {rule} (is {Format(value)})";
    }

    /// <summary>The full path of the setting.</summary>
    public string Setting { get; }

    /// <summary>The value it has (null for a missing section).</summary>
    public object? Value { get; }

    /// <summary>What the value must be.</summary>
    public string Rule { get; }

    /// <summary><c>SETTING RULE (is VALUE)</c>, or <c>SETTING RULE</c> for a null value.</summary>
    public override string Message => _message;

    private static string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
