using System.Security.Cryptography;
using Inference.Streaming.Engine.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Loads the seed's directory layout. Each model is loaded on its own: a missing, truncated,
/// unsupported or checksum-mismatched file is refused by name and the others still load.
/// </summary>
public sealed class ModelDirectoryLoader(
    TorchDevice device,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<ModelOptions>? options = null
)
{
    private const string InputWeightKey = "feature_extractor.0.weight";
    private readonly long _maxFileBytes = options?.Value.MaxFileBytes ?? ModelOptions.DefaultMaxFileBytes;
    private readonly TimeSpan _loadTimeout = options?.Value.LoadTimeout ?? TimeSpan.FromSeconds(60);
    private readonly TorchScriptLoading _torchScript = options?.Value.TorchScript ?? TorchScriptLoading.Pinned;

    /// <summary>
    /// Loads every model of the directory. With <paramref name="inputWidth"/> (the stream's feature
    /// layout), a model that takes another width is refused by name: it could decide nothing.
    /// </summary>
    public ModelSet Load(string directory, long generation, int? inputWidth = null)
    {
        var models = new Dictionary<string, LoadedModel>(StringComparer.Ordinal);
        var errors = new List<ModelLoadError>();
        if (!System.IO.Directory.Exists(directory))
        {
            errors.Add(new ModelLoadError("*", directory, "model directory not found (Models:Directory / MODEL_DIR)"));
            return new ModelSet(generation, directory, models, errors);
        }

        foreach (var name in ModelNames.All)
        {
            var folder = ModelNames.FolderOf(directory, name);
            var path = FindCheckpoint(folder);
            try
            {
                var model = LoadWithinDeadline(
                    name,
                    path ?? Path.Combine(folder, ModelNames.CheckpointFile),
                    path is not null
                );
                if (inputWidth is { } width && model.Info.InputWidth != width)
                {
                    model.Dispose();
                    throw new ModelLoadException(
                        model.Info.Path,
                        $"takes {model.Info.InputWidth} inputs; the stream's feature layout "
                            + $"({ModelManifest.DefaultFeatureLayout}) has {width}"
                    );
                }

                models[name] = model;
            }
            catch (ModelLoadException ex)
            {
                errors.Add(new ModelLoadError(name, ex.Path, ex.Reason));
            }
            catch (Exception ex)
            {
                // Whatever one file does, the others still load and the process stays up.
                errors.Add(
                    new ModelLoadError(
                        name,
                        path ?? folder,
                        $"unexpected {ex.GetType().Name}: {LogText.Quote(ex.Message)}"
                    )
                );
            }
        }

        BackgroundSet? background = null;
        try
        {
            background = BackgroundSet.Load(directory);
        }
        catch (ModelLoadException ex)
        {
            errors.Add(new ModelLoadError("background", ex.Path, ex.Reason));
        }

        return new ModelSet(generation, directory, models, errors) { Background = background };
    }

    /// <summary>
    /// <see cref="LoadOne"/> on a thread of its own, refused by name when it has not finished within
    /// <c>Models:LoadTimeout</c>. A blocked open or read cannot be cancelled: the thread is left to
    /// finish on its own (a model it still loads is disposed), and nothing waits for it, so one
    /// stuck file never holds up this load or the next.
    /// </summary>
    private LoadedModel LoadWithinDeadline(string name, string path, bool exists)
    {
        var done = new TaskCompletionSource<LoadedModel>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var model = LoadOne(name, path, exists);
                if (!done.TrySetResult(model))
                {
                    model.Dispose();
                }
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = $"model-load {name}",
        };
        thread.Start();
        if (!((IAsyncResult)done.Task).AsyncWaitHandle.WaitOne(_loadTimeout) && done.TrySetCanceled())
        {
            throw new ModelLoadException(
                path,
                $"did not load within Models:LoadTimeout ({_loadTimeout.TotalSeconds:0.###} s): a file that blocks "
                    + "(a FIFO swapped in, a hung mount); the load is abandoned"
            );
        }

        return done.Task.GetAwaiter().GetResult();
    }

    /// <summary>Loads one checkpoint file as model <paramref name="name"/>; throws
    /// <see cref="ModelLoadException"/>.</summary>
    public LoadedModel LoadOne(string name, string path, bool exists = true)
    {
        if (!exists || !File.Exists(path))
        {
            throw new ModelLoadException(path, "file not found");
        }

        var length = CheckpointGuard.CheckRegular(path);
        CheckpointGuard.CheckSize(path, _maxFileBytes);
        var manifest = ModelManifest.TryRead(Path.GetDirectoryName(path)!);
        var sha256 = Sha256Of(path, length);
        if (
            manifest?.Sha256 is { Length: > 0 } expected
            && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase)
        )
        {
            throw new ModelLoadException(
                path,
                $"SHA-256 {sha256} does not match the manifest's {expected.ToLowerInvariant()}"
            );
        }

        var actionMap = manifest?.ActionMap ?? ModelManifest.DefaultActionMap;
        if (actionMap.Count != PolicyNetwork.Actions)
        {
            throw new ModelLoadException(
                path,
                $"the manifest's action_map has {actionMap.Count} entries; the policy has {PolicyNetwork.Actions} "
                    + "actions"
            );
        }

        if (CheckpointGuard.IsTorchScript(path, _maxFileBytes))
        {
            return LoadTorchScript(name, path, manifest, sha256, actionMap);
        }

        var (stateDict, format) = CheckpointReader.Read(path, _maxFileBytes);
        try
        {
            if (!stateDict.TryGetValue(InputWeightKey, out var inputWeight) || inputWeight.dim() != 2)
            {
                throw new ModelLoadException(
                    path,
                    $"no 2-D '{InputWeightKey}': not the seed's actor-critic (keys: "
                        + $"{string.Join(", ", stateDict.Keys.Take(6))})"
                );
            }

            var network = new PolicyNetwork((int)inputWeight.shape[1]);
            try
            {
                CheckKeys(path, network, stateDict);
                CheckFinite(path, stateDict);
                using (no_grad())
                {
                    network.load_state_dict(stateDict, strict: true);
                }

                network.to(device.ComputeType).to(device.Device);
                network.eval();
                var info = new ModelInfo(
                    name,
                    Path.GetFileNameWithoutExtension(path),
                    Path.GetFullPath(path),
                    time.GetUtcNow(),
                    device.Name,
                    network.ParameterCount(),
                    sha256,
                    network.InputWidth,
                    format,
                    manifest?.FeatureLayout
                        ?? (
                            network.InputWidth == 43
                                ? ModelManifest.DefaultFeatureLayout
                                : $"width-{network.InputWidth}"
                        ),
                    actionMap
                );
                return new LoadedModel(info, network, device.Device, device.ComputeType);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var tensor in stateDict.Values)
            {
                tensor.Dispose();
            }
        }
    }

    // A module written by torch.jit.save: its code and weights, under TorchScriptPolicy's contract.
    private LoadedModel LoadTorchScript(
        string name,
        string path,
        ModelManifest? manifest,
        string sha256,
        IReadOnlyList<string> actionMap
    )
    {
        if (_torchScript == TorchScriptLoading.Refused)
        {
            throw new ModelLoadException(path, "a TorchScript module, and Models:TorchScript is Refused");
        }

        if (_torchScript == TorchScriptLoading.Pinned && manifest?.Sha256 is not { Length: > 0 })
        {
            throw new ModelLoadException(
                path,
                "a TorchScript module runs the code it carries, so with Models:TorchScript Pinned (the default) it "
                    + $"loads only when manifest.json beside it names its SHA-256 ({sha256})"
            );
        }

        var logits = manifest?.Outputs switch
        {
            null or "probabilities" => false,
            "logits" => true,
            var other => throw new ModelLoadException(
                path,
                $"the manifest's outputs is '{other}'; it must be 'probabilities' or 'logits'"
            ),
        };
        var layout = manifest?.FeatureLayout ?? ModelManifest.DefaultFeatureLayout;
        if (layout != ModelManifest.DefaultFeatureLayout)
        {
            throw new ModelLoadException(
                path,
                $"the manifest's feature_layout is '{layout}'; a TorchScript module takes "
                    + $"{ModelManifest.DefaultFeatureLayout}"
            );
        }

        // The code that runs is the bytes that were hashed: read once, checked against the hash, loaded from memory.
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, "cannot be read: " + ex.Message);
        }

        if (bytes.LongLength > _maxFileBytes || Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha256)
        {
            throw new ModelLoadException(path, "changed while it was loaded; it was not run");
        }

        jit.ScriptModule module;
        try
        {
            module = jit.load(bytes);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ModelLoadException(path, "torch.jit.load refused it: " + ex.Message.Split('\n', 2)[0].TrimEnd());
        }

        var policy = new TorchScriptPolicy(module, logits, Features.Observation.Width);
        try
        {
            module.to(device.ComputeType).to(device.Device);
            if (policy.Probe(device.ComputeType, device.Device) is { } problem)
            {
                throw new ModelLoadException(path, problem);
            }

            var info = new ModelInfo(
                name,
                Path.GetFileNameWithoutExtension(path),
                Path.GetFullPath(path),
                time.GetUtcNow(),
                device.Name,
                policy.ParameterCount(),
                sha256,
                policy.InputWidth,
                CheckpointFormat.TorchScript,
                layout,
                actionMap
            );
            return new LoadedModel(info, policy, device.Device, device.ComputeType);
        }
        catch
        {
            policy.Dispose();
            throw;
        }
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The SHA-256 of a file of <paramref name="length"/> bytes, reading no more than that: a file that
    /// grows (or is swapped for a device) while it is read is refused.</summary>
    private static string Sha256Of(string path, long length)
    {
        using var stream = File.OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            total += read;
            if (total > length)
            {
                throw new ModelLoadException(path, $"changed while it was read: more than its {length:N0} bytes");
            }

            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The file a model folder is served from: <c>best_model.pth</c>, else <c>best_model.safetensors</c>,
    /// else <c>best_model.pt</c> (TorchScript); null when it has none.</summary>
    public static string? FindCheckpoint(string folder)
    {
        foreach (
            var file in new[] { ModelNames.CheckpointFile, ModelNames.SafetensorsFile, ModelNames.TorchScriptFile }
        )
        {
            var path = Path.Combine(folder, file);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    // A NaN or infinite weight makes every output NaN: refuse the file, naming the tensor.
    private static void CheckFinite(string path, Dictionary<string, Tensor> stateDict)
    {
        foreach (var (key, tensor) in stateDict.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!tensor.is_floating_point())
            {
                continue;
            }

            using var scope = NewDisposeScope();
            using var finite = isfinite(tensor).all();
            if (!finite.item<bool>())
            {
                using var bad = logical_not(isfinite(tensor)).sum();
                throw new ModelLoadException(
                    path,
                    $"'{key}' holds {bad.item<long>()} non-finite values (NaN or infinity)"
                );
            }
        }
    }

    private static void CheckKeys(string path, PolicyNetwork network, Dictionary<string, Tensor> stateDict)
    {
        var expected = network.state_dict();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var shapes = expected
            .Where(kv => stateDict.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv =>
                $"{kv.Key} [{string.Join(',', stateDict[kv.Key].shape)}] vs [{string.Join(',', kv.Value.shape)}]"
            )
            .ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
        {
            throw new ModelLoadException(
                path,
                "state_dict does not match the seed's actor-critic:"
                    + (missing.Count > 0 ? " missing " + string.Join(", ", missing) + ";" : string.Empty)
                    + (unexpected.Count > 0 ? " unexpected " + string.Join(", ", unexpected) + ";" : string.Empty)
                    + (shapes.Count > 0 ? " shape " + string.Join(", ", shapes) : string.Empty)
            );
        }
    }
}
