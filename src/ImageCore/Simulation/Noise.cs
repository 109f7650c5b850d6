namespace ImageCore.Simulation;

/// <summary>Seeded noise draws for the simulator: Gaussian (Box-Muller) and Poisson (Knuth's product
/// method below a mean of 30, the continuity-corrected normal approximation above, whose mean and
/// variance match the Poisson's to better than 1%).</summary>
internal sealed class Noise(int seed)
{
    private readonly Random _rng = new(seed);
    private double _spare = double.NaN;

    /// <summary>A standard normal deviate.</summary>
    public double Gaussian()
    {
        if (!double.IsNaN(_spare))
        {
            double s = _spare;
            _spare = double.NaN;
            return s;
        }
        double u = 1 - _rng.NextDouble(), v = _rng.NextDouble();
        double r = Math.Sqrt(-2 * Math.Log(u));
        _spare = r * Math.Sin(2 * Math.PI * v);
        return r * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>A Poisson deviate of mean <paramref name="mean"/> (0 for a mean at or below 0).</summary>
    public double Poisson(double mean)
    {
        if (!(mean > 0)) return 0;
        if (mean >= 30) return Math.Max(0, Math.Round(mean + Math.Sqrt(mean) * Gaussian()));
        double limit = Math.Exp(-mean), p = 1;
        int k = 0;
        do { k++; p *= _rng.NextDouble(); } while (p > limit);
        return k - 1;
    }

    /// <summary>A uniform deviate in [0, 1).</summary>
    public double Uniform() => _rng.NextDouble();
}
