namespace ImageCore.Tests.Support;

/// <summary>The committed fixtures under testdata/ (copied beside the test assembly).</summary>
internal static class TestData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "testdata");

    public static string File(string name) => Path.Combine(Dir, name);
}
