use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::proto::v1::{AnnounceRequest, PluginMeta};

use super::checks::{check_address, check_node, check_plugin};
use super::remote_registry::RemoteRegistry;
use crate::error::RemoteError;
use crate::heartbeat::{HeartbeatSettings, RemoteState};
use pegboard_core::Catalog;

const MS: Duration = Duration::from_millis(1);

/// A registry on a clock moved by hand: 100 ms heartbeats, unavailable
/// after 3 missed.
fn registry() -> (RemoteRegistry, Arc<Mutex<Instant>>) {
    let now = Arc::new(Mutex::new(Instant::now()));
    let clock = now.clone();
    let catalog = Catalog::new([]).unwrap();
    let registry = RemoteRegistry::builder(&catalog, "t")
        .heartbeat(HeartbeatSettings {
            interval: 100 * MS,
            unavailable_after: 3,
            ..HeartbeatSettings::default()
        })
        .clock(move || *clock.lock().unwrap())
        .build()
        .unwrap();
    (registry, now)
}

fn advance(clock: &Mutex<Instant>, by: Duration) {
    *clock.lock().unwrap() += by;
}

fn meta(kind: &str, name: &str) -> PluginMeta {
    PluginMeta {
        kind: kind.into(),
        name: name.into(),
        version: "1.0.0".into(),
        api: pegboard_api::API_VERSION.into(),
        ..PluginMeta::default()
    }
}

fn announce(node: &str, address: &str, plugins: Vec<PluginMeta>) -> AnnounceRequest {
    AnnounceRequest {
        node: node.into(),
        address: address.into(),
        plugins,
    }
}

fn states(r: &RemoteRegistry) -> Vec<(String, String, RemoteState)> {
    r.list()
        .into_iter()
        .map(|p| (p.id, p.node, p.state))
        .collect()
}

#[test]
fn an_empty_token_is_refused() {
    let catalog = Catalog::new([]).unwrap();
    let err = RemoteRegistry::builder(&catalog, "").build().unwrap_err();
    assert_eq!(err, RemoteError::EmptyToken);
}

