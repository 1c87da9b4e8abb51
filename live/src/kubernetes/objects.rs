//! The Kubernetes objects of a deployment, as JSON values (written as YAML).

use base64::Engine;
use serde_json::{Map, Value, json};

use super::{Exposure, GATEWAY_PORT, KubeOpts, P2P_PORT};

/// The labels every object carries; the pods' selector is the first two.
fn labels(o: &KubeOpts) -> Value {
    json!({
        "app.kubernetes.io/name": "dfaas",
        "app.kubernetes.io/instance": o.name,
        "app.kubernetes.io/component": "agent",
    })
}

fn selector(o: &KubeOpts) -> Value {
    json!({ "app.kubernetes.io/name": "dfaas", "app.kubernetes.io/instance": o.name })
}

fn metadata(o: &KubeOpts, name: &str) -> Value {
    json!({ "name": name, "namespace": o.namespace, "labels": labels(o) })
}

pub(super) fn namespace(o: &KubeOpts) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": o.namespace, "labels": { "app.kubernetes.io/name": "dfaas" } },
    })
}

/// Member keys, control tokens and the pre-shared key, as text.
pub(super) fn secret(o: &KubeOpts, files: &[(String, String)]) -> Value {
    let data: Map<String, Value> = files.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata(o, &format!("{}-secrets", o.name)),
        "type": "Opaque",
        "stringData": data,
    })
}

/// The agents' and runtimes' files, and the policy file (binary) if any.
pub(super) fn config_map(o: &KubeOpts, files: &[(String, String)], policy: Option<(&str, &[u8])>) -> Value {
    let data: Map<String, Value> = files.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let mut cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(o, &format!("{}-config", o.name)),
        "data": data,
    });
    if let Some((key, bytes)) = policy {
        cm["binaryData"] = json!({ key: base64::engine::general_purpose::STANDARD.encode(bytes) });
    }
    cm
}

/// The headless Service: stable DNS names for the pods, published before
/// they are ready (a member dials its peers while they start).
pub(super) fn headless_service(o: &KubeOpts) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(o, &o.name),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": true,
            "selector": selector(o),
            "ports": [
                { "name": "gateway", "port": GATEWAY_PORT, "targetPort": "gateway", "protocol": "TCP" },
                { "name": "p2p", "port": P2P_PORT, "targetPort": "p2p", "protocol": "TCP" },
            ],
        },
    })
}

/// The agents: pod `<name>-<i>` runs node `i` with `<name>-<i>.agent.toml`.
pub(super) fn stateful_set(o: &KubeOpts, replicas: usize) -> Value {
    let pod_labels = labels(o);
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": metadata(o, &o.name),
        "spec": {
            "serviceName": o.name,
            "replicas": replicas,
            // Every node starts at once: members find each other by name and retry.
            "podManagementPolicy": "Parallel",
            "selector": { "matchLabels": selector(o) },
            "template": {
                "metadata": {
                    "labels": pod_labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": GATEWAY_PORT.to_string(),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": false,
                    // SIGTERM drains the requests in flight; a slot and a forward timeout fit.
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        // The Secret's files readable by the agent's group (0440).
                        "fsGroup": 65532,
                        "seccompProfile": { "type": "RuntimeDefault" },
                    },
                    "containers": [agent_container(o)],
                    "volumes": [
                        { "name": "config", "configMap": { "name": format!("{}-config", o.name) } },
                        { "name": "secrets", "secret": { "secretName": format!("{}-secrets", o.name), "defaultMode": 0o400 } },
                    ],
                },
            },
        },
    })
}

fn agent_container(o: &KubeOpts) -> Value {
    json!({
        "name": "agent",
        "image": o.image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["agent", "--config", format!("{}/$(POD_NAME).agent.toml", o.config_dir)],
        "env": [
            { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
            { "name": "RUST_LOG", "value": "warn,dfaas_agent=info,dfaas_runtime=info" },
        ],
        "ports": [
            { "name": "gateway", "containerPort": GATEWAY_PORT, "protocol": "TCP" },
            { "name": "p2p", "containerPort": P2P_PORT, "protocol": "TCP" },
        ],
        // Listening is ready: `/healthz` answers 503 while the node is
        // saturated, and a saturated node must stay in the federation.
        "readinessProbe": { "tcpSocket": { "port": "gateway" }, "periodSeconds": 5 },
        "livenessProbe": {
            "tcpSocket": { "port": "gateway" },
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "failureThreshold": 6,
        },
        "resources": {
            "requests": { "cpu": "100m", "memory": "64Mi" },
            "limits": { "memory": "256Mi" },
        },
        "securityContext": {
            "allowPrivilegeEscalation": false,
            "readOnlyRootFilesystem": true,
            "capabilities": { "drop": ["ALL"] },
        },
        "volumeMounts": [
            { "name": "config", "mountPath": o.config_dir, "readOnly": true },
            { "name": "secrets", "mountPath": o.secrets_dir, "readOnly": true },
        ],
    })
}

/// Node `i`'s gateway, where its own users send their calls.
pub(super) fn gateway_service(o: &KubeOpts, i: usize) -> Value {
    let pod = format!("{}-{i}", o.name);
    let mut sel = selector(o);
    sel["statefulset.kubernetes.io/pod-name"] = Value::String(pod.clone());
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(o, &format!("{pod}-gateway")),
        "spec": {
            "type": match o.exposure { Exposure::ClusterIp => "ClusterIP", Exposure::NodePort => "NodePort" },
            "selector": sel,
            "ports": [{ "name": "gateway", "port": GATEWAY_PORT, "targetPort": "gateway", "protocol": "TCP" }],
        },
    })
}
