//! The policy file: round trip, and a clear error (never a panic) for any
//! damaged, foreign or inconsistent input.

mod common;

use common::*;
use dfaas_env::encoding::Encoding;
use dfaas_env::seeds::rng;
use dfaas_policies::PolicyError;
use dfaas_policies::learned::{NodeContext, PolicyFile, load_learned};
use rand::RngExt;

fn reason(e: PolicyError) -> String {
    match &e {
        PolicyError::ModelFile { file, .. } => assert_eq!(file, "t.dfpolicy", "{e}"),
        other => panic!("expected a ModelFile error, got {other:?}"),
    }
    e.to_string()
}

fn parse(bytes: &[u8]) -> Result<PolicyFile, PolicyError> {
    PolicyFile::from_bytes(bytes, "t.dfpolicy")
}

/// Rewrites the trailing CRC so that only the deliberate damage is seen.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
}

/// Replaces the JSON block with `json` (header length and CRC fixed up).
fn with_json(bytes: &[u8], json: &str) -> Vec<u8> {
    let old = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(&bytes[20 + old..]);
    reseal(&mut out);
    out
}

#[test]
fn write_then_read_is_identical() {
    let file = shared_normalized(3, &[64, 64], 7);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.dfpolicy");
    file.write(&path).unwrap();
    let back = PolicyFile::read(&path).unwrap();
    assert_eq!(back.meta, file.meta);
    assert_eq!(back.weights.len(), file.weights.len());
    assert!(back.weights.iter().zip(&file.weights).all(|(a, b)| a.to_bits() == b.to_bits()));
    let stats = |f: &PolicyFile| (f.meta.networks[0].obs_mean.clone(), f.meta.networks[0].obs_std.clone());
    assert_eq!(stats(&back), stats(&file), "f32 statistics survive JSON exactly");
    assert_eq!(back.to_bytes(), file.to_bytes());
    // Only the file itself is left behind (the temporary was renamed).
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1);
    // Overwriting works too.
    file.write(&path).unwrap();
    assert_eq!(PolicyFile::read(&path).unwrap(), file);
}

#[test]
fn independent_file_round_trips_in_memory() {
    let file = independent(&five_agents(), Encoding::FidelityServerless, 3);
    let bytes = file.to_bytes();
    assert_eq!(&bytes[..8], b"DFAASPOL");
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
    let back = parse(&bytes).unwrap();
    assert_eq!(back, file);
    assert_eq!(back.meta.nodes.len(), 5);
    assert_eq!(back.meta.nodes[3].neighbors, s(&["node_2", "node_0"]));
    let (w, b) = back.layer(2, 1).unwrap();
    assert_eq!((w.len(), b.len()), (16 * 16, 16));
    assert!(back.layer(2, 3).is_none() && back.layer(9, 0).is_none());
}

#[test]
fn extreme_f32_statistics_round_trip_exactly() {
    let mut file = shared_normalized(2, &[8], 1);
    let mut r = rng(5);
    let n = &mut file.meta.networks[0];
    for (m, s) in n.obs_mean.iter_mut().zip(&mut n.obs_std) {
        *m = f32::from_bits(r.random_range(0..0x7f00_0000u32)) * if r.random() { -1.0 } else { 1.0 };
        *s = f32::from_bits(r.random_range(0..0x7f00_0000u32));
    }
    n.alpha_floor = 1e-7;
    let back = parse(&file.to_bytes()).unwrap();
    assert_eq!(back.meta, file.meta);
}

#[test]
fn every_truncation_is_reported_as_truncated() {
    let bytes = shared_normalized(1, &[4], 2).to_bytes();
    for len in 0..bytes.len() {
        let e = reason(parse(&bytes[..len]).unwrap_err());
        assert!(e.contains("truncated") && e.contains(&format!("got {len}")), "{len}: {e}");
    }
    let e = reason(parse(&bytes[..bytes.len() - 10]).unwrap_err());
    assert!(e.contains(&format!("expected {} bytes", bytes.len())), "{e}");
    let mut long = bytes.clone();
    long.extend_from_slice(&[0; 8]);
    let e = reason(parse(&long).unwrap_err());
    assert!(e.contains("8 unexpected trailing bytes"), "{e}");
}

