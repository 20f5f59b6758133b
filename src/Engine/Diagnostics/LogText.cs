using System.Text;

namespace Inference.Streaming.Engine.Diagnostics;

/// <summary>
/// Quotes input (symbols, details, exception messages about records) for a log line or a header:
/// at most <see cref="MaxLength"/> characters, control characters escaped, so that a hostile
/// record can neither flood the log nor forge lines in it.
/// </summary>
public static class LogText
{
    public const int MaxLength = 200;

    public static string Quote(string? text, int maxLength = MaxLength)
    {
        if (text is null)
        {
            return "(null)";
        }

        var clean = true;
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                clean = false;
                break;
            }
        }

        if (clean && text.Length <= maxLength)
        {
            return text;
        }

        var quoted = new StringBuilder(Math.Min(text.Length, maxLength) + 32);
        var used = 0;
        foreach (var c in text)
        {
            if (quoted.Length >= maxLength)
            {
                break;
            }

            used++;

            if (char.IsControl(c))
            {
                quoted.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                quoted.Append(c);
            }
        }

        if (used < text.Length)
        {
            quoted.Append(System.Globalization.CultureInfo.InvariantCulture, $"… ({text.Length:N0} chars)");
        }

        return quoted.ToString();
    }
}
