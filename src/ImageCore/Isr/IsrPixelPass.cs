using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ImageCore.Simd;

namespace ImageCore.Isr;

/// <summary>The per-amplifier scalars of the fused calibration pass (<see cref="IsrPixelPass.Calibrate"/>).</summary>
/// <param name="LinearityK">Quadratic non-linearity k, 1/ADU (0: linear; see <see cref="Linearity"/>).</param>
/// <param name="Gain">e-/ADU, finite and &gt; 0.</param>
/// <param name="DarkScale">DARKTIME(science) / DARKTIME(dark).</param>
/// <param name="ReadNoiseSquared">Read noise squared, e-^2.</param>
/// <param name="NanBit">Mask bit for a non-finite image or variance (UNMASKEDNAN); 0 to skip NaN masking.</param>
/// <param name="BadBit">Mask bit for a variance that is not positive and for an unusable bias, dark or flat pixel (BAD).</param>
/// <param name="MinFlat">The smallest usable flat value (<see cref="CalibrationCheckConfig.MinFlat"/>).</param>
internal readonly record struct IsrAmplifierScalars(float LinearityK, float Gain, float DarkScale, float ReadNoiseSquared, int NanBit, int BadBit, float MinFlat = 1e-4f);

/// <summary>How many pixels of each master frame were unusable in a call of <see cref="IsrPixelPass.Calibrate"/>
/// (see <see cref="CalibrationCheckConfig"/>): flagged BAD, that frame not applied there.</summary>
/// <param name="Bias">Bias pixels with a non-finite value or a negative or non-finite variance.</param>
/// <param name="Dark">Dark pixels likewise.</param>
/// <param name="Flat">Flat pixels that are not finite or below the floor, or whose variance is negative or not finite.</param>
internal readonly record struct IsrUnusablePixels(long Bias, long Dark, long Flat)
{
    /// <summary>The counts of both.</summary>
    public static IsrUnusablePixels operator +(IsrUnusablePixels a, IsrUnusablePixels b) => new(a.Bias + b.Bias, a.Dark + b.Dark, a.Flat + b.Flat);
}

/// <summary>
/// One row of one amplifier for <see cref="IsrPixelPass.Calibrate"/>: the raw row (ADU, serial overscan
/// and crosstalk already removed) with its SAT/SUSPECT mask, the parallel-overscan level of each column,
/// the bias, dark and flat rows (image, variance, mask), and the output rows of the post-ISR exposure.
/// All spans have the same length.
/// </summary>
internal ref struct IsrPixelRow
{
    /// <summary>Untrimmed pixels, ADU.</summary>
    public ReadOnlySpan<float> Raw;
    /// <summary>Mask bits set so far (saturation).</summary>
    public ReadOnlySpan<int> RawMask;
    /// <summary>Parallel-overscan level per column, ADU (zeros when that step is off).</summary>
    public ReadOnlySpan<float> ColumnLevel;
    /// <summary>Master bias, e-.</summary>
    public ReadOnlySpan<float> Bias;
    /// <summary>Master bias variance.</summary>
    public ReadOnlySpan<float> BiasVariance;
    /// <summary>Master bias mask.</summary>
    public ReadOnlySpan<int> BiasMask;
    /// <summary>Master dark, e- per second of dark time.</summary>
    public ReadOnlySpan<float> Dark;
    /// <summary>Master dark variance.</summary>
    public ReadOnlySpan<float> DarkVariance;
    /// <summary>Master dark mask.</summary>
    public ReadOnlySpan<int> DarkMask;
    /// <summary>Master flat.</summary>
    public ReadOnlySpan<float> Flat;
    /// <summary>Master flat variance.</summary>
    public ReadOnlySpan<float> FlatVariance;
    /// <summary>Master flat mask.</summary>
    public ReadOnlySpan<int> FlatMask;
    /// <summary>Output: post-ISR image, e-.</summary>
    public Span<float> Image;
    /// <summary>Output: variance, e-^2.</summary>
    public Span<float> Variance;
    /// <summary>Output: mask.</summary>
    public Span<int> Mask;
}

