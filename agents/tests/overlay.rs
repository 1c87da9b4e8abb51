//! Overlays in one process talking over 127.0.0.1 (mDNS off, bounded in time).

mod common;

use std::collections::HashSet;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;
use dfaas_agent::messages::MAX_MESSAGE_BYTES;
use dfaas_agent::overlay::parse_psk;
use dfaas_agent::{DropReason, NodeIdentity, OverlayEvent};
use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId};

const LIMIT: Duration = Duration::from_secs(30);
const PSK_A: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const PSK_B: &str = "0202020202020202020202020202020202020202020202020202020202020202";

fn id(n: &Node) -> PeerId {
    n.handle.local_peer_id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_exchange_states_via_bootstrap_and_kad() {
    tokio::time::timeout(LIMIT, async {
        let a = start("node-1", Opts::default()).await;
        let boot = a.handle.dial_addrs();
        assert_eq!(boot.len(), 1);
        assert!(boot[0].to_string().starts_with("/ip4/127.0.0.1/tcp/"));
        let b = start("node-2", Opts { bootstrap: boot.clone(), ..Opts::default() }).await;
        let c = start("node-3", Opts { bootstrap: boot, ..Opts::default() }).await;
        let pubs: Vec<_> = [&a, &b, &c].iter().map(|n| publisher(n, Duration::from_millis(200))).collect();

        // B and C only know A; Kademlia must introduce them to each other.
        eventually("C connected to B through Kademlia", Duration::from_secs(15), || c.handle.is_connected(&id(&b)))
            .await;
        for (n, others) in [(&a, [&b, &c]), (&b, [&a, &c]), (&c, [&a, &b])] {
            for o in others {
                eventually(&format!("{} hears {}", n.name, o.name), Duration::from_secs(10), || {
                    has_state_from(n, &id(o))
                })
                .await;
            }
            let now = Instant::now();
            n.handle.with_neighbors(|t| {
                assert_eq!(t.available(now).count(), 2, "{}: both neighbours available", n.name);
            });
            assert_eq!(n.handle.peers().len(), 2);
        }
        let got = c.handle.with_neighbors(|t| t.get(&id(&a)).unwrap().state.clone().unwrap());
        assert_eq!(got.node, "node-1");
        assert_eq!(got.peer_id, id(&a).to_string());
        assert_eq!(got.functions[0].spare_capacity_rps, 10.0);

        let counters = a.handle.counters();
        assert!(counters.published > 0 && counters.received > 0);
        assert_eq!(counters.dropped(), 0);
        assert!(counters.wire_bytes_in > 0 && counters.wire_bytes_out > 0);

        for p in pubs {
            p.abort();
        }
        // Shutdown is clean and peers notice at once.
        let mut a = a;
        c.handle.shutdown().await;
        assert!(!c.handle.is_running());
        eventually("A sees C go", Duration::from_secs(5), || !a.handle.is_connected(&id(&c))).await;
        assert!(!a.handle.with_neighbors(|t| t.is_available(&id(&c), Instant::now())));
        let mut saw_disconnect = false;
        while let Ok(ev) = a.events.try_recv() {
            saw_disconnect |= matches!(ev, OverlayEvent::Disconnected(p) if p == id(&c));
        }
        assert!(saw_disconnect);
        b.handle.shutdown().await;
        a.handle.shutdown().await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_preshared_key_cannot_join() {
    tokio::time::timeout(LIMIT, async {
        let key = || Some(parse_psk(PSK_A).unwrap());
        let a = start("node-1", Opts { psk: key(), ..Opts::default() }).await;
        let b = start("node-2", Opts { psk: key(), bootstrap: a.handle.dial_addrs(), ..Opts::default() }).await;
        let mut outsider = start(
            "node-x",
            Opts { psk: Some(parse_psk(PSK_B).unwrap()), bootstrap: a.handle.dial_addrs(), ..Opts::default() },
        )
        .await;
        let mut no_psk = start("node-y", Opts { bootstrap: a.handle.dial_addrs(), ..Opts::default() }).await;
        let pubs: Vec<_> =
            [&a, &b, &outsider, &no_psk].iter().map(|n| publisher(n, Duration::from_millis(100))).collect();

        eventually("members exchange", Duration::from_secs(10), || {
            has_state_from(&a, &id(&b)) && has_state_from(&b, &id(&a))
        })
        .await;
        // Give the outsiders several redial rounds.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for n in [&outsider, &no_psk] {
            assert!(n.handle.peers().is_empty(), "{} has peers", n.name);
            assert!(!a.handle.is_connected(&id(n)) && !b.handle.is_connected(&id(n)));
            assert!(!has_state_from(&a, &id(n)) && !has_state_from(n, &id(&a)));
        }
        assert!(drain_states(&mut outsider).is_empty());
        assert!(drain_states(&mut no_psk).is_empty());
        assert_eq!(a.handle.peers().len(), 1);
        // The wrong-key node did reach A's listener and failed the handshake.
        eventually("A saw failed handshakes", Duration::from_secs(12), || a.handle.counters().handshake_failed >= 1)
            .await;
        for p in pubs {
            p.abort();
        }
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_not_on_allow_list_is_refused() {
    tokio::time::timeout(LIMIT, async {
        let ids: Vec<NodeIdentity> = (0..2).map(|_| NodeIdentity::ephemeral()).collect();
        let members: HashSet<PeerId> = ids.iter().map(|i| i.peer_id).collect();
        let allow = || Some(members.clone());
        let a = start("node-1", Opts { identity: Some(ids[0].clone()), allow: allow(), ..Opts::default() }).await;
        let boot = a.handle.dial_addrs();
        let b = start(
            "node-2",
            Opts { identity: Some(ids[1].clone()), allow: allow(), bootstrap: boot.clone(), ..Opts::default() },
        )
        .await;
        // The outsider has no allow-list of its own: it would happily talk.
        let mut outsider = start("node-x", Opts { bootstrap: boot, ..Opts::default() }).await;
        let pubs: Vec<_> = [&a, &b, &outsider].iter().map(|n| publisher(n, Duration::from_millis(100))).collect();

        eventually("members exchange", Duration::from_secs(10), || {
            has_state_from(&a, &id(&b)) && has_state_from(&b, &id(&a))
        })
        .await;
        eventually("A refuses the outsider", Duration::from_secs(10), || a.handle.counters().connections_denied >= 2)
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!a.handle.peers().iter().any(|p| p.peer_id == id(&outsider)));
        assert!(!has_state_from(&a, &id(&outsider)));
        assert!(!has_state_from(&b, &id(&outsider)));
        assert!(!has_state_from(&outsider, &id(&a)));
        assert!(drain_states(&mut outsider).is_empty());
        for p in pubs {
            p.abort();
        }
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_from_non_member_relayed_by_member_is_dropped() {
    tokio::time::timeout(LIMIT, async {
        // A admits only B; B admits anyone, so the outsider reaches B, and B
        // relays the outsider's states to A, which must drop them.
        let b_id = NodeIdentity::ephemeral();
        let a_id = NodeIdentity::ephemeral();
        let allow: HashSet<PeerId> = [a_id.peer_id, b_id.peer_id].into();
        let a = start("node-1", Opts { identity: Some(a_id), allow: Some(allow), ..Opts::default() }).await;
        let b =
            start("node-2", Opts { identity: Some(b_id), bootstrap: a.handle.dial_addrs(), ..Opts::default() }).await;
        let outsider = start("node-x", Opts { bootstrap: b.handle.dial_addrs(), ..Opts::default() }).await;
        let pubs: Vec<_> = [&a, &b, &outsider].iter().map(|n| publisher(n, Duration::from_millis(100))).collect();

        eventually("B hears the outsider", Duration::from_secs(10), || has_state_from(&b, &id(&outsider))).await;
        eventually("A hears B", Duration::from_secs(10), || has_state_from(&a, &id(&b))).await;
        eventually("A drops relayed outsider states", Duration::from_secs(10), || {
            a.handle.counters().dropped_unauthorised >= 1
        })
        .await;
        assert!(!has_state_from(&a, &id(&outsider)));
        assert!(!a.handle.is_connected(&id(&outsider)));
        assert!(a.handle.is_running());
        for p in pubs {
            p.abort();
        }
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_gossip_is_dropped_and_counted() {
    tokio::time::timeout(LIMIT, async {
        let mut a = start("node-1", Opts::default()).await;
        let b = start("node-2", Opts { bootstrap: a.handle.dial_addrs(), ..Opts::default() }).await;
        let bad = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut s = state("node-2", 1);
            s.peer_id = id(&b).to_string();
            let mut v = serde_json::to_value(s).unwrap();
            f(&mut v);
            v.to_string().into_bytes()
        };
        let cases: Vec<(Vec<u8>, DropReason)> = vec![
            (b"\x00\x01 not json".to_vec(), DropReason::Malformed),
            (vec![b' '; MAX_MESSAGE_BYTES + 100], DropReason::Oversized),
            (bad(&|v| v["version"] = 7.into()), DropReason::Version),
            (bad(&|v| v["functions"][0]["load"] = (-3.0).into()), DropReason::Invalid),
            // Claims to be A: B cannot speak for A.
            (bad(&|v| v["peer_id"] = id(&a).to_string().into()), DropReason::Unauthorised),
        ];
        for (bytes, reason) in &cases {
            publish_raw(&b.handle, bytes.clone()).await;
            eventually(&format!("A counts {reason:?}"), Duration::from_secs(5), || {
                a.handle.counters().dropped_for(*reason) == 1
            })
            .await;
        }
        let counters = a.handle.counters();
        assert_eq!(counters.dropped(), cases.len() as u64);
        assert_eq!(counters.received, 0);
        assert!(drain_states(&mut a).is_empty());
        assert!(!has_state_from(&a, &id(&b)));

        // Both keep running and a valid state still gets through.
        assert!(a.handle.is_running() && b.handle.is_running());
        let mut good = state("node-2", 2);
        good.peer_id = id(&b).to_string();
        publish_raw(&b.handle, good.encode()).await;
        eventually("A accepts a valid state", Duration::from_secs(5), || has_state_from(&a, &id(&b))).await;
        assert_eq!(a.handle.counters().received, 1);
        assert_eq!(drain_states(&mut a), vec![(id(&b), good)]);

        // Peer scoring: each rejected message lowers B's score at A. Ten more
        // in a burst take it below the graylist threshold (-80): A then
        // ignores B entirely, valid states included, until it decays.
        let score = |a: &Node| a.handle.peers().iter().find(|p| p.peer_id == id(&b)).and_then(|p| p.score);
        let after_five = score(&a).expect("A scores B");
        assert!(after_five < 0.0, "5 rejected messages: score {after_five}");
        for k in 0..10 {
            publish_raw(&b.handle, bad(&|v| v["version"] = (100 + k).into())).await;
        }
        eventually("B graylisted at A", Duration::from_secs(5), || score(&a).is_some_and(|s| s < -80.0)).await;
        let dropped = a.handle.counters().dropped();
        let mut fresh = state("node-2", 3);
        fresh.peer_id = id(&b).to_string();
        publish_raw(&b.handle, fresh.encode()).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(a.handle.counters().received, 1, "a graylisted peer's valid state is ignored too");
        eprintln!(
            "peer score of B at A: {after_five:.1} after 5 rejected messages, {:.1} after 15 (graylist -80); {} of 15 reached validation",
            score(&a).unwrap_or(f64::NAN),
            dropped
        );
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_or_gone_neighbour_becomes_unavailable() {
    tokio::time::timeout(LIMIT, async {
        let a = start("node-1", Opts::default()).await;
        let b = start("node-2", Opts { bootstrap: a.handle.dial_addrs(), ..Opts::default() }).await;
        let bid = id(&b);
        // Slots of 200 ms, stale after 3 slots.
        let mut s = state("node-2", 1);
        s.peer_id = bid.to_string();
        publish_raw(&b.handle, s.encode()).await;
        eventually("A hears B", Duration::from_secs(5), || has_state_from(&a, &bid)).await;
        assert!(a.handle.with_neighbors(|t| t.is_available(&bid, Instant::now())));
        tokio::time::sleep(Duration::from_millis(700)).await;
        a.handle.with_neighbors(|t| {
            let n = t.get(&bid).unwrap();
            assert!(n.connected);
            assert!(n.age(Instant::now()).unwrap() > Duration::from_millis(600));
            assert!(!n.is_available(Instant::now(), t.config()), "silent for 3 slots");
        });
        // Heard again: available again.
        b.handle.publish(state("node-2", 2)).await.unwrap();
        eventually("B available again", Duration::from_secs(5), || {
            a.handle.with_neighbors(|t| t.is_available(&bid, Instant::now()))
        })
        .await;
        // Connection gone: unavailable at once, although the state is fresh.
        b.handle.shutdown().await;
        eventually("B unavailable after disconnect", Duration::from_secs(2), || {
            a.handle.with_neighbors(|t| !t.is_available(&bid, Instant::now()))
        })
        .await;
        assert!(a.handle.with_neighbors(|t| !t.get(&bid).unwrap().connected));
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_peer_down_does_not_block_and_is_retried() {
    tokio::time::timeout(LIMIT, async {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let b_id = NodeIdentity::ephemeral();
        let b_listen: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap();
        let b_addr = b_listen.clone().with(Protocol::P2p(b_id.peer_id));
        let t0 = Instant::now();
        let a = start("node-1", Opts { bootstrap: vec![b_addr], ..Opts::default() }).await;
        assert!(t0.elapsed() < Duration::from_secs(2), "start-up waited {:?}", t0.elapsed());
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(a.handle.peers().is_empty());
        let b = start("node-2", Opts { identity: Some(b_id), listen: Some(b_listen), ..Opts::default() }).await;
        eventually("A reaches B once it is up", Duration::from_secs(10), || a.handle.is_connected(&id(&b))).await;
    })
    .await
    .expect("test finished in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_file_identity_is_kept_across_restarts() {
    tokio::time::timeout(LIMIT, async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        let first = NodeIdentity::load_or_generate(&path).unwrap();
        let a = start("node-1", Opts { identity: Some(first.clone()), ..Opts::default() }).await;
        assert_eq!(a.handle.local_peer_id(), first.peer_id);
        a.handle.shutdown().await;
        let again = NodeIdentity::load_or_generate(&path).unwrap();
        assert!(!again.generated);
        let a2 = start("node-1", Opts { identity: Some(again), ..Opts::default() }).await;
        assert_eq!(a2.handle.local_peer_id(), first.peer_id);
    })
    .await
    .expect("test finished in time");
}

#[tokio::test]
async fn bad_config_is_an_error_not_a_panic() {
    let mut c = config(NodeIdentity::ephemeral());
    c.bootstrap = vec!["/ip4/127.0.0.1/tcp/1".parse().unwrap()];
    assert!(matches!(dfaas_agent::Overlay::start(c).await, Err(dfaas_agent::OverlayError::Config(_))));
    let mut c = config(NodeIdentity::ephemeral());
    c.listen = vec![];
    assert!(dfaas_agent::Overlay::start(c).await.is_err());
    // Without the `mdns` feature, asking for mDNS is a start-up error (nothing
    // multicasts). Builds with the feature never enable it in tests.
    #[cfg(not(feature = "mdns"))]
    {
        let mut c = config(NodeIdentity::ephemeral());
        c.mdns = true;
        assert!(dfaas_agent::Overlay::start(c).await.is_err());
    }
}

/// 64 raw TCP connections that never handshake: at most
/// `MAX_PENDING_INCOMING` are held (until the 10 s upgrade timeout), the rest
/// refused at once and counted; a real peer joins once they time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_raw_connections_is_capped_and_a_peer_still_joins() {
    tokio::time::timeout(LIMIT, async {
        let a = start("node-1", Opts::default()).await;
        let boot = a.handle.dial_addrs();
        let port = boot[0].iter().find_map(|p| if let Protocol::Tcp(port) = p { Some(port) } else { None }).unwrap();
        let mut flood = Vec::new();
        for _ in 0..64 {
            flood.push(tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap());
        }
        let cap = dfaas_agent::overlay::MAX_PENDING_INCOMING as u64;
        eventually("the connections beyond the pending cap refused", Duration::from_secs(5), || {
            a.handle.counters().connections_denied >= 64 - cap
        })
        .await;
        let b = start("node-2", Opts { bootstrap: boot, ..Opts::default() }).await;
        let _pubs = [publisher(&a, Duration::from_millis(200)), publisher(&b, Duration::from_millis(200))];
        eventually("node-2 hears node-1 despite the flood", Duration::from_secs(25), || has_state_from(&b, &id(&a)))
            .await;
        drop(flood);
    })
    .await
    .expect("within the limit");
}
