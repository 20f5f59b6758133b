using System.Collections;
using Avro.Specific;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Finds a NaN or infinite number anywhere in an Avro record (fields, nested records, arrays and
/// maps), so that no published record carries one: the order router and pandas would read it.
/// </summary>
public static class FiniteCheck
{
    /// <summary>The path of the first non-finite number (e.g. <c>decision.confidence</c>), or null.</summary>
    public static string? FirstNonFinite(ISpecificRecord record, string path = "")
    {
        var fields = ((Avro.RecordSchema)record.Schema).Fields;
        foreach (var field in fields)
        {
            if (
                FirstNonFinite(record.Get(field.Pos), path.Length == 0 ? field.Name : path + "." + field.Name) is
                { } found
            )
            {
                return found;
            }
        }

        return null;
    }

    private static string? FirstNonFinite(object? value, string path) =>
        value switch
        {
            double d => double.IsFinite(d) ? null : path,
            float f => float.IsFinite(f) ? null : path,
            ISpecificRecord nested => FirstNonFinite(nested, path),
            IDictionary map => FirstInDictionary(map, path),
            IList list and not byte[] => FirstInList(list, path),
            _ => null,
        };

    private static string? FirstInList(IList list, string path)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (FirstNonFinite(list[i], $"{path}[{i}]") is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string? FirstInDictionary(IDictionary map, string path)
    {
        foreach (DictionaryEntry entry in map)
        {
            if (FirstNonFinite(entry.Value, $"{path}[{entry.Key}]") is { } found)
            {
                return found;
            }
        }

        return null;
    }
}
