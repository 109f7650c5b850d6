using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ImageCore.Fits;
using ImageCore.Tests.Fits;
using ImageCore.Tests.Support;

namespace ImageCore.Tests.Interop;

/// <summary>
/// <see cref="FitsVerifier"/> against cfitsio's fitsverify on a small deterministic mutation set (the full measurement
/// is <c>tests/fuzz/verify_agreement.py</c>, figures in docs/hardening.md): the error / no-error verdicts agree on at
/// least 99% of the files.
/// </summary>
public class VerifyAgreementTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Card = FitsConstants.CardSize;
    private static readonly string[] BadValues = ["-1", "0", "'text'", "T", "", "1.5", "'", "1.0e5", "ABC", "12 junk", "(1, 2"];

    [SkippableFact]
    public void Verdicts_agree_with_fitsverify_on_a_mutated_set()
    {
        Peers.RequireFitsverify();
        byte[][] seeds = [VerifierTests.WriterMef(), File.ReadAllBytes(TestData.File("sample-mef.fits"))];
        var rng = new Random(17);
        using var dir = new TempDir();
        var clock = Stopwatch.StartNew();
        var labels = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            var (label, mutant) = Mutate(rng, seeds[rng.Next(seeds.Length)]);
            File.WriteAllBytes(dir.File($"m{i:D3}.fits"), mutant);
            labels.Add(label);
        }
        var theirs = FitsverifyFindsErrors(dir.Path, labels.Count);
        int agree = 0, judged = 0;
        var disagreements = new List<string>();
        for (int i = 0; i < labels.Count; i++)
        {
            if (!theirs.TryGetValue($"m{i:D3}.fits", out bool fitsverifyError)) continue;
            bool ours = !FitsVerifier.Verify(dir.File($"m{i:D3}.fits")).Conforms;
            judged++;
            if (ours == fitsverifyError) agree++;
            else disagreements.Add($"m{i:D3} {labels[i]}: fitsverify {(fitsverifyError ? "error" : "ok")}, imagecore {(ours ? "error" : "ok")}");
        }
        output.WriteLine($"{agree}/{judged} agree in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var d in disagreements) output.WriteLine(d);
        Assert.True(judged >= 95, $"only {judged} files judged");
        Assert.True(agree >= 0.99 * judged, $"{agree}/{judged} agree:\n{string.Join("\n", disagreements)}");
    }

    /// <summary>fitsverify's verdict on m000.fits, m001.fits, ... in <paramref name="dir"/>, from one run of
    /// <c>fitsverify -q -e</c> (one line per file: "verification OK" or "verification FAILED ... N errors").</summary>
    private static Dictionary<string, bool> FitsverifyFindsErrors(string dir, int count)
    {
        var names = string.Join(' ', Enumerable.Range(0, count).Select(i => $"m{i:D3}.fits"));
        var (code, stdout, stderr) = Peers.Run("fitsverify", $"-q -e {names}", workDir: dir);
        Assert.True(code >= 0, $"fitsverify did not run: {stderr}");
        var verdicts = new Dictionary<string, bool>();
        foreach (Match m in Regex.Matches(stdout, @"verification (OK|FAILED): (m\d{3}\.fits)"))
            verdicts[m.Groups[2].Value] = m.Groups[1].Value == "FAILED";
        return verdicts;
    }

    private static (string Label, byte[] Bytes) Mutate(Random rng, byte[] seed)
    {
        byte[] b = (byte[])seed.Clone();
        (long Header, long Data, long DataBytes)[] hdus;
        using (var f = new FitsFile(new MemoryStream(seed, writable: false), "seed")) hdus = [.. f.Hdus.Select(h => (h.HeaderOffset, h.DataOffset, h.DataBytes))];
        int k = rng.Next(hdus.Length);
        var (header, data, dataBytes) = hdus[k];
        int end = (int)header;
        while (Encoding.ASCII.GetString(b, end, 8) != "END     ") end += Card;
        int cards = (end - (int)header) / Card;
        void Put(int at, string text) => Encoding.ASCII.GetBytes(text.PadRight(Card)[..Card]).CopyTo(b, at);
        string KeywordAt(int card) => Encoding.ASCII.GetString(b, (int)header + card * Card, 8).Trim();

        switch (rng.Next(12))
        {
            case 0:
                {
                    int at = (int)header + rng.Next(end + Card - (int)header);
                    b[at] = (byte)rng.Next(256);
                    return ($"HDU {k} byte {at} = 0x{b[at]:X2}", b);
                }
            case 1:
                {
                    int at = (int)header + rng.Next(end + Card - (int)header);
                    b[at] = (byte)rng.Next(32, 127);
                    return ($"HDU {k} byte {at} = '{(char)b[at]}'", b);
                }
            case 2:
                if (dataBytes == 0) goto case 3;
                b[data + rng.Next((int)dataBytes)] ^= (byte)(1 << rng.Next(8));
                return ($"HDU {k} data bit", b);
            case 3:
                {
                    int n = rng.Next(1, b.Length);
                    return ($"truncated at {n}", b[..n]);
                }
            case 4:
                {
                    var last = hdus[^1];
                    long padding = b.Length - (last.Data + last.DataBytes);
                    int n = padding > 0 ? (int)(last.Data + last.DataBytes + rng.NextInt64(padding)) : b.Length - 1;
                    return ($"truncated in the final padding at {n}", b[..n]);
                }
            case 5:
                {
                    if ((end + Card) % FitsConstants.BlockSize == 0) goto case 6;
                    int mandatory = rng.Next(Math.Min(cards, 5));
                    string card = Encoding.ASCII.GetString(b, (int)header + mandatory * Card, Card);
                    Put(end, card);
                    Put(end + Card, "END");
                    return ($"HDU {k} {KeywordAt(mandatory)} repeated after the header", b);
                }
            case 6:
                {
                    int column = rng.Next(3, Card);
                    b[end + column] = (byte)new[] { 0, 1, 9, 127, 200 }[rng.Next(5)];
                    return ($"HDU {k} END column {column + 1} = 0x{b[end + column]:X2}", b);
                }
            case 7:
                {
                    int card = rng.Next(Math.Min(cards, 10));
                    string key = KeywordAt(card);
                    if (key.Length == 0 || key is "COMMENT" or "HISTORY" or "CONTINUE") goto case 8;
                    string value = BadValues[rng.Next(BadValues.Length)];
                    Put((int)header + card * Card, $"{key,-8}= {value,20}");
                    return ($"HDU {k} {key} = {value}", b);
                }
            case 8:
                {
                    int n = new[] { 1, 80, 2880 }[rng.Next(3)];
                    return ($"{n} extra bytes", [.. b, .. new byte[n]]);
                }
            case 9:
                {
                    int card = 3 + rng.Next(2);
                    string key = KeywordAt(card);
                    if (!key.StartsWith("NAXIS", StringComparison.Ordinal)) goto case 10;
                    long old = long.Parse(Encoding.ASCII.GetString(b, (int)header + card * Card + 10, 20).Trim());
                    long value = new[] { old + 1, Math.Max(0, old - 1), 0, old * 2 }[rng.Next(4)];
                    Put((int)header + card * Card, $"{key,-8}= {value,20}");
                    return ($"HDU {k} {key} {old} -> {value}", b);
                }
            case 10:
                {
                    int free = FitsConstants.BlockSize - (end + Card - (int)header) % FitsConstants.BlockSize;
                    if (free == FitsConstants.BlockSize) goto default;
                    int at = end + Card + rng.Next(free);
                    b[at] = (byte)'X';
                    return ($"HDU {k} header fill byte {at}", b);
                }
            default:
                {
                    int at = (int)header + rng.Next(cards) * Card + rng.Next(8);
                    if (b[at] is >= (byte)'A' and <= (byte)'Z') b[at] += 32;
                    return ($"HDU {k} lower-case keyword byte {at}", b);
                }
        }
    }
}
