//! Configuration items (配置项) and the IP address plan.
//!
//! The four maintenance categories are those of `EEDS-1.3`: computer
//! hardware and storage (EEDS-1.3.1), the supporting network
//! (EEDS-1.3.2), base software (operating systems, databases, middleware;
//! EEDS-1.3.3) and application software (EEDS-1.3.4). Relations say
//! what an item runs on, depends on or connects to; the impact of an item
//! is everything that runs on or depends on it, transitively.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::AppError;

macro_rules! labelled_enum {
    ($(#[$m:meta])* $name:ident, $code:literal, $what:literal { $($v:ident = $s:literal, $l:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$v => $l,)+ }
            }

            /// Accepts the code (`hardware`) or the Chinese label (`硬件及存储`).
            pub fn parse(s: &str) -> Result<$name, AppError> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s || v.label() == s)
                    .ok_or_else(|| {
                        let all: Vec<&str> = Self::ALL.iter().map(|v| v.label()).collect();
                        AppError::bad_request($code, format!("{}无效，应为：{}", $what, all.join("、")))
                    })
            }
        }
    };
}

labelled_enum!(
    /// The maintenance category of `EEDS-1.3`.
    Category, "cmdb.category_invalid", "类别" {
        Hardware = "hardware", "硬件及存储";
        Network = "network", "网络设备";
        BaseSoftware = "base_software", "基础软件";
        Application = "application", "应用系统";
    }
);

labelled_enum!(
    CiStatus, "cmdb.status_invalid", "状态" {
        InUse = "in_use", "在用";
        Spare = "spare", "备用";
        Maintenance = "maintenance", "维修中";
        Retired = "retired", "已退役";
    }
);

labelled_enum!(
    /// `from` runs on / depends on / connects to `to`.
    RelationKind, "cmdb.relation_invalid", "关系" {
        RunsOn = "runs_on", "运行于";
        DependsOn = "depends_on", "依赖";
        ConnectsTo = "connects_to", "连接";
    }
);

labelled_enum!(
    /// Kinds of technical archive documents (NTCZ-3.1.7): the technical
    /// information (EEDS-3.6.1.1), layout and IP maps (EEDS-3.6.1.2),
    /// network diagrams and configurations (EEDS-3.6.1.3), configuration
    /// lists (EEDS-3.6.1.4), manuals (EEDS-3.6.1.5), software media,
    /// licences, versions and patches (EEDS-3.6.2.1), installation,
    /// operation and development manuals (EEDS-3.6.2.2).
    ArchiveKind, "archive.kind_invalid", "资料类别" {
        TechInfo = "tech_info", "信息系统技术资料";
        DeviceLayout = "device_layout", "设备布置图";
        IpMap = "ip_map", "IP地址分布图";
        NetworkDiagram = "network_diagram", "网络连接图及配置资料";
        ConfigList = "config_list", "软硬件配置清单";
        Manual = "manual", "使用手册和维护手册";
        MediaLicence = "media_licence", "软件介质、许可证、版本及补丁资料";
        InstallManual = "install_manual", "安装、操作和开发手册";
        EmergencyPlan = "emergency_plan", "应急预案";
        Other = "other", "其他资料";
    }
);

impl RelationKind {
    /// Whether a failure of `to` affects `from` (and so everything that
    /// depends on `from`): true for runs on and depends on; a connection is
    /// shown beside the item but not followed.
    pub fn propagates_impact(self) -> bool {
        matches!(self, RelationKind::RunsOn | RelationKind::DependsOn)
    }
}

/// A network segment of the IP plan, e.g. `10.12.0.0/24`; the address must
/// be the network address (`10.12.0.5/24` is refused: ambiguous).
pub fn parse_segment(s: &str) -> Result<IpNet, AppError> {
    let bad = || {
        AppError::bad_request(
            "cmdb.segment_invalid",
            format!("网段“{}”格式无效，应写成 10.12.0.0/24", s.trim()),
        )
    };
    let net = IpNet::from_str(s.trim()).map_err(|_| bad())?;
    if net.network() != net.addr() {
        return Err(AppError::bad_request(
            "cmdb.segment_not_network",
            format!("网段应写网络地址：{}", net.trunc()),
        ));
    }
    Ok(net)
}

