using System.Collections;
using System.Reflection;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.UnitTests.Publishing;

/// <summary>
/// Every double and float anywhere in both output contracts is checked: each is set to NaN and to
/// an infinity in turn, and the check must name exactly that field.
/// </summary>
public sealed class FiniteCheckTests
{
    public static TheoryData<string> Contracts => [nameof(TradingDecision), nameof(DecisionForensics)];

    [Theory]
    [MemberData(nameof(Contracts))]
    public void EveryFloatingPointFieldOfTheOutputContractsIsChecked(string contract)
    {
        var record = (ISpecificRecord)Populate(
            contract == nameof(TradingDecision) ? typeof(TradingDecision) : typeof(DecisionForensics)
        );
        Assert.Null(FiniteCheck.FirstNonFinite(record));

        var fields = new List<(string Path, Action<double> Set)>();
        Collect(record, string.Empty, fields);
        // The decision alone has confidence, latency, three probabilities, entropy and three weights.
        Assert.True(fields.Count >= 9, $"only {fields.Count} floating-point fields found");

        foreach (var (path, set) in fields)
        {
            foreach (var bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                set(bad);
                Assert.Equal(path, FiniteCheck.FirstNonFinite(record));
                set(1.0);
            }
        }

        Assert.Null(FiniteCheck.FirstNonFinite(record));
    }

    private static void Collect(object owner, string path, List<(string, Action<double>)> fields)
    {
        foreach (var field in ((Avro.RecordSchema)((ISpecificRecord)owner).Schema).Fields)
        {
            var name = path.Length == 0 ? field.Name : path + "." + field.Name;
            var record = (ISpecificRecord)owner;
            var position = field.Pos;
            switch (record.Get(position))
            {
                case double:
                    fields.Add((name, v => record.Put(position, v)));
                    break;
                case float:
                    fields.Add((name, v => record.Put(position, (float)v)));
                    break;
                case ISpecificRecord nested:
                    Collect(nested, name, fields);
                    break;
                case IList list:
                    for (var i = 0; i < list.Count; i++)
                    {
                        var index = i;
                        switch (list[i])
                        {
                            case double:
                                fields.Add(($"{name}[{i}]", v => list[index] = v));
                                break;
                            case float:
                                fields.Add(($"{name}[{i}]", v => list[index] = (float)v));
                                break;
                            case ISpecificRecord item:
                                Collect(item, $"{name}[{i}]", fields);
                                break;
                        }
                    }

                    break;
            }
        }
    }

    // Every field set, nullable ones included, and every list with three elements (so that an index past the
    // first is named too).
    private static object Populate(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(double))
        {
            return 1.0;
        }
        if (type == typeof(float))
        {
            return 1f;
        }
        if (type == typeof(string))
        {
            return "x";
        }
        if (type == typeof(long))
        {
            return 1L;
        }
        if (type == typeof(int))
        {
            return 1;
        }
        if (type == typeof(bool))
        {
            return true;
        }
        if (type == typeof(DateTime))
        {
            return DateTime.UnixEpoch;
        }
        if (type.IsEnum)
        {
            return Enum.GetValues(type).GetValue(0)!;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>))
        {
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(type.GetGenericArguments()[0]))!;
            for (var i = 0; i < 3; i++)
            {
                list.Add(Populate(type.GetGenericArguments()[0]));
            }

            return list;
        }

        var instance = Activator.CreateInstance(type)!;
        foreach (
            var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.DeclaringType == type)
        )
        {
            property.SetValue(instance, Populate(property.PropertyType));
        }

        return instance;
    }
}
