using ImageCore.Geometry;
using ImageCore.Warp;

namespace ImageCore.Tests.Warp;

public class PsfMatchDiagnosticsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Eigen_decomposition_reproduces_the_matrix()
    {
        var rng = new Random(3);
        int n = 41;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.NextDouble() - 0.5;
        var (values, vectors) = SymmetricSolver.Eigen(a, n);
        double worst = 0;
        for (int k = 0; k < n; k++)
            for (int i = 0; i < n; i++)
            {
                double s = 0;
                for (int j = 0; j < n; j++) s += a[i * n + j] * vectors[j * n + k];
                worst = Math.Max(worst, Math.Abs(s - values[k] * vectors[i * n + k]));
            }
        Assert.True(worst < 1e-10, $"{worst}");
    }

    [Fact]
    public void Variance_projection_is_within_its_tolerance()
    {
        var box = new Box2I(0, 0, 131, 117);
        var k = ModelPsfMatch.Solve(box, new VaryingGaussianPsf(25, 2.0, 0.8, 0.4, new Box2I(-300, -300, 1000, 1000)), new ModelPsfMatchConfig()).Kernel;
        var plan = new PsfMatchConvolution.Plan(k, box);
        output.WriteLine($"rank {plan.Projection.Length}, error {plan.ProjectionError:E3}");
        Assert.True(plan.ProjectionError <= PsfMatchConvolution.VarianceProjectionTolerance);
    }
}

