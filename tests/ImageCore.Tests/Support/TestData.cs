namespace ImageCore.Tests.Support;

/// <summary>The committed fixtures under the repository's testdata/.</summary>
internal static class TestData
{
    public static string Dir => Path.Combine(Peers.RepoRoot, "testdata");

    public static string File(string name) => Path.Combine(Dir, name);
}