/// One IP address, normalised (`010.1.1.1` is refused by the parser).
pub fn parse_address(s: &str) -> Result<IpAddr, AppError> {
    IpAddr::from_str(s.trim()).map_err(|_| {
        AppError::bad_request(
            "cmdb.address_invalid",
            format!("IP 地址“{}”格式无效", s.trim()),
        )
    })
}

/// An address of `net` that may be allocated: not the network address and,
/// for IPv4 segments larger than /31, not the broadcast address.
pub fn check_in_segment(net: &IpNet, addr: IpAddr) -> Result<(), AppError> {
    if !net.contains(&addr) {
        return Err(AppError::bad_request(
            "cmdb.address_outside_segment",
            format!("IP 地址 {addr} 不在网段 {net} 内"),
        ));
    }
    let v4_small = matches!(net, IpNet::V4(n) if n.prefix_len() >= 31);
    if !v4_small && (addr == net.network() || (net.addr().is_ipv4() && addr == net.broadcast())) {
        return Err(AppError::bad_request(
            "cmdb.address_reserved",
            format!("{addr} 是网段 {net} 的网络地址或广播地址，不能分配"),
        ));
    }
    Ok(())
}

/// How many addresses of `net` may be allocated (IPv4: less the network
/// and broadcast addresses, except for /31 and /32).
pub fn usable_addresses(net: &IpNet) -> u128 {
    match net {
        IpNet::V4(n) => {
            let size = 1u128 << (32 - n.prefix_len());
            if n.prefix_len() >= 31 {
                size
            } else {
                size - 2
            }
        }
        IpNet::V6(n) => 1u128
            .checked_shl(128 - u32::from(n.prefix_len()))
            .unwrap_or(u128::MAX),
    }
}

/// Free text fields of an item: trimmed, bounded.
pub fn clean_text(s: &str, label: &str, max: usize, required: bool) -> Result<String, AppError> {
    let t = s.trim();
    if required && t.is_empty() {
        return Err(AppError::bad_request(
            "cmdb.field_required",
            format!("{label}不能为空"),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::bad_request(
            "cmdb.field_too_long",
            format!("{label}不得超过{max}字"),
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eeds_1_3_four_categories_parse_by_code_and_label() {
        assert_eq!(Category::ALL.len(), 4);
        assert_eq!(Category::parse("网络设备").unwrap(), Category::Network);
        assert_eq!(
            Category::parse("base_software").unwrap(),
            Category::BaseSoftware
        );
        let e = Category::parse("打印机").unwrap_err();
        assert_eq!(e.code, "cmdb.category_invalid");
        assert!(e.message.contains("硬件及存储"));
    }

    #[test]
    fn segments_must_be_network_addresses() {
        assert_eq!(
            parse_segment(" 10.12.0.0/24 ").unwrap().to_string(),
            "10.12.0.0/24"
        );
        assert_eq!(
            parse_segment("10.12.0.5/24").unwrap_err().code,
            "cmdb.segment_not_network"
        );
        assert_eq!(
            parse_segment("10.12.0.0/33").unwrap_err().code,
            "cmdb.segment_invalid"
        );
        assert_eq!(
            parse_segment("内网").unwrap_err().code,
            "cmdb.segment_invalid"
        );
    }

    #[test]
    fn addresses_must_be_usable_in_their_segment() {
        let net = parse_segment("10.12.0.0/24").unwrap();
        assert!(check_in_segment(&net, parse_address("10.12.0.7").unwrap()).is_ok());
        for (a, code) in [
            ("10.12.1.7", "cmdb.address_outside_segment"),
            ("10.12.0.0", "cmdb.address_reserved"),
            ("10.12.0.255", "cmdb.address_reserved"),
        ] {
            let e = check_in_segment(&net, parse_address(a).unwrap()).unwrap_err();
            assert_eq!(e.code, code, "{a}");
        }
        assert_eq!(
            parse_address("10.12.0.256").unwrap_err().code,
            "cmdb.address_invalid"
        );
    }

    #[test]
    fn usable_addresses_leave_out_network_and_broadcast() {
        assert_eq!(
            usable_addresses(&parse_segment("10.0.0.0/24").unwrap()),
            254
        );
        assert_eq!(usable_addresses(&parse_segment("10.0.0.0/31").unwrap()), 2);
    }

    #[test]
    fn only_runs_on_and_depends_on_carry_impact() {
        assert!(RelationKind::RunsOn.propagates_impact());
        assert!(RelationKind::DependsOn.propagates_impact());
        assert!(!RelationKind::ConnectsTo.propagates_impact());
    }
}
