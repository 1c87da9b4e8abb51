//! Measures gossip overhead in a 3-node overlay with production timers
//! (1 s slots, one state per node per slot). Run with `--nocapture` to see the table.

mod common;

use std::time::Duration;

use common::*;
use dfaas_agent::overlay::OverlayConfig;
use dfaas_agent::{CounterSnapshot, FunctionState, NodeIdentity, NodeState, Overlay};

const SLOTS: u64 = 6;

fn realistic_state(name: &str, slot: u64) -> NodeState {
    let mut s = NodeState::new(name, libp2p::PeerId::random(), slot, "127.0.0.1:18081");
    s.degree = 2;
    for (f, spare, load) in [("figlet", 12.25, 0.61), ("shasum", 0.0, 1.37), ("nodeinfo", 30.5, 0.12)] {
        s.functions.push(FunctionState {
            name: f.into(),
            spare_capacity_rps: spare,
            load,
            capacity_rps: 2.0 * spare,
            overloaded: load > 1.0,
            agent_index: None,
        });
    }
    s
}

fn delta(a: &CounterSnapshot, b: &CounterSnapshot) -> CounterSnapshot {
    CounterSnapshot {
        published: b.published - a.published,
        published_bytes: b.published_bytes - a.published_bytes,
        received: b.received - a.received,
        received_bytes: b.received_bytes - a.received_bytes,
        wire_bytes_in: b.wire_bytes_in - a.wire_bytes_in,
        wire_bytes_out: b.wire_bytes_out - a.wire_bytes_out,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_bytes_per_node_per_slot_three_nodes() {
    tokio::time::timeout(Duration::from_secs(40), async {
        let mut nodes = Vec::new();
        let mut boot = Vec::new();
        for i in 1..=3 {
            // Production timers; only the bootstrap list is set (full mesh).
            let mut c = OverlayConfig::new(NodeIdentity::ephemeral());
            c.bootstrap = boot.clone();
            let (handle, events) = Overlay::start(c).await.unwrap();
            boot.extend(handle.dial_addrs());
            nodes.push(Node { name: format!("node-{i}"), handle, events });
        }
        let ids: Vec<_> = nodes.iter().map(|n| n.handle.local_peer_id()).collect();
        // Warm up until every node has heard both others.
        let mut slot = 0;
        for _ in 0..100 {
            for n in &nodes {
                let _ = n.handle.publish(realistic_state(&n.name, slot)).await;
            }
            slot += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            let heard = nodes.iter().all(|n| ids.iter().filter(|p| has_state_from(n, p)).count() == 2);
            if heard {
                break;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;

        let before: Vec<_> = nodes.iter().map(|n| n.handle.counters()).collect();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        for s in 0..SLOTS {
            tick.tick().await;
            for n in &nodes {
                n.handle.publish(realistic_state(&n.name, slot + s)).await.unwrap();
            }
        }
        tick.tick().await; // let the last slot's messages land
        let after: Vec<_> = nodes.iter().map(|n| n.handle.counters()).collect();

        println!("\n3-node overlay, {SLOTS} slots of 1 s, one 3-function state per node per slot");
        println!("node    payload B/msg  states in/slot  wire out B/slot  wire in B/slot");
        for (i, n) in nodes.iter().enumerate() {
            let d = delta(&before[i], &after[i]);
            let payload = d.published_bytes as f64 / d.published as f64;
            let per = |x: u64| x as f64 / SLOTS as f64;
            println!(
                "{:<7} {:>13.0}  {:>14.1}  {:>15.0}  {:>14.0}",
                n.name,
                payload,
                per(d.received),
                per(d.wire_bytes_out),
                per(d.wire_bytes_in)
            );
            assert_eq!(d.published, SLOTS);
            assert!(payload < 512.0, "payload {payload}");
            assert!(d.received >= 2 * SLOTS - 2, "{}: received {}", n.name, d.received);
            assert!(per(d.wire_bytes_out) < 16_384.0 && per(d.wire_bytes_in) < 16_384.0);
            assert_eq!(n.handle.counters().dropped(), 0);
        }
        for n in &nodes {
            n.handle.shutdown().await;
        }
    })
    .await
    .expect("test finished in time");
}
