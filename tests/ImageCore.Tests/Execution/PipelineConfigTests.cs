using ImageCore.Execution;

namespace ImageCore.Tests.Execution;

public class PipelineConfigTests
{
    [Fact]
    public void A_null_step_section_is_named()
    {
        Assert.Equal("PipelineConfig.Isr is null; it must be a section (leave it out for the defaults)",
                     Assert.Throws<ConfigException>(() => (new PipelineConfig() with { Isr = null! }).Validate()).Message);
        Assert.Contains("PipelineConfig.Warp", Assert.Throws<ConfigException>(() => (new PipelineConfig() with { Warp = null! }).Validate()).Message);
        Assert.Contains("PipelineConfig.Coadd", Assert.Throws<ConfigException>(() => (new PipelineConfig() with { Coadd = null! }).Validate()).Message);
    }
}
