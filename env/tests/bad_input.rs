//! Malformed scenarios give errors naming file, field and value; no panic.

use std::path::Path;

use dfaas_env::Scenario;

const GOOD: &str = r#"
name = "t"
[episode]
max_steps = 10
slot_seconds = 1.0
[topology]
nodes = ["a", "b"]
adjacency = ["a b"]
[model]
kind = "capacity"
capacity_rps = [10.0, 20.0]
[workload]
kind = "constant"
rate_rps = [5.0, 5.0]
"#;

fn err(text: &str) -> String {
    Scenario::from_toml_str(text, Path::new("bad.toml")).unwrap_err().to_string()
}

#[test]
fn the_good_one_loads() {
    let s = Scenario::from_toml_str(GOOD, Path::new("good.toml")).unwrap();
    assert_eq!(s.name, "t");
    assert_eq!(s.build_topology().unwrap().len(), 2);
}

#[test]
fn missing_field_is_named() {
    let e = err(&GOOD.replace("max_steps = 10\n", ""));
    assert!(e.contains("bad.toml") && e.contains("max_steps"), "{e}");
}

#[test]
fn negative_capacity_is_named_with_value() {
    let e = err(&GOOD.replace("[10.0, 20.0]", "[10.0, -3.0]"));
    assert!(e.contains("bad.toml") && e.contains("capacity_rps[1]") && e.contains("-3"), "{e}");
}

#[test]
fn wrong_number_of_capacities() {
    let e = err(&GOOD.replace("[10.0, 20.0]", "[10.0]"));
    assert!(e.contains("capacity_rps") && e.contains("1 values"), "{e}");
}

#[test]
fn unknown_node_in_topology() {
    let e = err(&GOOD.replace(r#"adjacency = ["a b"]"#, r#"adjacency = ["a c"]"#));
    assert!(e.contains("bad.toml") && e.contains("topology") && e.contains("`c`"), "{e}");
}

#[test]
fn unknown_field_and_bad_types() {
    let e = err(&GOOD.replace("slot_seconds = 1.0", "slot_seconds = 1.0\nslot_secs = 2"));
    assert!(e.contains("slot_secs"), "{e}");
    let e = err(&GOOD.replace("max_steps = 10", "max_steps = -1"));
    assert!(e.contains("max_steps"), "{e}");
    let e = err(&GOOD.replace("slot_seconds = 1.0", "slot_seconds = 0.0"));
    assert!(e.contains("slot_seconds") && e.contains('0'), "{e}");
    let e = err(&GOOD.replace(r#"kind = "capacity""#, r#"kind = "capacityy""#));
    assert!(e.contains("capacityy"), "{e}");
    let e = err("this is not toml");
    assert!(e.contains("bad.toml"), "{e}");
}

#[test]
fn serverless_params_checked() {
    let sv = GOOD.replace(
        "kind = \"capacity\"\ncapacity_rps = [10.0, 20.0]",
        "kind = \"serverless\"\nwarm_service_s = 0.5\ncold_service_s = 0.2\nidle_timeout_s = 30.0\nmax_concurrency = 7",
    );
    let e = err(&sv);
    assert!(e.contains("warm_service_s") && e.contains("0.5"), "{e}");
    let e = err(&sv.replace("warm_service_s = 0.5\n", ""));
    assert!(e.contains("warm_service_s") && e.contains("missing"), "{e}");
    let e = err(&sv.replace("warm_service_s = 0.5", "preset = \"nope\""));
    assert!(e.contains("preset") && e.contains("nope"), "{e}");
}

#[test]
fn missing_file_is_named() {
    let e = Scenario::load("/nonexistent/dir/x.toml").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/dir/x.toml"), "{e}");
}
