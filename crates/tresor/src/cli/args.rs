//! Argument types shared by several commands: server roles, entry types and permissions by their wire names, and
//! list paging.

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use tresor_api::{EntryKind, ListQuery, PermissionName, Role};

/// A server role as written on the command line: its wire name (`server_administrator`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleArg(pub Role);

/// Every value of a wire enum (`ALL`) wrapped in its argument type, for `ValueEnum::value_variants`.
macro_rules! wrap_all {
    ($arg:ident, $wire:ident) => {{
        let mut out = [$arg($wire::ALL[0]); $wire::ALL.len()];
        let mut i = 0;
        while i < out.len() {
            out[i] = $arg($wire::ALL[i]);
            i += 1;
        }
        out
    }};
}

const ROLE_ARGS: [RoleArg; Role::ALL.len()] = wrap_all!(RoleArg, Role);

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
        page_summary(self.offset, shown, total, noun)
    }
}

/// "3 of 3 users", or "users 101–150 of 420" for a page that starts at `offset`.
pub fn page_summary(offset: Option<u32>, shown: usize, total: u64, noun: &str) -> String {
    let offset = u64::from(offset.unwrap_or(0));
    if offset == 0 && shown as u64 == total {
        format!("{shown} of {total} {noun}")
    } else if shown == 0 {
        format!("no {noun} after {offset} of {total}")
    } else {
        format!("{noun} {}–{} of {total}", offset + 1, offset + shown as u64)
    }
}

/// An entry type as written on the command line: its wire name (`password`, `credit_card`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryKindArg(pub EntryKind);

const KIND_ARGS: [EntryKindArg; EntryKind::ALL.len()] = wrap_all!(EntryKindArg, EntryKind);

impl ValueEnum for EntryKindArg {
    fn value_variants<'a>() -> &'a [Self] {
        &KIND_ARGS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.as_str()))
    }
}

/// Permission names, where `all` stands for every permission.
pub fn permissions(names: &[String]) -> anyhow::Result<Vec<PermissionName>> {
    let mut out = Vec::new();
    for name in names {
        if name == "all" {
            return Ok(PermissionName::ALL.to_vec());
        }
        match PermissionName::parse(name) {
            Some(p) if !out.contains(&p) => out.push(p),
            Some(_) => {}
            None => {
                let known: Vec<&str> = PermissionName::ALL.iter().map(|p| p.as_str()).collect();
                anyhow::bail!("unknown permission {name:?}; use all or one of: {}", known.join(", "));
            }
        }
    }
    Ok(out)
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

    #[test]
    fn kinds_and_permissions_have_their_wire_names() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKindArg::from_str(kind.as_str(), false).expect("kind"), EntryKindArg(kind));
        }
        let names = |v: &[&str]| permissions(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(names(&["read", "access", "read"]).expect("ok"), [PermissionName::Read, PermissionName::Access]);
        assert_eq!(names(&["read", "all"]).expect("all").len(), PermissionName::ALL.len());
        assert!(names(&["fly"]).is_err());
    }
}