/// <summary>
/// The fused, vectorized per-pixel passes of ISR. <see cref="SubtractOverscanAndFlag"/> is step 4's
/// subtraction with step 5's masking; <see cref="Calibrate"/> is, in one read of each input and one
/// write of each output, parallel-overscan subtraction (step 9), linearity (10), gain (6), trim (12),
/// bias (14), dark (15), NaN masking (17), variance (19) and flat (20), with exactly the arithmetic of
/// the one-step-per-pass forms in <see cref="PixelSteps"/>, <see cref="CalibrationSteps"/> and
/// <see cref="Linearity"/>. A bias, dark or flat pixel that is unusable (<see cref="CalibrationCheckConfig"/>) is not
/// applied (bias and dark read as 0, the flat as 1, their variances as 0) and the pixel gets the BAD bit. Each has a scalar reference beside it (<c>*Scalar</c>); the vector paths
/// are the same code generic over <see cref="ISimdWidth{TV}"/> and equal the reference bit for bit
/// (no fused multiply-add anywhere).
/// </summary>
internal static class IsrPixelPass
{
    /// <summary>In place over one amplifier row: <c>row -= level</c>; then in <paramref name="mask"/> (overwritten)
    /// <paramref name="saturatedBit"/> where the result is &gt;= <paramref name="saturation"/> and
    /// <paramref name="suspectBit"/> where it is &gt;= <paramref name="suspect"/> (pass +inf or a 0 bit to skip one).</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static void SubtractOverscanAndFlag(Span<float> row, float level, Span<int> mask, float saturation, int saturatedBit, float suspect, int suspectBit)
    {
        if (mask.Length != row.Length) throw new ArgumentException($"row has {row.Length} pixels but its mask {mask.Length}", nameof(mask));
        nuint i = 0;
        if (Width512.IsAccelerated) i = SubtractOverscanAndFlag<Width512, Vector512<float>>(row, level, mask, saturation, saturatedBit, suspect, suspectBit);
        else if (Width256.IsAccelerated) i = SubtractOverscanAndFlag<Width256, Vector256<float>>(row, level, mask, saturation, saturatedBit, suspect, suspectBit);
        else if (Width128.IsAccelerated) i = SubtractOverscanAndFlag<Width128, Vector128<float>>(row, level, mask, saturation, saturatedBit, suspect, suspectBit);
        SubtractOverscanAndFlagScalar(row[(int)i..], level, mask[(int)i..], saturation, saturatedBit, suspect, suspectBit);
    }

    /// <summary>The scalar reference of <see cref="SubtractOverscanAndFlag"/>, and its tail.</summary>
    internal static void SubtractOverscanAndFlagScalar(Span<float> row, float level, Span<int> mask, float saturation, int saturatedBit, float suspect, int suspectBit)
    {
        for (int x = 0; x < row.Length; x++)
        {
            float a = row[x] - level;
            row[x] = a;
            mask[x] = (a >= saturation ? saturatedBit : 0) | (a >= suspect ? suspectBit : 0);
        }
    }

    /// <summary>The whole vectors of a row at width <typeparamref name="TW"/>; returns how many pixels were done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static nuint SubtractOverscanAndFlag<TW, TV>(Span<float> row, float level, Span<int> mask, float saturation, int saturatedBit, float suspect, int suspectBit)
        where TW : struct, ISimdWidth<TV> where TV : struct
    {
        ref float r = ref MemoryMarshal.GetReference(row);
        ref int m = ref MemoryMarshal.GetReference(mask);
        nuint n = (uint)row.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        TV lv = TW.Splat(level), sat = TW.Splat(saturation), sus = TW.Splat(suspect), satBit = TW.SplatBits(saturatedBit), susBit = TW.SplatBits(suspectBit);
        for (; i <= n - step; i += step)
        {
            TV a = TW.Subtract(TW.Load(ref r, i), lv);
            TW.Store(a, ref r, i);
            TW.StoreBits(TW.Or(TW.And(TW.GreaterThanOrEqual(a, sat), satBit), TW.And(TW.GreaterThanOrEqual(a, sus), susBit)), ref m, i);
        }
        return i;
    }

