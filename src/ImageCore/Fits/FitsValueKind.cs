namespace ImageCore.Fits;

/// <summary>The kind of value a header card holds (FITS 4.0 section 4.2).</summary>
public enum FitsValueKind
{
    /// <summary>A keyword with the value indicator but no value.</summary>
    Undefined,
    /// <summary>A character string (quotes removed, doubled quotes undoubled, trailing blanks dropped).</summary>
    String,
    /// <summary>T or F.</summary>
    Logical,
    /// <summary>An integer (<see cref="long"/>, or <see cref="System.Numerics.BigInteger"/> when larger).</summary>
    Integer,
    /// <summary>A floating-point number (E or D exponent on input).</summary>
    Real,
    /// <summary>A complex number <c>(re, im)</c>; see <see cref="FitsComplex"/>.</summary>
    Complex,
    /// <summary>COMMENT, HISTORY, blank keyword, or any keyword without a value indicator: text only.</summary>
    Commentary,
}

/// <summary>A complex header value <c>(Real, Imaginary)</c>; integer and real parts both read as double.</summary>
/// <param name="Real">Real part.</param>
/// <param name="Imaginary">Imaginary part.</param>
public readonly record struct FitsComplex(double Real, double Imaginary);
