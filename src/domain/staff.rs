//! Staff members (officers, operators, auditors) and their roles. A staff member may hold several roles;
//! each protected area requires one of them.
use super::ids::{PhoneNumber, Username};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Service-desk officer (citizen accounts, smsPASS activation).
    Officer,
    /// Connects e-services (SP metadata and policy).
    Operator,
    /// Reads the audit trail.
    Auditor,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoleError {
    #[error("unknown role {0:?} (officer, operator or auditor)")]
    Unknown(String),
    #[error("a staff member needs at least one role")]
    None,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Officer, Role::Operator, Role::Auditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// The message key of the role's name.
    pub fn message_key(self) -> &'static str {
        match self {
            Role::Officer => "staff.role.officer",
            Role::Operator => "staff.role.operator",
            Role::Auditor => "staff.role.auditor",
        }
    }

    pub fn parse(raw: &str) -> Result<Role, RoleError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "officer" => Ok(Role::Officer),
            "operator" => Ok(Role::Operator),
            "auditor" => Ok(Role::Auditor),
            other => Err(RoleError::Unknown(other.to_string())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty set of roles, kept sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(Vec<Role>);

impl Roles {
    pub fn new(mut roles: Vec<Role>) -> Result<Roles, RoleError> {
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(RoleError::None);
        }
        Ok(Roles(roles))
    }

    /// Parses the stored form: role names separated by commas.
    pub fn parse_list(raw: &str) -> Result<Roles, RoleError> {
        let roles = raw
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Role::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Roles::new(roles)
    }

    pub fn has(&self, r: Role) -> bool {
        self.0.contains(&r)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    /// The stored form ("auditor,operator").
    pub fn to_list(&self) -> String {
        self.0
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub username: Username,
    pub display_name: String,
    pub phone: PhoneNumber,
    pub roles: Roles,
    pub locked: bool,
    pub created_at: i64,
}

impl StaffMember {
    pub fn has_role(&self, r: Role) -> bool {
        self.roles.has(r)
    }
    /// The actor name used in audit events.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_check() {
        let r = Roles::parse_list("operator,auditor,operator");
        assert_eq!(
            r.as_ref().map(Roles::to_list).ok().as_deref(),
            Some("operator,auditor")
        );
        let Ok(r) = r else { return };
        assert!(r.has(Role::Operator));
        assert!(r.has(Role::Auditor));
        assert!(!r.has(Role::Officer));
    }

    #[test]
    fn unknown_or_empty_roles_are_refused() {
        assert_eq!(
            Role::parse("admin"),
            Err(RoleError::Unknown("admin".into()))
        );
        assert_eq!(Roles::parse_list(""), Err(RoleError::None));
        assert_eq!(Roles::new(vec![]), Err(RoleError::None));
        assert!(Roles::parse_list("officer,root").is_err());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
            assert_eq!(Role::parse(&r.as_str().to_uppercase()), Ok(r));
        }
    }
}
