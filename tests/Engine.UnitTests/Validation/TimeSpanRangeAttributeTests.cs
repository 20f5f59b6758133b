using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Engine.UnitTests.Validation;

public sealed class TimeSpanRangeAttributeTests
{
    private sealed class Settings
    {
        [TimeSpanRange("00:00:00.010", "00:10:00", ErrorMessage = "Interval must be between 10 ms and 10 minutes.")]
        public TimeSpan Interval { get; set; }

        [TimeSpanRange("00:00:01", "1.00:00:00")]
        public TimeSpan? Optional { get; set; }
    }

    [Theory]
    [InlineData("00:00:00.010", true)]
    [InlineData("00:10:00", true)]
    [InlineData("00:00:01", true)]
    [InlineData("00:00:00.009", false)]
    [InlineData("00:10:00.001", false)]
    [InlineData("-00:00:01", false)]
    public void BothBoundsAreInclusive(string interval, bool valid)
    {
        var settings = new Settings
        {
            Interval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture),
        };
        var results = new List<ValidationResult>();

        var ok = Validator.TryValidateObject(
            settings,
            new ValidationContext(settings),
            results,
            validateAllProperties: true
        );

        Assert.Equal(valid, ok);
        if (!valid)
        {
            Assert.Equal("Interval must be between 10 ms and 10 minutes.", Assert.Single(results).ErrorMessage);
        }
    }

    [Fact]
    public void WithoutAMessageItNamesTheFieldAndBothBounds()
    {
        var attribute = new TimeSpanRangeAttribute("00:00:01", "1.00:00:00");

        Assert.False(attribute.IsValid(TimeSpan.Zero));
        Assert.True(attribute.IsValid(null));
        Assert.False(attribute.IsValid("00:00:05"));
        Assert.Equal(
            "The field Optional must be between 00:00:01 and 1.00:00:00.",
            attribute.FormatErrorMessage("Optional")
        );
    }

    [Fact]
    public void BoundsThatDoNotParseOrAreReversedAreRefusedWhereTheyAreWritten()
    {
        Assert.Throws<FormatException>(() => new TimeSpanRangeAttribute("soon", "01:00:00"));
        Assert.Throws<ArgumentException>(() => new TimeSpanRangeAttribute("01:00:00", "00:00:01"));
    }

    /// <summary>
    /// The race <see cref="RangeAttribute"/> with string bounds has: two threads, released together by a barrier,
    /// validate with each fresh attribute's first use. With <c>RangeAttribute(typeof(TimeSpan), …)</c> in its place,
    /// 100,000 rounds threw InvalidCastException 147 to 4,427 times in each of five runs on a two-core machine.
    /// </summary>
    [Fact]
    public void AFreshAttributeValidatedFromTwoThreadsAtOnceNeverThrows()
    {
        const int Rounds = 100_000;
        var attributes = Enumerable
            .Range(0, Rounds)
            .Select(_ => new TimeSpanRangeAttribute("00:00:00", "01:00:00"))
            .ToArray();
        var (failures, exceptions) = (0, 0);
        using var barrier = new Barrier(2);

        void Validate()
        {
            foreach (var attribute in attributes)
            {
                barrier.SignalAndWait();
                try
                {
                    if (!attribute.IsValid(TimeSpan.FromMinutes(1)))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (InvalidCastException)
                {
                    Interlocked.Increment(ref exceptions);
                }
            }
        }

        var threads = new[] { new Thread(Validate), new Thread(Validate) };
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal((0, 0), (failures, exceptions));
    }
}
