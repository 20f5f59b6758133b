#!/usr/bin/env node
// Offline check of the Kubernetes kit (deploy/README.md, "Validating"): no cluster, no renderer.
//
//   node deploy/validate.mjs [BASE_DIR]        (BASE_DIR: deploy/base by default)
//
// 1. BASE_DIR/kustomization.yaml lists every YAML file of the folder and nothing else, and uses
//    no kustomize feature that would make the applied objects differ from the files.
// 2. Every object is validated against the schema of its apiVersion and kind: Kubernetes's
//    OpenAPI schemas (npm kubernetes-models) and KEDA's CRDs (npm @kubernetes-models/keda). A kind
//    neither package knows fails. Their validators accept fields they have no schema for, so a
//    field is also checked to be known: one whose value the schema does not constrain at all is
//    reported as unknown (a misspelling such as `replicass`).
// 3. Cross-references and the worker's own settings (src/Worker): selectors against the pod
//    labels, ports, probes, the ConfigMap and Secret references, the ScaledObject's target, topic,
//    consumer group and partition count, the grace period against the host's shutdown timeout.
//
// Exit code 0 when everything holds, 1 with one line per problem (file and field) on stderr, 2
// when the packages cannot be loaded. The packages come from DEPLOY_VALIDATOR_MODULES (a
// node_modules folder; .ci/run installs it) or else from Node's usual resolution (NODE_PATH).

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, "..");
const baseDir = path.resolve(process.argv[2] ?? path.join(here, "base"));

const HEALTH_LIVE = "/health/live";
const HEALTH_READY = "/health/ready";
const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "metadata", "resources", "namespace", "images"]);
const MODEL_PACKAGES = ["kubernetes-models", "@kubernetes-models/keda"];
const WORKLOAD_NAME = "inference-worker";

// ---------------------------------------------------------------------------------------------
// Packages

function loadPackages() {
    const modules = process.env.DEPLOY_VALIDATOR_MODULES;
    const require = modules
        ? createRequire(path.join(path.resolve(modules), "validate.cjs"))
        : createRequire(import.meta.url);
    try {
        // One kind of each package, so that a missing package is not reported as unknown kinds.
        require("kubernetes-models/v1/ConfigMap");
        require("@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject");
        return { require, YAML: require("yaml") };
    } catch (error) {
        console.error(
            "validate.mjs: cannot load the npm packages kubernetes-models, @kubernetes-models/keda and yaml " +
                `(${error.message.split("\n")[0]}). Set DEPLOY_VALIDATOR_MODULES to the node_modules folder ` +
                'that holds them (.ci/run installs them; deploy/README.md, "Validating").',
        );
        process.exit(2);
    }
}

const { require, YAML } = loadPackages();

/** The model class of apiVersion/kind, or null when no package has that kind. */
function modelFor(apiVersion, kind) {
    if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
    if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return null;
    for (const pkg of MODEL_PACKAGES) {
        const specifier = `${pkg}/${apiVersion}/${kind}`;
        let module;
        try {
            module = require(specifier);
        } catch (error) {
            const missing =
                error.code === "MODULE_NOT_FOUND" || error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED";
            if (missing && error.message.includes(`${apiVersion}/${kind}`)) continue; // this kind, not a dependency
            throw error;
        }
        const Model = module[kind];
        // Only top-level kinds carry apiVersion and kind (not e.g. v1/PodSpec).
        if (typeof Model === "function" && Model.apiVersion === apiVersion && Model.kind === kind)
            return Model;
    }
    return null;
}

function schemaErrors(Model, object) {
    try {
        new Model(object).validate();
        return [];
    } catch (error) {
        if (Array.isArray(error.errors)) return error.errors;
        throw error;
    }
}

// ---------------------------------------------------------------------------------------------
// Reporting

const problems = [];
const show = (file) => {
    const relative = path.relative(process.cwd(), file);
    return relative.startsWith("..") ? file : relative;
};
const problem = (file, field, message) =>
    problems.push(`${show(file)}: ${field ? `${field}: ` : ""}${message}`);

