//! Demo registers (ADR 0006): backup plans with their logs, a review and
//! restore tests (one more than a year old, so its plan is flagged),
//! emergency plans with a drill, a vendor contract with its weekly and
//! monthly reports (the last week's missing), vendor staff with NDAs (one
//! expired), an approved on-site change and a pending project-manager
//! change, training records, asset requisitions (one overdue) and two
//! special access requests with their temporary grants (one in force, one
//! ended and revoked, its removal awaiting confirmation). Written
//! through the use cases, so audited and scheduled like real work; nothing
//! happens when a backup plan exists.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use yunwei_domain::register::spec;
use yunwei_domain::AppError;
use yunwei_store::registers as store;
use yunwei_store::{orgs, Scope};

use crate::registers::{self, EntryInput};
use crate::{Ctx, Platform, Principal};

/// The platform with its clock moved back by `days`.
fn days_ago(p: &Platform, days: i64) -> Platform {
    crate::demo::at(p, p.clock.now() - Duration::days(days))
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn input(org: Option<&str>, values: &[(&str, &str)]) -> EntryInput {
    EntryInput {
        org_id: org.map(str::to_string),
        values: values
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

async fn file(
    p: &Platform,
    pr: &Principal,
    key: &str,
    org: Option<&str>,
    values: &[(&str, &str)],
) -> Result<String, AppError> {
    let ctx = Ctx::system("demo-registers");
    Ok(registers::create(p, &ctx, pr, key, &input(org, values))
        .await?
        .id)
}

async fn step(
    p: &Platform,
    pr: &Principal,
    key: &str,
    id: &str,
    name: &str,
) -> Result<(), AppError> {
    let ctx = Ctx::system("demo-registers");
    registers::take_step(p, &ctx, pr, key, id, name, "").await?;
    Ok(())
}

/// Seeds the demo registers once; returns how many entries were filed.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
    let plans = spec("backup_plans").ok_or_else(AppError::internal)?;
    let (center, vendor_org) = {
        let mut c = p.db.read().await?;
        if !store::find(&mut c, plans, &[], 1).await?.is_empty() {
            return Ok(0);
        }
        let all = orgs::list(&mut c, &Scope::system()).await?;
        let by_name = |n: &str| all.iter().find(|o| o.name == n).map(|o| o.id.clone());
        match (by_name("信息中心"), by_name("金陵数智运维服务有限公司")) {
            (Some(a), Some(b)) => (a, b),
            _ => return Ok(0),
        }
    };
    let actors = crate::demo::tickets::principals(p).await?;
    let who = |u: &str| actors.iter().find(|a| a.username == u).cloned();
    let (Some(hw), Some(soft), Some(lead), Some(deputy), Some(vendor)) = (
        who("demo_hwops"),
        who("demo_soft"),
        who("demo_lead"),
        who("demo_deputy"),
        who("demo_vendor"),
    ) else {
        return Ok(0);
    };
    let today = crate::kernel::due::today(p);
    let mut n = 0;

    // Backups (EEDS-3.7, JSCZ-45): a weekly database backup approved 40
    // days ago whose last restore test is 13 months old, and a daily
    // portal backup in order.
    let past = days_ago(p, 40);
    // The database item if the demo CMDB is there (it is seeded first).
    let db_item = {
        let mut c = p.db.read().await?;
        yunwei_store::cmdb::ci_by_code(&mut c, "DB-ORA-01")
            .await?
            .map(|ci| ci.code)
            .unwrap_or_default()
    };
    let db_plan = file(
        &past,
        &hw,
        "backup_plans",
        Some(&center),
        &[
            ("name", "预算一体化系统数据库备份"),
            ("ci_id", &db_item),
            ("scope", "Oracle 全库（RMAN）、归档日志、应用程序包"),
            ("covers_system", "1"),
            ("covers_business", "1"),
            ("covers_logs", "1"),
            ("frequency", "weekly"),
            ("location", "备份服务器 10.32.1.20 /backup/oracle"),
            ("offsite_location", "市灾备中心磁带库"),
            ("retention_days", "365"),
            ("review_every", "monthly"),
        ],
    )
    .await?;
    step(&past, &deputy, "backup_plans", &db_plan, "approve").await?;
    n += 1;
    let old_test = today - chrono::Months::new(13);
    file(
        &past,
        &hw,
        "restore_tests",
        None,
        &[
            ("plan_id", &db_plan),
            ("tested_on", &ymd(old_test)),
            ("backup_used", "年度全库备份"),
            ("result", "pass"),
            ("duration_minutes", "95"),
            ("findings", "恢复至测试库，数据核对一致"),
        ],
    )
    .await?;
    n += 1;
    for weeks in (0..5).rev() {
        let day = today - Duration::days(weeks * 7 + 1);
        let outcome = if weeks == 2 { "failure" } else { "success" };
        file(
            &days_ago(p, weeks * 7 + 1),
            &hw,
            "backup_logs",
            None,
            &[
                ("plan_id", &db_plan),
                ("performed_on", &ymd(day)),
                ("outcome", outcome),
                ("size_mb", if outcome == "success" { "48213" } else { "" }),
                (
                    "checksum",
                    if outcome == "success" {
                        "sm3:7c1e…"
                    } else {
                        ""
                    },
                ),
                (
                    "note",
                    if outcome == "success" {
                        ""
                    } else {
                        "磁带机报错，次日补做"
                    },
                ),
            ],
        )
        .await?;
        n += 1;
    }
    let last_month_end = today.with_day(1).unwrap_or(today) - Duration::days(1);
    if last_month_end > today - Duration::days(40) {
        file(
            &days_ago(p, (today - last_month_end).num_days()),
            &hw,
            "backup_reviews",
            None,
            &[
                ("plan_id", &db_plan),
                ("reviewed_on", &ymd(last_month_end)),
                ("conclusion", "abnormal"),
                (
                    "findings",
                    "一次备份失败（磁带机报错），已于次日补做并更换磁带",
                ),
            ],
        )
        .await?;
        n += 1;
    }
    let portal = file(
        &past,
        &soft,
        "backup_plans",
        Some(&center),
        &[
            ("name", "门户网站内容与数据库备份"),
            ("scope", "网站程序、内容数据库、访问日志"),
            ("covers_system", "1"),
            ("covers_business", "1"),
            ("covers_logs", "1"),
            ("frequency", "daily"),
            ("location", "备份服务器 10.32.1.20 /backup/portal"),
            ("offsite_location", "政务云对象存储（异地）"),
            ("retention_days", "90"),
            ("review_every", "monthly"),
        ],
    )
    .await?;
    step(&past, &deputy, "backup_plans", &portal, "approve").await?;
    file(
        &past,
        &soft,
        "restore_tests",
        None,
        &[
            ("plan_id", &portal),
            ("tested_on", &ymd(today - Duration::days(40))),
            ("backup_used", "前一日全量备份"),
            ("result", "pass"),
            ("duration_minutes", "20"),
        ],
    )
    .await?;
    for d in (1..4).rev() {
        file(
            &days_ago(p, d),
            &soft,
            "backup_logs",
            None,
            &[
                ("plan_id", &portal),
                ("performed_on", &ymd(today - Duration::days(d))),
                ("outcome", "success"),
                ("size_mb", "2048"),
            ],
        )
        .await?;
    }
    n += 5;

    // Emergency plans and drills (JSCZ-7, ZMDY-20): drills twice a year,
    // the last half's held; a machine-room plan with a yearly drill.
    let half_start = if today.month() <= 6 {
        NaiveDate::from_ymd_opt(today.year() - 1, 7, 1)
    } else {
        NaiveDate::from_ymd_opt(today.year(), 1, 1)
    }
    .unwrap_or(today);
    // Written a few days into the last half year, so its first
    // occurrence is that half's drill.
    let since = (today - half_start).num_days() - 5;
    let at = days_ago(p, since);
    let ep = file(
        &at,
        &soft,
        "emergency_plans",
        Some(&center),
        &[
            ("name", "预算管理一体化系统应急预案"),
            ("scope", "预算管理一体化系统及其数据库、中间件"),
            (
                "content",
                "一、组织与职责\n二、事件分级\n三、处置流程：发现—报告—研判—处置—恢复—总结\n四、数据库故障切换步骤\n五、联系人",
            ),
            ("contact", "赵雨婷（软件科）、郑海峰（厂商驻场）"),
            ("drills", "2"),
        ],
    )
    .await?;
    file(
        &days_ago(p, since - 40),
        &soft,
        "drills",
        None,
        &[
            ("plan_id", &ep),
            ("held_on", &ymd(half_start + Duration::days(30))),
            ("kind", "tabletop"),
            ("scenario", "数据库主节点宕机，切换至备节点"),
            (
                "participants",
                "软件科 3 人、硬件运维科 2 人、厂商驻场 2 人",
            ),
            ("findings", "切换脚本缺少对归档目录的权限"),
            ("follow_up", "补齐权限并在下次演练中验证"),
        ],
    )
    .await?;
    file(
        &past,
        &hw,
        "emergency_plans",
        Some(&center),
        &[
            ("name", "信息中心机房断电应急预案"),
            ("scope", "信息中心 3 楼机房"),
            (
                "content",
                "一、UPS 与发电机切换\n二、关键设备关机顺序\n三、恢复上电顺序",
            ),
            ("contact", "刘建军（硬件运维科）"),
            ("drills", "1"),
        ],
    )
    .await?;
    n += 3;

    // Vendors (JSCZ-5, JSCZ-7, JSCZ-37, NTCZ-6.1.7): the operations
    // contract with weekly and monthly reports, its staff and NDAs.
    let start = today - Duration::days(30);
    let contract = file(
        &days_ago(p, 30),
        &lead,
        "vendor_contracts",
        Some(&center),
        &[
            ("name", "预算管理一体化系统运维服务"),
            ("contract_no", "JSCZ-YW-2026-018"),
            ("vendor_org_id", &vendor_org),
            (
                "service_scope",
                "日常运维、驻场服务（2 人）、应急响应、季度巡检、月度报告",
            ),
            ("starts_on", &ymd(start)),
            ("ends_on", &ymd(start + chrono::Months::new(12))),
            ("weekly_report", "1"),
            ("monthly_report", "1"),
            ("annual_summary", "1"),
        ],
    )
    .await?;
    n += 1;
    // Every report due so far was submitted, except the last week's.
    let due: Vec<_> = {
        let mut c = p.db.read().await?;
        yunwei_store::controls::of_subject(&mut c, "vendor_contracts", &contract, 100)
            .await?
            .into_iter()
            .filter(|ctl| ctl.done_at.is_none() && ctl.due_at <= p.now_us())
            .collect()
    };
    let last_weekly = due
        .iter()
        .filter(|c| c.kind == "vendor_weekly")
        .map(|c| c.due_at)
        .max();
    for ctl in &due {
        if ctl.kind == "vendor_weekly" && Some(ctl.due_at) == last_weekly {
            continue;
        }
        let (Some(s), Some(e)) = (&ctl.period_start, &ctl.period_end) else {
            continue;
        };
        let kind = if ctl.kind == "vendor_weekly" {
            "weekly"
        } else {
            "monthly"
        };
        let body = crate::features::rules::draft_report(p, &vendor, &contract, kind, s, e).await?
            + "\n（已补充）";
        let at = days_ago(
            p,
            (today - crate::kernel::due::last_day(ctl.due_at)).num_days(),
        );
        let id = file(
            &at,
            &vendor,
            "vendor_reports",
            None,
            &[
                ("contract_id", &contract),
                ("report_kind", kind),
                ("period_start", s),
                ("period_end", e),
                ("body", &body),
            ],
        )
        .await?;
        step(&at, &vendor, "vendor_reports", &id, "submit").await?;
        n += 1;
    }
    let zheng = file(
        &days_ago(p, 30),
        &vendor,
        "vendor_staff",
        Some(&vendor_org),
        &[
            ("name", "郑海峰"),
            ("client_org_id", &center),
            ("username", "demo_vendor"),
            ("skills", "Oracle OCP、Linux、网络设备"),
            ("developer", "1"),
        ],
    )
    .await?;
    let wang = file(
        &days_ago(p, 30),
        &vendor,
        "vendor_staff",
        Some(&vendor_org),
        &[
            ("name", "王磊"),
            ("client_org_id", &center),
            ("skills", "中间件、Java"),
            ("developer", "1"),
        ],
    )
    .await?;
    file(
        &days_ago(p, 30),
        &vendor,
        "ndas",
        None,
        &[
            ("staff_id", &zheng),
            ("signed_on", &ymd(start)),
            ("valid_from", &ymd(start)),
            ("valid_to", &ymd(start + chrono::Months::new(12))),
            ("counterparty", "江苏省财政厅信息中心"),
        ],
    )
    .await?;
    let old = today - chrono::Months::new(12) - Duration::days(10);
    file(
        &days_ago(p, 30),
        &vendor,
        "ndas",
        None,
        &[
            ("staff_id", &wang),
            ("signed_on", &ymd(old)),
            ("valid_from", &ymd(old)),
            ("valid_to", &ymd(today - Duration::days(10))),
            ("counterparty", "江苏省财政厅信息中心"),
        ],
    )
    .await?;
    let onsite = file(
        &days_ago(p, 29),
        &vendor,
        "staff_changes",
        Some(&center),
        &[
            ("vendor_org_id", &vendor_org),
            ("change_kind", "onsite_in"),
            ("joining_id", &zheng),
            ("reason", "合同约定驻场 2 人，首批进场"),
        ],
    )
    .await?;
    step(&days_ago(p, 28), &lead, "staff_changes", &onsite, "approve").await?;
    file(
        p,
        &vendor,
        "staff_changes",
        Some(&center),
        &[
            ("vendor_org_id", &vendor_org),
            ("change_kind", "pm"),
            ("joining_id", &wang),
            ("reason", "原项目经理调往其他项目"),
        ],
    )
    .await?;
    n += 6;

    // The vendor's security undertaking (JSCZ-38/44/46/52/57), signed when
    // its people came on site, and a remote-control breach (JSCZ-52)
    // notified to it for handling (JSCZ-51, JSCZ-57).
    let yes = "true";
    file(
        &days_ago(p, 30),
        &lead,
        "security_undertakings",
        Some(&center),
        &[
            ("vendor_org_id", &vendor_org),
            ("signatory", "金陵数智运维服务有限公司 法定代表人 陈立新"),
            ("signed_on", &ymd(today - Duration::days(30))),
            ("valid_to", &ymd(today + Duration::days(335))),
            ("no_publicity", yes),
            ("no_private_wireless", yes),
            ("no_document_leak", yes),
            ("no_unapproved_function", yes),
            ("no_backdoor", yes),
            ("no_subcontract", yes),
            ("no_remote_control", yes),
            ("no_disclosure", yes),
            ("accepts_accountability", yes),
        ],
    )
    .await?;
    let breach = file(
        &days_ago(p, 6),
        &lead,
        "accountability_records",
        Some(&center),
        &[
            ("vendor_org_id", &vendor_org),
            ("person", "王磊"),
            ("occurred_on", &ymd(today - Duration::days(7))),
            ("breach", "remote_control"),
            ("measure", "interview"),
            ("facts", "巡检发现其通过向日葵远程控制软件从公司办公网登录预算管理一体化系统应用服务器，未走堡垒机"),
        ],
    )
    .await?;
    step(
        &days_ago(p, 5),
        &lead,
        "accountability_records",
        &breach,
        "notify",
    )
    .await?;
    n += 2;

    // Training (NTCZ-3.3, EEDS-2.2.1.5).
    for (days, topic, kind, hours, who_) in [
        (
            20,
            "预算管理一体化系统操作培训（第一期）",
            "end_user",
            "4",
            "南京市财政局、江宁区财政局业务人员 46 人",
        ),
        (
            12,
            "数据安全与保密培训",
            "security",
            "2",
            "信息中心全体、厂商驻场人员",
        ),
    ] {
        file(
            &days_ago(p, days),
            &lead,
            "trainings",
            Some(&center),
            &[
                ("held_on", &ymd(today - Duration::days(days))),
                ("topic", topic),
                ("kind", kind),
                ("trainer", "陈思远"),
                ("hours", hours),
                ("participants", who_),
            ],
        )
        .await?;
        n += 1;
    }

    // Asset requisitions (JSCZ-9): one returned, one overdue, one pending.
    let ctx = Ctx::system("demo-registers");
    crate::features::cmdb::create(
        &days_ago(p, 60),
        &ctx,
        &lead,
        &crate::features::cmdb::CiInput {
            code: "HW-LAPTOP-01".into(),
            name: "运维笔记本电脑".into(),
            category: "hardware".into(),
            ci_type: "笔记本电脑".into(),
            location: "信息中心资产库房".into(),
            ..Default::default()
        },
    )
    .await?;
    for (days, back, purpose, end) in [
        (25, 18, "驻场巡检记录", Some("return")),
        (14, 4, "机房夜间变更实施", None),
        (0, -7, "季度巡检", Some("pending")),
    ] {
        let at = days_ago(p, days);
        let id = file(
            &at,
            &vendor,
            "asset_requisitions",
            None,
            &[
                ("ci_id", "HW-LAPTOP-01"),
                ("borrower_org_id", &vendor_org),
                ("borrower", "郑海峰"),
                ("purpose", purpose),
                ("borrowed_on", &ymd(today - Duration::days(days))),
                ("due_back", &ymd(today - Duration::days(back))),
            ],
        )
        .await?;
        if end != Some("pending") {
            step(&at, &lead, "asset_requisitions", &id, "approve").await?;
        }
        if end == Some("return") {
            step(
                &days_ago(p, back + 1),
                &vendor,
                "asset_requisitions",
                &id,
                "return",
            )
            .await?;
        }
        n += 1;
    }
    n += seed_access(p, today).await?;
    Ok(n)
}

/// The O&M vendor's previous contract with the information centre, the
/// year before the current one (no reports asked of it any more): what let
/// the older demo tickets be handed to the vendor (转派 to a vendor needs a
/// contract in force covering the ticket, ADR 0012). Seeded before the
/// tickets; nothing happens when it is there. Returns whether it was filed.
pub async fn seed_previous_contract(p: &Platform) -> Result<bool, AppError> {
    const NUMBER: &str = "JSCZ-YW-2025-006";
    let contracts = spec("vendor_contracts").ok_or_else(AppError::internal)?;
    let (center, vendor_org) = {
        let mut c = p.db.read().await?;
        let same = [(
            "contract_no",
            yunwei_domain::register::Val::Text(NUMBER.into()),
        )];
        if !store::find(&mut c, contracts, &same, 1).await?.is_empty() {
            return Ok(false);
        }
        let all = orgs::list(&mut c, &Scope::system()).await?;
        let by_name = |n: &str| all.iter().find(|o| o.name == n).map(|o| o.id.clone());
        match (by_name("信息中心"), by_name("金陵数智运维服务有限公司")) {
            (Some(a), Some(b)) => (a, b),
            _ => return Ok(false),
        }
    };
    let Some(lead) = crate::demo::demo_principal(p, "demo_lead").await? else {
        return Ok(false);
    };
    let today = crate::kernel::due::today(p);
    let start = today - Duration::days(395);
    let end = today - Duration::days(31);
    file(
        &days_ago(p, 400),
        &lead,
        "vendor_contracts",
        Some(&center),
        &[
            ("name", "预算管理一体化系统运维服务（上一期）"),
            ("contract_no", NUMBER),
            ("vendor_org_id", &vendor_org),
            ("service_scope", "日常运维、驻场服务（2 人）、应急响应"),
            ("starts_on", &ymd(start)),
            ("ends_on", &ymd(end)),
        ],
    )
    .await?;
    Ok(true)
}

/// Two special access requests of the vendor (JSCZ-8) through their four
/// reviews to the grant: one in force for the coming days, one whose end
/// has passed, revoked by the job and awaiting the removal's confirmation
/// (JSCZ-49). Returns how many grants were filed.
async fn seed_access(p: &Platform, today: NaiveDate) -> Result<usize, AppError> {
    use crate::tickets::{self, OpenInput, TransitionInput};
    let mut people = vec![];
    for u in [
        "demo_vendor",
        "demo_budget",
        "demo_sysop",
        "demo_secop",
        "demo_netop",
    ] {
        match crate::demo::demo_principal(p, u).await? {
            Some(pr) => people.push(pr),
            None => return Ok(0),
        }
    }
    let ctx = Ctx::system("demo-registers");
    let mut n = 0;
    for (ago, from, until, title, system) in [
        (
            2,
            -2,
            5,
            "月末批处理排查临时访问",
            "预算管理一体化系统 数据库区（堡垒机）",
        ),
        (
            9,
            -9,
            -2,
            "指标接口联调临时访问",
            "指标管理系统 接口区 10.1.3.0/24",
        ),
    ] {
        let at = days_ago(p, ago);
        let day = |d: i64| ymd(today + Duration::days(d));
        let fields = serde_json::json!({
            "system": system, "access_kind": "bastion",
            "scope": "经堡垒机只读访问，不含数据修改", "reason": title,
            "grantee": "demo_vendor", "valid_from": day(from), "valid_until": day(until)
        });
        let t = tickets::open(
            &at,
            &ctx,
            &people[0],
            &OpenInput {
                pack: "jscz".into(),
                process: "special_access".into(),
                title: title.into(),
                org_id: None,
                on_behalf_of: None,
                fields: fields.as_object().cloned().unwrap_or_default(),
            },
        )
        .await?;
        let go = |name: &str, fields: serde_json::Value| TransitionInput {
            transition: name.into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            comment: String::new(),
            assignee: None,
        };
        tickets::transition(
            &at,
            &ctx,
            &people[0],
            &t.id,
            &go("submit", serde_json::json!({})),
        )
        .await?;
        for reviewer in &people[1..] {
            tickets::vote(
                &at,
                &ctx,
                reviewer,
                &t.id,
                "four_party_review",
                true,
                "同意",
            )
            .await?;
        }
        tickets::transition(
            &at,
            &ctx,
            &people[2],
            &t.id,
            &go(
                "record_granted",
                serde_json::json!({"grant_record": "堡垒机策略已开通，限 demo_vendor 本人使用"}),
            ),
        )
        .await?;
        n += 1;
    }
    // The job at today's clock revokes the ended one.
    crate::features::access::expire_grants(p, 100).await?;
    Ok(n)
}
