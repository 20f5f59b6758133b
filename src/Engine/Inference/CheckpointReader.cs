using System.Collections;
using System.Text;
using Inference.Streaming.Engine.Diagnostics;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Reads a checkpoint's tensors by content, not by file name: a zip written by <c>torch.save</c>
/// (a bare state_dict, or the seed trainer's dict with <c>policy_state_dict</c>), or safetensors.
/// Parsing is TorchSharp.PyBridge's; this class only tells the formats apart and names failures.
/// </summary>
public static class CheckpointReader
{
    private const string PolicyKey = "policy_state_dict";

    /// <summary>
    /// Reads the policy's state_dict; the caller owns (disposes) the returned tensors. The file's
    /// structure is checked first (<see cref="CheckpointGuard"/>), so no length written in it can
    /// make the parser allocate more than <paramref name="maxFileBytes"/>.
    /// </summary>
    public static (Dictionary<string, Tensor> StateDict, CheckpointFormat Format) Read(
        string path,
        long maxFileBytes = ModelOptions.DefaultMaxFileBytes
    )
    {
        byte[] header = new byte[16];
        int headerLength;
        try
        {
            using var probe = File.OpenRead(path);
            headerLength = probe.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(
                path,
                ex is FileNotFoundException or DirectoryNotFoundException
                    ? "file not found"
                    : "cannot be read: " + ex.Message,
                ex
            );
        }

        if (headerLength == 0)
        {
            throw new ModelLoadException(path, "the file is empty");
        }

        CheckpointGuard.CheckSize(path, maxFileBytes);

        try
        {
            if (headerLength >= 4 && header[0] == 0x50 && header[1] == 0x4B && header[2] == 0x03 && header[3] == 0x04)
            {
                CheckpointGuard.CheckTorchZip(path, maxFileBytes);
                return ReadTorchZip(path);
            }

            if (headerLength >= 9 && header[8] == (byte)'{')
            {
                CheckpointGuard.CheckSafetensors(path);
                return (Safetensors.LoadStateDict(path), CheckpointFormat.Safetensors);
            }
        }
        catch (ModelLoadException)
        {
            throw;
        }
        catch (Exception ex)
        {
            // OutOfMemoryException included: an allocation the guard did not foresee refuses this file
            // and leaves the process and the other models alone.
            throw new ModelLoadException(
                path,
                $"not a readable checkpoint (truncated or corrupt?): {ex.GetType().Name}: {LogText.Quote(ex.Message)}",
                ex
            );
        }

        var legacy = headerLength >= 2 && header[0] == 0x80;
        throw new ModelLoadException(
            path,
            legacy
                ? "legacy (pre-1.6) torch.save format; re-save with a current PyTorch"
                : "unsupported format (expected a torch.save zip or safetensors; starts with "
                    + $"'{Printable(header.AsSpan(0, headerLength))}')"
        );
    }

    private static (Dictionary<string, Tensor>, CheckpointFormat) ReadTorchZip(string path)
    {
        using var stream = File.OpenRead(path);
        var root = PyTorchUnpickler.UnpickleStateDict(stream);
        if (root[PolicyKey] is Hashtable policy)
        {
            // Optimizer state and training metadata beside the policy are not needed for inference.
            return (ToStateDict(path, policy), CheckpointFormat.TorchTrainingCheckpoint);
        }

        return (ToStateDict(path, root), CheckpointFormat.TorchStateDict);
    }

    private static Dictionary<string, Tensor> ToStateDict(string path, Hashtable table)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key && entry.Value is Tensor tensor)
            {
                result[key] = tensor;
            }
        }

        return result.Count > 0
            ? result
            : throw new ModelLoadException(
                path,
                "the checkpoint holds no tensors (neither a state_dict nor a dict with 'policy_state_dict')"
            );
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 8)])
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }

        return text.ToString();
    }
}
