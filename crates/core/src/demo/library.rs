//! The demo's library: technical archives of the budget and payment
//! systems (EEDS-3.6), published knowledge articles (JSCZ-20) and the
//! vulnerability register after a security scan (JSCZ-42), each written
//! through its use case by the person who would write it. Needs the demo
//! CMDB (`demo::cmdb`); nothing happens when the archives exist.

use chrono::Duration;
use yunwei_domain::AppError;
use yunwei_store::archives as astore;

use crate::features::archives::{self, NewDoc};
use crate::features::knowledge::{self, ArticleInput};
use crate::registers;
use crate::{Ctx, Platform};

/// (title, kind, item code, file name, note, content)
const DOCUMENTS: [(&str, &str, &str, &str, &str, &str); 4] = [
    (
        "国库集中支付系统部署架构及网络拓扑",
        "network_diagram",
        "APP-GKZF",
        "国库集中支付系统网络拓扑-2026.txt",
        "2026 年 10 月等保测评后更新",
        "互联网区—边界防火墙 FW-01—核心交换机 SW-CORE-01—业务服务器区 10.32.1.0/24（SRV-APP-01、SRV-APP-02、SRV-DB-01）",
    ),
    (
        "预算管理一体化系统运维手册 V3.2",
        "manual",
        "APP-YSYTH",
        "预算管理一体化系统运维手册V3.2.txt",
        "随 V3.2.1 升级由苏财信息技术有限公司提交",
        "第一章 系统架构；第二章 日常巡检；第三章 备份与恢复；第四章 常见故障处理。",
    ),
    (
        "Oracle 数据库软硬件配置清单",
        "config_list",
        "DB-ORA-01",
        "Oracle数据库配置清单.txt",
        "",
        "Oracle 19c RAC，补丁 19.23；SGA 64GB；归档模式；RMAN 每周全备、每日增量。",
    ),
    (
        "信息中心机房设备布置图",
        "device_layout",
        "SW-CORE-01",
        "3楼机房机柜布置图.txt",
        "机柜 A01–A06",
        "A01 网络设备；A02 数据库服务器；A03 应用服务器；A04 存储；A05 安全设备；A06 预留。",
    ),
];

/// (title, cause, solution)
const ARTICLES: [(&str, &str, &str); 3] = [
    (
        "月末集中支付时支付系统登录缓慢的排查与处理",
        "应用服务器连接池上限配置过低，月末并发会话超过上限后请求排队。",
        "在中间件控制台将连接池上限由 200 调至 400，滚动重启应用服务器；在监控中增加会话数 80% 告警。",
    ),
    (
        "电子签章提示“证书状态未知”的处理",
        "签章服务器无法访问 CA 的 OCSP 地址，证书状态校验超时。",
        "检查防火墙至 CA OCSP 地址的策略并恢复；临时可在签章服务中切换为 CRL 校验。",
    ),
    (
        "非税收入对账文件未到达时的补救步骤",
        "代理银行前置机文件推送任务失败，对账文件未落地。",
        "联系代理银行重推文件；在非税收入系统中手工触发对账任务并核对结果，次日巡检时确认。",
    ),
];

/// (item code, title, CVE, severity, days ago found, fixed)
const VULNERABILITIES: [(&str, &str, &str, &str, i64, bool); 4] = [
    (
        "MW-01",
        "中间件反序列化远程代码执行漏洞",
        "CVE-2026-21345",
        "critical",
        5,
        false,
    ),
    (
        "DB-ORA-01",
        "Oracle 数据库 TNS 监听器未授权访问",
        "CNVD-2026-10452",
        "high",
        40,
        true,
    ),
    (
        "APP-YSYTH",
        "预算一体化系统登录页未限制验证码重放",
        "",
        "medium",
        20,
        false,
    ),
    ("BH-01", "堡垒机 SSH 弱加密算法", "", "low", 60, true),
];

/// Seeds the library once; returns how many things were written.
pub async fn seed(p: &Platform) -> Result<usize, AppError> {
    {
        let mut c = p.db.read().await?;
        let any = astore::list_docs(&mut c, &yunwei_store::Scope::system(), None, 1).await?;
        if !any.is_empty() {
            return Ok(0);
        }
    }
    let actors = crate::demo::tickets::principals(p).await?;
    let who = |u: &str| actors.iter().find(|a| a.username == u);
    let (Some(lead), Some(hw)) = (who("demo_lead"), who("demo_hwops")) else {
        return Ok(0);
    };
    let ctx = Ctx::system("demo-library");
    let mut n = 0;
    for (title, kind, ci, filename, note, body) in DOCUMENTS {
        let doc = NewDoc {
            title: title.into(),
            kind: kind.into(),
            ci: ci.into(),
            org_id: String::new(),
            filename: filename.into(),
            note: note.into(),
        };
        archives::create(p, &ctx, lead, &doc, body.as_bytes()).await?;
        n += 1;
    }
    for (title, cause, solution) in ARTICLES {
        let input = ArticleInput {
            title: title.into(),
            cause: cause.into(),
            solution: solution.into(),
            org_id: None,
        };
        let a = knowledge::create(p, &ctx, lead, &input).await?;
        knowledge::publish(p, &ctx, lead, &a.id).await?;
        n += 1;
    }
    for (ci, title, cve, severity, days, fixed) in VULNERABILITIES {
        let found = p.clock.now() - Duration::days(days);
        let past = crate::demo::at(p, found);
        let input = registers::EntryInput {
            org_id: None,
            values: [
                ("ci_id", ci),
                ("title", title),
                ("cve", cve),
                ("severity", severity),
                ("scan", "2026 年第四季度等保测评漏洞扫描报告"),
                ("found_on", &found.format("%Y-%m-%d").to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        };
        let e = registers::create(&past, &ctx, hw, "vulnerabilities", &input).await?;
        if fixed {
            let note = "已按厂商补丁修复并复核配置";
            registers::take_step(p, &ctx, hw, "vulnerabilities", &e.id, "mark_fixed", note).await?;
        }
        n += 1;
    }
    Ok(n)
}
