//! Argument types shared by several commands: server roles by their wire names, and list paging.

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use tresor_api::{ListQuery, Role};

/// A server role as written on the command line: its wire name (`server_administrator`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleArg(pub Role);

const ROLE_ARGS: [RoleArg; Role::ALL.len()] = {
    let mut out = [RoleArg(Role::ServerAdministrator); Role::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = RoleArg(Role::ALL[i]);
        i += 1;
    }
    out
};

impl ValueEnum for RoleArg {
    fn value_variants<'a>() -> &'a [Self] {
        &ROLE_ARGS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self.0 {
            Role::ServerAdministrator => "full access to the server and its administration",
            Role::DatabaseAdministrator => "creates and manages databases and users' access rights",
            Role::AccountAdministrator => "adds and manages users and groups",
            Role::DirectoryOperator => "runs directory synchronisation (with database or account administrator)",
            Role::EventLogReader => "reads the server log",
        };
        Some(PossibleValue::new(self.0.as_str()).help(help))
    }
}

/// Filter and paging of `list` commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only entries whose name (for users also full name, email or department) contains this text.
    #[arg(long, short = 'q', value_name = "TEXT")]
    query: Option<String>,
    /// Skip this many entries.
    #[arg(long, value_name = "N")]
    offset: Option<u32>,
    /// Show at most this many entries (server default 100, at most 1000).
    #[arg(long, value_name = "N")]
    limit: Option<u32>,
}

impl ListArgs {
    pub fn query(&self) -> ListQuery {
        ListQuery { q: self.query.clone(), offset: self.offset, limit: self.limit }
    }

    /// "3 of 3 users", or "users 101–150 of 420" when paged.
    pub fn summary(&self, shown: usize, total: u64, noun: &str) -> String {
        let offset = u64::from(self.offset.unwrap_or(0));
        if offset == 0 && shown as u64 == total {
            format!("{shown} of {total} {noun}")
        } else if shown == 0 {
            format!("no {noun} after {offset} of {total}")
        } else {
            format!("{noun} {}–{} of {total}", offset + 1, offset + shown as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_its_wire_name() {
        for role in Role::ALL {
            let parsed = RoleArg::from_str(role.as_str(), false).expect("role");
            assert_eq!(parsed, RoleArg(role));
        }
        assert!(RoleArg::from_str("root", false).is_err());
    }
}
