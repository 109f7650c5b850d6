using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ImageCore.Simd;

namespace ImageCore.Fits;

/// <summary>
/// Converts between FITS big-endian stored pixels and native pixels of type <typeparamref name="T"/>,
/// applying BZERO/BSCALE and BLANK. Three routes: a byte swap (with the unsigned-convention sign
/// flip) straight into the destination when <typeparamref name="T"/> is the stored type or its
/// unsigned twin; swap-convert-scale through a cache-sized scratch buffer for float and double
/// destinations; and a checked element-wise route for other integer destinations.
/// </summary>
internal readonly struct FitsPixelCodec<T> where T : unmanaged, INumber<T>
{
    private enum Route { Swap, Floating, Integer }

    private readonly Route _route;
    private readonly int _bitpix;
    private readonly int _size;
    private readonly ulong _xor;
    private readonly double _scale, _zero;
    private readonly long? _blank;

    /// <summary>Plans the decoding of <paramref name="hdu"/> into <typeparamref name="T"/>.</summary>
    /// <param name="hdu">An image HDU.</param>
    /// <param name="scaled">Apply BZERO/BSCALE/BLANK (physical values); false gives stored values.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> cannot hold the values exactly.</exception>
    public FitsPixelCodec(FitsHdu hdu, bool scaled)
        : this(hdu.Bitpix, scaled ? hdu.BScale : 1, scaled ? hdu.BZero : 0, scaled ? hdu.Blank : null, $"{hdu.Header.Source}, HDU {hdu.Index}")
    {
    }

    /// <summary>Plans a conversion for BITPIX/BSCALE/BZERO/BLANK.</summary>
    public FitsPixelCodec(int bitpix, double bscale, double bzero, long? blank, string where)
    {
        _bitpix = bitpix;
        _size = Math.Abs(bitpix) / 8;
        _scale = bscale;
        _zero = bzero;
        _blank = bitpix > 0 ? blank : null;
        bool identity = bscale == 1 && bzero == 0;
        bool unsigned = bscale == 1 && bitpix switch
        {
            8 => bzero == -128,
            16 => bzero == 32768,
            32 => bzero == 2147483648.0,
            64 => bzero == 9223372036854775808.0,
            _ => false,
        };
        if (identity && IsStored(bitpix) || unsigned && IsUnsignedTwin(bitpix))
        {
            _route = Route.Swap;
            _xor = unsigned ? 1UL << (8 * _size - 1) : 0;
        }
        else if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
            _route = Route.Floating;
        else if (bitpix > 0 && bscale == 1 && bzero == Math.Floor(bzero) && Math.Abs(bzero) <= 9223372036854775808.0)
            _route = Route.Integer;
        else
            throw new NotSupportedException(
                $"{where}: BITPIX {bitpix} with BSCALE {bscale} and BZERO {bzero} gives non-integer values; read it as float or double, not {typeof(T).Name}");
    }

    /// <summary>Bytes per stored pixel.</summary>
    public int StoredSize => _size;

    /// <summary>True when decoding needs the scratch buffer.</summary>
    public bool NeedsScratch => _route != Route.Swap;

    /// <summary>Decodes <paramref name="bigEndian"/> (whole stored pixels) into <paramref name="destination"/>.</summary>
    /// <param name="bigEndian">Stored bytes, <c>destination.Length * StoredSize</c> long.</param>
    /// <param name="destination">Physical (or stored) values.</param>
    /// <param name="scratch">At least <paramref name="bigEndian"/>'s length; unused by the swap route.</param>
    /// <param name="firstPixel">Index of the first pixel in the HDU, for error messages.</param>
    /// <param name="where">Context for error messages.</param>
    public void Decode(ReadOnlySpan<byte> bigEndian, Span<T> destination, Span<byte> scratch, long firstPixel, string where)
    {
        switch (_route)
        {
            case Route.Swap:
                Endian.Swap(bigEndian, MemoryMarshal.AsBytes(destination), _size, _xor);
                return;
            case Route.Floating:
                Endian.Swap(bigEndian, scratch, _size, 0);
                var native = scratch[..bigEndian.Length];
                if (typeof(T) == typeof(float)) ToFloating(native, Cast<float>(destination));
                else ToFloating(native, Cast<double>(destination));
                return;
            default:
                Endian.Swap(bigEndian, scratch, _size, 0);
                ToInteger(scratch[..bigEndian.Length], destination, firstPixel, where);
                return;
        }
    }

    private void ToFloating<TF>(Span<byte> native, Span<TF> d) where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        switch (_bitpix)
        {
            case 8: TensorPrimitives.ConvertTruncating<byte, TF>(native, d); break;
            case 16: TensorPrimitives.ConvertTruncating<short, TF>(MemoryMarshal.Cast<byte, short>(native), d); break;
            case 32: TensorPrimitives.ConvertTruncating<int, TF>(MemoryMarshal.Cast<byte, int>(native), d); break;
            case 64: TensorPrimitives.ConvertTruncating<long, TF>(MemoryMarshal.Cast<byte, long>(native), d); break;
            case -32: TensorPrimitives.ConvertTruncating<float, TF>(MemoryMarshal.Cast<byte, float>(native), d); break;
            default: TensorPrimitives.ConvertTruncating<double, TF>(MemoryMarshal.Cast<byte, double>(native), d); break;
        }
        if (_scale != 1 || _zero != 0)
        {
            // Not fused: (stored * BSCALE) + BZERO rounded at each step, as astropy and cfitsio do.
            TensorPrimitives.Multiply<TF>(d, TF.CreateTruncating(_scale), d);
            TensorPrimitives.Add<TF>(d, TF.CreateTruncating(_zero), d);
        }
        if (_blank is long blank)
        {
            for (int i = 0; i < d.Length; i++)
                if (StoredAt(native, i) == blank) d[i] = TF.NaN;
        }
    }

    private void ToInteger(Span<byte> native, Span<T> d, long firstPixel, string where)
    {
        long zero = (long)_zero;
        bool bigZero = _zero == 9223372036854775808.0;
        for (int i = 0; i < d.Length; i++)
        {
            long s = StoredAt(native, i);
            if (_blank == s)
                throw new NotSupportedException($"{where}: pixel {firstPixel + i} is BLANK; read it as float or double to get NaN");
            Int128 physical = bigZero ? (Int128)s + ((Int128)1 << 63) : (Int128)s + zero;
            if (!TryFromInt128(physical, out T value))
                throw new NotSupportedException($"{where}: pixel {firstPixel + i} = {physical} does not fit {typeof(T).Name}");
            d[i] = value;
        }
    }

    private static bool TryFromInt128(Int128 v, out T value)
    {
        try
        {
            value = T.CreateChecked(v);
            return true;
        }
        catch (OverflowException)
        {
            value = default;
            return false;
        }
    }

    private long StoredAt(Span<byte> native, int i) => _bitpix switch
    {
        8 => native[i],
        16 => MemoryMarshal.Cast<byte, short>(native)[i],
        32 => MemoryMarshal.Cast<byte, int>(native)[i],
        _ => MemoryMarshal.Cast<byte, long>(native)[i],
    };

    private static bool IsStored(int bitpix) => bitpix switch
    {
        8 => typeof(T) == typeof(byte),
        16 => typeof(T) == typeof(short),
        32 => typeof(T) == typeof(int),
        64 => typeof(T) == typeof(long),
        -32 => typeof(T) == typeof(float),
        _ => typeof(T) == typeof(double),
    };

    private static bool IsUnsignedTwin(int bitpix) => bitpix switch
    {
        8 => typeof(T) == typeof(sbyte),
        16 => typeof(T) == typeof(ushort),
        32 => typeof(T) == typeof(uint),
        64 => typeof(T) == typeof(ulong),
        _ => false,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<TF> Cast<TF>(Span<T> s) where TF : unmanaged => MemoryMarshal.Cast<T, TF>(s);
}