#[test]
fn addresses_must_be_absolute_http_uris() {
    for ok in [
        "http://127.0.0.1:1",
        "https://node-7.example:443",
        "http://[::1]:50051",
    ] {
        assert_eq!(check_address(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "127.0.0.1:50051",
        "ftp://host:1",
        "/path",
        "http://",
        "not a uri",
    ] {
        assert_eq!(
            check_address(bad).map_err(|e| e.reason()),
            Err("invalid_address"),
            "{bad}"
        );
    }
}

#[test]
fn nodes_must_be_printable_labels() {
    assert_eq!(check_node("node-7"), Ok(()));
    assert!(check_node("").is_err());
    assert!(check_node("a\nb").is_err());
}

#[test]
fn each_plugin_is_checked() {
    let api = pegboard_api::api_version();
    let reason = |m: PluginMeta| check_plugin(&m, &api).map_err(|e| e.reason());
    assert_eq!(reason(meta("store", "memory")), Ok("store.memory".into()));
    assert_eq!(reason(meta("Store", "memory")), Err("invalid_name"));
    assert_eq!(reason(meta("store", "")), Err("invalid_name"));
    let mut m = meta("store", "memory");
    m.version = "1".into();
    assert_eq!(reason(m), Err("invalid_version"));
    let mut m = meta("store", "memory");
    m.api = "one".into();
    assert_eq!(reason(m), Err("invalid_api"));
    let mut m = meta("store", "memory");
    m.api = "99.0".into();
    assert_eq!(reason(m), Err("incompatible_api"));
}

#[test]
fn an_announcement_is_all_or_nothing() {
    let (r, _) = registry();
    let mut bad = meta("store", "b");
    bad.api = "99.0".into();
    let err = r
        .announce(announce("n", "http://a:1", vec![meta("store", "a"), bad]))
        .unwrap_err();
    assert_eq!(err.plugin_id(), Some("store.b"));
    assert!(r.list().is_empty());
    let err = r
        .announce(announce(
            "n",
            "http://a:1",
            vec![meta("s", "a"), meta("s", "a")],
        ))
        .unwrap_err();
    assert_eq!(
        err,
        RemoteError::Repeated {
            plugin_id: "s.a".into()
        }
    );
    assert_eq!(
        r.announce(announce("n", "http://a:1", vec![])),
        Err(RemoteError::NoPlugins)
    );
    assert!(r.list().is_empty());
}

#[test]
fn heartbeats_keep_a_session_healthy_and_silence_makes_it_unavailable() {
    let (r, clock) = registry();
    let s = r
        .announce(announce("n", "http://a:1", vec![meta("s", "a")]))
        .unwrap()
        .session;
    for _ in 0..10 {
        advance(&clock, 99 * MS);
        assert_eq!(r.heartbeat(&s), Ok(()));
        assert_eq!(r.list()[0].state, RemoteState::Healthy);
    }
    advance(&clock, 100 * MS);
    assert_eq!(r.list()[0].state, RemoteState::Unhealthy);
    assert_eq!(r.list()[0].since_last_seen, 100 * MS);
    // An unhealthy session recovers with a heartbeat.
    assert!(r.heartbeat(&s).is_ok());
    assert_eq!(r.list()[0].state, RemoteState::Healthy);
    advance(&clock, 300 * MS);
    assert_eq!(r.list()[0].state, RemoteState::Unavailable);
    // An unavailable one must announce again.
    assert_eq!(
        r.heartbeat(&s),
        Err(RemoteError::Expired { session: s.clone() })
    );
    assert_eq!(r.list()[0].state, RemoteState::Unavailable);
}

#[test]
fn a_live_plugin_keeps_its_id_against_another_node() {
    let (r, clock) = registry();
    r.announce(announce("one", "http://a:1", vec![meta("s", "a")]))
        .unwrap();
    advance(&clock, 250 * MS); // unhealthy, not yet unavailable
    let err = r
        .announce(announce("two", "http://b:1", vec![meta("s", "a")]))
        .unwrap_err();
    assert_eq!(
        err,
        RemoteError::AlreadyAnnounced {
            plugin_id: "s.a".into(),
            node: "one".into(),
            address: "http://a:1".into()
        }
    );
    // Once unavailable, the other node takes it over.
    advance(&clock, 50 * MS);
    let accepted = r
        .announce(announce("two", "http://b:1", vec![meta("s", "a")]))
        .unwrap();
    assert_eq!(accepted.replaced.len(), 1);
    assert_eq!(
        states(&r),
        [("s.a".into(), "two".into(), RemoteState::Healthy)]
    );
}

#[test]
fn the_same_node_and_address_replace_their_old_session_at_once() {
    let (r, _) = registry();
    let first = r
        .announce(announce(
            "one",
            "http://a:1",
            vec![meta("s", "a"), meta("s", "b")],
        ))
        .unwrap();
    let second = r
        .announce(announce("one", "http://a:1", vec![meta("s", "a")]))
        .unwrap();
    assert_eq!(second.replaced, std::slice::from_ref(&first.session));
    // The old session is gone with all its plugins.
    assert_eq!(
        states(&r),
        [("s.a".into(), "one".into(), RemoteState::Healthy)]
    );
    assert_eq!(
        r.heartbeat(&first.session),
        Err(RemoteError::UnknownSession {
            session: first.session
        })
    );
}

#[test]
fn withdraw_frees_the_ids() {
    let (r, _) = registry();
    let s = r
        .announce(announce("one", "http://a:1", vec![meta("s", "a")]))
        .unwrap()
        .session;
    assert_eq!(r.withdraw(&s), Ok(("one".into(), vec!["s.a".into()])));
    assert!(r.list().is_empty());
    assert!(r.withdraw(&s).is_err());
    r.announce(announce("two", "http://b:1", vec![meta("s", "a")]))
        .unwrap();
    assert_eq!(
        states(&r),
        [("s.a".into(), "two".into(), RemoteState::Healthy)]
    );
}

#[test]
fn the_listing_is_sorted_by_id_and_serializes() {
    let (r, _) = registry();
    r.announce(announce(
        "n",
        "http://a:1",
        vec![meta("s", "b"), meta("s", "a")],
    ))
    .unwrap();
    r.announce(announce("m", "http://b:1", vec![meta("r", "z")]))
        .unwrap();
    let ids: Vec<String> = r.list().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, ["r.z", "s.a", "s.b"]);
    let json = serde_json::to_value(&r.list()[0]).unwrap();
    assert_eq!(json["state"], "healthy");
    assert_eq!(json["since_last_seen"], 0);
    assert_eq!(json["node"], "m");
}
