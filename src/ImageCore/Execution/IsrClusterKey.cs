namespace ImageCore.Execution;

/// <summary>What the ISR quanta of one visit group are clustered by (<see cref="ClusterConfig.IsrKey"/>).</summary>
public enum IsrClusterKey
{
    /// <summary>One cluster per (visit group, detector): the detector's calibrations are read once for the group's
    /// visits (OR5's detector-level clustering).</summary>
    Detector,

    /// <summary>One cluster per (visit group, visit): a visit's detectors together (calibrations of every detector read
    /// for each cluster).</summary>
    Visit,
}
