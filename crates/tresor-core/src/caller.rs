//! Who is asking, and what they may do: a [`Caller`] is an authenticated session; a [`Capability`] is proof,
//! checked once here, that the caller holds the server role an operation needs. Services take capabilities as
//! arguments, so an operation cannot be reached without its check; a capability also says who holds it (and from
//! which address), so that the server log can name the actor of every administrative act.

use std::net::IpAddr;

use crate::accounts::{NamedRef, Role, RoleSet, User};
use crate::error::CoreError;
use crate::ids::{GroupId, SessionId, UserId};
use crate::session::SessionRecord;

/// An authenticated caller: a live session and the account behind it, as of this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: std::sync::Arc<SessionRecord>,
    pub user: std::sync::Arc<User>,
    /// The groups the user is a direct member of, as of the cached session.
    pub groups: std::sync::Arc<Vec<NamedRef<GroupId>>>,
    /// The address this request came from.
    pub address: IpAddr,
}

impl Caller {
    pub fn user_id(&self) -> UserId {
        self.user.id
    }
    pub fn session_id(&self) -> SessionId {
        self.session.id
    }
    /// The roles in force: the super administrator holds every administrative power.
    pub fn effective_roles(&self) -> RoleSet {
        if self.user.is_super_admin() { Role::ALL.into_iter().collect() } else { self.user.roles }
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.effective_roles().contains(role)
    }
    /// Refuses a caller who must change the password first (seed manual: "must change password at next logon").
    pub fn ready(self) -> Result<Caller, CoreError> {
        if self.user.options.must_change_password {
            return Err(CoreError::PasswordChangeRequired);
        }
        Ok(self)
    }
    /// Refuses the super administrator, who manages the server but cannot open databases as a client.
    pub fn as_client(&self) -> Result<&Caller, CoreError> {
        if self.user.is_super_admin() {
            return Err(CoreError::SuperAdminNotAClient);
        }
        Ok(self)
    }
    pub fn require<C: Capability>(&self) -> Result<C, CoreError> {
        C::grant(self).ok_or_else(|| CoreError::Forbidden(format!("this needs {}", C::NEEDS)))
    }
}

/// Proof that a caller may do a class of operations. Constructed only by [`Caller::require`].
pub trait Capability: Sized + Send + Sync + 'static {
    /// Says in words who may: "the Account Administrator or Server Administrator role".
    const NEEDS: &'static str;
    fn grant(caller: &Caller) -> Option<Self>;
}

macro_rules! capability {
    ($(#[$doc:meta])* $name:ident, $needs:literal, |$c:ident| $rule:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            /// Who holds it, from where: the server log names the holder of every administrative act.
            holder: Caller,
            /// Whether the holder is a Server Administrator (or the super administrator).
            server_admin: bool,
        }

        impl $name {
            pub fn actor(&self) -> UserId {
                self.holder.user_id()
            }
            /// The caller the capability was checked for.
            pub fn caller(&self) -> &Caller {
                &self.holder
            }
            pub fn is_server_admin(&self) -> bool {
                self.server_admin
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("actor", &self.holder.user_id())
                    .field("server_admin", &self.server_admin)
                    .finish()
            }
        }

        impl Capability for $name {
            const NEEDS: &'static str = $needs;
            fn grant($c: &Caller) -> Option<Self> {
                let server_admin = $c.has_role(Role::ServerAdministrator);
                ($rule || server_admin).then(|| $name { holder: $c.clone(), server_admin })
            }
        }
    };
}

capability!(
    /// Add and manage users and groups (seed manual, Roles → Account Administrator).
    ManageAccounts,
    "the Account Administrator or Server Administrator role",
    |c| c.has_role(Role::AccountAdministrator)
);
capability!(
    /// See and end other users' sessions (seed manual, Users → Disconnect).
    ManageSessions,
    "the Account Administrator or Server Administrator role",
    |c| c.has_role(Role::AccountAdministrator)
);
capability!(
    /// See the server dashboard: any administrative role.
    ViewServer,
    "a server role",
    |c| !c.effective_roles().is_empty()
);
capability!(
    /// Change the server's settings and pause or continue it (seed manual, Manage): Server Administrators only.
    ManageServer,
    "the Server Administrator role",
    // No other role grants it: the macro adds Server Administrators (and the super administrator) to every rule.
    |_c| false
);
capability!(
    /// Read and export the server log (seed manual, Roles → Event Log Reader).
    ReadLog,
    "the Event Log Reader or Server Administrator role",
    |c| c.has_role(Role::EventLogReader)
);
