//! Time-ordered identifiers (UUIDv7) stored as their canonical text form so
//! that the same column type works on SQLite and PostgreSQL.

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Accepts only a well-formed UUID (any version), normalised to lower case.
pub fn parse_id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s.trim()).ok().map(|u| u.to_string())
}
