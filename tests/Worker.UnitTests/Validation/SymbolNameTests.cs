using Inference.Streaming.Contracts.Validation;

namespace Inference.Streaming.Worker.UnitTests.Validation;

public sealed class SymbolNameTests
{
    [Theory]
    [InlineData("AAPL", "AAPL")]
    [InlineData(" aapl ", "AAPL")]
    [InlineData("brk.b", "BRK.B")]
    [InlineData("BTC-USD", "BTC-USD")]
    [InlineData("EUR/USD", "EUR/USD")]
    [InlineData("NASDAQ:AAPL", "NASDAQ:AAPL")]
    [InlineData("A_1", "A_1")]
    [InlineData("ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRST")]
    public void ValidSymbolsAreTrimmedAndUpperCased(string given, string expected) =>
        Assert.Equal(expected, SymbolName.Normalise(given));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTU")]
    [InlineData("AA\u0001PL")]
    [InlineData("\u0000")]
    [InlineData("AA PL")]
    [InlineData("AAPL\nFORGED LOG LINE")]
    [InlineData("ıBM")]
    [InlineData("ſPY")]
    [InlineData("ÄPPLE")]
    [InlineData("AAPL;DROP")]
    [InlineData("\u202eLPAA")]
    public void AnythingElseIsRefused(string? given) => Assert.Null(SymbolName.Normalise(given));
}
