using System.Text.Json;

namespace ImageCore.Tests.Support;

/// <summary>What astropy saw in a FITS file: the output of Interop/tools/dump_astropy.py.</summary>
internal sealed class AstropyDump
{
    private AstropyDump(string dir, JsonDocument doc)
    {
        Dir = dir;
        Root = doc.RootElement;
    }

    public string Dir { get; }

    public JsonElement Root { get; }

    public JsonElement Hdu(int i) => Root.GetProperty("hdus")[i];

    public int HduCount => Root.GetProperty("hdus").GetArrayLength();

    /// <summary>Has astropy verify <paramref name="fits"/> (verify('exception'), every CHECKSUM and
    /// DATASUM, no warning while reading any HDU's data), then dumps it into <paramref name="outDir"/>.</summary>
    public static AstropyDump Of(string fits, string outDir)
    {
        Peers.RequireAstropy();
        var (vcode, vout, verr) = Peers.Run(Peers.Python, $"\"{Path.Combine(Peers.ToolsDir, "verify_astropy.py")}\" \"{fits}\"");
        Assert.True(vcode == 0, $"astropy does not accept {fits}:\n{vout}\n{verr}");
        Directory.CreateDirectory(outDir);
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{Path.Combine(Peers.ToolsDir, "dump_astropy.py")}\" \"{fits}\" \"{outDir}\"");
        Assert.True(code == 0, $"dump_astropy.py failed ({code}):\n{stdout}\n{stderr}");
        return Load(outDir);
    }

    /// <summary>Loads an existing dump directory.</summary>
    public static AstropyDump Load(string dir) =>
        new(dir, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "dump.json"))));

    /// <summary>Raw little-endian bytes of HDU <paramref name="i"/>'s "stored" or "physical" data, with numpy's dtype.</summary>
    public (string Dtype, long[] Shape, byte[] Bytes) Data(int i, string which)
    {
        var d = Hdu(i).GetProperty("data").GetProperty(which);
        long[] shape = d.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        return (d.GetProperty("dtype").GetString()!, shape, File.ReadAllBytes(Path.Combine(Dir, d.GetProperty("file").GetString()!)));
    }

    /// <summary>Asserts that astropy verified every CHECKSUM/DATASUM present and found them on every HDU.</summary>
    public void AssertChecksumsOk()
    {
        for (int i = 0; i < HduCount; i++)
        {
            Assert.Equal("ok", Hdu(i).GetProperty("checksum").GetString());
            Assert.Equal("ok", Hdu(i).GetProperty("datasum").GetString());
        }
    }
}
