//! A several-function agent file (`[[functions]]`): valid tables load with
//! their costs and cold starts; bad ones name the file, the field and the
//! value, with the simulator's own rules for serverless functions.

use std::path::{Path, PathBuf};

use dfaas_agent::AgentConfig;

/// A runtime with a budget of 8 units and two synthetic functions.
fn runtime(dir: &Path) -> PathBuf {
    let fun = |name: &str, units: u32| {
        format!(
            "[[functions]]\nname = \"{name}\"\n\
             backend = {{ kind = \"synthetic\", warm_s = 0.1, cold_s = 0.5, idle_s = 30.0, max_instances = 2, units = {units} }}\n\
             admission = {{ max_concurrency = 8, queue = 0 }}\n"
        )
    };
    std::fs::write(
        dir.join("node.toml"),
        format!(
            "node_id = \"n1\"\nlisten = \"127.0.0.1:0\"\nkey_file = \"n1.key\"\nbudget_units = 8\n{}{}",
            fun("image", 4),
            fun("text", 1)
        ),
    )
    .unwrap();
    dir.join("agent.toml")
}

const IMAGE: &str = "[[functions]]\nname = \"image\"\ncost_units = 4\nservice_time_s = 0.4\nnode_index = 0\n";
const TEXT: &str = "[[functions]]\nname = \"text\"\ncost_units = 1\nservice_time_s = 0.02\nnode_index = 1\n";
const COLD: &str = "cold_service_s = 1.5\nidle_timeout_s = 30.0\n";

fn load(file: &Path, tables: &str) -> Result<AgentConfig, String> {
    AgentConfig::from_toml_str(&format!("runtime = \"node.toml\"\n{tables}"), file).map_err(|e| e.to_string())
}

#[test]
fn several_functions_load_with_their_cold_starts() {
    let dir = tempfile::tempdir().unwrap();
    let file = runtime(dir.path());
    let plain = load(&file, &format!("{IMAGE}{TEXT}")).unwrap();
    assert!(plain.functions.iter().all(|f| f.cold.is_none()));
    let cfg = load(&file, &format!("{IMAGE}{COLD}{TEXT}cold_service_s = 0.3\nidle_timeout_s = 30.0\n")).unwrap();
    let colds: Vec<_> = cfg.functions.iter().map(|f| f.cold.map(|c| (c.cold_service_s, c.idle_timeout_s))).collect();
    assert_eq!(colds, [Some((1.5, 30.0)), Some((0.3, 30.0))]);
    assert_eq!(cfg.functions[1].cost_units, 1);
}

#[test]
fn bad_function_tables_name_file_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = runtime(dir.path());
    let bad = |tables: String, field: &str, value: &str| {
        let e = load(&file, &tables).unwrap_err();
        assert!(e.contains("agent.toml") && e.contains(field) && e.contains(value), "{field} {value}: {e}");
    };
    // One serverless function beside a plain one.
    bad(format!("{IMAGE}{COLD}{TEXT}"), "functions[1].cold_service_s", "missing");
    bad(format!("{IMAGE}{TEXT}{COLD}"), "functions[0].cold_service_s", "missing");
    // Half a cold start, one faster than a warm call, a guaranteed share.
    bad(format!("{IMAGE}cold_service_s = 1.5\n{TEXT}"), "functions[0].idle_timeout_s", "missing");
    bad(
        format!("{IMAGE}cold_service_s = 0.1\nidle_timeout_s = 30.0\n{TEXT}{COLD}"),
        "functions[0].cold_service_s",
        "0.1",
    );
    bad(format!("{IMAGE}{COLD}share = 0.5\n{TEXT}{COLD}"), "functions[0].share", "0.5");
    // Plain mistakes.
    bad(format!("{IMAGE}{TEXT}").replace("cost_units = 4", "cost_units = 0"), "functions[0].cost_units", "0");
    bad(format!("{IMAGE}{TEXT}").replace("name = \"text\"", "name = \"video\""), "functions[1].name", "video");
    bad(format!("{IMAGE}share = 0.7\n{TEXT}share = 0.6\n"), "functions.share", "image 0.7 + text 0.6 = 1.3");
}
