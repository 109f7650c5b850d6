using System.Globalization;
using System.Security;
using System.Text;

namespace ImageCore.Execution.Rehearsal;

/// <summary>One line of a plot: a name for the legend and its points.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Points">(x, y) points, drawn in order.</param>
internal sealed record PlotSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A small, dependency-free SVG line plot: axes from zero with ticks, one coloured line with markers per series, a legend.</summary>
internal static class SvgPlot
{
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>The SVG document (640 x 400 px).</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<PlotSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        const double W = 640, H = 400, L = 70, R = 160, T = 40, B = 50;
        var all = series.SelectMany(s => s.Points).ToList();
        double xMax = Nice(all.Count == 0 ? 1 : all.Max(p => p.X)), yMax = Nice(all.Count == 0 ? 1 : all.Max(p => p.Y));
        double X(double x) => L + x / xMax * (W - L - R);
        double Y(double y) => H - B - y / yMax * (H - T - B);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n");
        sb.Append(inv, $"<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Esc(title)}</text>\n");
        sb.Append(inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>\n");
        bool wholeX = all.All(p => p.X == Math.Floor(p.X));
        double xStep = Step(xMax, wholeX), yStep = Step(yMax, false);
        for (double xv = 0; xv <= xMax * 1.0000001; xv += xStep)
            sb.Append(inv, $"<line x1=\"{X(xv):F1}\" y1=\"{H - B}\" x2=\"{X(xv):F1}\" y2=\"{H - B + 5}\" stroke=\"black\"/><text x=\"{X(xv):F1}\" y=\"{H - B + 18}\" text-anchor=\"middle\">{Tick(xv)}</text>\n");
        for (double yv = 0; yv <= yMax * 1.0000001; yv += yStep)
            sb.Append(inv, $"<line x1=\"{L - 5}\" y1=\"{Y(yv):F1}\" x2=\"{W - R}\" y2=\"{Y(yv):F1}\" stroke=\"#ddd\"/><text x=\"{L - 8}\" y=\"{Y(yv) + 4:F1}\" text-anchor=\"end\">{Tick(yv)}</text>\n");
        sb.Append(inv, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">{Esc(xLabel)}</text>\n");
        sb.Append(inv, $"<text x=\"18\" y=\"{(T + H - B) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {(T + H - B) / 2})\">{Esc(yLabel)}</text>\n");
        for (int s = 0; s < series.Count; s++)
        {
            string colour = Colours[s % Colours.Length];
            var pts = series[s].Points;
            if (pts.Count > 1)
                sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(" ", pts.Select(p => string.Create(inv, $"{X(p.X):F1},{Y(p.Y):F1}")))}\"/>\n");
            foreach (var p in pts) sb.Append(inv, $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3.5\" fill=\"{colour}\"/>\n");
            double ly = T + 10 + s * 18;
            sb.Append(inv, $"<line x1=\"{W - R + 15}\" y1=\"{ly}\" x2=\"{W - R + 35}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{W - R + 40}\" y=\"{ly + 4}\">{Esc(series[s].Name)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above <paramref name="v"/> (the axis end).</summary>
    private static double Nice(double v)
    {
        if (!(v > 0)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double m in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 }) if (m * p >= v) return m * p;
        return 10 * p;
    }

    /// <summary>A tick step giving about five ticks up to <paramref name="max"/>: a 1, 2 or 5 x 10^k step (at least 1 for whole-number data).</summary>
    private static double Step(double max, bool whole)
    {
        double raw = max / 5, p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
        return whole ? Math.Max(1, Math.Round(step)) : step;
    }

    private static string Tick(double v) => v.ToString(v == Math.Floor(v) ? "0" : "0.##", CultureInfo.InvariantCulture);

    private static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
