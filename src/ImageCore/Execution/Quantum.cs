namespace ImageCore.Execution;

/// <summary>
/// One unit of work of a <see cref="QuantumGraph"/>: a step applied to one data id. It can run wherever its
/// <see cref="Inputs"/> exist: the quanta it depends on wrote them, in this run or an earlier one.
/// </summary>
/// <param name="Id">Unique in its graph: the step and the data id as a path (<c>isr/000003/R22_S11</c>,
/// <c>warp/09813/045/000003</c>, <c>coadd/09813/045</c>).</param>
/// <param name="Step">The step that runs it (<c>isr</c>, <c>warp</c>, <c>coadd</c>).</param>
/// <param name="DataId">What it works on.</param>
/// <param name="Inputs">The files it reads, in the order it reads them (a warp's post-ISR exposures by detector id,
/// a coadd's warps by visit).</param>
/// <param name="Outputs">The files it writes.</param>
/// <param name="DependsOn">The ids of the quanta that write its inputs (empty for ISR, whose raws are given).</param>
public sealed record Quantum(string Id, string Step, DataId DataId, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
                             IReadOnlyList<string> DependsOn);