    /// <summary>The fused calibration of one amplifier row (see the class summary), into the output rows of <paramref name="row"/>;
    /// returns how many bias, dark and flat pixels were unusable.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static IsrUnusablePixels Calibrate(scoped ref IsrPixelRow row, in IsrAmplifierScalars scalars)
    {
        CheckLengths(ref row);
        int done = 0;
        var unusable = default(IsrUnusablePixels);
        if (Width512.IsAccelerated)
        {
            // Peel scalar pixels up to a 64-byte boundary of the outputs, so that whole output lines can be
            // streamed past the cache (see Calibrate<TW, TV>).
            int lead = Math.Min(row.Raw.Length, LeadToAlignment(row.Image));
            if (lead > 0 && lead < row.Raw.Length)
            {
                var head = row;
                head = Slice(ref head, 0, lead);
                unusable = CalibrateScalar(ref head, scalars);
                var rest = Slice(ref row, lead);
                done = lead + (int)Calibrate<Width512, Vector512<float>>(ref rest, scalars, ref unusable);
            }
            else done = (int)Calibrate<Width512, Vector512<float>>(ref row, scalars, ref unusable);
        }
        else if (Width256.IsAccelerated) done = (int)Calibrate<Width256, Vector256<float>>(ref row, scalars, ref unusable);
        else if (Width128.IsAccelerated) done = (int)Calibrate<Width128, Vector128<float>>(ref row, scalars, ref unusable);
        if (done < row.Raw.Length)
        {
            var tail = Slice(ref row, done);
            unusable += CalibrateScalar(ref tail, scalars);
        }
        return unusable;
    }

    /// <summary>The scalar reference of <see cref="Calibrate"/>, and its tail.</summary>
    internal static IsrUnusablePixels CalibrateScalar(scoped ref IsrPixelRow r, in IsrAmplifierScalars c)
    {
        bool linear = c.LinearityK != 0;
        float k4 = 4 * c.LinearityK, turn = linear ? 1 / k4 : float.PositiveInfinity, darkScale2 = c.DarkScale * c.DarkScale;
        long badBias = 0, badDark = 0, badFlat = 0;
        for (int x = 0; x < r.Raw.Length; x++)
        {
            float m = r.Raw[x] - r.ColumnLevel[x];
            if (linear) m = Linearity.Invert(m, k4, turn);
            float b = r.Bias[x], bv = r.BiasVariance[x], d = r.Dark[x], dv = r.DarkVariance[x], f = r.Flat[x], fv = r.FlatVariance[x];
            bool biasOk = UsableOffset(b, bv), darkOk = UsableOffset(d, dv), flatOk = UsableFlat(f, fv, c.MinFlat);
            if (!biasOk) { (b, bv) = (0f, 0f); badBias++; }
            if (!darkOk) { (d, dv) = (0f, 0f); badDark++; }
            if (!flatOk) { (f, fv) = (1f, 0f); badFlat++; }
            float e = m * c.Gain;
            e = e - 1f * b;
            e = e - c.DarkScale * d;
            float v = 0f + 1f * bv;
            v = v + darkScale2 * dv;
            int bits = r.RawMask[x] | r.BiasMask[x] | r.DarkMask[x] | r.FlatMask[x];
            if (!(biasOk && darkOk && flatOk)) bits |= c.BadBit;
            if (!float.IsFinite(e) || !float.IsFinite(v)) bits |= c.NanBit;
            v = v + (e + c.ReadNoiseSquared);
            if (!(v > 0)) bits |= c.BadBit;
            r.Variance[x] = CalibrationSteps.FlatVariance(e, v, f, fv);
            r.Image[x] = e / (1f * f);
            r.Mask[x] = bits;
        }
        return new IsrUnusablePixels(badBias, badDark, badFlat);
    }

    /// <summary>A bias or dark pixel that can be applied: finite value, finite variance &gt;= 0.</summary>
    internal static bool UsableOffset(float value, float variance) => float.IsFinite(value) && float.IsFinite(variance) && variance >= 0;

    /// <summary>A flat pixel that can be divided by: finite and &gt;= <paramref name="minFlat"/>, finite variance &gt;= 0.</summary>
    internal static bool UsableFlat(float value, float variance, float minFlat) => float.IsFinite(value) && value >= minFlat && float.IsFinite(variance) && variance >= 0;

