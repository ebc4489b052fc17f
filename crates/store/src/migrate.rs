//! Portable migrations, written once with sea-query's schema builder and
//! rendered for each backend. Each migration runs in its own transaction and
//! is recorded in `schema_migrations`.

use sea_query::{
    ColumnDef, Expr, ExprTrait, ForeignKey, Func, Index, IndexCreateStatement,
    PostgresQueryBuilder, Query, SqliteQueryBuilder, Table, TableCreateStatement,
};
use yunwei_domain::AppError;

use crate::db::{Backend, Db, RowExt};

// Built once per migration run; boxing would only add noise.
#[allow(clippy::large_enum_variant)]
enum Step {
    Table(TableCreateStatement),
    Index(IndexCreateStatement),
    /// A statement sea-query cannot express (full-text search), written
    /// once per backend; an empty string means nothing to do there.
    Raw {
        sqlite: &'static str,
        postgres: &'static str,
    },
}

struct Migration {
    version: i64,
    name: &'static str,
    steps: fn(Backend) -> Vec<Step>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        steps: foundation,
    },
    Migration {
        version: 2,
        name: "calendar",
        steps: calendar,
    },
    Migration {
        version: 3,
        name: "search",
        steps: search,
    },
    Migration {
        version: 4,
        name: "tickets",
        steps: tickets,
    },
    Migration {
        version: 5,
        name: "knowledge",
        steps: knowledge,
    },
    Migration {
        version: 6,
        name: "ticket_list_indexes",
        steps: ticket_list_indexes,
    },
    Migration {
        version: 7,
        name: "cmdb",
        steps: cmdb,
    },
    Migration {
        version: 8,
        name: "controls",
        steps: controls,
    },
    Migration {
        version: 9,
        name: "archives",
        steps: archives,
    },
    Migration {
        version: 10,
        name: "registers",
        steps: registers,
    },
    Migration {
        version: 11,
        name: "grant_expiry",
        steps: grant_expiry,
    },
    Migration {
        version: 12,
        name: "ukeys",
        steps: ukeys,
    },
    Migration {
        version: 13,
        name: "db_access_and_prelaunch_checks",
        steps: db_access,
    },
    Migration {
        version: 14,
        name: "vulnerabilities",
        steps: vulnerabilities,
    },
    Migration {
        version: 15,
        name: "security_reviews",
        steps: security_reviews,
    },
    Migration {
        version: 16,
        name: "user_totp",
        steps: user_totp,
    },
    Migration {
        version: 17,
        name: "access_grants",
        steps: access_grants,
    },
    Migration {
        version: 18,
        name: "ukey_public_key",
        steps: ukey_public_key,
    },
    Migration {
        version: 19,
        name: "ticket_owners",
        steps: ticket_owners,
    },
    Migration {
        version: 20,
        name: "notification_links",
        steps: notification_links,
    },
    Migration {
        version: 21,
        name: "search_audience",
        steps: search_audience,
    },
    Migration {
        version: 22,
        name: "cloud",
        steps: cloud,
    },
    Migration {
        version: 23,
        name: "cloud_usage",
        steps: cloud_usage,
    },
    Migration {
        version: 24,
        name: "cloud_billing",
        steps: cloud_billing,
    },
    Migration {
        version: 25,
        name: "cloud_duties",
        steps: cloud_duties,
    },
    Migration {
        version: 26,
        name: "it_projects",
        steps: it_projects,
    },
    Migration {
        version: 27,
        name: "registers_of_issue_16",
        steps: registers_v27,
    },
    Migration {
        version: 28,
        name: "password_expiry_reminder",
        steps: password_expiry_reminder,
    },
    Migration {
        version: 29,
        name: "log_reviews_scans_network_checks",
        steps: registers_v29,
    },
    Migration {
        version: 30,
        name: "contract_milestones",
        steps: contract_milestones,
    },
    Migration {
        version: 31,
        name: "implementation_plans_and_dev_teams",
        steps: registers_v31,
    },
    Migration {
        version: 32,
        name: "directory_accounts",
        steps: directory_accounts,
    },
    Migration {
        version: 33,
        name: "notification_outbox",
        steps: notification_outbox,
    },
    Migration {
        version: 34,
        name: "audit_forwarding",
        steps: audit_forwarding,
    },
    Migration {
        version: 35,
        name: "alert_incidents",
        steps: alert_incidents,
    },
];

fn id_col() -> ColumnDef {
    ColumnDef::new("id")
        .text()
        .not_null()
        .primary_key()
        .to_owned()
}
fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}
fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}
fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}
fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}
/// Paths compare byte-wise on both backends so a subtree is one range.
fn path_col(name: &'static str, backend: Backend) -> ColumnDef {
    let mut c = text(name);
    if backend == Backend::Postgres {
        c.extra("COLLATE \"C\"");
    }
    c
}
fn index(name: &str, table: &'static str, cols: &[&'static str]) -> Step {
    let mut i = Index::create();
    i.name(name).table(table).if_not_exists();
    for c in cols {
        i.col(*c);
    }
    Step::Index(i.to_owned())
}
fn unique(name: &str, table: &'static str, cols: &[&'static str]) -> Step {
    let Step::Index(mut i) = index(name, table, cols) else {
        unreachable!()
    };
    i.unique();
    Step::Index(i)
}
fn fk(
    from: &'static str,
    col: &'static str,
    to: &'static str,
) -> sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{col}"))
        .from(from, col)
        .to(to, "id")
        .to_owned()
}

fn foundation(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("orgs")
                .if_not_exists()
                .col(id_col())
                .col(text_null("parent_id"))
                .col(path_col("path", b))
                .col(text("kind"))
                .col(text("name"))
                .col(int("created_at"))
                .foreign_key(&mut fk("orgs", "parent_id", "orgs"))
                .to_owned(),
        ),
        unique("uq_orgs_path", "orgs", &["path"]),
        unique("uq_orgs_parent_name", "orgs", &["parent_id", "name"]),
        Step::Table(
            Table::create()
                .table("users")
                .if_not_exists()
                .col(id_col())
                .col(text("username"))
                .col(text("display_name"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("password_hash"))
                .col(int("must_change_password"))
                .col(text("status"))
                .col(int("failed_attempts"))
                .col(int_null("locked_until"))
                .col(text_null("phone_enc"))
                .col(text_null("phone_masked"))
                .col(text_null("id_number_enc"))
                .col(text_null("id_number_masked"))
                .col(int("builtin"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .col(int("password_changed_at"))
                .foreign_key(&mut fk("users", "org_id", "orgs"))
                .to_owned(),
        ),
        unique("uq_users_username", "users", &["username"]),
        index("ix_users_org_path", "users", &["org_path", "username"]),
        Step::Table(
            Table::create()
                .table("password_history")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("password_hash"))
                .col(int("created_at"))
                .foreign_key(&mut fk("password_history", "user_id", "users"))
                .to_owned(),
        ),
        index(
            "ix_password_history_user",
            "password_history",
            &["user_id", "created_at"],
        ),
        Step::Table(
            Table::create()
                .table("role_grants")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("role"))
                .col(text("scope_org_id"))
                .col(path_col("scope_path", b))
                .col(int("subtree"))
                .col(text("granted_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk("role_grants", "user_id", "users"))
                .foreign_key(&mut fk("role_grants", "scope_org_id", "orgs"))
                .to_owned(),
        ),
        unique(
            "uq_role_grants",
            "role_grants",
            &["user_id", "role", "scope_org_id"],
        ),
        index("ix_role_grants_scope", "role_grants", &["scope_path"]),
        Step::Table(
            Table::create()
                .table("sessions")
                .if_not_exists()
                .col(id_col())
                .col(text("token_hash"))
                .col(text("user_id"))
                .col(text("csrf_token"))
                .col(text("source_ip"))
                .col(text("user_agent"))
                .col(int("created_at"))
                .col(int("last_seen_at"))
                .col(int_null("ended_at"))
                .col(text_null("end_reason"))
                .foreign_key(&mut fk("sessions", "user_id", "users"))
                .to_owned(),
        ),
        unique("uq_sessions_token_hash", "sessions", &["token_hash"]),
        index("ix_sessions_user", "sessions", &["user_id", "created_at"]),
        Step::Table(
            Table::create()
                .table("api_tokens")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("name"))
                .col(text("token_hash"))
                .col(int("created_at"))
                .col(int("expires_at"))
                .col(int_null("revoked_at"))
                .col(int_null("last_used_at"))
                .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                .to_owned(),
        ),
        unique("uq_api_tokens_hash", "api_tokens", &["token_hash"]),
        index(
            "ix_api_tokens_user",
            "api_tokens",
            &["user_id", "created_at"],
        ),
        Step::Table(
            Table::create()
                .table("settings")
                .if_not_exists()
                .col(ColumnDef::new("key").text().not_null().primary_key())
                .col(text("value"))
                .col(int("updated_at"))
                .to_owned(),
        ),
        Step::Table(
            Table::create()
                .table("audit_log")
                .if_not_exists()
                .col(ColumnDef::new("seq").big_integer().not_null().primary_key())
                .col(text("id"))
                .col(int("at_us"))
                .col(text_null("actor_id"))
                .col(text("actor_name"))
                .col(text("actor_role"))
                .col(path_col("org_path", b))
                .col(text("source_ip"))
                .col(text("action"))
                .col(text("object_type"))
                .col(text("object_id"))
                .col(text("before_summary"))
                .col(text("after_summary"))
                .col(text("reason"))
                .col(text("result"))
                .col(text("request_id"))
                .col(text("mac"))
                .to_owned(),
        ),
        unique("uq_audit_log_id", "audit_log", &["id"]),
        index("ix_audit_log_at", "audit_log", &["at_us"]),
        index("ix_audit_log_org", "audit_log", &["org_path", "seq"]),
        index("ix_audit_log_actor", "audit_log", &["actor_name", "seq"]),
        index("ix_audit_log_action", "audit_log", &["action", "seq"]),
        index(
            "ix_audit_log_object",
            "audit_log",
            &["object_type", "object_id", "seq"],
        ),
        Step::Table(
            Table::create()
                .table("audit_head")
                .if_not_exists()
                .col(ColumnDef::new("id").big_integer().not_null().primary_key())
                .col(int("seq"))
                .col(text("mac"))
                .col(text("seal"))
                .to_owned(),
        ),
    ]
}

