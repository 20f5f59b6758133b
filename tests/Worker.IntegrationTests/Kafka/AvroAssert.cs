using System.Collections;
using Avro.Specific;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>Field-by-field equality of Avro records, walking nested records, arrays and maps.</summary>
internal static class AvroAssert
{
    public static void Equal(ISpecificRecord expected, ISpecificRecord actual) =>
        Compare(expected, actual, expected.Schema.Name);

    private static void Compare(object? expected, object? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected null, got {actual}");
                break;
            case ISpecificRecord record:
                var other = Assert.IsAssignableFrom<ISpecificRecord>(actual);
                var schema = (Avro.RecordSchema)record.Schema;
                foreach (var field in schema.Fields)
                {
                    Compare(record.Get(field.Pos), other.Get(field.Pos), $"{path}.{field.Name}");
                }

                break;
            case string or byte[]:
                Assert.Equal(expected, actual);
                break;
            case IDictionary map:
                var otherMap = Assert.IsAssignableFrom<IDictionary>(actual);
                Assert.Equal(map.Count, otherMap.Count);
                foreach (DictionaryEntry entry in map)
                {
                    Compare(entry.Value, otherMap[entry.Key], $"{path}[{entry.Key}]");
                }

                break;
            case IEnumerable sequence:
                var left = sequence.Cast<object?>().ToList();
                var right = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
                Assert.True(left.Count == right.Count, $"{path}: expected {left.Count} items, got {right.Count}");
                for (var i = 0; i < left.Count; i++)
                {
                    Compare(left[i], right[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
                break;
        }
    }
}
