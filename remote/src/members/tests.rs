use crate::error::RemoteError;
use crate::kind::RemoteCallError;
use crate::link::DeclaredMembers;
use pegboard_core::extend::Members;
use pegboard_core::{Connection, Location};

use super::state::{RemoteMembers, lock};

#[pegboard::kind(remote)]
pub trait Probe {
    fn probe(&self, x: u32) -> Result<u32, ProbeError>;
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ProbeError(String);

impl From<RemoteCallError> for ProbeError {
    fn from(e: RemoteCallError) -> Self {
        ProbeError(e.to_string())
    }
}

fn members() -> RemoteMembers {
    RemoteMembers::builder()
        .remote::<dyn Probe>("far", "^1")
        .unwrap()
        .remote::<dyn Probe>("near", "*")
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn a_process_token_announces_only_its_own_plugin() {
    let m = members();
    let far = m.member("probe.far").unwrap();
    *lock(&far.token) = Some("t-far".to_owned());
    assert_eq!(m.token_owner(b"t-far"), Some("probe.far"));
    assert_eq!(m.token_owner(b"t-fa"), None);
    assert_eq!(m.token_owner(b"t-far!"), None);
    assert!(matches!(
        m.check("probe.near", "1.0.0", Some("probe.far")),
        Err(RemoteError::TokenNotFor { ref plugin_id, ref owner })
            if plugin_id == "probe.near" && owner == "probe.far"
    ));
    assert!(m.check("probe.far", "1.0.0", Some("probe.far")).is_ok());
}

#[test]
fn declared_versions_are_enforced_and_undeclared_ids_left_alone() {
    let m = members();
    assert!(matches!(
        m.check("probe.far", "2.0.0", None),
        Err(RemoteError::UnexpectedVersion { ref requirement, .. }) if requirement == "^1"
    ));
    assert!(m.check("probe.far", "1.4.2", None).is_ok());
    assert!(m.check("probe.near", "9.9.9", None).is_ok());
    assert!(m.check("probe.other", "0.0.1", None).is_ok());
}

#[test]
fn a_withdrawal_only_forgets_the_session_that_announced() {
    let m = members();
    m.connect(
        "probe.far",
        "http://10.0.0.1:1",
        "node-a",
        "1.0.0",
        "s1",
        "t",
    );
    let placement = |m: &RemoteMembers| m.placement("probe.far").unwrap();
    assert_eq!(placement(&m).node.as_deref(), Some("node-a"));
    m.disconnect("probe.far", "s0");
    assert_eq!(
        placement(&m).endpoint.unwrap().address.as_deref(),
        Some("http://10.0.0.1:1")
    );
    m.disconnect("probe.far", "s1");
    let endpoint = placement(&m).endpoint.unwrap();
    assert_eq!(
        (endpoint.address, endpoint.connection),
        (None, Connection::NotAnnounced)
    );
    assert_eq!(placement(&m).location, Location::Remote);
    assert_eq!(m.placement("probe.other"), None);
}