#[test]
fn a_flipped_byte_is_a_checksum_error() {
    let bytes = shared_normalized(1, &[4], 3).to_bytes();
    let json_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
    // One byte in the JSON, one in the weights, one in the CRC itself.
    for at in [30, 20 + json_len + 5, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        let e = reason(parse(&bad).unwrap_err());
        assert!(e.contains("checksum mismatch") && e.contains("corrupt"), "{at}: {e}");
    }
    // Any single flipped bit anywhere is an error, never a panic.
    for at in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut bad = bytes.clone();
            bad[at] ^= bit;
            assert!(parse(&bad).is_err(), "flip at {at}");
        }
    }
}

#[test]
fn foreign_files_and_future_versions_are_named() {
    let e = reason(parse(b"PK\x03\x04 this is a zip file, not a policy").unwrap_err());
    assert!(e.contains("not a DFaaS policy file"), "{e}");
    let e = reason(parse(b"{\"encoding\": 1}").unwrap_err());
    assert!(e.contains("not a DFaaS policy file"), "{e}");
    let mut bytes = shared_normalized(1, &[4], 4).to_bytes();
    bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
    reseal(&mut bytes);
    let e = reason(parse(&bytes).unwrap_err());
    assert!(e.contains("unsupported format version 2") && e.contains("version 1"), "{e}");
}

#[test]
fn random_bytes_never_panic() {
    let valid = shared_normalized(2, &[8, 8], 5).to_bytes();
    let mut r = rng(99);
    for case in 0..3000 {
        let len = r.random_range(0..600);
        let mut bytes: Vec<u8> = (0..len).map(|_| r.random()).collect();
        match case % 4 {
            // A valid header followed by noise.
            1 if len >= 20 => bytes[..12].copy_from_slice(&valid[..12]),
            // A valid file with a few random bytes changed.
            2 => {
                bytes = valid.clone();
                for _ in 0..r.random_range(1..4) {
                    let at = r.random_range(0..bytes.len());
                    bytes[at] = r.random();
                }
                if bytes == valid {
                    continue;
                }
            }
            // A valid file with the damage resealed: consistency checks must catch it.
            3 => {
                bytes = valid.clone();
                let at = r.random_range(20..bytes.len() - 4);
                bytes[at] = r.random();
                reseal(&mut bytes);
                let _ = parse(&bytes); // may even be valid (a changed weight); must not panic
                continue;
            }
            _ => {}
        }
        assert!(parse(&bytes).is_err(), "case {case}");
    }
}

#[test]
fn invalid_json_metadata_quotes_serde() {
    let bytes = shared_normalized(1, &[4], 6).to_bytes();
    let e = reason(parse(&with_json(&bytes, "{}")).unwrap_err());
    assert!(e.contains("invalid JSON metadata") && e.contains("missing field"), "{e}");
    let e = reason(parse(&with_json(&bytes, "not json")).unwrap_err());
    assert!(e.contains("invalid JSON metadata"), "{e}");
    let json = serde_json::to_string(&shared_normalized(1, &[4], 6).meta).unwrap();
    let extra = json.replacen('{', "{\"colour\": \"blue\", ", 1);
    let e = reason(parse(&with_json(&bytes, &extra)).unwrap_err());
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = reason(parse(&with_json(&bytes, "\u{feff}\u{0}")).unwrap_err());
    assert!(e.contains("invalid JSON metadata"), "{e}");
}