    /// <summary>The whole vectors of <see cref="Calibrate"/> at width <typeparamref name="TW"/>; returns how many pixels were done.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe nuint Calibrate<TW, TV>(scoped ref IsrPixelRow r, in IsrAmplifierScalars c, ref IsrUnusablePixels unusable) where TW : struct, ISimdWidth<TV> where TV : struct
    {
        nuint n = (uint)r.Raw.Length, step = (uint)TW.Count, i = 0;
        if (n < step) return 0;
        bool linear = c.LinearityK != 0;
        float k4s = 4 * c.LinearityK;
        TV k4 = TW.Splat(k4s), turn = TW.Splat(linear ? 1 / k4s : float.PositiveInfinity), one = TW.Splat(1f), two = TW.Splat(2f), zero = TW.Splat(0f);
        TV gain = TW.Splat(c.Gain), darkScale = TW.Splat(c.DarkScale), darkScale2 = TW.Splat(c.DarkScale * c.DarkScale), rn2 = TW.Splat(c.ReadNoiseSquared);
        TV nanBit = TW.SplatBits(c.NanBit), badBit = TW.SplatBits(c.BadBit), minFlat = TW.Splat(c.MinFlat);
        // Unusable pixels of each frame, counted per lane in floats (exact: a lane sees far fewer than 2^24 pixels).
        TV badBias = zero, badDark = zero, badFlat = zero;
        ref float raw = ref MemoryMarshal.GetReference(r.Raw);
        ref int rawMask = ref MemoryMarshal.GetReference(r.RawMask);
        ref float col = ref MemoryMarshal.GetReference(r.ColumnLevel);
        ref float bias = ref MemoryMarshal.GetReference(r.Bias), biasVar = ref MemoryMarshal.GetReference(r.BiasVariance);
        ref float dark = ref MemoryMarshal.GetReference(r.Dark), darkVar = ref MemoryMarshal.GetReference(r.DarkVariance);
        ref float flat = ref MemoryMarshal.GetReference(r.Flat), flatVar = ref MemoryMarshal.GetReference(r.FlatVariance);
        ref int biasMask = ref MemoryMarshal.GetReference(r.BiasMask), darkMask = ref MemoryMarshal.GetReference(r.DarkMask), flatMask = ref MemoryMarshal.GetReference(r.FlatMask);
        ref float image = ref MemoryMarshal.GetReference(r.Image), variance = ref MemoryMarshal.GetReference(r.Variance);
        ref int mask = ref MemoryMarshal.GetReference(r.Mask);
        // Outputs are written once and not read again by this pass: when all three start on a vector boundary
        // (planes with 64-byte rows, after the dispatcher's peel) and the row spans whole cache lines, they are
        // stored non-temporally, which saves the read-for-ownership of every output line. The outputs stay
        // pinned (fixed) over the loop, as those stores take addresses.
        bool streaming = TW.SupportsNonTemporal && n >= 64
                         && TW.IsAligned(ref image) && TW.IsAligned(ref variance) && TW.IsAligned(ref Unsafe.As<int, float>(ref mask));
        fixed (float* pinImage = &image, pinVariance = &variance)
        fixed (int* pinMask = &mask)
        for (; i <= n - step; i += step)
        {
            TV m = TW.Subtract(TW.Load(ref raw, i), TW.Load(ref col, i));
            if (linear)
            {
                TV mm = TW.Select(TW.GreaterThan(m, turn), turn, m);
                m = TW.Divide(TW.Multiply(two, mm), TW.Add(one, TW.Sqrt(TW.Subtract(one, TW.Multiply(k4, mm)))));
            }
            TV b = TW.Load(ref bias, i), bv = TW.Load(ref biasVar, i), d = TW.Load(ref dark, i), dv = TW.Load(ref darkVar, i);
            TV f = TW.Load(ref flat, i), fv = TW.Load(ref flatVar, i);
            TV biasOk = TW.And(TW.And(TW.IsFinite(b), TW.IsFinite(bv)), TW.GreaterThanOrEqual(bv, zero));
            TV darkOk = TW.And(TW.And(TW.IsFinite(d), TW.IsFinite(dv)), TW.GreaterThanOrEqual(dv, zero));
            TV flatOk = TW.And(TW.And(TW.IsFinite(f), TW.GreaterThanOrEqual(f, minFlat)), TW.And(TW.IsFinite(fv), TW.GreaterThanOrEqual(fv, zero)));
            b = TW.Select(biasOk, b, zero);
            bv = TW.Select(biasOk, bv, zero);
            d = TW.Select(darkOk, d, zero);
            dv = TW.Select(darkOk, dv, zero);
            f = TW.Select(flatOk, f, one);
            fv = TW.Select(flatOk, fv, zero);
            badBias = TW.Add(badBias, TW.AndNot(one, biasOk));
            badDark = TW.Add(badDark, TW.AndNot(one, darkOk));
            badFlat = TW.Add(badFlat, TW.AndNot(one, flatOk));
            TV e = TW.Multiply(m, gain);
            e = TW.Subtract(e, TW.Multiply(one, b));
            e = TW.Subtract(e, TW.Multiply(darkScale, d));
            TV v = TW.Add(zero, TW.Multiply(one, bv));
            v = TW.Add(v, TW.Multiply(darkScale2, dv));
            TV bits = TW.Or(TW.Or(TW.LoadBits(ref rawMask, i), TW.LoadBits(ref biasMask, i)), TW.Or(TW.LoadBits(ref darkMask, i), TW.LoadBits(ref flatMask, i)));
            bits = TW.Or(bits, TW.AndNot(badBit, TW.And(TW.And(biasOk, darkOk), flatOk)));
            bits = TW.Or(bits, TW.AndNot(nanBit, TW.And(TW.IsFinite(e), TW.IsFinite(v))));
            v = TW.Add(v, TW.Add(e, rn2));
            bits = TW.Or(bits, TW.AndNot(badBit, TW.GreaterThan(v, zero)));
            TV f2 = TW.Multiply(f, f);
            TV outVariance = TW.Divide(TW.Add(TW.Multiply(TW.Multiply(e, e), fv), TW.Multiply(f2, v)), TW.Multiply(f2, f2));
            TV outImage = TW.Divide(e, TW.Multiply(one, f));
            if (streaming)
            {
                TW.StoreNonTemporal(outVariance, ref variance, i);
                TW.StoreNonTemporal(outImage, ref image, i);
                TW.StoreNonTemporal(bits, ref Unsafe.As<int, float>(ref mask), i);
            }
            else
            {
                TW.Store(outVariance, ref variance, i);
                TW.Store(outImage, ref image, i);
                TW.StoreBits(bits, ref mask, i);
            }
        }
        if (streaming) TW.StoreFence();
        unusable += new IsrUnusablePixels(LaneSum<TW, TV>(badBias), LaneSum<TW, TV>(badDark), LaneSum<TW, TV>(badFlat));
        return i;
    }

