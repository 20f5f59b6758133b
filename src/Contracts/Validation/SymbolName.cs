namespace Inference.Streaming.Contracts.Validation;

/// <summary>
/// The one symbol rule, the same on every topic and in predict: after trimming and upper-casing,
/// 1–20 characters of <c>A–Z 0–9 . - _ / :</c> (tickers such as <c>BRK.B</c>, <c>BTC-USD</c>,
/// <c>EUR/USD</c>, <c>NASDAQ:AAPL</c>). Anything else, control characters included, is refused.
/// </summary>
public static class SymbolName
{
    public const int MaxLength = 20;

    /// <summary>The rule as a sentence, for error messages and documentation.</summary>
    public const string Rule = "1–20 characters of A–Z, 0–9, '.', '-', '_', '/' or ':' (case-insensitive)";

    /// <summary>The normalised symbol, or null when <paramref name="symbol"/> breaks the rule.</summary>
    public static string? Normalise(string? symbol)
    {
        var trimmed = symbol.AsSpan().Trim();
        if (trimmed.IsEmpty || trimmed.Length > MaxLength)
        {
            return null;
        }

        Span<char> upper = stackalloc char[trimmed.Length];
        for (var i = 0; i < trimmed.Length; i++)
        {
            // ASCII only: some non-ASCII letters upper-case to ASCII ones ('ı' to 'I', 'ſ' to 'S').
            var c = char.IsAscii(trimmed[i]) ? char.ToUpperInvariant(trimmed[i]) : '\0';
            if (c is not ((>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '-' or '_' or '/' or ':'))
            {
                return null;
            }

            upper[i] = c;
        }

        return new string(upper);
    }
}
