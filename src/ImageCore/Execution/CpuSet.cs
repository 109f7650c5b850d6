using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace ImageCore.Execution;

/// <summary>
/// An immutable set of logical CPU numbers (0 to <see cref="MaxCpus"/> − 1) as a bit set: the Linux cpu list
/// ("0-7,64-71") in text form and the kernel's <c>cpu_set_t</c> (one bit per CPU, 1024 bits = 128 bytes by
/// default) in binary form. Enumerates in ascending order.
/// </summary>
public sealed class CpuSet : IEquatable<CpuSet>, IReadOnlyCollection<int>
{
    /// <summary>The largest CPU count a set can hold (the kernel's CONFIG_NR_CPUS upper limit).</summary>
    public const int MaxCpus = 8192;

    /// <summary>Size in bytes of the kernel mask used for <c>sched_setaffinity</c>: 1024 CPUs.</summary>
    public const int KernelMaskBytes = 128;

    private readonly ulong[] _words;   // trimmed: no trailing zero words

    /// <summary>The empty set.</summary>
    public static CpuSet Empty { get; } = new([]);

    private CpuSet(ulong[] words)
    {
        int n = words.Length;
        while (n > 0 && words[n - 1] == 0) n--;
        _words = n == words.Length ? words : words[..n];
        int count = 0;
        foreach (ulong w in _words) count += BitOperations.PopCount(w);
        Count = count;
    }

    /// <summary>Number of CPUs in the set.</summary>
    public int Count { get; }

    /// <summary>True when the set holds no CPU.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The lowest CPU in the set.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public int Min
    {
        get
        {
            for (int i = 0; i < _words.Length; i++)
                if (_words[i] != 0) return i * 64 + BitOperations.TrailingZeroCount(_words[i]);
            throw new InvalidOperationException("the CPU set is empty");
        }
    }

    /// <summary>The highest CPU in the set.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public int Max => _words.Length == 0
        ? throw new InvalidOperationException("the CPU set is empty")
        : (_words.Length - 1) * 64 + 63 - BitOperations.LeadingZeroCount(_words[^1]);

    /// <summary>True when <paramref name="cpu"/> is in the set (false for negative or out-of-range numbers).</summary>
    public bool Contains(int cpu) => cpu >= 0 && (cpu >> 6) < _words.Length && (_words[cpu >> 6] & (1UL << (cpu & 63))) != 0;

    /// <summary>A set of the given CPUs.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A CPU is negative or not below <see cref="MaxCpus"/>.</exception>
    public static CpuSet Of(params IEnumerable<int> cpus)
    {
        var words = new ulong[MaxCpus / 64];
        foreach (int c in cpus)
        {
            if ((uint)c >= MaxCpus) throw new ArgumentOutOfRangeException(nameof(cpus), c, $"CPU numbers run from 0 to {MaxCpus - 1}");
            words[c >> 6] |= 1UL << (c & 63);
        }
        return new CpuSet(words);
    }

    /// <summary>The CPUs <paramref name="first"/> to <paramref name="last"/> inclusive.</summary>
    public static CpuSet Range(int first, int last) => Of(Enumerable.Range(first, Math.Max(0, last - first + 1)));

    /// <summary>
    /// Parses a Linux cpu list ("0-7,64-71", "3", "0-63:2" is not supported): comma-separated CPUs or inclusive
    /// ranges; surrounding whitespace and a trailing newline are ignored; empty text is the empty set.
    /// </summary>
    /// <param name="text">The list.</param>
    /// <param name="source">Where the text came from (a file path), named in the error.</param>
    /// <exception cref="FormatException">The text is not a cpu list; the message names <paramref name="source"/> and the text.</exception>
    public static CpuSet Parse(string text, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        if (trimmed.Length == 0) return Empty;
        var words = new ulong[MaxCpus / 64];
        foreach (string part in trimmed.Split(','))
        {
            string p = part.Trim();
            int dash = p.IndexOf('-');
            int first, last;
            if (dash < 0)
            {
                if (!TryCpu(p, out first)) throw Bad(source, text, $"'{p}' is not a CPU number");
                last = first;
            }
            else
            {
                if (!TryCpu(p[..dash], out first) || !TryCpu(p[(dash + 1)..], out last)) throw Bad(source, text, $"'{p}' is not a CPU range");
                if (last < first) throw Bad(source, text, $"range '{p}' runs backwards");
            }
            for (int c = first; c <= last; c++) words[c >> 6] |= 1UL << (c & 63);
        }
        return new CpuSet(words);
    }

