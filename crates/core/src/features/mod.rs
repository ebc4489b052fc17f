//! Floor 3, the features: what the regulations ask beyond the two engines.
//! A feature imports the kernel, the engines and the features it names
//! below it in the list, never one above (the `core_floors` test).

pub mod access;
pub mod alerts;
pub mod archives;
pub mod auth;
pub mod bootstrap;
pub mod cloud;
pub mod cmdb;
pub mod departure;
pub mod directory;
pub mod fault_statistics;
pub mod home;
pub mod hooks;
pub mod inspections;
pub mod knowledge;
pub mod metrics;
pub mod mfa;
pub mod orgs;
pub mod overdue;
pub mod passwords;
pub mod policy;
pub mod projects;
pub mod publications;
pub mod reports;
pub mod reviews;
pub mod roles;
pub mod rules;
pub mod search_index;
pub mod ukey;
pub mod users;