    /// <summary>The sum of the lanes of a vector of whole-number counts.</summary>
    private static long LaneSum<TW, TV>(TV counts) where TW : struct, ISimdWidth<TV> where TV : struct
    {
        Span<float> lanes = stackalloc float[16];   // the widest vector: 16 floats
        TW.Store(counts, ref MemoryMarshal.GetReference(lanes), 0);
        long sum = 0;
        for (int k = 0; k < TW.Count; k++) sum += (long)lanes[k];
        return sum;
    }

    private static void CheckLengths(scoped ref IsrPixelRow r)
    {
        int n = r.Raw.Length;
        if (r.RawMask.Length != n || r.ColumnLevel.Length != n || r.Bias.Length != n || r.BiasVariance.Length != n || r.BiasMask.Length != n
            || r.Dark.Length != n || r.DarkVariance.Length != n || r.DarkMask.Length != n || r.Flat.Length != n || r.FlatVariance.Length != n
            || r.FlatMask.Length != n || r.Image.Length != n || r.Variance.Length != n || r.Mask.Length != n)
            throw new ArgumentException($"every span of an ISR row must have the raw row's {n} pixels");
    }

    internal static IsrPixelRow Slice(scoped ref IsrPixelRow r, int start) => Slice(ref r, start, r.Raw.Length - start);

    private static IsrPixelRow Slice(scoped ref IsrPixelRow r, int start, int length) => new()
    {
        Raw = r.Raw.Slice(start, length), RawMask = r.RawMask.Slice(start, length), ColumnLevel = r.ColumnLevel.Slice(start, length),
        Bias = r.Bias.Slice(start, length), BiasVariance = r.BiasVariance.Slice(start, length), BiasMask = r.BiasMask.Slice(start, length),
        Dark = r.Dark.Slice(start, length), DarkVariance = r.DarkVariance.Slice(start, length), DarkMask = r.DarkMask.Slice(start, length),
        Flat = r.Flat.Slice(start, length), FlatVariance = r.FlatVariance.Slice(start, length), FlatMask = r.FlatMask.Slice(start, length),
        Image = r.Image.Slice(start, length), Variance = r.Variance.Slice(start, length), Mask = r.Mask.Slice(start, length),
    };

    /// <summary>Pixels before <paramref name="span"/> reaches a 64-byte boundary.</summary>
    private static unsafe int LeadToAlignment(Span<float> span) =>
        (int)((64 - ((nuint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span)) & 63)) & 63) / sizeof(float);
}