#[test]
fn inconsistent_metadata_is_explained() {
    let good = shared_normalized(2, &[8], 7);
    let check = |f: &PolicyFile, want: &[&str]| {
        let e = reason(parse(&f.to_bytes()).unwrap_err());
        for w in want {
            assert!(e.contains(w), "missing `{w}` in: {e}");
        }
    };
    let mut f = good.clone();
    f.meta.networks[0].layers[1].offset += 1;
    check(&f, &["inconsistent metadata", "layer 1"]);
    let mut f = good.clone();
    f.weights.pop();
    check(&f, &["inconsistent metadata", "payload"]);
    let mut f = good.clone();
    f.weights.push(0.0);
    check(&f, &["layers cover", "payload has"]);
    let mut f = good.clone();
    f.meta.networks[0].obs_mean.pop();
    check(&f, &["obs_mean has 23 values, input_dim is 24"]);
    let mut f = good.clone();
    f.meta.networks[0].obs_std.push(1.0);
    check(&f, &["obs_std has 25 values, input_dim is 24"]);
    let mut f = good.clone();
    f.weights[3] = f32::NAN;
    check(&f, &["weight 3 is not finite"]);
    let mut f = good.clone();
    f.weights[5] = f32::INFINITY;
    check(&f, &["weight 5 is not finite"]);
    let mut f = good.clone();
    f.meta.networks[0].hidden = vec![9];
    check(&f, &["layer 0 is 24→8"]);
    let mut f = good.clone();
    f.meta.networks[0].layers[0].offset = usize::MAX - 3;
    check(&f, &["overflows"]);
    let mut f = good.clone();
    f.meta.max_degree = 3;
    check(&f, &["max_degree 3 differs from the normalized encoding's 2"]);
    let mut f = good.clone();
    f.meta.encoding_version = 1;
    check(&f, &["encoding_version 1 differs from the normalized encoding's version 2"]);
    let mut f = good.clone();
    f.meta.encoding = Encoding::Normalized { max_degree: 2, version: 1, period_slots: Some(288) };
    f.meta.encoding_version = 1;
    check(&f, &["period_slots Some(288)", "version 2 or later"]);
    let mut f = good.clone();
    f.meta.format_version = 7;
    check(&f, &["format_version 7"]);
    let mut f = good.clone();
    f.meta.mode = dfaas_policies::learned::Mode::Independent;
    check(&f, &["independent mode but no node entries"]);
    let mut f = independent(&five_agents(), Encoding::FidelityServerless, 8);
    f.meta.nodes[1].degree = 3;
    check(&f, &["node `node_1`: degree 3 but 2 neighbour names"]);
    let mut f = independent(&five_agents(), Encoding::FidelityServerless, 8);
    f.meta.nodes[1].network = 9;
    check(&f, &["network 9 does not exist"]);
    let mut f = independent(&five_agents(), Encoding::FidelityServerless, 8);
    f.meta.nodes[4].network = 0;
    check(&f, &["node `node_4`: degree 1 gives 4 fidelity-serverless values, network 0 takes 8"]);
}

#[test]
fn write_refuses_an_inconsistent_file_and_leaves_nothing() {
    let mut f = shared_normalized(2, &[8], 9);
    f.weights[0] = f32::NAN;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.dfpolicy");
    let e = f.write(&path).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("not finite"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn push_network_checks_shapes() {
    let mut f = shared_normalized(1, &[4], 10);
    let n = f.meta.networks[0].clone();
    let e = f.push_network(n.clone(), &[(vec![0.0; 12], vec![0.0; 4])]).unwrap_err();
    assert!(e.to_string().contains("1 layers given"), "{e}");
    let bad = vec![(vec![0.0; 47], vec![0.0; 4]), (vec![0.0; 12], vec![0.0; 3])];
    let e = f.push_network(n, &bad).unwrap_err();
    assert!(e.to_string().contains("layer 0 (16→4): weight has 47 values (need 64)"), "{e}");
}

#[test]
fn a_missing_file_is_named() {
    let node = NodeContext { name: "a".into(), neighbors: vec![], ..Default::default() };
    let e = load_learned("/no/such/dir/x.dfpolicy".as_ref(), &node).err().unwrap();
    let e = e.to_string();
    assert!(e.contains("/no/such/dir/x.dfpolicy") && e.contains("cannot read"), "{e}");
}
