using ImageCore.Tests.Support;

namespace ImageCore.Tests.Execution;

/// <summary>The fixture trees the tests write (<see cref="TopologyTree"/>) are those of testdata/topology/make_trees.py,
/// file for file.</summary>
public class TopologyTreeTests
{
    [SkippableFact]
    public void The_trees_are_make_trees_py_s_file_for_file()
    {
        Skip.IfNot(File.Exists(Peers.Python), $"{Peers.Python} is not installed: make_trees.py cannot be run to compare with");
        using var dir = new TempDir();
        string script = Path.Combine(Peers.RepoRoot, "testdata", "topology", "make_trees.py");
        var (code, stdout, stderr) = Peers.Run(Peers.Python, $"\"{script}\" \"{dir.File("py")}\"");
        Assert.True(code == 0, stdout + stderr);
        foreach (string name in TopologyTree.Names)
        {
            TopologyTree.Generate(dir.File("cs"), name);
            string py = Path.Combine(dir.File("py"), name), cs = Path.Combine(dir.File("cs"), name);
            var pyFiles = Directory.GetFiles(py, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(py, f)).Order(StringComparer.Ordinal).ToList();
            var csFiles = Directory.GetFiles(cs, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(cs, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(pyFiles, csFiles);
            foreach (string f in pyFiles)
                Assert.True(File.ReadAllText(Path.Combine(py, f)) == File.ReadAllText(Path.Combine(cs, f)), $"{name}/{f} differs");
            Assert.True(pyFiles.Count > 0);
        }
    }
}
