using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// A TorchScript module (<c>torch.jit.save</c> of a traced or scripted PyTorch module) served as a policy, whatever
/// its architecture. The contract:
/// <list type="bullet">
/// <item>input: <c>[batch, 43]</c> floating point, the observation (<see cref="Features.Observation"/>);</item>
/// <item>output: action probabilities <c>[batch, 3]</c> (HOLD, BUY, SELL), or logits when the manifest says
/// <c>"outputs": "logits"</c> (a softmax makes them probabilities); either alone, or as the first of a tuple whose
/// second element is the value, <c>[batch]</c> or <c>[batch, 1]</c>. Without a value the value is 0.</item>
/// </list>
/// Checked at load by a probe forward on a row of zeros and on a recorded feature row (<see cref="Probe"/>), and on
/// every forward by the shapes. Rows must be scored independently of one another (no batch statistics), as every
/// policy's must: the same row gives the same decision in any batch, which replay relies on.
/// </summary>
public sealed class TorchScriptPolicy : Module<Tensor, (Tensor Probabilities, Tensor Value)>
{
    /// <summary>The observation of BTC-USD on 2020-04-16 (the daily fixture, shipped detector and models): a row of
    /// the kind the module will see, besides the zeros.</summary>
    internal static readonly float[] RecordedRow =
    [
        1.0f,
        0.0f,
        1.1594030857086182f,
        0.5083834528923035f,
        -0.00032843483495526016f,
        -0.0028074211440980434f,
        0.043303195387125015f,
        0.41088923811912537f,
        0.29224663972854614f,
        -0.02927584759891033f,
        -0.03253711014986038f,
        -0.01106695830821991f,
        0.0f,
        0.04210793972015381f,
        0.002451203763484955f,
        0.18187755346298218f,
        0.001225199899636209f,
        -0.0022120350040495396f,
        -0.057365838438272476f,
        0.10052048414945602f,
        0.0496373325586319f,
        -0.007979553192853928f,
        0.005295181646943092f,
        -0.03672214224934578f,
        -0.03517953306436539f,
        -0.05128819867968559f,
        0.08574723452329636f,
        0.0013690437190234661f,
        0.02611292339861393f,
        0.028281288221478462f,
        -0.008866740390658379f,
        0.019921643659472466f,
        -0.011124520562589169f,
        0.07077642530202866f,
        -0.013114627450704575f,
        0.021972544491291046f,
        -0.004364445805549622f,
        -0.059790585190057755f,
        -0.0009336774819530547f,
        0.016329994425177574f,
        -0.01808241941034794f,
        -0.0003812781651504338f,
        -0.02927584759891033f,
    ];

    private readonly jit.ScriptModule _module;
    private readonly bool _logits;

    /// <summary>Takes ownership of <paramref name="module"/> (already on its device and compute type).</summary>
    public TorchScriptPolicy(jit.ScriptModule module, bool logits, int inputWidth)
        : base(nameof(TorchScriptPolicy))
    {
        _module = module;
        _logits = logits;
        InputWidth = inputWidth;
        _module.eval();
    }

    public int InputWidth { get; }

    public long ParameterCount()
    {
        using var scope = NewDisposeScope();
        return _module.parameters().Sum(p => p.numel());
    }

    public override (Tensor Probabilities, Tensor Value) forward(Tensor input)
    {
        var rows = input.shape[0];
        var output = _module.call(input);
        var (first, value) = output switch
        {
            Tensor alone => (alone, null),
            (Tensor p, Tensor v) => (p, v),
            _ => throw new InvalidOperationException(
                $"the module returned {Describe(output)}; the contract is probabilities [N, 3], or a tuple of "
                    + "them and a value [N]"
            ),
        };
        if (!first.shape.SequenceEqual([rows, PolicyNetwork.Actions]))
        {
            throw new InvalidOperationException(
                $"the module's first output is [{string.Join(", ", first.shape)}] for {rows} rows; the contract is "
                    + $"[{rows}, {PolicyNetwork.Actions}] (HOLD, BUY, SELL)"
            );
        }

        if (value is not null && value.numel() != rows)
        {
            throw new InvalidOperationException(
                $"the module's value is [{string.Join(", ", value.shape)}] for {rows} rows; the contract is [{rows}] "
                    + $"or [{rows}, 1]"
            );
        }

        var probabilities = _logits ? functional.softmax(first, -1) : first;
        return (probabilities, value?.reshape(rows, 1) ?? zeros([rows, 1], first.dtype, first.device));
    }

    /// <summary>
    /// The load-time check: a forward on a row of zeros and on <see cref="RecordedRow"/> must keep the contract and
    /// give finite values, with probabilities in [0, 1] that sum to 1 (within 1e-4). Returns why not, or null.
    /// </summary>
    public string? Probe(ScalarType computeType, Device device)
    {
        try
        {
            using var scope = NewDisposeScope();
            using var guard = no_grad();
            var rows = zeros([2, InputWidth], ScalarType.Float32);
            if (InputWidth == RecordedRow.Length)
            {
                rows[1].copy_(tensor(RecordedRow));
            }

            var (p, v) = forward(rows.to(computeType).to(device));
            var probabilities = p.cpu().to(ScalarType.Float64).data<double>().ToArray();
            var values = v.cpu().to(ScalarType.Float64).data<double>().ToArray();
            if (!probabilities.Concat(values).All(double.IsFinite))
            {
                return "the probe forward (a row of zeros and a recorded feature row) gave a non-finite output";
            }

            for (var r = 0; r < 2; r++)
            {
                var row = probabilities.AsSpan(r * PolicyNetwork.Actions, PolicyNetwork.Actions);
                var sum = 0.0;
                foreach (var x in row)
                {
                    sum += x;
                }

                if (row.ToArray().Any(x => x is < 0 or > 1) || Math.Abs(sum - 1) > 1e-4)
                {
                    return $"the probe forward gave probabilities ({string.Join(", ", row.ToArray())}) that are not a "
                        + "distribution: if the module returns logits, say \"outputs\": \"logits\" in manifest.json";
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"the probe forward on [2, {InputWidth}] failed: {FirstLine(ex.Message)}";
        }
    }

    private static string Describe(object? output) =>
        output switch
        {
            null => "nothing",
            System.Runtime.CompilerServices.ITuple tuple => $"a tuple of {tuple.Length}",
            Array array => $"a list of {array.Length}",
            _ => output.GetType().Name,
        };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _module.Dispose();
        }

        base.Dispose(disposing);
    }
}
