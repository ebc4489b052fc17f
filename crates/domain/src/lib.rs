//! Pure domain model of yunwei: no IO, no SQL, no HTTP.
//!
//! Everything here is deterministic given its inputs (time comes in through
//! [`clock::Clock`]), so it is unit- and property-tested in isolation.

pub mod alerts;
pub mod audit;
pub mod calendar;
pub mod clock;
pub mod cloud;
pub mod cmdb;
pub mod crypto;
pub mod directory;
pub mod error;
pub mod ids;
pub mod labels;
pub mod mask;
pub mod org;
pub mod paging;
pub mod password;
pub mod policy;
pub mod register;
pub mod roles;
pub mod schedule;
pub mod search;
pub mod security_policy;
pub mod text;
pub mod time;

pub use error::{AppError, ErrorKind};
