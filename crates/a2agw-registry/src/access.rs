//! Who may use an agent: [`Access`], checked for every request before anything reaches
//! the agent. An agent a caller may not use looks to it like one that does not exist.

/// One entry of an agent's allow list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    /// The caller whose task owner string is exactly this (`anonymous`, an API key's
    /// principal `alice`, `key:<name>`, or `jwt:<issuer>|<subject>`; see the server's
    /// `Principal::owner`).
    Owner(String),
    /// Every caller whose owner string starts with this: written `jwt:<issuer>|*` for
    /// every subject of one token issuer.
    OwnerPrefix(String),
    /// A JWT caller holding this role (the configured roles claim of its token).
    Role(String),
}

impl Grant {
    /// Reads one allow-list entry: `role:<name>`, `<owner prefix>*` (e.g.
    /// `jwt:https://idp.example.com/|*`), or an owner (`anonymous`, `alice`,
    /// `jwt:https://idp.example.com/|alice`).
    pub fn parse(entry: &str) -> Result<Grant, String> {
        let entry = entry.trim();
        if entry.is_empty() {
            return Err("an allow-list entry is empty".into());
        }
        if let Some(role) = entry.strip_prefix("role:") {
            if role.is_empty() {
                return Err(format!(
                    "`{entry}`: a role entry names the role (`role:<name>`)"
                ));
            }
            return Ok(Grant::Role(role.to_owned()));
        }
        if let Some(prefix) = entry.strip_suffix('*') {
            if prefix.is_empty() || prefix.contains('*') {
                return Err(format!(
                    "`{entry}`: `*` may only end a prefix, e.g. `jwt:https://idp.example.com/|*`"
                ));
            }
            return Ok(Grant::OwnerPrefix(prefix.to_owned()));
        }
        if entry.contains('*') {
            return Err(format!("`{entry}`: `*` may only end a prefix"));
        }
        Ok(Grant::Owner(entry.to_owned()))
    }

    fn allows(&self, owner: &str, roles: &[String]) -> bool {
        match self {
            Grant::Owner(o) => o == owner,
            Grant::OwnerPrefix(p) => owner.starts_with(p.as_str()),
            Grant::Role(r) => roles.iter().any(|have| have == r),
        }
    }
}

/// Who may use an agent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Access {
    /// Every caller the gateway authenticates (the default).
    #[default]
    Everyone,
    /// Only callers matching one of these grants.
    Only(Vec<Grant>),
}

impl Access {
    /// The access an allow list gives: [`Access::Everyone`] when it is empty.
    pub fn from_entries<S: AsRef<str>>(entries: &[S]) -> Result<Access, String> {
        if entries.is_empty() {
            return Ok(Access::Everyone);
        }
        entries
            .iter()
            .map(|e| Grant::parse(e.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Access::Only)
    }

    /// Whether the caller whose tasks are owned by `owner`, holding `roles`, may use the
    /// agent.
    pub fn allows(&self, owner: &str, roles: &[String]) -> bool {
        match self {
            Access::Everyone => true,
            Access::Only(grants) => grants.iter().any(|g| g.allows(owner, roles)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn grants_match_owners_prefixes_and_roles() {
        let access =
            Access::from_entries(&["alice", "jwt:https://idp.test/|*", "role:ops"]).unwrap();
        assert!(access.allows("alice", &[]));
        assert!(!access.allows("key:alice", &[]));
        assert!(!access.allows("anonymous", &[]));
        assert!(access.allows("jwt:https://idp.test/|bob", &[]));
        assert!(!access.allows("jwt:https://other.test/|bob", &[]));
        assert!(access.allows("jwt:https://other.test/|bob", &["ops".into()]));
        assert!(!access.allows("jwt:https://other.test/|bob", &["dev".into()]));
        assert!(
            Access::from_entries::<&str>(&[])
                .unwrap()
                .allows("anyone", &[])
        );
    }

    #[test]
    fn bad_entries_are_refused_with_the_entry() {
        for bad in ["", " ", "role:", "*", "a*b", "**"] {
            let err = Grant::parse(bad).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(Grant::parse("a*b").unwrap_err().contains("a*b"));
    }
}
