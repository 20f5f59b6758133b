using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Interop;

namespace Inference.Streaming.Worker.IntegrationTests.Deployment;

/// <summary>
/// The Kubernetes kit (deploy/base), checked without a cluster by deploy/validate.mjs against the Kubernetes and
/// KEDA schemas and the worker's own settings. The check must be able to fail: each broken copy of the base fails
/// with a line that names the file, the field and the problem.
/// </summary>
public sealed class KubernetesManifestTests
{
    private const string ServiceName = "  serviceName: inference-worker\n";
    private const string ApiSelector = "    app.kubernetes.io/component: worker\n  ports:";
    private const string NoSelector = "    app.kubernetes.io/component: api\n  ports:";
    private const string CpuLimit = "            limits:\n              cpu: \"2\"\n";

    private static readonly string Deploy = Path.Combine(TestPaths.RepositoryRoot, "deploy");

    [SkippableFact]
    public async Task TheBaseValidates()
    {
        var node = Node();

        var (code, stdout, stderr) = await ValidateAsync(node, Path.Combine(Deploy, "base"));

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("6 objects valid", stdout, StringComparison.Ordinal);
        Assert.Contains("Secret/inference-api", stdout, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("misspelled field", "statefulset.yaml", "spec.replicass", "unknown field")]
    [InlineData("wrong type", "statefulset.yaml", "spec.replicas", "must be integer")]
    [InlineData("selector matching nothing", "service-api.yaml", "spec.selector", "matches no pod")]
    [InlineData("unknown kind", "poddisruptionbudget.yaml", "kind", "unknown kind \"PodDisruptionBuget\"")]
    [InlineData("probe path", "statefulset.yaml", "readinessProbe.httpGet.path", "must be /health/ready")]
    [InlineData("grace period", "statefulset.yaml", "terminationGracePeriodSeconds", "ShutdownTimeout of 10 s")]
    [InlineData("CPU limit", "statefulset.yaml", "resources.limits.cpu", "no CPU limit")]
    [InlineData("instance id", "statefulset.yaml", "env[0]", "Kafka__InstanceId must come from the pod name")]
    [InlineData("scale target", "scaledobject.yaml", "spec.scaleTargetRef", "not the StatefulSet inference-worker")]
    [InlineData("too many replicas", "scaledobject.yaml", "spec.maxReplicaCount", "above the 6 partitions")]
    [InlineData("unlisted file", "poddisruptionbudget.yaml", "not listed in kustomization.yaml", "never applied")]
    public async Task EachBrokenCopyFailsNamingTheProblem(string variant, string file, string field, string words)
    {
        var node = Node();
        var (broken, find, replace) = Breakage(variant);
        var copy = Directory.CreateTempSubdirectory("deploy-base-").FullName;
        try
        {
            foreach (var source in Directory.GetFiles(Path.Combine(Deploy, "base")))
            {
                File.Copy(source, Path.Combine(copy, Path.GetFileName(source)));
            }

            var target = Path.Combine(copy, broken);
            var text = await File.ReadAllTextAsync(target);
            var at = text.IndexOf(find, StringComparison.Ordinal);
            // The base still holds what the variant breaks, once: else the variant would test nothing.
            Assert.True(at >= 0 && at == text.LastIndexOf(find, StringComparison.Ordinal), $"{broken}: {find}");
            await File.WriteAllTextAsync(target, text.Replace(find, replace, StringComparison.Ordinal));

            var (code, stdout, stderr) = await ValidateAsync(node, copy);

            Assert.True(code == 1, $"exit code {code}: {stdout}{stderr}");
            var named = stderr.Split('\n').Any(line => Names(line, file, field, words));
            Assert.True(named, $"no line names {file}, {field} and '{words}':\n{stderr}");
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Which file of the base a variant changes, and how.</summary>
    private static (string File, string Find, string Replace) Breakage(string variant) =>
        variant switch
        {
            "misspelled field" => ("statefulset.yaml", ServiceName, ServiceName + "  replicass: 3\n"),
            "wrong type" => ("statefulset.yaml", ServiceName, ServiceName + "  replicas: \"three\"\n"),
            "selector matching nothing" => ("service-api.yaml", ApiSelector, NoSelector),
            "unknown kind" => ("poddisruptionbudget.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBuget"),
            "probe path" => ("statefulset.yaml", "path: /health/ready", "path: /healthz"),
            "grace period" => ("statefulset.yaml", "GracePeriodSeconds: 30", "GracePeriodSeconds: 10"),
            "CPU limit" => ("statefulset.yaml", "            limits:\n", CpuLimit),
            "instance id" => ("statefulset.yaml", "fieldPath: metadata.name", "fieldPath: metadata.uid"),
            "scale target" => ("scaledobject.yaml", "    name: inference-worker\n", "    name: inference-workers\n"),
            "too many replicas" => ("scaledobject.yaml", "maxReplicaCount: 6", "maxReplicaCount: 12"),
            "unlisted file" => ("kustomization.yaml", "  - poddisruptionbudget.yaml\n", ""),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "no such variant"),
        };

    /// <summary>A line of the validator's report that names the file, the field and the problem.</summary>
    private static bool Names(string line, string file, string field, string words)
    {
        var inFile = line.Contains(file + ": ", StringComparison.Ordinal);
        var atField = line.Contains(field, StringComparison.Ordinal);
        return inFile && atField && line.Contains(words, StringComparison.Ordinal);
    }

    /// <summary>Node, with the validator's npm packages where DEPLOY_VALIDATOR_MODULES says; skips without
    /// either.</summary>
    private static string Node()
    {
        var node = ExternalTool.OnPath("node");
        Skip.If(node is null, "node is not installed (Debian's npm brings it; .ci/run installs npm)");
        var modules = Environment.GetEnvironmentVariable("DEPLOY_VALIDATOR_MODULES");
        Skip.If(
            modules is not { Length: > 0 } || !Directory.Exists(modules),
            "the manifest validator's npm packages are not installed (kubernetes-models, @kubernetes-models/keda, "
                + "yaml; .ci/run installs them and sets DEPLOY_VALIDATOR_MODULES)"
        );
        return node!;
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> ValidateAsync(string node, string folder)
    {
        var script = Path.Combine(Deploy, "validate.mjs");
        return ExternalTool.RunAsync(node, [script, folder], TimeSpan.FromSeconds(60));
    }
}