/// The working-day calendar (DESIGN.md section 6): listed days of the
/// holiday notices merged by date, and one row per imported notice year.
fn calendar(_: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("calendar_days")
                .if_not_exists()
                // 'YYYY-MM-DD', so text order is date order.
                .col(ColumnDef::new("date").text().not_null().primary_key())
                .col(int("off_day"))
                .col(text("name"))
                // The notice (file) year that lists the date.
                .col(int("year"))
                .to_owned(),
        ),
        index("ix_calendar_days_year", "calendar_days", &["year", "date"]),
        Step::Table(
            Table::create()
                .table("calendar_years")
                .if_not_exists()
                .col(
                    ColumnDef::new("year")
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                // JSON array of the notice addresses; '[]' = not announced.
                .col(text("papers"))
                .col(int("imported_at"))
                .col(text("source"))
                .to_owned(),
        ),
    ]
}

/// Full-text search (docs/adr/0004-chinese-search.md): one row per
/// searchable document with its scope path, plus the database's own
/// full-text index of the tokens computed in Rust. SQLite keeps them in a
/// contentless FTS5 table linked by `fts_rowid`; PostgreSQL in a weighted
/// `tsvector` column with a GIN index.
fn tickets(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("tickets")
                .if_not_exists()
                .col(id_col())
                .col(text("number"))
                .col(text("pack_id"))
                .col(text("pack_version"))
                .col(text("process_id"))
                .col(text("title"))
                .col(text("state"))
                .col(int("state_since"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("requester_id"))
                .col(text_null("assignee_id"))
                .col(text("fields_json"))
                .col(text_null("level"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .col(int_null("closed_at"))
                .col(int_null("due_at"))
                .col(int("overdue"))
                .foreign_key(&mut fk("tickets", "org_id", "orgs"))
                .foreign_key(&mut fk("tickets", "requester_id", "users"))
                .to_owned(),
        ),
        unique("uq_tickets_number", "tickets", &["number"]),
        index("ix_tickets_org", "tickets", &["org_path", "created_at"]),
        index("ix_tickets_created", "tickets", &["created_at"]),
        index(
            "ix_tickets_process",
            "tickets",
            &["process_id", "state", "created_at"],
        ),
        index(
            "ix_tickets_assignee",
            "tickets",
            &["assignee_id", "created_at"],
        ),
        index(
            "ix_tickets_requester",
            "tickets",
            &["requester_id", "created_at"],
        ),
        index("ix_tickets_due", "tickets", &["overdue", "due_at"]),
        Step::Table(
            Table::create()
                .table("ticket_events")
                .if_not_exists()
                .col(id_col())
                .col(text("ticket_id"))
                .col(int("at"))
                .col(text_null("actor_id"))
                .col(text("actor_name"))
                .col(text("kind"))
                .col(text_null("from_state"))
                .col(text_null("to_state"))
                .col(text("label"))
                .col(text("body"))
                .foreign_key(&mut fk("ticket_events", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_ticket_events_ticket",
            "ticket_events",
            &["ticket_id", "at"],
        ),
        Step::Table(
            Table::create()
                .table("ticket_votes")
                .if_not_exists()
                .col(id_col())
                .col(text("ticket_id"))
                .col(text("approval_id"))
                .col(text("pack_role"))
                .col(text("user_id"))
                .col(int("approve"))
                .col(text("comment"))
                .col(int("at"))
                .foreign_key(&mut fk("ticket_votes", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_ticket_votes_ticket",
            "ticket_votes",
            &["ticket_id", "at"],
        ),
        Step::Table(
            Table::create()
                .table("ticket_attachments")
                .if_not_exists()
                .col(id_col())
                .col(text("ticket_id"))
                .col(text("kind"))
                .col(text("filename"))
                .col(text("sm3"))
                .col(int("size"))
                .col(text("uploaded_by"))
                .col(int("at"))
                .foreign_key(&mut fk("ticket_attachments", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_ticket_attachments_ticket",
            "ticket_attachments",
            &["ticket_id", "at"],
        ),
        Step::Table(
            Table::create()
                .table("ticket_links")
                .if_not_exists()
                .col(id_col())
                .col(text("from_ticket"))
                .col(text("to_ticket"))
                .col(text("kind"))
                .col(int("created_at"))
                .to_owned(),
        ),
        index("ix_ticket_links_from", "ticket_links", &["from_ticket"]),
        index("ix_ticket_links_to", "ticket_links", &["to_ticket"]),
        Step::Table(
            Table::create()
                .table("ticket_timers")
                .if_not_exists()
                .col(id_col())
                .col(text("ticket_id"))
                .col(text("timer_id"))
                .col(text("status"))
                .col(int("started_at"))
                .col(int("due_at"))
                .col(int_null("warn_at"))
                .col(int_null("remaining_us"))
                .col(int("warned"))
                .col(int("breached"))
                .col(int_null("stopped_at"))
                .foreign_key(&mut fk("ticket_timers", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index("ix_ticket_timers_ticket", "ticket_timers", &["ticket_id"]),
        index(
            "ix_ticket_timers_due",
            "ticket_timers",
            &["status", "due_at"],
        ),
        index(
            "ix_ticket_timers_warn",
            "ticket_timers",
            &["status", "warn_at"],
        ),
        Step::Table(
            Table::create()
                .table("notifications")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text_null("ticket_id"))
                .col(text("kind"))
                .col(text("title"))
                .col(text("body"))
                .col(int("created_at"))
                .col(int_null("read_at"))
                .to_owned(),
        ),
        index(
            "ix_notifications_user",
            "notifications",
            &["user_id", "created_at"],
        ),
        Step::Table(
            Table::create()
                .table("counters")
                .if_not_exists()
                .col(ColumnDef::new("key").text().not_null().primary_key())
                .col(int("value"))
                .to_owned(),
        ),
    ]
}

/// The knowledge base (EEDS-3.2.4, NTCZ-6.1.2): articles with the cause
/// and solution of a problem, drafted by hand or recorded when a ticket
/// closes, and published for readers.
fn knowledge(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("kb_articles")
                .if_not_exists()
                .col(id_col())
                .col(text("title"))
                .col(text("cause"))
                .col(text("solution"))
                // `draft` | `published`.
                .col(text("status"))
                .col(text_null("source_ticket_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("author_id"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .col(int_null("published_at"))
                .foreign_key(&mut fk("kb_articles", "org_id", "orgs"))
                .foreign_key(&mut fk("kb_articles", "author_id", "users"))
                .foreign_key(&mut fk("kb_articles", "source_ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_kb_articles_org",
            "kb_articles",
            &["org_path", "updated_at"],
        ),
        index(
            "ix_kb_articles_ticket",
            "kb_articles",
            &["source_ticket_id"],
        ),
    ]
}

/// The CMDB (issue 4, EEDS-1.3, EEDS-3.6, JSCZ-10): configuration items,
/// their relations, the tickets that touch them and the IP address plan.
fn cmdb(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("cis")
                .if_not_exists()
                .col(id_col())
                // 编号: unique, given by the owner or generated.
                .col(text("code"))
                .col(text("name"))
                // hardware | network | base_software | application (EEDS-1.3).
                .col(text("category"))
                .col(text("ci_type"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("vendor"))
                .col(text("location"))
                .col(text("status"))
                // Software: version, patch level, licence (EEDS-3.6.2.1).
                .col(text("version"))
                .col(text("patch_level"))
                .col(text("licence"))
                .col(text_null("licence_expires"))
                .col(text("notes"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("cis", "org_id", "orgs"))
                .to_owned(),
        ),
        unique("uq_cis_code", "cis", &["code"]),
        index("ix_cis_org", "cis", &["org_path", "code"]),
        index("ix_cis_category", "cis", &["category", "org_path"]),
        Step::Table(
            Table::create()
                .table("ci_relations")
                .if_not_exists()
                .col(id_col())
                .col(text("from_ci"))
                .col(text("to_ci"))
                // runs_on | depends_on | connects_to
                .col(text("kind"))
                .col(int("created_at"))
                .foreign_key(&mut fk("ci_relations", "from_ci", "cis"))
                .foreign_key(&mut fk("ci_relations", "to_ci", "cis"))
                .to_owned(),
        ),
        unique(
            "uq_ci_relations",
            "ci_relations",
            &["from_ci", "to_ci", "kind"],
        ),
        index("ix_ci_relations_to", "ci_relations", &["to_ci", "kind"]),
        Step::Table(
            Table::create()
                .table("ticket_cis")
                .if_not_exists()
                .col(id_col())
                .col(text("ticket_id"))
                .col(text("ci_id"))
                .col(text("linked_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk("ticket_cis", "ticket_id", "tickets"))
                .foreign_key(&mut fk("ticket_cis", "ci_id", "cis"))
                .to_owned(),
        ),
        unique("uq_ticket_cis", "ticket_cis", &["ticket_id", "ci_id"]),
        index("ix_ticket_cis_ci", "ticket_cis", &["ci_id", "created_at"]),
        Step::Table(
            Table::create()
                .table("ip_segments")
                .if_not_exists()
                .col(id_col())
                .col(text("cidr"))
                .col(text("name"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(int("created_at"))
                .foreign_key(&mut fk("ip_segments", "org_id", "orgs"))
                .to_owned(),
        ),
        unique("uq_ip_segments_cidr", "ip_segments", &["cidr"]),
        index("ix_ip_segments_org", "ip_segments", &["org_path"]),
        Step::Table(
            Table::create()
                .table("ip_allocations")
                .if_not_exists()
                .col(id_col())
                .col(text("segment_id"))
                // Canonical text form; unique across the plan.
                .col(text("address"))
                .col(text_null("ci_id"))
                .col(text("purpose"))
                .col(int("created_at"))
                .foreign_key(&mut fk("ip_allocations", "segment_id", "ip_segments"))
                .foreign_key(&mut fk("ip_allocations", "ci_id", "cis"))
                .to_owned(),
        ),
        unique("uq_ip_allocations_address", "ip_allocations", &["address"]),
        index(
            "ix_ip_allocations_segment",
            "ip_allocations",
            &["segment_id"],
        ),
        index("ix_ip_allocations_ci", "ip_allocations", &["ci_id"]),
    ]
}

/// Technical archives (issue 4, EEDS-3.6, NTCZ-3.1.7): documents of an
/// item or a system, each version a file of the content-addressed store
/// with its SM3 digest.
fn archives(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("archive_docs")
                .if_not_exists()
                .col(id_col())
                .col(text("title"))
                .col(text("kind"))
                .col(text_null("ci_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(int("current_version"))
                .col(text("created_by"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("archive_docs", "ci_id", "cis"))
                .foreign_key(&mut fk("archive_docs", "org_id", "orgs"))
                .to_owned(),
        ),
        index(
            "ix_archive_docs_org",
            "archive_docs",
            &["org_path", "updated_at"],
        ),
        index("ix_archive_docs_ci", "archive_docs", &["ci_id"]),
        Step::Table(
            Table::create()
                .table("archive_versions")
                .if_not_exists()
                .col(id_col())
                .col(text("doc_id"))
                .col(int("version"))
                .col(text("filename"))
                .col(text("sm3"))
                .col(int("size"))
                .col(text("note"))
                .col(text("uploaded_by"))
                .col(int("uploaded_at"))
                .foreign_key(&mut fk("archive_versions", "doc_id", "archive_docs"))
                .to_owned(),
        ),
        unique(
            "uq_archive_versions",
            "archive_versions",
            &["doc_id", "version"],
        ),
    ]
}

/// Indexes for the ticket lists and search at scale (BENCHMARKS.md).
///
/// A newest-first page of one process, of the open tickets (to-do lists)
/// and of the overdue ones walks its index in order instead of sorting
/// every match; `closed_at` also serves the SLA report's tickets closed in
/// a month. The list indexes end with `created_at, id` (the whole sort
/// order, so no sort step and no doubt for the planner) and `org_path`,
/// and two of migration 4 are replaced by such ones, so the visibility
/// check of a row in the caller's scope (the first term of the condition)
/// and the capped count are answered from the index without reading the
/// row. Likewise search
/// checks the scope of a full-text match from an index on SQLite, and
/// finds the newest matches of a common word through `updated_at` on
/// PostgreSQL.
fn ticket_list_indexes(_: Backend) -> Vec<Step> {
    let drop = |name: &'static str| Step::Raw {
        sqlite: name,
        postgres: name,
    };
    vec![
        drop("DROP INDEX IF EXISTS ix_tickets_process"),
        drop("DROP INDEX IF EXISTS ix_tickets_created"),
        index(
            "ix_tickets_process_state_created",
            "tickets",
            &["process_id", "state", "created_at", "id", "org_path"],
        ),
        index(
            "ix_tickets_created_scope",
            "tickets",
            &["created_at", "id", "org_path"],
        ),
        index(
            "ix_tickets_process_created",
            "tickets",
            &["process_id", "created_at", "id", "org_path"],
        ),
        index(
            "ix_tickets_closed",
            "tickets",
            &["closed_at", "created_at", "id", "org_path"],
        ),
        index(
            "ix_tickets_overdue_created",
            "tickets",
            &["overdue", "created_at", "id", "org_path"],
        ),
        Step::Raw {
            sqlite: "CREATE INDEX IF NOT EXISTS ix_search_docs_scope \
                     ON search_docs (fts_rowid, org_path, doc_type)",
            // Newest-first pages of a word in very many documents walk this
            // index and test each row instead of sorting every match.
            postgres: "CREATE INDEX IF NOT EXISTS ix_search_docs_updated \
                       ON search_docs (updated_at, doc_key)",
        },
    ]
}

fn search(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("search_docs")
                .if_not_exists()
                // `<doc_type>:<doc_id>`, e.g. `ticket:<uuid>`.
                .col(ColumnDef::new("doc_key").text().not_null().primary_key())
                .col(text("doc_type"))
                .col(text("doc_id"))
                .col(path_col("org_path", b))
                .col(text("title"))
                .col(int("updated_at"))
                .to_owned(),
        ),
        Step::Raw {
            sqlite: "ALTER TABLE search_docs ADD COLUMN fts_rowid BIGINT",
            postgres: "ALTER TABLE search_docs ADD COLUMN IF NOT EXISTS tokens tsvector",
        },
        Step::Raw {
            sqlite: "CREATE UNIQUE INDEX IF NOT EXISTS uq_search_docs_fts_rowid \
                     ON search_docs (fts_rowid)",
            postgres: "CREATE INDEX IF NOT EXISTS ix_search_docs_tokens \
                       ON search_docs USING GIN (tokens)",
        },
        Step::Raw {
            // Contentless: the tokens are only indexed, not stored twice;
            // rows are deleted by rowid (SQLite 3.43+).
            sqlite: "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(\
                     title_tokens, tokens, content = '', contentless_delete = 1, \
                     tokenize = 'unicode61')",
            postgres: "",
        },
    ]
}

/// Who may find a search document (docs/adr/0004-chinese-search.md,
/// issue 13): `audience`, the action a reader needs over `org_path` (or
/// over `partner_path`, the second organisation of a register entry), so a
/// search applies the same scope as the list of that kind of document.
/// Rows indexed before are business documents, except the draft articles
/// (readable by their editors only). The SQLite index that answers the
/// scope of a full-text match without reading the row gains the new
/// columns.
fn search_audience(_: Backend) -> Vec<Step> {
    vec![
        Step::Raw {
            sqlite: "ALTER TABLE search_docs ADD COLUMN audience TEXT NOT NULL \
                     DEFAULT 'business_read'",
            postgres: "ALTER TABLE search_docs ADD COLUMN IF NOT EXISTS audience TEXT \
                       NOT NULL DEFAULT 'business_read'",
        },
        Step::Raw {
            sqlite: "ALTER TABLE search_docs ADD COLUMN partner_path TEXT",
            postgres: "ALTER TABLE search_docs ADD COLUMN IF NOT EXISTS partner_path TEXT \
                       COLLATE \"C\"",
        },
        Step::Raw {
            sqlite: "UPDATE search_docs SET audience = 'knowledge_edit' \
                     WHERE doc_type = 'article' AND doc_id IN \
                     (SELECT id FROM kb_articles WHERE status <> 'published')",
            postgres: "UPDATE search_docs SET audience = 'knowledge_edit' \
                       WHERE doc_type = 'article' AND doc_id IN \
                       (SELECT id FROM kb_articles WHERE status <> 'published')",
        },
        Step::Raw {
            sqlite: "DROP INDEX IF EXISTS ix_search_docs_scope",
            postgres: "",
        },
        Step::Raw {
            sqlite: "CREATE INDEX IF NOT EXISTS ix_search_docs_read \
                     ON search_docs (fts_rowid, org_path, audience, partner_path, doc_type)",
            postgres: "",
        },
    ]
}

/// The due-date engine and the inspection registers (ADR 0005, issue 4):
/// `controls` (one row per occurrence of an obligation, unique per
/// subject, kind and due time, so nodes rolling plans forward create each
/// once), inspection / patrol / maintenance plans with their checklists,
/// the records filed against their occurrences (EEDS-3.5.3), and the
/// maintenance records of every maintenance action (EEDS-2.2.2.2).
fn controls(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("controls")
                .if_not_exists()
                .col(id_col())
                .col(text("kind"))
                .col(text("subject_type"))
                .col(text("subject_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("title"))
                .col(text("source"))
                // 'YYYY-MM-DD' local days of the period covered.
                .col(text_null("period_start"))
                .col(text_null("period_end"))
                .col(int("due_at"))
                .col(int_null("done_at"))
                .col(text_null("done_ref"))
                .col(int_null("notified_at"))
                .col(int("created_at"))
                .foreign_key(&mut fk("controls", "org_id", "orgs"))
                .to_owned(),
        ),
        unique(
            "uq_controls_subject",
            "controls",
            &["subject_type", "subject_id", "kind", "due_at"],
        ),
        index("ix_controls_open", "controls", &["done_at", "due_at"]),
        index("ix_controls_org", "controls", &["org_path", "due_at"]),
        Step::Table(
            Table::create()
                .table("inspection_plans")
                .if_not_exists()
                .col(id_col())
                .col(text("name"))
                // inspection | patrol | maintenance
                .col(text("kind"))
                .col(text("recurrence"))
                .col(text("checklist_json"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                // A CMDB item; no foreign key, the CMDB is a register of its own.
                .col(text_null("ci_id"))
                .col(text("source"))
                .col(text("first_date"))
                .col(int("active"))
                .col(text("created_by"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("inspection_plans", "org_id", "orgs"))
                .foreign_key(&mut fk("inspection_plans", "created_by", "users"))
                .to_owned(),
        ),
        index(
            "ix_inspection_plans_org",
            "inspection_plans",
            &["org_path", "name"],
        ),
        Step::Table(
            Table::create()
                .table("inspection_records")
                .if_not_exists()
                .col(id_col())
                .col(text("plan_id"))
                .col(text("control_id"))
                .col(int("performed_at"))
                .col(text("performer_id"))
                .col(text("results_json"))
                .col(int("abnormal_count"))
                .col(text_null("ticket_id"))
                .col(text("summary"))
                .col(int("created_at"))
                .foreign_key(&mut fk("inspection_records", "plan_id", "inspection_plans"))
                .foreign_key(&mut fk("inspection_records", "control_id", "controls"))
                .foreign_key(&mut fk("inspection_records", "performer_id", "users"))
                .foreign_key(&mut fk("inspection_records", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_inspection_records_plan",
            "inspection_records",
            &["plan_id", "performed_at"],
        ),
        index(
            "ix_inspection_records_control",
            "inspection_records",
            &["control_id"],
        ),
        Step::Table(
            Table::create()
                .table("maintenance_records")
                .if_not_exists()
                .col(id_col())
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text_null("ci_id"))
                .col(text("kind"))
                .col(int("performed_at"))
                .col(text("performer_id"))
                .col(text("description"))
                .col(text("result"))
                .col(text_null("ticket_id"))
                .col(int("created_at"))
                .foreign_key(&mut fk("maintenance_records", "org_id", "orgs"))
                .foreign_key(&mut fk("maintenance_records", "performer_id", "users"))
                .foreign_key(&mut fk("maintenance_records", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_maintenance_records_org",
            "maintenance_records",
            &["org_path", "performed_at"],
        ),
    ]
}

/// The declarative registers' tables as of migration 10 (ADR 0006):
/// (table, [(field column, integer?)]). Frozen here, not read from the
/// specs, so a later change to a spec comes with its own migration; a
/// test checks that the specs and these tables agree.
pub const REGISTER_TABLES_V10: &[(&str, &[(&str, bool)])] = &[
    (
        "backup_plans",
        &[
            ("name", false),
            ("ci_id", false),
            ("scope", false),
            ("covers_system", true),
            ("covers_business", true),
            ("covers_logs", true),
            ("frequency", false),
            ("location", false),
            ("offsite_location", false),
            ("retention_days", true),
            ("review_every", false),
            ("status", false),
            ("last_backup_on", false),
            ("last_restore_test_on", false),
        ],
    ),
    (
        "backup_logs",
        &[
            ("plan_id", false),
            ("performed_on", false),
            ("outcome", false),
            ("size_mb", true),
            ("checksum", false),
            ("note", false),
        ],
    ),
    (
        "backup_reviews",
        &[
            ("plan_id", false),
            ("reviewed_on", false),
            ("conclusion", false),
            ("findings", false),
        ],
    ),
    (
        "restore_tests",
        &[
            ("plan_id", false),
            ("tested_on", false),
            ("backup_used", false),
            ("result", false),
            ("duration_minutes", true),
            ("findings", false),
        ],
    ),
    (
        "emergency_plans",
        &[
            ("name", false),
            ("ci_id", false),
            ("scope", false),
            ("content", false),
            ("contact", false),
            ("drills", false),
            ("last_drill_on", false),
        ],
    ),
    (
        "drills",
        &[
            ("plan_id", false),
            ("held_on", false),
            ("kind", false),
            ("scenario", false),
            ("participants", false),
            ("findings", false),
            ("follow_up", false),
        ],
    ),
    (
        "golive_plans",
        &[
            ("ticket_id", false),
            ("title", false),
            ("scope", false),
            ("risks", false),
            ("pass_criteria", false),
            ("fail_criteria", false),
            ("method", false),
            ("follow_up", false),
        ],
    ),
    (
        "vendor_contracts",
        &[
            ("name", false),
            ("contract_no", false),
            ("vendor_org_id", false),
            ("service_scope", false),
            ("starts_on", false),
            ("ends_on", false),
            ("weekly_report", true),
            ("monthly_report", true),
            ("annual_plan", true),
            ("annual_summary", true),
        ],
    ),
    (
        "vendor_reports",
        &[
            ("contract_id", false),
            ("report_kind", false),
            ("period_start", false),
            ("period_end", false),
            ("body", false),
            ("status", false),
        ],
    ),
    (
        "vendor_staff",
        &[
            ("name", false),
            ("client_org_id", false),
            ("username", false),
            ("skills", false),
            ("post", false),
            ("presence", false),
        ],
    ),
    (
        "ndas",
        &[
            ("staff_id", false),
            ("signed_on", false),
            ("valid_from", false),
            ("valid_to", false),
            ("counterparty", false),
        ],
    ),
    (
        "staff_changes",
        &[
            ("vendor_org_id", false),
            ("change_kind", false),
            ("leaving_id", false),
            ("joining_id", false),
            ("reason", false),
            ("status", false),
        ],
    ),
    (
        "trainings",
        &[
            ("held_on", false),
            ("topic", false),
            ("kind", false),
            ("trainer", false),
            ("hours", true),
            ("participants", false),
            ("note", false),
        ],
    ),
    (
        "asset_requisitions",
        &[
            ("ci_id", false),
            ("borrower_org_id", false),
            ("borrower", false),
            ("purpose", false),
            ("borrowed_on", false),
            ("due_back", false),
            ("returned_on", false),
            ("status", false),
        ],
    ),
];

/// The UKEY register (migration 12, JSCZ-53), frozen like
/// [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V12: &[(&str, &[(&str, bool)])] = &[(
    "ukeys",
    &[
        ("serial", false),
        ("holder", false),
        ("cert_fingerprint", false),
        ("issued_on", false),
        ("returned_on", false),
        ("status", false),
    ],
)];

/// Database access grants (migration 13, JSCZ-36), frozen like
/// [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V13: &[(&str, &[(&str, bool)])] = &[
    (
        "db_access",
        &[
            ("staff_id", false),
            ("vendor_org_id", false),
            ("database", false),
            ("bastion", false),
            ("rights", false),
            ("purpose", false),
            ("valid_from", false),
            ("valid_to", false),
            ("status", false),
        ],
    ),
    (
        "prelaunch_checks",
        &[
            ("ticket_id", false),
            ("package", false),
            ("code_review", false),
            ("reviewer", false),
            ("virus_scan", false),
            ("vuln_scan", false),
            ("reports", false),
            ("fixes", false),
        ],
    ),
];

/// The vulnerability register (migration 14), frozen like
/// [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V14: &[(&str, &[(&str, bool)])] = &[(
    "vulnerabilities",
    &[
        ("ci_id", false),
        ("title", false),
        ("cve", false),
        ("severity", false),
        ("scan", false),
        ("found_on", false),
        ("fix_note", false),
        ("due_on", false),
        ("status", false),
    ],
)];

/// Security reviews (migration 15), frozen like [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V15: &[(&str, &[(&str, bool)])] = &[(
    "security_reviews",
    &[
        ("kind", false),
        ("period_start", false),
        ("period_end", false),
        ("checklist", false),
        ("findings", false),
        ("opinion", false),
    ],
)];

/// Temporary grants in the managed systems (migration 17, ADR 0007),
/// frozen like [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V17: &[(&str, &[(&str, bool)])] = &[(
    "access_grants",
    &[
        ("ticket_id", false),
        ("grantee", false),
        ("grantee_name", false),
        ("vendor_org_id", false),
        ("system", false),
        ("access_kind", false),
        ("scope", false),
        ("valid_from", false),
        ("valid_until", false),
        ("authorisation", false),
        ("responsible", false),
        ("status", false),
        ("revoked_at", false),
        ("revoke_reason", false),
        ("removal_note", false),
    ],
)];

fn access_grants(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V17);
    // The expiry job reads the active grants by end date; a departure
    // reads a person's grants.
    steps.push(index(
        "ix_access_grants_status",
        "access_grants",
        &["status", "valid_until"],
    ));
    steps.push(index(
        "ix_access_grants_grantee",
        "access_grants",
        &["grantee", "status"],
    ));
    steps
}

/// A user's TOTP second factor (等保 L3, JSCZ-53): the secret SM4-encrypted
/// with the field key, pending until confirmed with a first code.
fn user_totp(_: Backend) -> Vec<Step> {
    vec![Step::Table(
        Table::create()
            .table("user_totp")
            .if_not_exists()
            .col(ColumnDef::new("user_id").text().not_null().primary_key())
            .col(text_null("secret_enc"))
            .col(text_null("pending_enc"))
            .col(int_null("enabled_at"))
            .col(int("updated_at"))
            .foreign_key(&mut fk("user_totp", "user_id", "users"))
            .to_owned(),
    )]
}

fn security_reviews(b: Backend) -> Vec<Step> {
    register_tables(b, REGISTER_TABLES_V15)
}

fn vulnerabilities(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V14);
    steps.push(index(
        "ix_vulnerabilities_ci",
        "vulnerabilities",
        &["ci_id", "status"],
    ));
    steps
}

fn db_access(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V13);
    steps.push(index(
        "ix_prelaunch_checks_ticket",
        "prelaunch_checks",
        &["ticket_id"],
    ));
    steps
}

fn ukeys(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V12);
    steps.push(index("ix_ukeys_holder", "ukeys", &["holder", "status"]));
    steps
}

type FrozenTables = [(&'static str, &'static [(&'static str, bool)])];

/// One table per declarative register: the common columns, then the
/// fields (ADR 0006).
fn register_tables(b: Backend, tables: &FrozenTables) -> Vec<Step> {
    let mut steps = vec![];
    for (name, cols) in tables {
        let name: &'static str = name;
        let mut t = Table::create();
        t.table(name)
            .if_not_exists()
            .col(id_col())
            .col(text("org_id"))
            .col(path_col("org_path", b))
            .col({
                let mut c = text_null("partner_path");
                if b == Backend::Postgres {
                    c.extra("COLLATE \"C\"");
                }
                c
            })
            .col(text_null("parent_id"))
            .col(int("version"))
            .col(text("created_by"))
            .col(int("created_at"))
            .col(text("updated_by"))
            .col(int("updated_at"));
        for (col, is_int) in *cols {
            t.col(if *is_int {
                int_null(col)
            } else {
                text_null(col)
            });
        }
        t.foreign_key(&mut fk(name, "org_id", "orgs"));
        steps.push(Step::Table(t.to_owned()));
        steps.push(index(
            &format!("ix_{name}_org"),
            name,
            &["org_path", "created_at"],
        ));
        steps.push(index(
            &format!("ix_{name}_partner"),
            name,
            &["partner_path", "created_at"],
        ));
        steps.push(index(
            &format!("ix_{name}_parent"),
            name,
            &["parent_id", "created_at"],
        ));
    }
    steps
}

fn registers(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V10);
    steps.push(index(
        "ix_golive_plans_ticket",
        "golive_plans",
        &["ticket_id"],
    ));
    steps.push(Step::Table(
        Table::create()
            .table("register_history")
            .if_not_exists()
            .col(id_col())
            .col(text("register"))
            .col(text("entry_id"))
            .col(int("version"))
            .col(text("data"))
            .col(text("change"))
            .col(text("changed_by"))
            .col(int("changed_at"))
            .to_owned(),
    ));
    steps.push(unique(
        "uq_register_history",
        "register_history",
        &["register", "entry_id", "version"],
    ));
    steps
}

/// Columns added to existing register tables by migration 18, frozen like
/// [`REGISTER_TABLES_V10`]: the SM2 public key of a UKEY (JSCZ-53,
/// ADR 0008).
pub const REGISTER_COLUMNS_V18: &[(&str, &[(&str, bool)])] = &[("ukeys", &[("public_key", false)])];

/// The UKEY signature login (等保 L3 two factors, JSCZ-53, ADR 0008):
/// `ukeys.public_key` (nullable: UKEYs filed before have none), and
/// `ukey_challenges`, the pending logins waiting for a signature: the user
/// whose password was right, the SM3 hash of the pending login's token
/// (only the client that typed the password holds the token), the UKEY
/// serial and the challenge text to sign, an expiry, and `used_at` set
/// once by the first answer, right or wrong.
fn ukey_public_key(_: Backend) -> Vec<Step> {
    vec![
        Step::Raw {
            sqlite: "ALTER TABLE ukeys ADD COLUMN public_key TEXT",
            postgres: "ALTER TABLE ukeys ADD COLUMN IF NOT EXISTS public_key TEXT",
        },
        Step::Table(
            Table::create()
                .table("ukey_challenges")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("token_hash"))
                .col(text("serial"))
                .col(text("challenge"))
                .col(text("source_ip"))
                .col(int("created_at"))
                .col(int("expires_at"))
                .col(int_null("used_at"))
                .foreign_key(&mut fk("ukey_challenges", "user_id", "users"))
                .to_owned(),
        ),
        unique(
            "uq_ukey_challenges_token",
            "ukey_challenges",
            &["token_hash"],
        ),
        index(
            "ix_ukey_challenges_user",
            "ukey_challenges",
            &["user_id", "created_at"],
        ),
    ]
}

/// Notices that link to the exact object (issue 13): `notifications.link`,
/// the page of a register entry, a control's subject or a ticket, and
/// `notifications.due_at`, the deadline of the to-do where one is known
/// (UTC microseconds).
fn notification_links(_: Backend) -> Vec<Step> {
    vec![
        Step::Raw {
            sqlite: "ALTER TABLE notifications ADD COLUMN link TEXT",
            postgres: "ALTER TABLE notifications ADD COLUMN IF NOT EXISTS link TEXT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE notifications ADD COLUMN due_at BIGINT",
            postgres: "ALTER TABLE notifications ADD COLUMN IF NOT EXISTS due_at BIGINT",
        },
    ]
}

/// Grants that end (JSCZ-49): `role_grants.valid_until`, indexed for the
/// job that removes them.
fn grant_expiry(_: Backend) -> Vec<Step> {
    vec![
        Step::Raw {
            sqlite: "ALTER TABLE role_grants ADD COLUMN valid_until BIGINT",
            postgres: "ALTER TABLE role_grants ADD COLUMN IF NOT EXISTS valid_until BIGINT",
        },
        index(
            "ix_role_grants_valid_until",
            "role_grants",
            &["valid_until"],
        ),
    ]
}

/// Owners and queues (issue 13): a ticket's owning team (`team_id`, an
/// organisation of kind section or vendor, and its path for the scope
/// conditions; null until routed), indexed with the owner for the queue
/// and the workload, and the saved filters of the ticket list, per user
/// (`query` is the list's query string).
fn ticket_owners(_: Backend) -> Vec<Step> {
    vec![
        Step::Raw {
            sqlite: "ALTER TABLE tickets ADD COLUMN team_id TEXT",
            postgres: "ALTER TABLE tickets ADD COLUMN IF NOT EXISTS team_id TEXT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE tickets ADD COLUMN team_path TEXT",
            postgres: "ALTER TABLE tickets ADD COLUMN IF NOT EXISTS team_path TEXT COLLATE \"C\"",
        },
        index(
            "ix_tickets_team",
            "tickets",
            &["team_path", "assignee_id", "closed_at"],
        ),
        Step::Table(
            Table::create()
                .table("saved_filters")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("name"))
                .col(text("query"))
                .col(int("created_at"))
                .foreign_key(&mut fk("saved_filters", "user_id", "users"))
                .to_owned(),
        ),
        unique(
            "uq_saved_filters_user_name",
            "saved_filters",
            &["user_id", "name"],
        ),
    ]
}

/// The government cloud (ADR 0016): the platforms a city runs (its pack,
/// its bureau, its provider and monitor), the units on it with their
/// funding and level, the service catalogue with append-only,
/// effective-dated prices, the systems on the cloud and their resources.
/// A resource row is one quantity of one catalogue item over a span of
/// days `[from_day, to_day)`: a change closes the row and opens the next,
/// so the history is the rows and a bill is a range join.
/// Days are `YYYY-MM-DD` text (China time), which sorts as dates.
fn cloud(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("cloud_platforms")
                .if_not_exists()
                .col(id_col())
                .col(text("name"))
                .col(text("pack_id"))
                .col(text("bureau_org_id"))
                .col(path_col("bureau_path", b))
                .col(path_col("region_path", b))
                .col(text("provider_org_id"))
                .col(text_null("monitor_org_id"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("cloud_platforms", "bureau_org_id", "orgs"))
                .foreign_key(&mut fk("cloud_platforms", "provider_org_id", "orgs"))
                .foreign_key(&mut fk("cloud_platforms", "monitor_org_id", "orgs"))
                .to_owned(),
        ),
        Step::Table(
            Table::create()
                .table("cloud_units")
                .if_not_exists()
                .col(ColumnDef::new("org_id").text().not_null().primary_key())
                .col(path_col("org_path", b))
                .col(text("platform_id"))
                .col(text("level"))
                .col(text("funding"))
                .col(int("local_finance_pays"))
                .col(text_null("county_bureau_org_id"))
                .col(int("updated_at"))
                .col(int("version"))
                .foreign_key(&mut fk("cloud_units", "org_id", "orgs"))
                .foreign_key(&mut fk("cloud_units", "platform_id", "cloud_platforms"))
                .foreign_key(&mut fk("cloud_units", "county_bureau_org_id", "orgs"))
                .to_owned(),
        ),
        index("ix_cloud_units_path", "cloud_units", &["org_path"]),
        Step::Table(
            Table::create()
                .table("cloud_catalogue_items")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("code"))
                .col(text("name"))
                .col(text("category"))
                .col(text("unit"))
                .col(text("mode"))
                .col(text("valid_from"))
                .col(text_null("valid_to"))
                .col(text("source"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk(
                    "cloud_catalogue_items",
                    "platform_id",
                    "cloud_platforms",
                ))
                .to_owned(),
        ),
        unique(
            "uq_cloud_catalogue_code",
            "cloud_catalogue_items",
            &["platform_id", "code"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_prices")
                .if_not_exists()
                .col(id_col())
                .col(text("item_id"))
                .col(int("price_e4"))
                .col(text("effective_from"))
                .col(text("note"))
                .col(text("created_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk("cloud_prices", "item_id", "cloud_catalogue_items"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_prices_item_day",
            "cloud_prices",
            &["item_id", "effective_from"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_systems")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("name"))
                .col(text_null("ci_id"))
                .col(int("dengbao_level"))
                .col(text("miping"))
                .col(int("important"))
                .col(text("nda_ref"))
                .col(text("state"))
                .col(text_null("trial_started_on"))
                .col(text_null("online_on"))
                .col(text_null("exit_approved_on"))
                .col(text_null("reclaimed_on"))
                .col(text("created_by"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .col(int("version"))
                .foreign_key(&mut fk("cloud_systems", "platform_id", "cloud_platforms"))
                .foreign_key(&mut fk("cloud_systems", "org_id", "orgs"))
                .foreign_key(&mut fk("cloud_systems", "ci_id", "cis"))
                .to_owned(),
        ),
        index(
            "ix_cloud_systems_org",
            "cloud_systems",
            &["org_path", "updated_at"],
        ),
        index("ix_cloud_systems_ci", "cloud_systems", &["ci_id"]),
        index(
            "ix_cloud_systems_platform_state",
            "cloud_systems",
            &["platform_id", "state"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_resources")
                .if_not_exists()
                .col(id_col())
                .col(text("system_id"))
                .col(text("platform_id"))
                .col(path_col("org_path", b))
                .col(text("item_id"))
                .col(int("quantity"))
                .col(text("state"))
                .col(text_null("from_day"))
                .col(text_null("to_day"))
                .col(text_null("replaces_id"))
                .col(text_null("ticket_id"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("cloud_resources", "system_id", "cloud_systems"))
                .foreign_key(&mut fk(
                    "cloud_resources",
                    "item_id",
                    "cloud_catalogue_items",
                ))
                .foreign_key(&mut fk("cloud_resources", "ticket_id", "tickets"))
                .to_owned(),
        ),
        index(
            "ix_cloud_resources_system",
            "cloud_resources",
            &["system_id", "state"],
        ),
        index(
            "ix_cloud_resources_span",
            "cloud_resources",
            &["platform_id", "from_day", "to_day"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_system_events")
                .if_not_exists()
                .col(id_col())
                .col(text("system_id"))
                .col(int("at"))
                .col(text_null("actor_id"))
                .col(text("kind"))
                .col(text_null("ticket_id"))
                .col(text("state_before"))
                .col(text("state_after"))
                .col(text("note"))
                .foreign_key(&mut fk("cloud_system_events", "system_id", "cloud_systems"))
                .to_owned(),
        ),
        index(
            "ix_cloud_system_events",
            "cloud_system_events",
            &["system_id", "at"],
        ),
    ]
}

/// The government cloud's duties (issue 14 item 6): the reports filed
/// against a pack's duties, the security commitments (ZMDY-40) and the
/// supervision scores of units (SNYP-32).
fn cloud_duties(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("cloud_duty_reports")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("duty_id"))
                .col(text_null("unit_org_id"))
                .col(text("period_start"))
                .col(text("period_end"))
                .col(text("filename"))
                .col(text("sm3"))
                .col(int("size"))
                .col(text("note"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("filed_by"))
                .col(int("filed_at"))
                .foreign_key(&mut fk(
                    "cloud_duty_reports",
                    "platform_id",
                    "cloud_platforms",
                ))
                .foreign_key(&mut fk("cloud_duty_reports", "unit_org_id", "orgs"))
                .foreign_key(&mut fk("cloud_duty_reports", "org_id", "orgs"))
                .foreign_key(&mut fk("cloud_duty_reports", "filed_by", "users"))
                .to_owned(),
        ),
        index(
            "ix_cloud_duty_reports_period",
            "cloud_duty_reports",
            &["platform_id", "duty_id", "period_start"],
        ),
        index("ix_cloud_duty_reports_sm3", "cloud_duty_reports", &["sm3"]),
        Step::Table(
            Table::create()
                .table("cloud_commitments")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("party_org_id"))
                .col(path_col("party_path", b))
                .col(text("party_kind"))
                .col(text("signed_on"))
                .col(text("filename"))
                .col(text("sm3"))
                .col(int("size"))
                .col(text("note"))
                .col(text("filed_by"))
                .col(int("filed_at"))
                .foreign_key(&mut fk(
                    "cloud_commitments",
                    "platform_id",
                    "cloud_platforms",
                ))
                .foreign_key(&mut fk("cloud_commitments", "party_org_id", "orgs"))
                .foreign_key(&mut fk("cloud_commitments", "filed_by", "users"))
                .to_owned(),
        ),
        index(
            "ix_cloud_commitments_party",
            "cloud_commitments",
            &["platform_id", "party_org_id"],
        ),
        index("ix_cloud_commitments_sm3", "cloud_commitments", &["sm3"]),
        Step::Table(
            Table::create()
                .table("cloud_unit_scores")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("unit_org_id"))
                .col(path_col("unit_path", b))
                .col(int("year"))
                .col(int("integration"))
                .col(int("migration"))
                .col(int("utilisation"))
                .col(int("dengbao"))
                .col(text("note"))
                .col(text("scored_by"))
                .col(int("scored_at"))
                .col(int("version"))
                .foreign_key(&mut fk(
                    "cloud_unit_scores",
                    "platform_id",
                    "cloud_platforms",
                ))
                .foreign_key(&mut fk("cloud_unit_scores", "unit_org_id", "orgs"))
                .foreign_key(&mut fk("cloud_unit_scores", "scored_by", "users"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_unit_scores_year",
            "cloud_unit_scores",
            &["platform_id", "unit_org_id", "year"],
        ),
    ]
}

/// The government cloud's utilisation (SNYP-14, ZMDY-20, ADR 0016): one
/// row per system and month as the provider or monitor reports it (exact
/// integers: percentages and GB in ten-thousandths), the import it came in,
/// the 降配/回收 proposals a low month opens and the bars a refused one
/// leaves on a unit for the rest of that year.
fn cloud_usage(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("cloud_usage_imports")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("file_name"))
                .col(text("sm3"))
                .col(int("rows"))
                .col(text("months"))
                .col(text("imported_by"))
                .col(int("imported_at"))
                .foreign_key(&mut fk(
                    "cloud_usage_imports",
                    "platform_id",
                    "cloud_platforms",
                ))
                .to_owned(),
        ),
        index(
            "ix_cloud_usage_imports",
            "cloud_usage_imports",
            &["platform_id", "imported_at"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_usage")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("system_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("month"))
                // Ten-thousandths of a percent / of a GB: 12.34 % is 123400.
                .col(int_null("cpu_avg_e4"))
                .col(int_null("mem_avg_e4"))
                .col(int_null("storage_used_e4"))
                .col(int_null("storage_total_e4"))
                .col(int("sample_days"))
                .col(text("verdict"))
                // Finding codes, comma-separated.
                .col(text("findings"))
                .col(text("import_id"))
                .col(text("imported_by"))
                .col(int("imported_at"))
                .col(int("judged_at"))
                .foreign_key(&mut fk("cloud_usage", "system_id", "cloud_systems"))
                .foreign_key(&mut fk("cloud_usage", "import_id", "cloud_usage_imports"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_usage_system_month",
            "cloud_usage",
            &["system_id", "month"],
        ),
        index(
            "ix_cloud_usage_month",
            "cloud_usage",
            &["platform_id", "month", "org_path"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_reclaims")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("system_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("month"))
                .col(text("verdict"))
                .col(text("findings"))
                // opened | planned | notified | accepted | refused |
                // implemented | closed | rejected
                .col(text("state"))
                .col(text("plan"))
                // JSON: [{"resource_id", "action": "resize"|"reclaim", "quantity"}]
                .col(text("changes"))
                .col(text_null("planned_by"))
                .col(int_null("planned_at"))
                .col(text_null("notified_by"))
                .col(int_null("notified_at"))
                .col(text_null("answered_by"))
                .col(int_null("answered_at"))
                .col(text("refusal_reason"))
                .col(text_null("decided_by"))
                .col(int_null("decided_at"))
                .col(text("decision_note"))
                .col(text_null("implemented_by"))
                .col(int_null("implemented_at"))
                .col(text_null("implemented_on"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .col(int("version"))
                .foreign_key(&mut fk("cloud_reclaims", "system_id", "cloud_systems"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_reclaims_system_month",
            "cloud_reclaims",
            &["system_id", "month"],
        ),
        index(
            "ix_cloud_reclaims_state",
            "cloud_reclaims",
            &["platform_id", "state", "org_path"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_bars")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(int("year"))
                .col(text("reclaim_id"))
                .col(text("reason"))
                .col(text("created_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk("cloud_bars", "org_id", "orgs"))
                .foreign_key(&mut fk("cloud_bars", "reclaim_id", "cloud_reclaims"))
                .to_owned(),
        ),
        index("ix_cloud_bars_org_year", "cloud_bars", &["org_id", "year"]),
    ]
}

/// Bills by payer, reductions, verification, settlement and the
/// evaluation of the vendors (issue 14, ADR 0016). Amounts are integer 分,
/// unit prices 0.0001 元, scores tenths of a point, percentages hundredths
/// of a percent: no floating point anywhere.
fn cloud_billing(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("cloud_bill_runs")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("month"))
                .col(text("state"))
                .col(int("computed_at"))
                .col(text("computed_by"))
                .col(text_null("verified_by"))
                .col(int_null("verified_at"))
                .col(text_null("sent_by"))
                .col(int_null("sent_at"))
                .col(int("line_count"))
                .col(int("lines_fen"))
                .col(int("adjustments_fen"))
                .col(int("total_fen"))
                .col(int("version"))
                .foreign_key(&mut fk("cloud_bill_runs", "platform_id", "cloud_platforms"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_bill_runs_month",
            "cloud_bill_runs",
            &["platform_id", "month"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_bill_lines")
                .if_not_exists()
                .col(id_col())
                .col(text("run_id"))
                .col(text("unit_org_id"))
                .col(path_col("unit_path", b))
                .col(text("settler_org_id"))
                .col(path_col("settler_path", b))
                .col(text("system_id"))
                .col(text("resource_id"))
                .col(text("item_id"))
                .col(text("mode"))
                .col(text("payer"))
                .col(int("quantity"))
                .col(text("from_day"))
                .col(text("to_day"))
                .col(int("days"))
                .col(int("month_days"))
                .col(int("price_e4"))
                .col(int("amount_fen"))
                .foreign_key(&mut fk("cloud_bill_lines", "run_id", "cloud_bill_runs"))
                .to_owned(),
        ),
        index(
            "ix_cloud_bill_lines_run",
            "cloud_bill_lines",
            &["run_id", "settler_org_id", "payer", "unit_org_id"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_bill_verifications")
                .if_not_exists()
                .col(id_col())
                .col(text("run_id"))
                .col(text("settler_org_id"))
                .col(path_col("settler_path", b))
                .col(int("total_fen"))
                .col(text("verified_by"))
                .col(int("verified_at"))
                .foreign_key(&mut fk(
                    "cloud_bill_verifications",
                    "run_id",
                    "cloud_bill_runs",
                ))
                .to_owned(),
        ),
        unique(
            "uq_cloud_bill_verifications",
            "cloud_bill_verifications",
            &["run_id", "settler_org_id"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_bill_adjustments")
                .if_not_exists()
                .col(id_col())
                .col(text("run_id"))
                .col(text("unit_org_id"))
                .col(path_col("unit_path", b))
                .col(text("settler_org_id"))
                .col(text_null("system_id"))
                .col(text("payer"))
                .col(text("kind"))
                .col(int_null("rate_bp"))
                .col(int("amount_fen"))
                .col(text("reason"))
                .col(text("created_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk(
                    "cloud_bill_adjustments",
                    "run_id",
                    "cloud_bill_runs",
                ))
                .to_owned(),
        ),
        index(
            "ix_cloud_bill_adjustments_run",
            "cloud_bill_adjustments",
            &["run_id"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_eval_schemes")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("vendor_role"))
                .col(text("weights"))
                .col(text("bands"))
                .col(text("updated_by"))
                .col(int("updated_at"))
                .col(int("version"))
                .foreign_key(&mut fk(
                    "cloud_eval_schemes",
                    "platform_id",
                    "cloud_platforms",
                ))
                .to_owned(),
        ),
        unique(
            "uq_cloud_eval_schemes",
            "cloud_eval_schemes",
            &["platform_id", "vendor_role"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_evaluations")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(text("vendor_org_id"))
                .col(text("vendor_role"))
                .col(text("quarter"))
                .col(text("scores"))
                .col(int("total_milli"))
                .col(int("deduction_bp"))
                .col(text("note"))
                .col(text("state"))
                .col(text("created_by"))
                .col(int("created_at"))
                .col(text_null("confirmed_by"))
                .col(int_null("confirmed_at"))
                .col(int("version"))
                .foreign_key(&mut fk(
                    "cloud_evaluations",
                    "platform_id",
                    "cloud_platforms",
                ))
                .foreign_key(&mut fk("cloud_evaluations", "vendor_org_id", "orgs"))
                .to_owned(),
        ),
        unique(
            "uq_cloud_evaluations",
            "cloud_evaluations",
            &["platform_id", "vendor_role", "quarter"],
        ),
        Step::Table(
            Table::create()
                .table("cloud_settlements")
                .if_not_exists()
                .col(id_col())
                .col(text("platform_id"))
                .col(int("year"))
                .col(text("payer"))
                .col(int("billed_fen"))
                .col(int("deduction_fen"))
                .col(int("net_fen"))
                .col(text("working"))
                .col(text("state"))
                .col(text("confirmed_by"))
                .col(int("confirmed_at"))
                .foreign_key(&mut fk(
                    "cloud_settlements",
                    "platform_id",
                    "cloud_platforms",
                ))
                .to_owned(),
        ),
        unique(
            "uq_cloud_settlements",
            "cloud_settlements",
            &["platform_id", "year", "payer"],
        ),
    ]
}

/// Applies every migration not yet recorded; returns how many ran.
/// Each version is checked on its own, so a gap in the list (a migration
/// added later with a lower number) is applied when it appears.
pub async fn run(db: &Db, now_us: i64) -> Result<usize, AppError> {
    let b = db.backend();
    {
        let mut c = db.begin().await?;
        let t = Table::create()
            .table("schema_migrations")
            .if_not_exists()
            .col(
                ColumnDef::new("version")
                    .big_integer()
                    .not_null()
                    .primary_key(),
            )
            .col(text("name"))
            .col(int("applied_at"))
            .to_owned();
        c.exec_raw(&render_table(&t, b)).await?;
        c.commit().await?;
    }
    let mut applied = 0;
    for m in MIGRATIONS {
        let mut c = db.begin().await?;
        let done = c
            .optional(
                &Query::select()
                    .column("version")
                    .from("schema_migrations")
                    .and_where(Expr::col("version").eq(m.version))
                    .to_owned(),
            )
            .await?
            .is_some();
        if done {
            c.commit().await?;
            continue;
        }
        for step in (m.steps)(b) {
            let sql = match step {
                Step::Table(t) => render_table(&t, b),
                Step::Index(i) => match b {
                    Backend::Sqlite => i.to_string(SqliteQueryBuilder),
                    Backend::Postgres => i.to_string(PostgresQueryBuilder),
                },
                Step::Raw { sqlite, postgres } => match b {
                    Backend::Sqlite => sqlite.to_string(),
                    Backend::Postgres => postgres.to_string(),
                },
            };
            if sql.is_empty() {
                continue;
            }
            c.exec_raw(&sql).await?;
        }
        c.exec(
            &Query::insert()
                .into_table("schema_migrations")
                .columns(["version", "name", "applied_at"])
                .values_panic([m.version.into(), m.name.into(), now_us.into()])
                .to_owned(),
        )
        .await?;
        c.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied += 1;
    }
    Ok(applied)
}

/// The highest applied migration, for `yunwei migrate` and health output.
pub async fn current_version(db: &Db) -> Result<i64, AppError> {
    let mut c = db.read().await?;
    let row = c
        .optional(
            &Query::select()
                .expr_as(Func::max(Expr::col("version")), "v")
                .from("schema_migrations")
                .to_owned(),
        )
        .await?;
    Ok(row.map(|r| r.oi("v")).transpose()?.flatten().unwrap_or(0))
}

/// How many migrations this build knows (versions may leave gaps).
pub fn count() -> usize {
    MIGRATIONS.len()
}

pub fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

fn render_table(t: &TableCreateStatement, b: Backend) -> String {
    match b {
        Backend::Sqlite => t.to_string(SqliteQueryBuilder),
        Backend::Postgres => t.to_string(PostgresQueryBuilder),
    }
}

/// Government IT projects (issue 15, ADR 0017): a project is a ticket of
/// its pack's project process; `it_projects` (same id as the ticket) keeps
/// its money in fen and its dates for the library, the annual plan and the
/// dashboard. Supplementary contracts count against the project's limit
/// while held or approved; supervision findings block a unit's new
/// projects while a major one is open (SNXM-37, SNXM-43).
fn it_projects(b: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("it_projects")
                .if_not_exists()
                .col(id_col())
                .col(text("pack_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("name"))
                .col(text("kind"))
                .col(text("route"))
                .col(text("unit_level"))
                .col(int("total_fen"))
                .col(int_null("contract_fen"))
                .col(text("contractor"))
                .col(text("supervisor"))
                .col(int_null("plan_year"))
                .col(int("urgent"))
                .col(text_null("library_on"))
                .col(text_null("planned_on"))
                .col(text_null("trial_from"))
                .col(text_null("accepted_on"))
                .col(text_null("free_om_until"))
                .col(text_null("self_evaluation_due"))
                .col(text_null("self_evaluation_on"))
                .col(text_null("self_evaluation_sm3"))
                .col(text_null("self_evaluation_file"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("it_projects", "id", "tickets"))
                .foreign_key(&mut fk("it_projects", "org_id", "orgs"))
                .to_owned(),
        ),
        index("ix_it_projects_org_path", "it_projects", &["org_path"]),
        index("ix_it_projects_plan_year", "it_projects", &["plan_year"]),
        Step::Table(
            Table::create()
                .table("it_project_supplements")
                .if_not_exists()
                .col(id_col())
                .col(text("project_id"))
                .col(int("amount_fen"))
                .col(text("state"))
                .col(int("created_at"))
                .foreign_key(&mut fk("it_project_supplements", "id", "tickets"))
                .foreign_key(&mut fk(
                    "it_project_supplements",
                    "project_id",
                    "it_projects",
                ))
                .to_owned(),
        ),
        index(
            "ix_it_project_supplements_project",
            "it_project_supplements",
            &["project_id"],
        ),
        Step::Table(
            Table::create()
                .table("it_project_findings")
                .if_not_exists()
                .col(id_col())
                .col(text("project_id"))
                .col(text("org_id"))
                .col(path_col("org_path", b))
                .col(text("area"))
                .col(int("major"))
                .col(text("finding"))
                .col(text("deadline"))
                .col(text_null("rectified_on"))
                .col(text("rectification"))
                .col(text("created_by"))
                .col(int("created_at"))
                .foreign_key(&mut fk("it_project_findings", "project_id", "it_projects"))
                .foreign_key(&mut fk("it_project_findings", "org_id", "orgs"))
                .foreign_key(&mut fk("it_project_findings", "created_by", "users"))
                .to_owned(),
        ),
        index(
            "ix_it_project_findings_org",
            "it_project_findings",
            &["org_id"],
        ),
        index(
            "ix_it_project_findings_project",
            "it_project_findings",
            &["project_id"],
        ),
    ]
}

/// The registers of issue 16 (migration 27, which also creates
/// `publications`, JSCZ-26), frozen like
/// [`REGISTER_TABLES_V10`]: third parties' security undertakings and
/// accountability records (JSCZ-38, 40, 44, 46, 48, 51, 52, 57), O&M tools
/// approved before use (NTCZ-6.3.2), upgrade plans (EEDS-2.2.2.10), the
/// data returned to a local finance department (JSCZ-35) and the peak
/// periods' support (NTCZ-3.4.2).
pub const REGISTER_TABLES_V27: &[(&str, &[(&str, bool)])] = &[
    (
        "security_undertakings",
        &[
            ("vendor_org_id", false),
            ("signatory", false),
            ("signed_on", false),
            ("valid_to", false),
            ("no_publicity", true),
            ("no_private_wireless", true),
            ("no_document_leak", true),
            ("no_unapproved_function", true),
            ("no_backdoor", true),
            ("no_subcontract", true),
            ("no_remote_control", true),
            ("no_disclosure", true),
            ("accepts_accountability", true),
            ("note", false),
        ],
    ),
    (
        "accountability_records",
        &[
            ("vendor_org_id", false),
            ("person", false),
            ("occurred_on", false),
            ("breach", false),
            ("measure", false),
            ("facts", false),
            ("loss", false),
            ("handling_result", false),
            ("status", false),
        ],
    ),
    (
        "om_tools",
        &[
            ("vendor_org_id", false),
            ("tool_name", false),
            ("tool_version", false),
            ("purpose", false),
            ("publisher", false),
            ("checksum", false),
            ("reason", false),
            ("status", false),
        ],
    ),
    (
        "upgrade_plans",
        &[
            ("title", false),
            ("scope", false),
            ("ci_id", false),
            ("basis", false),
            ("content", false),
            ("planned_on", false),
            ("done_on", false),
            ("status", false),
        ],
    ),
    (
        "data_returns",
        &[
            ("batch", false),
            ("received_on", false),
            ("data_scope", false),
            ("storage", false),
            ("security_measures", false),
            ("use", false),
            ("custodian", false),
        ],
    ),
    (
        "peak_periods",
        &[
            ("name", false),
            ("vendor_org_id", false),
            ("starts_on", false),
            ("ends_on", false),
            ("onsite_usual", true),
            ("onsite_peak", true),
            ("duty_roster", false),
            ("status", false),
        ],
    ),
];

/// The registers of migration 29 (issue 16), frozen like
/// [`REGISTER_TABLES_V10`]: the managed systems' log review by the
/// maintenance staff with the deputy director's and the higher
/// department's review (EEDS-3.7.1), the periodic vulnerability scans
/// (JSCZ-10) and the network-security checks (EEDS-3.8.4).
pub const REGISTER_TABLES_V29: &[(&str, &[(&str, bool)])] = &[
    (
        "system_log_reviews",
        &[
            ("period_start", false),
            ("period_end", false),
            ("systems", false),
            ("app_logs", true),
            ("os_logs", true),
            ("db_logs", true),
            ("abnormal_events", false),
            ("follow_up", false),
            ("opinion", false),
            ("leader_opinion", false),
            ("superior_opinion", false),
            ("status", false),
        ],
    ),
    (
        "vuln_scans",
        &[
            ("scanned_on", false),
            ("scope", false),
            ("tool", false),
            ("report", false),
            ("found", true),
            ("remediation", false),
        ],
    ),
    (
        "network_checks",
        &[
            ("checked_on", false),
            ("scope", false),
            ("checker", false),
            ("antivirus", true),
            ("router_accounts", true),
            ("non_work_software", true),
            ("unapproved_devices", true),
            ("findings", false),
            ("fixes", false),
        ],
    ),
];

fn registers_v29(b: Backend) -> Vec<Step> {
    register_tables(b, REGISTER_TABLES_V29)
}

fn registers_v27(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V27);
    // What the centre publishes to the finance departments about a change
    // (JSCZ-26 (4), (6)), read by everyone in the audience's tree.
    steps.push(Step::Table(
        Table::create()
            .table("publications")
            .if_not_exists()
            .col(id_col())
            .col(text("ticket_id"))
            .col(text("ticket_number"))
            .col(text("title"))
            .col(text("body"))
            .col(path_col("org_path", b))
            .col(path_col("audience_path", b))
            .col(text("published_by"))
            .col(int("published_at"))
            .foreign_key(&mut fk("publications", "ticket_id", "tickets"))
            .to_owned(),
    ));
    steps.push(index(
        "ix_publications_audience",
        "publications",
        &["audience_path", "published_at"],
    ));
    steps
}

/// The implementation plans of important projects (JSCZ-7, migration 31),
/// frozen like [`REGISTER_TABLES_V10`].
pub const REGISTER_TABLES_V31: &[(&str, &[(&str, bool)])] = &[(
    "implementation_plans",
    &[
        ("contract_id", false),
        ("title", false),
        ("document_id", false),
        ("summary", false),
        ("status", false),
    ],
)];

/// Columns added to existing register tables by migration 31, frozen like
/// [`REGISTER_TABLES_V10`]: a contract's importance and the day its work
/// started (JSCZ-7); whether a vendor's person is of the development team
/// and the day they left it (NTCZ-6.1.4).
pub const REGISTER_COLUMNS_V31: &[(&str, &[(&str, bool)])] = &[
    (
        "vendor_contracts",
        &[("important", true), ("work_started_on", false)],
    ),
    ("vendor_staff", &[("developer", true), ("left_on", false)]),
];

/// Alertmanager groups and the incident each opened (ADR 0024).
/// `open_key` is the group's key while the incident is open and NULL
/// after it closed: the unique index lets one open incident per group and
/// source exist, also under parallel deliveries, while closed ones stay.
fn alert_incidents(_: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("alert_incidents")
                .if_not_exists()
                .col(id_col())
                .col(text("source"))
                .col(text("group_key"))
                .col(text_null("open_key"))
                .col(text("ticket_id"))
                .col(int("storm"))
                .col(text("status"))
                .col(text("alerts_json"))
                .col(int("repeats"))
                .col(int("created_at"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("alert_incidents", "ticket_id", "tickets"))
                .to_owned(),
        ),
        unique(
            "uq_alert_incidents_open",
            "alert_incidents",
            &["source", "open_key"],
        ),
        index(
            "ix_alert_incidents_ticket",
            "alert_incidents",
            &["ticket_id"],
        ),
    ]
}

fn registers_v31(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V31);
    steps.extend([
        Step::Raw {
            sqlite: "ALTER TABLE vendor_contracts ADD COLUMN important BIGINT",
            postgres: "ALTER TABLE vendor_contracts ADD COLUMN IF NOT EXISTS important BIGINT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE vendor_contracts ADD COLUMN work_started_on TEXT",
            postgres: "ALTER TABLE vendor_contracts ADD COLUMN IF NOT EXISTS work_started_on TEXT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE vendor_staff ADD COLUMN developer BIGINT",
            postgres: "ALTER TABLE vendor_staff ADD COLUMN IF NOT EXISTS developer BIGINT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE vendor_staff ADD COLUMN left_on TEXT",
            postgres: "ALTER TABLE vendor_staff ADD COLUMN IF NOT EXISTS left_on TEXT",
        },
    ]);
    steps
}

/// The milestones of a vendor's contract (migration 30, issue 16), frozen
/// like [`REGISTER_TABLES_V10`]: its renewals after the purchaser's
/// assessment (NTCZ-5.1), the expert panel's acceptance (NTCZ-7) and the
/// two payments (NTCZ-8).
pub const REGISTER_TABLES_V30: &[(&str, &[(&str, bool)])] = &[
    (
        "contract_renewals",
        &[
            ("contract_id", false),
            ("assessed_on", false),
            ("assessment_result", false),
            ("assessment_note", false),
            ("starts_on", false),
            ("ends_on", false),
        ],
    ),
    (
        "contract_acceptances",
        &[
            ("contract_id", false),
            ("accepted_on", false),
            ("panel", false),
            ("verdict", false),
            ("panel_opinion", false),
        ],
    ),
    (
        "contract_payments",
        &[
            ("contract_id", false),
            ("milestone", false),
            ("paid_on", false),
            ("paid_amount", false),
            ("voucher", false),
        ],
    ),
];

/// Columns migration 30 adds to `vendor_contracts`: the signing day and
/// the amount the payments are computed from (NTCZ-8), and the number of
/// renewals filed (NTCZ-5.1).
pub const REGISTER_COLUMNS_V30: &[(&str, &[(&str, bool)])] = &[(
    "vendor_contracts",
    &[
        ("signed_on", false),
        ("contract_value", false),
        ("renewals", true),
    ],
)];

fn contract_milestones(b: Backend) -> Vec<Step> {
    let mut steps = register_tables(b, REGISTER_TABLES_V30);
    steps.extend([
        Step::Raw {
            sqlite: "ALTER TABLE vendor_contracts ADD COLUMN signed_on TEXT",
            postgres: "ALTER TABLE vendor_contracts ADD COLUMN IF NOT EXISTS signed_on TEXT",
        },
        Step::Raw {
            sqlite: "ALTER TABLE vendor_contracts ADD COLUMN contract_value TEXT",
            postgres: "ALTER TABLE vendor_contracts ADD COLUMN IF NOT EXISTS contract_value TEXT",
        },
        // Contracts filed before have had no renewal.
        Step::Raw {
            sqlite: "ALTER TABLE vendor_contracts ADD COLUMN renewals BIGINT DEFAULT 0",
            postgres:
                "ALTER TABLE vendor_contracts ADD COLUMN IF NOT EXISTS renewals BIGINT DEFAULT 0",
        },
    ]);
    steps
}

/// The password age (EEDS-3.8.6 「不定期更换」): `users.password_reminded_for`
/// holds the `password_changed_at` of the password whose expiry reminder
/// went out, so each password is reminded of once and a new password is
/// reminded of again.
fn password_expiry_reminder(_: Backend) -> Vec<Step> {
    vec![Step::Raw {
        sqlite: "ALTER TABLE users ADD COLUMN password_reminded_for BIGINT",
        postgres: "ALTER TABLE users ADD COLUMN IF NOT EXISTS password_reminded_for BIGINT",
    }]
}

/// Directory login (issue 17, ADR 0021): `directory_accounts` marks the
/// accounts the directory created and logs in (`id` is the user's id, `dn`
/// the entry they were last found at); `directory_grants` the role grants
/// a directory group gave, by the grant's id, so a membership removed in
/// the directory removes exactly those (a grant a security administrator
/// made stays). No foreign key to `role_grants`: a grant revoked by hand
/// leaves a row the next login drops.
fn directory_accounts(_: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("directory_accounts")
                .if_not_exists()
                .col(id_col())
                .col(text("dn"))
                .col(int("created_at"))
                .col(int("synced_at"))
                .foreign_key(&mut fk("directory_accounts", "id", "users"))
                .to_owned(),
        ),
        Step::Table(
            Table::create()
                .table("directory_grants")
                .if_not_exists()
                .col(id_col())
                .col(text("user_id"))
                .col(text("group_dn"))
                .col(int("created_at"))
                .foreign_key(&mut fk("directory_grants", "user_id", "users"))
                .to_owned(),
        ),
        index("ix_directory_grants_user", "directory_grants", &["user_id"]),
    ]
}

/// External notice channels (issue 17, ADR 0022): the outbox a notice's
/// e-mail or chat message waits in (written in the transaction of its
/// cause, sent by the dispatcher job), who wants which notices on which
/// channel (per user, per organisation), and the addresses of a user on
/// those channels.
fn notification_outbox(_: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("notify_outbox")
                .if_not_exists()
                .col(id_col())
                .col(text_null("user_id"))
                .col(text("channel"))
                .col(text("kind"))
                .col(text("title"))
                .col(text("body"))
                .col(text_null("link"))
                .col(int("urgent"))
                .col(int("created_at"))
                // pending | sending | sent | dead
                .col(text("status"))
                .col(int("attempts"))
                .col(int("next_at"))
                .col(int_null("lease_until"))
                .col(text_null("claim"))
                .col(text_null("last_error"))
                .col(int_null("sent_at"))
                .to_owned(),
        ),
        index(
            "ix_notify_outbox_status_next",
            "notify_outbox",
            &["status", "next_at"],
        ),
        Step::Table(
            Table::create()
                .table("notify_prefs")
                .if_not_exists()
                .col(id_col())
                // user | org
                .col(text("owner_type"))
                .col(text("owner_id"))
                .col(text("kind"))
                // Comma-separated channel names; empty: none.
                .col(text("channels"))
                .col(int("updated_at"))
                .to_owned(),
        ),
        unique(
            "uq_notify_prefs_owner_kind",
            "notify_prefs",
            &["owner_type", "owner_id", "kind"],
        ),
        Step::Table(
            Table::create()
                .table("user_contacts")
                .if_not_exists()
                .col(
                    ColumnDef::new("user_id")
                        .text()
                        .not_null()
                        .primary_key()
                        .to_owned(),
                )
                .col(text_null("email"))
                .col(text_null("wecom_id"))
                .col(int("updated_at"))
                .foreign_key(&mut fk("user_contacts", "user_id", "users"))
                .to_owned(),
        ),
    ]
}

/// Forwarding of the audit trail to a syslog server (issue 17, ADR 0023):
/// the trail itself is the outbox, and this one row holds how far it was
/// sent (`cursor_seq`), which node may send it (`lease_holder` until
/// `lease_until_us`) and the last turn's outcome.
fn audit_forwarding(_: Backend) -> Vec<Step> {
    vec![
        Step::Table(
            Table::create()
                .table("audit_forward")
                .if_not_exists()
                .col(
                    ColumnDef::new("id")
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(int("cursor_seq"))
                .col(text("lease_holder"))
                .col(int("lease_until_us"))
                .col(int_null("forwarded_at_us"))
                .col(text("last_error"))
                .col(int_null("last_error_at_us"))
                .to_owned(),
        ),
        Step::Raw {
            sqlite: "INSERT OR IGNORE INTO audit_forward (id, cursor_seq, lease_holder, lease_until_us, last_error) VALUES (1, 0, '', 0, '')",
            postgres: "INSERT INTO audit_forward (id, cursor_seq, lease_holder, lease_until_us, last_error) VALUES (1, 0, '', 0, '') ON CONFLICT (id) DO NOTHING",
        },
    ]
}
