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

    [Fact]
    public void Values_out_of_range_are_named_by_their_setting_not_a_command_line_option()
    {
        Assert.Equal("PipelineConfig.Threads must be >= 1 (is 0)", Assert.Throws<ConfigException>(() => new PipelineConfig { Threads = 0 }.Validate()).Message);
        Assert.Equal("PipelineConfig.Until must be Isr, Characterize, Warp, PsfMatch or Coadd (is 9)",
                     Assert.Throws<ConfigException>(() => new PipelineConfig { Until = (PipelineStep)9 }.Validate()).Message);
        Assert.Equal("PipelineConfig.WarpBorder must be >= 0 (is -1)", Assert.Throws<ConfigException>(() => new PipelineConfig { WarpBorder = -1 }.Validate()).Message);
    }
}
