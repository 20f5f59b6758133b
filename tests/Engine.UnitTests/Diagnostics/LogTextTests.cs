using Inference.Streaming.Engine.Diagnostics;

namespace Inference.Streaming.Engine.UnitTests.Diagnostics;

public sealed class LogTextTests
{
    [Fact]
    public void ShortCleanTextIsUnchanged() => Assert.Equal("AAPL price 1.5", LogText.Quote("AAPL price 1.5"));

    [Fact]
    public void A900KilobyteInputBecomesAShortLine()
    {
        var quoted = LogText.Quote(new string('X', 900_000));

        Assert.True(quoted.Length < LogText.MaxLength + 40, $"{quoted.Length} characters");
        Assert.EndsWith("(900,000 chars)", quoted, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlCharactersCannotForgeLogLines()
    {
        var quoted = LogText.Quote("AAPL\r\nfail: forged entry\u0000");

        Assert.DoesNotContain('\n', quoted);
        Assert.DoesNotContain('\r', quoted);
        Assert.DoesNotContain('\0', quoted);
        Assert.Contains("\\u000a", quoted, StringComparison.Ordinal);
    }
}