    private static bool TryCpu(string s, out int cpu) =>
        int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out cpu) && cpu < MaxCpus && s.Trim().Length > 0;

    private static FormatException Bad(string? source, string text, string why) =>
        new($"{source ?? "cpu list"}: cannot parse cpu list \"{text.Trim()}\": {why} (expected e.g. \"0-7,64-71\", CPUs below {MaxCpus})");

    /// <summary>CPUs in either set.</summary>
    public CpuSet Union(CpuSet other) => Combine(other, (a, b) => a | b, Math.Max(_words.Length, other._words.Length));

    /// <summary>CPUs in both sets.</summary>
    public CpuSet Intersect(CpuSet other) => Combine(other, (a, b) => a & b, Math.Min(_words.Length, other._words.Length));

    /// <summary>CPUs in this set and not in <paramref name="other"/>.</summary>
    public CpuSet Except(CpuSet other) => Combine(other, (a, b) => a & ~b, _words.Length);

    private CpuSet Combine(CpuSet other, Func<ulong, ulong, ulong> op, int length)
    {
        ArgumentNullException.ThrowIfNull(other);
        var words = new ulong[length];
        for (int i = 0; i < length; i++)
            words[i] = op(i < _words.Length ? _words[i] : 0, i < other._words.Length ? other._words[i] : 0);
        return new CpuSet(words);
    }

    /// <summary>Writes the set as a kernel <c>cpu_set_t</c>: bit <c>c % 8</c> of byte <c>c / 8</c> for CPU c (little-endian words).</summary>
    /// <exception cref="ArgumentException">The set holds a CPU that does not fit in <paramref name="mask"/>.</exception>
    public void WriteKernelMask(Span<byte> mask)
    {
        if (!IsEmpty && Max >= mask.Length * 8)
            throw new ArgumentException($"CPU {Max} does not fit in a {mask.Length}-byte ({mask.Length * 8}-CPU) affinity mask", nameof(mask));
        mask.Clear();
        foreach (int c in this) mask[c >> 3] |= (byte)(1 << (c & 7));
    }

    /// <summary>The set as a 128-byte (1024-CPU) kernel mask.</summary>
    public byte[] ToKernelMask()
    {
        var mask = new byte[KernelMaskBytes];
        WriteKernelMask(mask);
        return mask;
    }

    /// <summary>Reads a kernel <c>cpu_set_t</c> of any length up to <see cref="MaxCpus"/> bits.</summary>
    public static CpuSet FromKernelMask(ReadOnlySpan<byte> mask)
    {
        if (mask.Length * 8 > MaxCpus) mask = mask[..(MaxCpus / 8)];
        var words = new ulong[(mask.Length + 7) / 8];
        for (int i = 0; i < mask.Length; i++) words[i >> 3] |= (ulong)mask[i] << ((i & 7) * 8);
        return new CpuSet(words);
    }

    /// <summary>The Linux cpu list form, ranges collapsed ("0-7,64-71"); the empty set is "".</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        int start = -1, prev = -2;
        foreach (int c in this)
        {
            if (c != prev + 1)
            {
                Flush();
                start = c;
            }
            prev = c;
        }
        Flush();
        return sb.ToString();

        void Flush()
        {
            if (start < 0) return;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(start.ToString(CultureInfo.InvariantCulture));
            if (prev > start) sb.Append('-').Append(prev.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The CPUs in ascending order.</summary>
    public IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < _words.Length; i++)
        {
            ulong w = _words[i];
            while (w != 0)
            {
                yield return i * 64 + BitOperations.TrailingZeroCount(w);
                w &= w - 1;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(CpuSet? other) => other is not null && _words.AsSpan().SequenceEqual(other._words);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as CpuSet);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (ulong w in _words) h.Add(w);
        return h.ToHashCode();
    }
}
