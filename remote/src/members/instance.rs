//! An instance of a member: a client stub of its kind whose calls go where
//! it last announced itself, with the hooks that spawn, watch and stop it.

use std::sync::Arc;

use crate::proto::v1::{InvokeRequest, InvokeResponse};

use super::hooks::MemberHooks;
use super::state::RemoteMembers;
use crate::kind::{Invoker, RemoteKind, Transport, TransportError};
use pegboard_core::BoxError;
use pegboard_core::Context;
use pegboard_core::Instance;

/// The factory of every member of kind `K`: a client stub whose calls go
/// where the member last announced itself, and the hooks that spawn,
/// watch and stop it.
pub(super) fn member_factory<K: RemoteKind + ?Sized>(
    ctx: &Context<'_>,
    _config: serde_json::Value,
) -> Result<Instance, BoxError> {
    let members = ctx
        .registry()
        .members()
        .and_then(|m| m.as_any().downcast_ref::<RemoteMembers>())
        .ok_or("a remote member built by a registry without its `RemoteMembers`")?;
    let index = *members
        .shared
        .by_id
        .get(ctx.id())
        .ok_or("not a declared remote member")?;
    let member = &members.shared.members[index];
    if let Some(missing) = &member.missing {
        return Err(missing.clone().into());
    }
    let transport = MemberTransport {
        members: members.clone(),
        index,
    };
    let stub = K::stub(Invoker::new(member.kind, member.name, Arc::new(transport)));
    let hooks = Arc::new(MemberHooks::new(members.clone(), index));
    Ok(Instance::new::<K>(stub).with_lifecycle(hooks))
}

/// Sends a stub's calls to where its member last announced itself.
struct MemberTransport {
    members: RemoteMembers,
    index: usize,
}

impl Transport for MemberTransport {
    fn invoke(&self, request: InvokeRequest) -> Result<InvokeResponse, TransportError> {
        let member = &self.members.shared.members[self.index];
        let link = member.link.borrow().clone();
        match link.as_ref().map(|l| &l.transport) {
            Some(Ok(transport)) => transport.invoke(request),
            Some(Err(reason)) => Err(TransportError::Status {
                code: tonic::Code::Unavailable,
                message: format!("plugin `{}` cannot be reached: {reason}", member.id),
            }),
            None => Err(TransportError::Status {
                code: tonic::Code::Unavailable,
                message: format!("plugin `{}` is not announced", member.id),
            }),
        }
    }
}