/** spec.template.spec.containers[0].env[2] from an object and a JSON pointer. */
function fieldName(root, pointer) {
    let name = "";
    let node = root;
    for (const raw of pointer.split("/").slice(1)) {
        const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (Array.isArray(node)) name += `[${key}]`;
        else
            name += /^[A-Za-z_$][\w$-]*$/.test(key) ? `${name ? "." : ""}${key}` : `[${JSON.stringify(key)}]`;
        node = node?.[key];
    }
    return name;
}

const pointerKey = (key) => String(key).replace(/~/g, "~0").replace(/\//g, "~1");

// ---------------------------------------------------------------------------------------------
// Schema checks

/** Fields whose value the schema does not constrain: no schema knows them. */
function unknownFields(Model, root) {
    const probe = Symbol("probe"); // a value of no JSON type: any typed schema refuses it
    const unknown = [];
    const walk = (node, pointer) => {
        if (Array.isArray(node)) {
            node.forEach((item, index) => walk(item, `${pointer}/${index}`));
            return;
        }
        if (node === null || typeof node !== "object") return;
        for (const key of Object.keys(node)) {
            const at = `${pointer}/${pointerKey(key)}`;
            const saved = node[key];
            node[key] = probe;
            let constrained;
            try {
                constrained = schemaErrors(Model, root).some(
                    (e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`),
                );
            } catch {
                constrained = true; // a check ran on the value and could not take it
            } finally {
                node[key] = saved;
            }
            if (constrained) walk(saved, at);
            else unknown.push(at);
        }
    };
    walk(root, "");
    return unknown;
}

function checkSchema(file, object) {
    const Model = modelFor(object.apiVersion, object.kind);
    if (!Model) {
        problem(
            file,
            "kind",
            `unknown kind ${JSON.stringify(object.kind)} of apiVersion ${JSON.stringify(object.apiVersion)}: ` +
                "no schema for it in kubernetes-models or @kubernetes-models/keda, so it cannot be validated",
        );
        return;
    }
    const messages = new Map();
    for (const error of schemaErrors(Model, object)) {
        const field = fieldName(object, error.instancePath);
        let message = error.message ?? error.keyword;
        if (error.keyword === "required") message = `missing required field ${error.params.missingProperty}`;
        if (error.keyword === "enum")
            message += ` (${error.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")})`;
        const list = messages.get(field) ?? [];
        if (!list.includes(message)) list.push(message);
        messages.set(field, list);
    }
    for (const [field, list] of messages) problem(file, field, list.join("; "));
    for (const pointer of unknownFields(Model, object)) {
        problem(
            file,
            fieldName(object, pointer),
            `unknown field (the ${object.apiVersion} ${object.kind} schema has no such field)`,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Files

function parseYaml(file) {
    let text;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        problem(file, "", `cannot read it (${error.code ?? error.message})`);
        return [];
    }
    // YAML 1.1, as Kubernetes reads it: an unquoted yes, no, on or off is a boolean there.
    const documents = YAML.parseAllDocuments(text, { version: "1.1", uniqueKeys: true, prettyErrors: true });
    const objects = [];
    for (const document of Array.isArray(documents) ? documents : [documents]) {
        for (const issue of [...document.errors, ...document.warnings]) {
            problem(file, "", `YAML: ${issue.message.split("\n")[0].replace(/:$/, "")}`);
        }
        if (document.errors.length > 0) continue;
        const object = document.toJS();
        if (object === null || object === undefined) continue;
        if (typeof object !== "object" || Array.isArray(object)) {
            problem(file, "", "a document is not a mapping (a Kubernetes object)");
            continue;
        }
        objects.push(object);
    }
    return objects;
}

function loadKustomization() {
    const file = path.join(baseDir, "kustomization.yaml");
    if (!fs.existsSync(file)) {
        problem(file, "", "missing: the base is a kustomization");
        return [];
    }
    const [kustomization] = parseYaml(file);
    if (!kustomization) return [];
    if (
        kustomization.apiVersion !== "kustomize.config.k8s.io/v1beta1" ||
        kustomization.kind !== "Kustomization"
    ) {
        problem(file, "", "must be apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
    }
    for (const key of Object.keys(kustomization)) {
        if (!KUSTOMIZATION_KEYS.has(key)) {
            problem(
                file,
                key,
                "not allowed in the base: it would make the applied objects differ from the files this check reads " +
                    "(put patches and transformers in an overlay)",
            );
        }
    }
    const resources = Array.isArray(kustomization.resources) ? kustomization.resources : [];
    if (resources.length === 0) problem(file, "resources", "lists no file");
    const listed = [];
    resources.forEach((entry, index) => {
        const field = `resources[${index}]`;
        if (typeof entry !== "string" || entry.includes("/") || !/\.ya?ml$/.test(entry)) {
            problem(file, field, `${JSON.stringify(entry)}: must name a YAML file in this folder`);
        } else if (listed.includes(entry)) {
            problem(file, field, `${entry} is listed twice`);
        } else if (!fs.existsSync(path.join(baseDir, entry))) {
            problem(file, field, `${entry} does not exist`);
        } else {
            listed.push(entry);
        }
    });
    for (const name of fs.readdirSync(baseDir).sort()) {
        if (/\.ya?ml$/.test(name) && name !== "kustomization.yaml" && !listed.includes(name)) {
            problem(
                path.join(baseDir, name),
                "",
                "not listed in kustomization.yaml resources, so never applied",
            );
        }
    }
    return listed.map((name) => path.join(baseDir, name));
}

// ---------------------------------------------------------------------------------------------
// The worker's own settings

function readJson(file) {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        problem(file, "", `cannot read the worker's settings (${error.message})`);
        return {};
    }
}

/** A setting by its path, case-insensitive as .NET configuration is. */
function lookup(settings, keys) {
    let node = settings;
    for (const key of keys) {
        if (node === null || typeof node !== "object") return undefined;
        const match = Object.keys(node).find((k) => k.toLowerCase() === key.toLowerCase());
        node = match === undefined ? undefined : node[match];
    }
    return node;
}

function shutdownTimeoutSeconds() {
    const file = path.join(repository, "src", "Worker", "Hosting", "WorkerHostExtensions.cs");
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    const match = /ShutdownTimeout\s*=\s*TimeSpan\.FromSeconds\(\s*(\d+(?:\.\d+)?)\s*\)/.exec(text);
    if (!match) {
        problem(
            file,
            "",
            "cannot find the host's ShutdownTimeout = TimeSpan.FromSeconds(N) to check the grace period against",
        );
        return null;
    }
    return Number(match[1]);
}

// ---------------------------------------------------------------------------------------------
// Cross-references

function labelsMatch(selector, labels) {
    const matchLabels = selector?.matchLabels ?? {};
    for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== value) return false;
    for (const expression of selector?.matchExpressions ?? []) {
        const has = Object.hasOwn(labels, expression.key);
        const inValues = has && (expression.values ?? []).includes(labels[expression.key]);
        const ok = { In: inValues, NotIn: !inValues, Exists: has, DoesNotExist: !has }[expression.operator];
        if (!ok) return false;
    }
    return Object.keys(matchLabels).length + (selector?.matchExpressions?.length ?? 0) > 0;
}

const describeLabels = (labels) => JSON.stringify(labels ?? {});

function quantity(text) {
    const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(text ?? ""));
    if (!match) return NaN;
    const units = {
        "": 1,
        m: 1e-3,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
    };
    return match[2] in units ? Number(match[1]) * units[match[2]] : NaN;
}

function checkCrossReferences(objects, settings) {
    const of = (kind) => objects.filter((o) => o.object.kind === kind);
    const workloads = of("StatefulSet");
    const workload = workloads.find((w) => w.object.metadata?.name === WORKLOAD_NAME);
    const configMaps = new Map(of("ConfigMap").map((c) => [c.object.metadata?.name, c.object]));

    const seen = new Set();
    for (const { file, object } of objects) {
        const id = `${object.kind}/${object.metadata?.name}`;
        if (seen.has(id)) problem(file, "metadata.name", `${id} is defined twice`);
        seen.add(id);
        if (object.kind === "Secret") {
            problem(
                file,
                "kind",
                "a Secret in the kustomization commits its value: create it with kubectl (secret.example.yaml)",
            );
        }
    }
    for (const [kind, name] of [
        ["StatefulSet", WORKLOAD_NAME],
        ["Service", "inference-api"],
        ["PodDisruptionBudget", null],
        ["ScaledObject", null],
    ]) {
        if (!of(kind).some((o) => name === null || o.object.metadata?.name === name)) {
            problem(
                path.join(baseDir, "kustomization.yaml"),
                "resources",
                `no ${kind}${name ? ` named ${name}` : ""} in the kit`,
            );
        }
    }
    if (!workload) return {};

    const { file: stsFile, object: sts } = workload;
    const podLabels = sts.spec?.template?.metadata?.labels ?? {};
    const podSpec = sts.spec?.template?.spec ?? {};
    const field = (suffix) => `spec.template.spec.${suffix}`;
    if (!labelsMatch(sts.spec?.selector, podLabels)) {
        problem(
            stsFile,
            "spec.selector",
            `does not select the pod template's labels ${describeLabels(podLabels)}`,
        );
    }
    if (Object.hasOwn(sts.spec ?? {}, "replicas")) {
        problem(
            stsFile,
            "spec.replicas",
            "leave it out: the ScaledObject's HorizontalPodAutoscaler owns the count, " +
                "and every kubectl apply would reset it",
        );
    }

    // The container and its ports.
    const containers = podSpec.containers ?? [];
    const index = Math.max(
        0,
        containers.findIndex((c) => c.name === "worker"),
    );
    const container = containers[index] ?? {};
    const at = (suffix) => field(`containers[${index}].${suffix}`);
    const ports = container.ports ?? [];
    const http = ports.find((p) => p.name === "http");
    if (!http) problem(stsFile, at("ports"), "no port named http");
    const portOf = (port) => ports.find((p) => p.name === port || p.containerPort === port);

    // Environment.
    const env = container.env ?? [];
    const envByName = new Map();
    env.forEach((variable, i) => {
        if (envByName.has(variable.name)) problem(stsFile, at(`env[${i}]`), `${variable.name} is set twice`);
        envByName.set(variable.name, { variable, i });
    });
    const envField = (name) => at(envByName.has(name) ? `env[${envByName.get(name).i}]` : "env");
    const fromConfigMap = (name) => {
        const ref = envByName.get(name)?.variable.valueFrom?.configMapKeyRef;
        if (!ref) return undefined;
        return configMaps.get(ref.name)?.data?.[ref.key];
    };
    const settingValue = (keys) => {
        const name = keys.join("__");
        const entry = envByName.get(name)?.variable;
        if (entry && Object.hasOwn(entry, "value")) return entry.value;
        const mapped = fromConfigMap(name);
        return mapped !== undefined ? mapped : lookup(settings, keys);
    };

    const instance = envByName.get("Kafka__InstanceId")?.variable;
    if (instance?.valueFrom?.fieldRef?.fieldPath !== "metadata.name") {
        problem(
            stsFile,
            envField("Kafka__InstanceId"),
            "Kafka__InstanceId must come from the pod name (valueFrom.fieldRef.fieldPath: metadata.name): " +
                "the static member's id must survive a restart and differ between pods",
        );
    }
    for (const name of ["Kafka__BootstrapServers", "SchemaRegistry__Url"]) {
        const ref = envByName.get(name)?.variable.valueFrom?.configMapKeyRef;
        if (!ref) {
            problem(
                stsFile,
                envField(name),
                `${name} must come from the kit's ConfigMap (valueFrom.configMapKeyRef)`,
            );
        } else if (!configMaps.has(ref.name)) {
            problem(
                stsFile,
                `${envField(name)}.valueFrom.configMapKeyRef.name`,
                `no ConfigMap ${ref.name} in the kit`,
            );
        } else if (!Object.hasOwn(configMaps.get(ref.name).data ?? {}, ref.key)) {
            problem(
                stsFile,
                `${envField(name)}.valueFrom.configMapKeyRef.key`,
                `ConfigMap ${ref.name} has no key ${ref.key}`,
            );
        } else if (String(configMaps.get(ref.name).data[ref.key]).trim() === "") {
            const detail =
                name === "Kafka__BootstrapServers" ? ": the worker would start its embedded broker" : "";
            problem(
                stsFile,
                `${envField(name)}.valueFrom.configMapKeyRef`,
                `ConfigMap ${ref.name} key ${ref.key} is empty${detail}`,
            );
        }
    }
    const key = envByName.get("Api__Keys__0")?.variable;
    const secretRef = key?.valueFrom?.secretKeyRef;
    if (!secretRef) {
        problem(
            stsFile,
            envField("Api__Keys__0"),
            "Api__Keys__0 must come from a Secret (valueFrom.secretKeyRef)",
        );
    }
    env.forEach((variable, i) => {
        if (Object.hasOwn(variable, "value") && /password|signingkey|api__keys|secret/i.test(variable.name)) {
            problem(
                stsFile,
                at(`env[${i}].value`),
                `${variable.name} is a credential: take it from a Secret, not a literal`,
            );
        }
    });
    const urls = envByName.get("ASPNETCORE_URLS")?.variable.value;
    const bind = /^https?:\/\/(\+|\*|0\.0\.0\.0|\[::\]):(\d+)\/?$/.exec(String(urls ?? ""));
    if (!bind) {
        problem(
            stsFile,
            envField("ASPNETCORE_URLS"),
            "must listen on every interface, e.g. http://+:8000 as the image does",
        );
    } else if (http && Number(bind[2]) !== http.containerPort) {
        problem(
            stsFile,
            envField("ASPNETCORE_URLS"),
            `listens on ${bind[2]}, the http port is ${http.containerPort}`,
        );
    }

    // Volumes.
    const volumes = new Set((podSpec.volumes ?? []).map((v) => v.name));
    const claims = (podSpec.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter(Boolean);
    (container.volumeMounts ?? []).forEach((mount, i) => {
        if (!volumes.has(mount.name))
            problem(stsFile, at(`volumeMounts[${i}].name`), `no volume ${mount.name} in the pod`);
    });

    // Probes.
    const probes = [
        ["livenessProbe", [HEALTH_LIVE]],
        ["readinessProbe", [HEALTH_READY]],
        ["startupProbe", [HEALTH_LIVE, HEALTH_READY]],
    ];
    for (const [name, paths] of probes) {
        const probe = container[name];
        if (!probe?.httpGet) {
            problem(stsFile, at(name), `missing (an httpGet on ${paths.join(" or ")})`);
            continue;
        }
        if (!paths.includes(probe.httpGet.path)) {
            const actual = probe.httpGet.path === undefined ? "missing" : JSON.stringify(probe.httpGet.path);
            problem(stsFile, at(`${name}.httpGet.path`), `${actual}: must be ${paths.join(" or ")}`);
        }
        if (!portOf(probe.httpGet.port)) {
            problem(
                stsFile,
                at(`${name}.httpGet.port`),
                `${JSON.stringify(probe.httpGet.port)} is no port of the container`,
            );
        }
    }
    const startup = container.startupProbe;
    if (startup) {
        const budget = (startup.failureThreshold ?? 3) * (startup.periodSeconds ?? 10);
        if (budget < 120) {
            problem(
                stsFile,
                at("startupProbe"),
                `failureThreshold x periodSeconds = ${budget} s: under 120 s for model load and start`,
            );
        }
    }

    // Grace period against the host's shutdown timeout.
    const shutdown = shutdownTimeoutSeconds();
    const grace = podSpec.terminationGracePeriodSeconds;
    if (typeof grace !== "number") {
        problem(
            stsFile,
            field("terminationGracePeriodSeconds"),
            "must be set, above the host's shutdown timeout",
        );
    } else if (shutdown !== null && !(grace > shutdown)) {
        problem(
            stsFile,
            field("terminationGracePeriodSeconds"),
            `${grace} s is not above the host's ShutdownTimeout of ${shutdown} s: ` +
                "the kubelet would kill a draining worker",
        );
    }

    // Resources.
    const resources = container.resources ?? {};
    for (const name of ["cpu", "memory"]) {
        if (resources.requests?.[name] === undefined)
            problem(stsFile, at(`resources.requests.${name}`), "must be set");
    }
    if (resources.limits?.memory === undefined)
        problem(stsFile, at("resources.limits.memory"), "must be set");
    if (resources.limits?.cpu !== undefined) {
        problem(
            stsFile,
            at("resources.limits.cpu"),
            "no CPU limit: CFS throttling adds latency to the consumer (deploy/README.md)",
        );
    }
    if (quantity(resources.limits?.memory) < quantity(resources.requests?.memory)) {
        problem(stsFile, at("resources.limits.memory"), "is below the memory request");
    }

    // Prometheus's pod annotations.
    const annotations = sts.spec?.template?.metadata?.annotations ?? {};
    const annotation = (key) => `spec.template.metadata.annotations[${JSON.stringify(key)}]`;
    if (annotations["prometheus.io/scrape"] !== "true")
        problem(stsFile, annotation("prometheus.io/scrape"), 'must be "true"');
    if (annotations["prometheus.io/path"] !== "/metrics")
        problem(stsFile, annotation("prometheus.io/path"), "must be /metrics");
    if (http && annotations["prometheus.io/port"] !== String(http.containerPort)) {
        problem(stsFile, annotation("prometheus.io/port"), `must be "${http.containerPort}", the http port`);
    }

    // Services.
    const services = of("Service");
    const governing = services.find((s) => s.object.metadata?.name === sts.spec?.serviceName);
    if (!governing) {
        problem(
            stsFile,
            "spec.serviceName",
            `no Service ${JSON.stringify(sts.spec?.serviceName)} in the kit`,
        );
    } else if (governing.object.spec?.clusterIP !== "None") {
        problem(
            governing.file,
            "spec.clusterIP",
            "the StatefulSet's governing Service must be headless (None)",
        );
    }
    for (const { file, object } of services) {
        const selector = object.spec?.selector ?? {};
        const matches =
            Object.keys(selector).length > 0 &&
            Object.entries(selector).every(([k, v]) => podLabels[k] === v);
        if (!matches) {
            problem(
                file,
                "spec.selector",
                `${describeLabels(selector)} matches no pod: the StatefulSet's pods have ${describeLabels(podLabels)}`,
            );
        }
        (object.spec?.ports ?? []).forEach((port, i) => {
            const target = port.targetPort ?? port.port;
            if (!portOf(target)) {
                problem(
                    file,
                    `spec.ports[${i}].targetPort`,
                    `${JSON.stringify(target)} is no port of the worker container`,
                );
            }
        });
    }
    const api = services.find((s) => s.object.metadata?.name === "inference-api");
    if (api && !(api.object.spec?.ports ?? []).some((p) => p.port === 8000)) {
        problem(api.file, "spec.ports", "the REST facade is on port 8000");
    }

    // Disruption budgets.
    for (const { file, object } of of("PodDisruptionBudget")) {
        if (!labelsMatch(object.spec?.selector, podLabels)) {
            problem(
                file,
                "spec.selector",
                `matches no pod: the StatefulSet's pods have ${describeLabels(podLabels)}`,
            );
        }
    }

    // The autoscaler.
    const partitions = Number(settingValue(["Kafka", "Topics", "MarketTicks", "Partitions"]));
    const topic = settingValue(["Kafka", "Topics", "MarketTicks", "Name"]);
    const group = settingValue(["Kafka", "GroupId"]);
    for (const { file, object } of of("ScaledObject")) {
        const spec = object.spec ?? {};
        const target = spec.scaleTargetRef ?? {};
        if (target.name !== sts.metadata?.name || target.kind !== "StatefulSet") {
            problem(
                file,
                "spec.scaleTargetRef",
                `names ${target.kind ?? "Deployment (the default)"} ${JSON.stringify(target.name)}, ` +
                    `not the StatefulSet ${sts.metadata?.name}`,
            );
        }
        if (target.apiVersion !== undefined && target.apiVersion !== sts.apiVersion) {
            problem(file, "spec.scaleTargetRef.apiVersion", `must be ${sts.apiVersion}`);
        }
        const min = spec.minReplicaCount ?? 0;
        const max = spec.maxReplicaCount ?? 100; // KEDA's default
        if (min < 1)
            problem(file, "spec.minReplicaCount", "at least 1: the REST facade and the stream need a worker");
        if (max < min) problem(file, "spec.maxReplicaCount", `below minReplicaCount ${min}`);
        if (Number.isFinite(partitions) && max > partitions) {
            problem(
                file,
                "spec.maxReplicaCount",
                `${spec.maxReplicaCount ?? "unset (KEDA's default 100)"} is above the ${partitions} partitions ` +
                    `of ${topic}: more consumers than partitions sit idle`,
            );
        }
        const behavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior;
        if (!(behavior?.scaleDown?.stabilizationWindowSeconds > 0)) {
            problem(
                file,
                "spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds",
                "must be set: each scale-down moves partitions, whose new owners restore their state",
            );
        }
        const triggers = spec.triggers ?? [];
        const kafka = triggers.findIndex((t) => t.type === "kafka");
        if (kafka < 0) {
            problem(file, "spec.triggers", "no kafka trigger");
            continue;
        }
        const metadata = triggers[kafka].metadata ?? {};
        const mfield = (k) => `spec.triggers[${kafka}].metadata.${k}`;
        if (metadata.topic !== topic)
            problem(file, mfield("topic"), `${JSON.stringify(metadata.topic)} is not the worker's ${topic}`);
        if (metadata.consumerGroup !== group) {
            problem(
                file,
                mfield("consumerGroup"),
                `${JSON.stringify(metadata.consumerGroup)} is not the worker's group ${group}`,
            );
        }
        if (!/^[1-9][0-9]*$/.test(String(metadata.lagThreshold ?? ""))) {
            problem(file, mfield("lagThreshold"), "must be a positive whole number of records, as a string");
        }
        if (metadata.bootstrapServersFromEnv !== undefined) {
            if (!envByName.has(metadata.bootstrapServersFromEnv)) {
                problem(
                    file,
                    mfield("bootstrapServersFromEnv"),
                    `the StatefulSet's container has no ${metadata.bootstrapServersFromEnv}`,
                );
            }
        } else if (!metadata.bootstrapServers) {
            problem(file, mfield("bootstrapServers"), "missing (or bootstrapServersFromEnv)");
        }
    }

    // What must exist in the namespace before the kit is applied.
    const external = [
        ...env
            .map((v) => v.valueFrom?.secretKeyRef?.name)
            .filter(Boolean)
            .map((n) => `Secret/${n}`),
        ...claims
            .filter((n) => !of("PersistentVolumeClaim").some((c) => c.object.metadata?.name === n))
            .map((n) => `PersistentVolumeClaim/${n}`),
    ];
    return { secretRef, external: [...new Set(external)] };
}

/** deploy/secret.example.yaml: the Secret the StatefulSet reads, with no value in it. */
function checkSecretExample(secretRef) {
    const file = path.join(here, "secret.example.yaml");
    if (!fs.existsSync(file)) return;
    for (const object of parseYaml(file)) {
        checkSchema(file, object);
        if (object.kind !== "Secret") {
            problem(file, "kind", "must be a Secret");
            continue;
        }
        if (secretRef && object.metadata?.name !== secretRef.name) {
            problem(file, "metadata.name", `the StatefulSet reads the Secret ${secretRef.name}`);
        }
        const values = { ...(object.data ?? {}), ...(object.stringData ?? {}) };
        if (secretRef && !Object.hasOwn(values, secretRef.key)) {
            problem(file, "stringData", `no key ${secretRef.key}, which the StatefulSet reads`);
        }
        for (const [key, value] of Object.entries(values)) {
            if (String(value ?? "") !== "")
                problem(file, `stringData.${key}`, "must stay empty: no key is committed");
        }
    }
}

// ---------------------------------------------------------------------------------------------

const objects = [];
for (const file of loadKustomization()) {
    for (const object of parseYaml(file)) {
        checkSchema(file, object);
        objects.push({ file, object });
    }
}
const settings = readJson(path.join(repository, "src", "Worker", "appsettings.json"));
const { secretRef, external = [] } = checkCrossReferences(objects, settings);
checkSecretExample(secretRef);

if (problems.length > 0) {
    for (const line of problems) console.error(line);
    console.error(`${show(baseDir)}: ${problems.length} problem${problems.length === 1 ? "" : "s"}`);
    process.exit(1);
}
const kinds = objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`).join(", ");
console.log(`${show(baseDir)}: ${objects.length} objects valid (${kinds})`);
if (external.length > 0) console.log(`  to create before applying it: ${external.join(", ")}`);
