using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Inference.Streaming.Engine.Validation;

/// <summary>
/// A <see cref="TimeSpan"/> setting's inclusive bounds, in place of <c>[Range(typeof(TimeSpan), …)]</c>.
/// <see cref="RangeAttribute"/> converts string bounds on first use, without a lock: when two hosts in one process
/// validate the same options type at once (the test hosts do), one of them can read a bound the other has already
/// converted and throw <see cref="InvalidCastException"/> (dotnet/runtime#1143; a CI run once failed on it). This
/// attribute parses its bounds in the constructor and never changes them.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class TimeSpanRangeAttribute : ValidationAttribute
{
    /// <param name="minimum">The least value allowed, in the invariant culture's form (<c>00:00:00.001</c>).</param>
    /// <param name="maximum">The greatest value allowed (<c>7.00:00:00</c>).</param>
    public TimeSpanRangeAttribute(string minimum, string maximum)
        : base("The field {0} must be between {1} and {2}.")
    {
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        Maximum = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
        if (Minimum > Maximum)
        {
            throw new ArgumentException(
                $"The minimum {minimum} is greater than the maximum {maximum}.",
                nameof(minimum)
            );
        }
    }

    public TimeSpan Minimum { get; }

    public TimeSpan Maximum { get; }

    /// <summary>Null passes, as with <see cref="RangeAttribute"/>: <see cref="RequiredAttribute"/> is for that.
    /// </summary>
    public override bool IsValid(object? value) =>
        value is null || value is TimeSpan span && span >= Minimum && span <= Maximum;

    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.CurrentCulture, ErrorMessageString, name, Minimum, Maximum);
}
