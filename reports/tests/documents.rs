//! One report schema: every document the CLI writes is tagged with its
//! `kind` and `schema_version`, read back by the type that wrote it, and
//! `dfaas report` dispatches on the tag; the untagged documents committed
//! before the tag (schema version 0) are still read by their fields.

use std::path::{Path, PathBuf};

use dfaas_env::Scenario;
use dfaas_experiments::{Contender, compare};
use dfaas_live::cluster::ClusterReport;
use dfaas_live::live_env::{LiveInfo, LiveReport, Sim2RealReport};
use dfaas_reports::document::LoadReport;
use dfaas_reports::document::{Document, SCHEMA_VERSION};
use dfaas_reports::plot::{ReportOptions, write_report};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments")
}

fn committed(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("results").join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}

/// Writes `doc`, reads it back: the same kind, the same fields.
fn round_trip(doc: Document) -> Document {
    let text = doc.to_json_pretty();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kind"], doc.kind(), "{text:.200}");
    assert_eq!(v["schema_version"], SCHEMA_VERSION);
    let back = Document::parse(&text).unwrap().expect("a tagged document");
    assert_eq!(back.kind(), doc.kind());
    let (a, b) = (serde_json::to_value(&back).unwrap(), serde_json::to_value(&doc).unwrap());
    assert!(same(&a, &b), "{}: read back differently", doc.kind());
    back
}

/// Equal, numbers to 1e-12 relative (serde_json's default float parsing
/// may land one ulp away).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    match (a, b) {
        (V::Number(x), V::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (V::Array(x), V::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (V::Object(x), V::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn every_kind_round_trips_through_its_own_type() {
    let scenario = Scenario::load(root().join("scenarios/dfaas-cloudnet21.toml")).unwrap();
    let contenders: Vec<Contender> =
        ["all-local", "slack-proportional"].iter().map(|p| Contender::parse(p).unwrap()).collect();
    round_trip(Document::Compare(compare(&scenario, &contenders, &[1, 2], false).unwrap()));
    let sim = dfaas_experiments::simulate::simulate(&scenario, &contenders[1], &[3, 4], None, false).unwrap();
    round_trip(Document::Simulate(sim));
    // `evaluate --live`: a comparison flattened beside how the live episodes ran.
    let c = compare(&scenario, &contenders[..1], &[5], false).unwrap();
    let live = LiveReport {
        compare: c,
        live: LiveInfo { slot_seconds: 1.0, slots: 30, ready_s: 0.4, stray_input: 2, issues: Vec::new() },
    };
    round_trip(Document::LiveEvaluate(live));
    // `loadgen`: counters keyed by status code (integers as JSON keys).
    let mut load = LoadReport { target: "http://127.0.0.1:1/function/f".into(), requests: 3, ..LoadReport::default() };
    load.status_codes.insert(200, 2);
    load.status_codes.insert(503, 1);
    match round_trip(Document::Loadgen(load)) {
        Document::Loadgen(r) => assert_eq!(r.status_codes.get(&503), Some(&1)),
        other => panic!("read back as {}", other.kind()),
    }
    // Live documents: the committed runs, read through their types.
    let cluster: ClusterReport =
        serde_json::from_str(&std::fs::read_to_string(&committed("cloudnet21-live")[0]).unwrap()).unwrap();
    round_trip(Document::Cluster(cluster));
    for f in committed("sim2real-deployed").iter().chain(&committed("sim2real")[..2]) {
        let r: Sim2RealReport = serde_json::from_str(&std::fs::read_to_string(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        round_trip(Document::Sim2Real(r));
    }
}

#[test]
fn tagged_documents_that_cannot_be_read_say_why() {
    let e = Document::parse(r#"{"kind": "compare", "schema_version": 99, "scenario": "s"}"#).unwrap_err();
    assert!(e.to_string().contains("schema_version 99 is newer"), "{e}");
    let e = Document::parse(r#"{"kind": "histogram", "schema_version": 1}"#).unwrap_err();
    assert!(e.to_string().contains("unknown kind \"histogram\""), "{e}");
    let e = Document::parse(r#"{"kind": "compare", "schema_version": 1, "scenario": "s"}"#).unwrap_err();
    assert!(e.to_string().contains("`compare`") && e.to_string().contains("episodes"), "{e}");
    assert!(Document::parse(r#"{"scenario": "s"}"#).unwrap().is_none(), "untagged: version 0");
    let e = Document::parse(r#"{"kind": 3, "schema_version": 1}"#).unwrap_err();
    assert!(e.to_string().contains("unknown kind"), "{e}");
    let e = Document::parse(r#"{"kind": "compare", "schema_version": "one"}"#).unwrap_err();
    assert!(e.to_string().contains("not a whole number"), "{e}");
    // A result without its required ratios is refused, not read as zeros.
    let e = Document::parse(
        r#"{"kind": "compare", "schema_version": 1, "scenario": "s", "episodes": 1,
        "results": [{"policy": "p", "forwarded_ratio": 0.1, "rejected_ratio": 0.0}]}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("processed_ratio"), "{e}");
}

/// `dfaas report` reads the tag: a tagged comparison, and an array of
/// tagged sim-to-real documents (one per episode) with a figure each.
#[test]
fn report_dispatches_on_the_tag() {
    let scenario = Scenario::load(root().join("scenarios/dfaas-cloudnet21.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = compare(&scenario, &[Contender::parse("slack-proportional").unwrap()], &[1], false).unwrap();
    // Shaped like nothing the untagged reader knows but for its tag and fields.
    std::fs::write(dir.path().join("c.json"), Document::Compare(c).to_json_pretty()).unwrap();
    let docs: Vec<Document> = committed("sim2real-deployed")[..2]
        .iter()
        .map(|f| Document::Sim2Real(serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()))
        .collect();
    std::fs::write(dir.path().join("s.json"), Document::list_to_json_pretty(&docs)).unwrap();
    let out = write_report(dir.path(), &ReportOptions::default()).unwrap();
    let kinds: Vec<(String, &str)> =
        out.inputs.iter().map(|(p, k)| (p.file_name().unwrap().to_string_lossy().into_owned(), *k)).collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(dir.path().join("c-shares.png").is_file());
    assert!(dir.path().join("s-0-sim2real.png").is_file() && dir.path().join("s-1-sim2real.png").is_file());
    let md = std::fs::read_to_string(&out.markdown).unwrap();
    assert!(md.contains("`s.json[1]`"), "{md}");
}

/// Every result document committed before the tag is still read (by its
/// fields, into the producers' types) and drawn.
#[test]
fn committed_untagged_results_are_still_reported() {
    let out = tempfile::tempdir().unwrap();
    let mut read = 0;
    for dir in ["cloudnet21-live", "sim2real", "sim2real-deployed", "marl-master-5-compare"] {
        for f in committed(dir) {
            let opts = ReportOptions { out: Some(out.path().join(dir)), ..Default::default() };
            write_report(&f, &opts).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            read += 1;
        }
    }
    assert!(read >= 29, "{read} documents read");
}
