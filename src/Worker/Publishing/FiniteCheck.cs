using System.Collections;
using System.Globalization;
using System.Numerics;
using Avro.Specific;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Finds a NaN or infinite number anywhere in an Avro record (fields, nested records, arrays and
/// maps), so that no published record carries one: the order router and pandas would read it.
/// It runs on every published record, so it builds no path while all is finite (only for the number it
/// names), and reads lists of floats and doubles without boxing.
/// </summary>
public static class FiniteCheck
{
    /// <summary>The path of the first non-finite number (e.g. <c>decision.confidence</c>), or null.</summary>
    public static string? FirstNonFinite(ISpecificRecord record, string path = "") =>
        InRecord(record) is { } found ? (path.Length == 0 ? found : Child(path, found)) : null;

    // Each returns the path of the first non-finite number below its value, relative to it ("" for the value
    // itself), or null.
    private static string? Below(object? value) =>
        value switch
        {
            // The commonest fields first, so they pass without the interface checks below.
            null or string or long or int or bool or DateTime => null,
            double d => double.IsFinite(d) ? null : "",
            float f => float.IsFinite(f) ? null : "",
            ISpecificRecord nested => InRecord(nested),
            IDictionary map => InDictionary(map),
            List<float> floats => At(FirstNonFinite(floats)),
            List<double> doubles => At(FirstNonFinite(doubles)),
            IList list and not byte[] => InList(list),
            _ => null,
        };

    private static string? InRecord(ISpecificRecord record)
    {
        foreach (var field in ((Avro.RecordSchema)record.Schema).Fields)
        {
            if (Below(record.Get(field.Pos)) is { } found)
            {
                return Child(field.Name, found);
            }
        }

        return null;
    }

    private static int FirstNonFinite<T>(List<T> values)
        where T : IFloatingPointIeee754<T>
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values);
        for (var i = 0; i < span.Length; i++)
        {
            if (!T.IsFinite(span[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string? At(int index) => index < 0 ? null : Index(index);

    private static string? InList(IList list)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (Below(list[i]) is { } found)
            {
                return Index(i) + Separated(found);
            }
        }

        return null;
    }

    private static string? InDictionary(IDictionary map)
    {
        foreach (DictionaryEntry entry in map)
        {
            if (Below(entry.Value) is { } found)
            {
                return Index(entry.Key) + Separated(found);
            }
        }

        return null;
    }

    private static string Index(object key) => string.Create(CultureInfo.InvariantCulture, $"[{key}]");

    private static string Child(string name, string found) => name + Separated(found);

    // A field below is joined with a dot, an element with its index alone.
    private static string Separated(string found) => found.Length == 0 || found[0] == '[' ? found : "." + found;
}
