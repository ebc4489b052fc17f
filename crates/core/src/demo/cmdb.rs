//! Demo CMDB: the items behind the budget system (servers, storage, the
//! core switch, firewall and bastion host, Oracle and middleware, two
//! applications), their relations and one IP segment with allocations;
//! seeded before the tickets, which name the items they concern. Written through the use cases,
//! so audited like real work; nothing happens when the items exist.

use yunwei_domain::AppError;
use yunwei_store::cmdb as store;
use yunwei_store::tickets::TicketFilter;

use crate::features::cmdb::{self, AllocationInput, CiInput, RelationInput, SegmentInput};
use crate::tickets;
use crate::{Ctx, Platform};

/// (code, name, category, type, vendor, location, version, patch level, licence expiry)
type DemoItem = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const ITEMS: [DemoItem; 11] = [
    (
        "SRV-DB-01",
        "数据库服务器",
        "hardware",
        "机架式服务器（浪潮 NF5280M6）",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 A02",
        "",
        "",
        "",
    ),
    (
        "SRV-APP-01",
        "应用服务器 1",
        "hardware",
        "机架式服务器",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 A03",
        "",
        "",
        "",
    ),
    (
        "SRV-APP-02",
        "应用服务器 2",
        "hardware",
        "机架式服务器",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 A03",
        "",
        "",
        "",
    ),
    (
        "STO-01",
        "核心存储阵列",
        "hardware",
        "集中存储",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 B01",
        "",
        "",
        "",
    ),
    (
        "SW-CORE-01",
        "核心交换机",
        "network",
        "数据中心交换机（华为 CE6881）",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 C01",
        "V200R022",
        "SPH10",
        "",
    ),
    (
        "FW-01",
        "边界防火墙",
        "network",
        "下一代防火墙",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 C02",
        "",
        "",
        "2027-03-31",
    ),
    (
        "BH-01",
        "运维堡垒机",
        "network",
        "堡垒机",
        "金陵数智运维服务有限公司",
        "信息中心 3 楼机房 C02",
        "V3.6",
        "",
        "2026-12-31",
    ),
    (
        "DB-ORA-01",
        "Oracle 数据库",
        "base_software",
        "数据库",
        "苏财信息技术有限公司",
        "",
        "19c",
        "19.21",
        "2027-06-30",
    ),
    (
        "MW-01",
        "应用中间件",
        "base_software",
        "中间件（TongWeb）",
        "苏财信息技术有限公司",
        "",
        "7.0",
        "7.0.4.9",
        "2027-06-30",
    ),
    (
        "APP-YSYTH",
        "预算管理一体化系统",
        "application",
        "业务系统",
        "苏财信息技术有限公司",
        "",
        "3.2",
        "",
        "",
    ),
    (
        "APP-GKZF",
        "国库集中支付系统",
        "application",
        "业务系统",
        "苏财信息技术有限公司",
        "",
        "2.8",
        "",
        "",
    ),
];

const RELATIONS: [(&str, &str, &str); 10] = [
    ("DB-ORA-01", "runs_on", "SRV-DB-01"),
    ("SRV-DB-01", "depends_on", "STO-01"),
    ("MW-01", "runs_on", "SRV-APP-01"),
    ("MW-01", "runs_on", "SRV-APP-02"),
    ("APP-YSYTH", "depends_on", "MW-01"),
    ("APP-YSYTH", "depends_on", "DB-ORA-01"),
    ("APP-GKZF", "depends_on", "DB-ORA-01"),
    ("SRV-DB-01", "connects_to", "SW-CORE-01"),
    ("SRV-APP-01", "connects_to", "SW-CORE-01"),
    ("SW-CORE-01", "connects_to", "FW-01"),
];

const ADDRESSES: [(&str, &str); 4] = [
    ("10.32.1.11", "SRV-DB-01"),
    ("10.32.1.21", "SRV-APP-01"),
    ("10.32.1.22", "SRV-APP-02"),
    ("10.32.1.254", "SW-CORE-01"),
];

/// Seeds the demo CMDB once; returns how many items were written.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
    {
        let mut c = p.db.read().await?;
        if store::ci_by_code(&mut c, "SW-CORE-01").await?.is_some() {
            return Ok(0);
        }
    }
    let actors = crate::demo::tickets::principals(p).await?;
    let Some(lead) = actors.iter().find(|a| a.username == "demo_lead") else {
        return Ok(0);
    };
    let ctx = Ctx::system("demo-cmdb");
    for (code, name, cat, ty, vendor, loc, ver, patch, lic) in ITEMS {
        let input = CiInput {
            code: code.into(),
            name: name.into(),
            category: cat.into(),
            ci_type: ty.into(),
            vendor: vendor.into(),
            location: loc.into(),
            version: ver.into(),
            patch_level: patch.into(),
            licence_expires: lic.into(),
            ..Default::default()
        };
        cmdb::create(p, &ctx, lead, &input).await?;
    }
    for (from, kind, to) in RELATIONS {
        let id = {
            let mut c = p.db.read().await?;
            store::ci_by_code(&mut c, from).await?.map(|a| a.id)
        };
        if let Some(id) = id {
            let input = RelationInput {
                to: to.into(),
                kind: kind.into(),
            };
            cmdb::add_relation(p, &ctx, lead, &id, &input).await?;
        }
    }
    let seg = cmdb::create_segment(
        p,
        &ctx,
        lead,
        &SegmentInput {
            cidr: "10.32.1.0/24".into(),
            name: "业务服务器区".into(),
            org_id: String::new(),
        },
    )
    .await?;
    for (addr, ci) in ADDRESSES {
        let input = AllocationInput {
            address: addr.into(),
            ci: ci.into(),
            purpose: "业务地址".into(),
        };
        cmdb::allocate(p, &ctx, lead, &seg.id, &input).await?;
    }
    // The first demo incident touched the core switch.
    let f = TicketFilter {
        process_id: Some("incident".into()),
        ..Default::default()
    };
    if let Some(t) = tickets::list(p, lead, &f, 1, 1).await?.tickets.first() {
        cmdb::link_ticket(p, &ctx, lead, &t.id, "SW-CORE-01").await?;
    }
    Ok(ITEMS.len())
}
