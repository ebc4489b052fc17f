//! `JSCZ-41`: the audit chain catches any edit, deletion, insertion,
//! reordering or truncation made directly in the database, both through
//! `yunwei_core::audit::verify` and through `yunwei audit verify`.

use yunwei_core::audit::VerifyReport;
use yunwei_domain::audit::ChainFault;
use yunwei_testkit::TestApp;

use crate::cli::{run, Bin};

/// Every column of `audit_log` in table order.
const COLUMNS: &str =
    "seq, id, at_us, actor_id, actor_name, actor_role, org_path, source_ip, action, object_type, \
                       object_id, before_summary, after_summary, reason, result, request_id, mac";

pub async fn exec(app: &TestApp, sql: &str) -> u64 {
    sqlx::query(sql)
        .execute(app.platform.db().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .rows_affected()
}

async fn scalar_i64(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(app.platform.db().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn scalar_text(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_one(app.platform.db().pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn max_seq(app: &TestApp) -> i64 {
    scalar_i64(app, "SELECT MAX(seq) FROM audit_log").await
}

pub async fn id_at(app: &TestApp, seq: i64) -> String {
    scalar_text(app, &format!("SELECT id FROM audit_log WHERE seq = {seq}")).await
}

async fn verify(app: &TestApp) -> VerifyReport {
    yunwei_core::audit::verify(&app.platform, |_| {})
        .await
        .expect("verify runs")
}

/// A fresh app whose chain (bootstrap + demo seeding) verifies; returns
/// the number of records.
async fn intact_app() -> (TestApp, i64) {
    let app = TestApp::new().await;
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        None,
        "fresh chain must verify ({})",
        app.backend_name()
    );
    assert!(
        report.checked > 20,
        "bootstrap and demo data write audit records, got {}",
        report.checked
    );
    let max = max_seq(&app).await;
    assert_eq!(report.checked as i64, max);
    (app, max)
}

/// Copies record `from` as a new record at `seq` with a new id and a
/// different action; its MAC is copied too (the forger has no key).
async fn insert_forged(app: &TestApp, from: i64, seq: i64) {
    let sql = format!(
        "INSERT INTO audit_log ({COLUMNS}) SELECT {seq}, 'forged-{seq}', at_us, actor_id, actor_name, actor_role, \
         org_path, source_ip, 'user.delete', object_type, object_id, before_summary, after_summary, '伪造', result, \
         request_id, mac FROM audit_log WHERE seq = {from}"
    );
    assert_eq!(exec(app, &sql).await, 1);
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[tokio::test]
async fn jscz_41_audit_verify_passes_on_intact_chain() {
    let (app, max) = intact_app().await;
    let report = verify(&app).await;
    assert_eq!(report.checked as i64, max);
    assert!(report.seconds >= 0.0);
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_edited_field() {
    let (app, _) = intact_app().await;
    assert_eq!(
        exec(&app, "UPDATE audit_log SET reason = 'x' WHERE seq = 3").await,
        1
    );
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadMac {
            seq: 3,
            id: id_at(&app, 3).await
        })
    );
    assert_eq!(report.checked, 2, "records before the edit still verify");
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_edit_of_every_field() {
    let (app, _) = intact_app().await;
    let seq = 7;
    let text_columns = [
        "actor_name",
        "actor_role",
        "org_path",
        "source_ip",
        "action",
        "object_type",
        "object_id",
        "before_summary",
        "after_summary",
        "reason",
        "result",
        "request_id",
    ];
    for col in text_columns {
        let original = scalar_text(
            &app,
            &format!("SELECT {col} FROM audit_log WHERE seq = {seq}"),
        )
        .await;
        exec(
            &app,
            &format!(
                "UPDATE audit_log SET {col} = {} WHERE seq = {seq}",
                sql_quote(&format!("{original}!"))
            ),
        )
        .await;
        let fault = verify(&app).await.fault;
        assert!(
            matches!(fault, Some(ChainFault::BadMac { seq: 7, .. })),
            "edit of {col} not caught: {fault:?}"
        );
        exec(
            &app,
            &format!(
                "UPDATE audit_log SET {col} = {} WHERE seq = {seq}",
                sql_quote(&original)
            ),
        )
        .await;
        assert_eq!(
            verify(&app).await.fault,
            None,
            "restoring {col} restores the chain"
        );
    }
    for (col, tampered) in [
        ("at_us", "at_us + 1"),
        ("actor_id", "'00000000-0000-0000-0000-000000000000'"),
        ("id", "'00000000-0000-0000-0000-000000000001'"),
    ] {
        let original = scalar_text(
            &app,
            &format!(
                "SELECT COALESCE(CAST({col} AS TEXT), 'NULL') FROM audit_log WHERE seq = {seq}"
            ),
        )
        .await;
        exec(
            &app,
            &format!("UPDATE audit_log SET {col} = {tampered} WHERE seq = {seq}"),
        )
        .await;
        let fault = verify(&app).await.fault;
        assert!(
            matches!(fault, Some(ChainFault::BadMac { seq: 7, .. })),
            "edit of {col} not caught: {fault:?}"
        );
        let restore = match col {
            "at_us" => "at_us - 1".to_string(),
            _ if original == "NULL" => "NULL".to_string(),
            _ => sql_quote(&original),
        };
        exec(
            &app,
            &format!("UPDATE audit_log SET {col} = {restore} WHERE seq = {seq}"),
        )
        .await;
        assert_eq!(
            verify(&app).await.fault,
            None,
            "restoring {col} restores the chain"
        );
    }
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_deleted_record() {
    let (app, _) = intact_app().await;
    let next_id = id_at(&app, 11).await;
    assert_eq!(exec(&app, "DELETE FROM audit_log WHERE seq = 10").await, 1);
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadSequence {
            expected: 10,
            found: 11,
            id: next_id
        })
    );
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_forged_record_appended() {
    let (app, max) = intact_app().await;
    insert_forged(&app, max, max + 1).await;
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadMac {
            seq: max + 1,
            id: format!("forged-{}", max + 1)
        })
    );
    assert_eq!(
        report.checked as i64, max,
        "every genuine record still verifies"
    );
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_forged_record_inserted_in_middle() {
    let (app, max) = intact_app().await;
    // Renumber records 6.. one up (via a distant range to dodge the
    // primary key), then put the forgery at 6: the sequence has no gap.
    exec(
        &app,
        "UPDATE audit_log SET seq = seq + 1000000 WHERE seq > 5",
    )
    .await;
    exec(
        &app,
        "UPDATE audit_log SET seq = seq - 999999 WHERE seq > 1000000",
    )
    .await;
    insert_forged(&app, 7, 6).await;
    assert_eq!(max_seq(&app).await, max + 1);
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadMac {
            seq: 6,
            id: "forged-6".into()
        })
    );
    assert_eq!(report.checked, 5);
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_forged_record_inserted_into_a_gap() {
    let (app, _) = intact_app().await;
    exec(
        &app,
        "UPDATE audit_log SET seq = seq + 1000000 WHERE seq > 5",
    )
    .await;
    insert_forged(&app, 5, 6).await;
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadMac {
            seq: 6,
            id: "forged-6".into()
        })
    );
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_reordered_records() {
    let (app, _) = intact_app().await;
    let (a, b) = (id_at(&app, 7).await, id_at(&app, 8).await);
    exec(&app, "UPDATE audit_log SET seq = -1 WHERE seq = 7").await;
    exec(&app, "UPDATE audit_log SET seq = 7 WHERE seq = 8").await;
    exec(&app, "UPDATE audit_log SET seq = 8 WHERE seq = -1").await;
    assert_eq!(id_at(&app, 7).await, b);
    assert_eq!(id_at(&app, 8).await, a);
    let report = verify(&app).await;
    assert_eq!(report.fault, Some(ChainFault::BadMac { seq: 7, id: b }));
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_truncation() {
    let (app, max) = intact_app().await;
    assert_eq!(
        exec(&app, &format!("DELETE FROM audit_log WHERE seq = {max}")).await,
        1
    );
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadHead {
            head_seq: max,
            last_seq: max - 1
        })
    );
    assert_eq!(report.checked as i64, max - 1);
}

#[tokio::test]
async fn jscz_41_audit_verify_catches_truncation_with_rewound_head() {
    let (app, max) = intact_app().await;
    // Cutting off the last record and pointing the head at its predecessor
    // needs a seal the forger cannot compute.
    exec(&app, &format!("DELETE FROM audit_log WHERE seq = {max}")).await;
    let prev_mac = scalar_text(
        &app,
        &format!("SELECT mac FROM audit_log WHERE seq = {}", max - 1),
    )
    .await;
    exec(
        &app,
        &format!(
            "UPDATE audit_head SET seq = {}, mac = '{prev_mac}' WHERE id = 1",
            max - 1
        ),
    )
    .await;
    let report = verify(&app).await;
    assert_eq!(
        report.fault,
        Some(ChainFault::BadHead {
            head_seq: max - 1,
            last_seq: max - 1
        })
    );
}

#[tokio::test]
async fn jscz_41_audit_verify_cli_reports_first_bad_record() {
    let (app, max) = intact_app().await;
    let bin = Bin::new();

    let ok = run(bin
        .cmd(&["audit", "verify", "--database-url", &app.db_url])
        .env("YUNWEI_AUDIT_KEY", bin.audit_key(&app)))
    .await;
    assert_eq!(ok.code, Some(0), "{ok}");
    assert!(ok.stdout.contains("审计链完整"), "{ok}");
    assert!(
        ok.stdout.contains(&format!("已校验 {max} 条审计记录")),
        "{ok}"
    );

    exec(
        &app,
        "UPDATE audit_log SET after_summary = '篡改' WHERE seq = 3",
    )
    .await;
    let bad = run(bin
        .cmd(&["audit", "verify", "--database-url", &app.db_url])
        .env("YUNWEI_AUDIT_KEY", bin.audit_key(&app)))
    .await;
    assert_eq!(bad.code, Some(1), "{bad}");
    assert!(!bad.stdout.contains("审计链完整"), "{bad}");
    assert!(bad.stdout.contains("第 3 条审计记录"), "{bad}");
    assert!(bad.stdout.contains(&id_at(&app, 3).await), "{bad}");
    assert!(bad.stdout.contains("已校验 2 条审计记录"), "{bad}");

    // A wrong key fails at the first record.
    let wrong = run(bin
        .cmd(&["audit", "verify", "--database-url", &app.db_url])
        .env("YUNWEI_AUDIT_KEY", "ab".repeat(32)))
    .await;
    assert_eq!(wrong.code, Some(1), "{wrong}");
    assert!(wrong.stdout.contains("第 1 条审计记录"), "{wrong}");
}

#[tokio::test]
async fn jscz_41_audit_verify_cli_without_key_fails_without_creating_one() {
    let app = TestApp::new().await;
    let bin = Bin::new();
    let out = run(&mut bin.cmd(&["audit", "verify", "--database-url", &app.db_url])).await;
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("找不到审计密钥"), "{out}");
    assert!(
        !bin.dir.path().join("data").exists(),
        "no data directory or key is created"
    );
}
