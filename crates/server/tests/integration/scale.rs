//! Lists and search past their count caps (BENCHMARKS.md): totals stop at
//! the cap and say so, pages still come newest first, and a search
//! with very many matches returns the newest instead of ranking them all.

use axum::http::StatusCode;
use yunwei_core::search::{document_tokens, Document};
use yunwei_domain::ids::new_id;
use yunwei_store::search::SearchDoc;
use yunwei_store::tickets::{TicketRow, COUNT_CAP};
use yunwei_testkit::TestApp;

const MANY: i64 = COUNT_CAP + 5;

/// `MANY` incidents of the Nanjing bureau, bulk-loaded with their search
/// entries; every seventh mentions 密评 as well.
async fn bulk(app: &TestApp) {
    let p = &app.platform;
    let mut c = p.db().read().await.unwrap();
    let staff = yunwei_store::users::by_username(&mut c, "demo_staff")
        .await
        .unwrap()
        .unwrap();
    drop(c);
    let pack = p.packs.iter().find(|pk| pk.id == "jscz").unwrap();
    let base = p.now_us() - 10_000_000_000;
    let rows: Vec<TicketRow> = (0..MANY)
        .map(|i| TicketRow {
            id: new_id(),
            number: format!("SJ-20260301-{:05}", i + 1),
            pack_id: pack.id.clone(),
            pack_version: pack.version.clone(),
            process_id: "incident".into(),
            title: if i % 7 == 0 {
                format!("交换机故障 密评 {i}")
            } else {
                format!("交换机故障 {i}")
            },
            state: "reported".into(),
            state_since: base + i * 1_000_000,
            org_id: staff.org_id.clone(),
            org_path: staff.org_path.clone(),
            requester_id: staff.id.clone(),
            assignee_id: None,
            fields_json: "{}".into(),
            level: None,
            created_at: base + i * 1_000_000,
            updated_at: base + i * 1_000_000,
            closed_at: None,
            due_at: None,
            overdue: false,
            team_id: None,
            team_path: None,
        })
        .collect();
    let titles: Vec<String> = rows
        .iter()
        .map(|t| format!("{} {}", t.number, t.title))
        .collect();
    let tokens: Vec<(String, String)> = rows
        .iter()
        .zip(&titles)
        .map(|(t, title)| {
            document_tokens(&Document {
                doc_type: "ticket",
                doc_id: &t.id,
                org_path: &t.org_path,
                title,
                body: &t.title,
                updated_at: t.updated_at,
            })
            .unwrap()
        })
        .collect();
    let docs: Vec<SearchDoc<'_>> = rows
        .iter()
        .zip(&titles)
        .zip(&tokens)
        .map(|((t, title), (title_tokens, tokens))| SearchDoc {
            doc_type: "ticket",
            doc_id: &t.id,
            org_path: &t.org_path,
            partner_path: None,
            audience: yunwei_core::search::BUSINESS_AUDIENCE,
            title,
            title_tokens,
            tokens,
            updated_at: t.updated_at,
        })
        .collect();
    let mut c = p.db().begin().await.unwrap();
    yunwei_store::tickets::insert_many(&mut c, &rows)
        .await
        .unwrap();
    yunwei_store::search::insert_many(&mut c, &docs)
        .await
        .unwrap();
    c.commit().await.unwrap();
}

#[tokio::test]
async fn lists_and_search_cap_their_totals_and_stay_newest_first() {
    let app = TestApp::new().await;
    bulk(&app).await;
    let lead = app.login("demo_lead").await;

    let r = app
        .get("/api/v1/tickets?process=incident&per_page=50", Some(&lead))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.json();
    assert_eq!(page["total"], COUNT_CAP);
    assert_eq!(page["total_capped"], true);
    let tickets = page["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 50);
    assert_eq!(tickets[0]["title"], format!("交换机故障 {}", MANY - 1));
    let created: Vec<i64> = tickets
        .iter()
        .map(|t| t["created_at"].as_i64().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] > w[1]), "newest first");
    // A later page continues where the first ended.
    let p2 = app
        .get(
            "/api/v1/tickets?process=incident&per_page=50&page=2",
            Some(&lead),
        )
        .await
        .json();
    assert_eq!(
        p2["tickets"][0]["created_at"].as_i64().unwrap(),
        created[49] - 1_000_000
    );
    // Within the cap, the total is exact and not capped.
    let open = app
        .get("/api/v1/tickets?process=change", Some(&lead))
        .await
        .json();
    assert_eq!(open["total_capped"], false);
    // The bureau's own staff reach them through their scope; another
    // organisation sees none.
    let staff = app.login("demo_staff").await;
    let mine = app
        .get("/api/v1/tickets?process=incident", Some(&staff))
        .await
        .json();
    assert_eq!(mine["total_capped"], true);
    let unit = app.login("demo_unit").await;
    let none = app
        .get("/api/v1/tickets?process=incident", Some(&unit))
        .await
        .json();
    assert_eq!(none["total"], 0);
    assert_eq!(none["total_capped"], false);

    // 交换机 matches every ticket: capped, newest first.
    let hits = app
        .get("/api/v1/search?q=%E4%BA%A4%E6%8D%A2%E6%9C%BA", Some(&lead))
        .await
        .json();
    assert_eq!(hits["total"], yunwei_store::search::COUNT_CAP, "{hits}");
    assert_eq!(hits["total_capped"], true);
    assert!(hits["hits"][0]["title"]
        .as_str()
        .unwrap()
        .ends_with(&format!("交换机故障 {}", MANY - 1)));
    // 密评 matches a seventh of them: exact, ranked.
    let few = app
        .get("/api/v1/search?q=%E5%AF%86%E8%AF%84", Some(&lead))
        .await
        .json();
    assert_eq!(few["total"], (MANY + 6) / 7, "{few}");
    assert_eq!(few["total_capped"], false);
    app.cleanup().await;
}
