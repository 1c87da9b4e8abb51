//! The control endpoint against callers on the same host (issue 11,
//! finding 5): a function that calls back into its own node, a request
//! without the node's token, a DNS-rebound Host.

mod common;

use common::*;
use dfaas_runtime::Weights;
use hyper::{Method, StatusCode};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_calling_back_into_its_node_cannot_change_weights() {
    // The port is known before the config is written: the function PUTs
    // "reject everything" to its own gateway's control endpoint and prints
    // the status it got.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let script = format!(
        "import urllib.request as u\ntry:\n    r = u.urlopen(u.Request('http://127.0.0.1:{port}/control/weights/evil', data=b'{{\"reject\": 1}}', method='PUT'), timeout=5)\n    print(r.status)\nexcept Exception as e:\n    print(getattr(e, 'code', e))\n"
    );
    let body = format!(
        "\n[[functions]]\nname = \"evil\"\nbackend = {{ kind = \"process\", command = \"python3\", args = [\"-c\", {script:?}], timeout_s = 5.0 }}\nadmission = {{ max_concurrency = 2, queue = 2 }}\n"
    );
    let cl = Cluster::start_on(vec![Plan { id: "a".into(), body, peers: vec![] }], &[port]).await;
    let c = client();
    let r = call(&c, cl.addrs[0], Method::POST, "/function/evil", "", &[]).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.text().trim(), "401", "the function's own call to the control endpoint");
    assert_eq!(cl.node(0).weights("evil").unwrap(), Weights::all_local(), "weights unchanged");
    cl.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_endpoint_needs_the_token_and_a_loopback_host() {
    let cl = Cluster::start(vec![Plan { id: "a".into(), body: instant_fn("f", 2, 2, "{ local = 1 }"), peers: vec![] }])
        .await;
    let (c, a) = (client(), cl.addrs[0]);
    let put = |headers: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move { call(&c, a, Method::PUT, "/control/weights/f", r#"{"reject": 1}"#, &headers).await.unwrap() }
    };
    let none = put(vec![]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED, "{}", none.text());
    assert_eq!(none.header("www-authenticate"), Some("Bearer"));
    let wrong = put(vec![("authorization", "Bearer 0123456789abcdef0123456789abcdef".into())]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let mut rebound = cl.auth(0);
    rebound.push(("host", format!("attacker.example:{}", a.port())));
    assert_eq!(put(rebound).await.status, StatusCode::FORBIDDEN, "a DNS-rebound page's Host");
    assert_eq!(cl.node(0).weights("f").unwrap(), Weights::all_local(), "nothing applied so far");
    assert_eq!(put(cl.auth(0)).await.status, StatusCode::OK, "with the token");
    assert_eq!(cl.node(0).weights("f").unwrap().reject, 1);
    // The token file is the owner's only.
    let token_file = cl.dir.path().join("a.control.token");
    assert_eq!(dfaas_runtime::keys::exposure(&token_file), None);
    cl.shutdown().await;
}
