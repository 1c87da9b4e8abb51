//! The typed control client against a real agent (every route, typed; bad
//! input answered with the server's error), a server that hangs (a timeout
//! naming the route), and a server whose answers lack or rename a field (an
//! error naming the field, never a silent zero).

mod common;
use common::solo;

use std::time::Duration;

use dfaas_agent::control::PolicyBody;
use dfaas_agent::{AgentConfig, Clock, ControlClient, ControlError, run_agent_on};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_its_type() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = solo(dir.path()).await;
    let mut cfg = AgentConfig::new(rt, "f", 10.0);
    cfg.clock = Clock::External;
    let agent = run_agent_on(cfg, listener).await.unwrap();
    let ctl = agent.control_client(Duration::from_secs(5));

    assert_eq!(ctl.observation().await.unwrap(), None, "nothing before the first slot");
    assert_eq!(ctl.outcome().await.unwrap(), None);
    assert!(ctl.history().await.unwrap().is_empty());
    let w = ctl.weights().await.unwrap();
    assert_eq!((w.function.as_str(), w.peers.len(), w.slot, w.fractions), ("f", 0, 0, None));
    assert!(ctl.neighbors().await.unwrap().is_empty());

    let accepted = ctl.set_decision(&[0.75, 0.25]).await.unwrap();
    assert_eq!((accepted.accepted, accepted.for_slot), (vec![0.75, 0.25], 0));
    let report = ctl.tick(None).await.unwrap();
    assert_eq!((report.slot, report.external, report.fractions.clone()), (0, true, vec![0.75, 0.25]));
    let report = ctl.tick(Some(&[1.0, 0.0])).await.unwrap();
    assert_eq!(report.slot, 1);
    assert_eq!(ctl.history().await.unwrap().len(), 2);
    assert_eq!(ctl.outcome().await.unwrap(), Some(report.outcome.clone()));
    assert_eq!(ctl.observation().await.unwrap().map(|o| o.slot), Some(2));

    let set = ctl.set_policy(&PolicyBody { policy: Some("all-local".into()), model: None }).await.unwrap();
    assert_eq!(set.policy, "all-local");

    // Bad input: the server's 400 and its message come back typed.
    let e = ctl.set_decision(&[0.5, 0.6]).await.unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(e.to_string().contains("PUT /decision") && e.to_string().contains("1.1"), "{e}");
    let e = ctl.set_policy(&PolicyBody { policy: Some("no-such-policy".into()), model: None }).await.unwrap_err();
    assert!(e.status() == Some(400) && e.to_string().contains("no-such-policy"), "{e}");
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timer_clocked_agent_refuses_tick_with_409() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = solo(dir.path()).await;
    let agent = run_agent_on(AgentConfig::new(rt, "f", 10.0), listener).await.unwrap();
    let ctl = agent.control_client(Duration::from_secs(5));
    let e = ctl.tick(None).await.unwrap_err();
    assert_eq!(e.status(), Some(409), "{e}");
    assert!(e.to_string().contains("clock = \"external\""), "{e}");
    agent.shutdown().await;
}

/// A one-connection HTTP server answering every request with `body`.
async fn fake(body: &'static str) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    });
    addr
}

#[tokio::test]
async fn a_missing_or_renamed_field_is_an_error_naming_it() {
    let renamed = fake(r#"{"function":"f","peer_ids":[],"slot":3,"fractions":null,"weights":null}"#).await;
    let e = ControlClient::new(renamed, Duration::from_secs(2)).weights().await.unwrap_err();
    assert!(matches!(e, ControlError::Body { .. }), "{e}");
    assert!(e.to_string().contains("GET /weights") && e.to_string().contains("peer_ids"), "{e}");

    let missing = fake(r#"{"input":3,"local":3}"#).await;
    let e = ControlClient::new(missing, Duration::from_secs(2)).outcome().await.unwrap_err();
    assert!(e.to_string().contains("GET /outcome") && e.to_string().contains("forwarded"), "{e}");
}

#[tokio::test]
async fn a_server_that_hangs_is_a_timeout_naming_the_route() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            open.push(s); // accepted, never answered
        }
    });
    let t0 = std::time::Instant::now();
    let e = ControlClient::new(addr, Duration::from_millis(300)).history().await.unwrap_err();
    assert!(matches!(e, ControlError::Timeout { .. }) && e.to_string().contains("GET /history"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3));
}

/// `PUT /policy {"model": path}` as an attacker would use it: a file outside
/// the models directory is refused unread (by `..`, absolute path or
/// symlink), a non-model file inside it is refused without echoing a byte of
/// it, a FIFO is refused at once (the node keeps answering), an oversized
/// file is refused by its size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_path_leaks_nothing_and_blocks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (rt, listener) = solo(dir.path()).await;
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    let mut cfg = AgentConfig::new(rt, "f", 10.0);
    cfg.models_dir = Some(models.clone());
    let agent = run_agent_on(cfg, listener).await.unwrap();
    let ctl = agent.control_client(Duration::from_secs(5));
    let model = |p: &std::path::Path| PolicyBody { policy: None, model: Some(p.to_path_buf()) };

    let outside = dir.path().join("solo.key");
    for p in [outside.clone(), std::path::PathBuf::from("../solo.key"), std::path::PathBuf::from("/etc/passwd")] {
        let e = ctl.set_policy(&model(&p)).await.unwrap_err();
        assert_eq!(e.status(), Some(403), "{e}");
        assert!(e.to_string().contains("outside the models directory"), "{e}");
    }
    std::os::unix::fs::symlink(&outside, models.join("link.dfpolicy")).unwrap();
    let e = ctl.set_policy(&model(std::path::Path::new("link.dfpolicy"))).await.unwrap_err();
    assert_eq!(e.status(), Some(403), "a symlink out of the directory: {e}");

    let secret = models.join("secret.seed");
    std::fs::write(&secret, "S3CR3T-SEED-0123456789").unwrap();
    let e = ctl.set_policy(&model(&secret)).await.unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert!(!e.to_string().contains("S3CR") && !e.to_string().contains("SEED"), "{e}");
    assert!(e.to_string().contains("neither a DFaaS policy file"), "{e}");

    let fifo = models.join("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let t0 = std::time::Instant::now();
    let e = ctl.set_policy(&model(&fifo)).await.unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert!(ctl.weights().await.is_ok(), "the node still answers");

    let big = models.join("big.dfpolicy");
    std::fs::File::create(&big).unwrap().set_len(65 << 20).unwrap(); // sparse: no disk used
    let e = ctl.set_policy(&model(&big)).await.unwrap_err();
    assert!(e.to_string().contains("more than"), "{e}");
    agent.shutdown().await;
}
