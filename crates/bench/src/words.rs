//! Word lists for realistic Chinese ticket titles and descriptions, and a
//! small deterministic random number generator (SplitMix64).

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

pub fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

pub fn pick_weighted<'a>(rng: &mut Rng, items: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = rng.below(u64::from(total)) as u32;
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

pub const PLACES: &[&str] = &[
    "",
    "",
    "南京市",
    "江宁区",
    "苏州市",
    "昆山市",
    "省厅",
    "信息中心机房",
    "灾备中心",
    "政务外网",
];

pub const OBJECTS: &[&str] = &[
    "核心交换机",
    "汇聚交换机",
    "接入交换机",
    "堡垒机",
    "防火墙",
    "数据库服务器",
    "应用服务器",
    "存储阵列",
    "负载均衡器",
    "VPN网关",
    "中间件",
    "虚拟化平台",
    "不间断电源",
    "专线",
    "日志审计系统",
    "等保测评环境",
];

pub const SYMPTOMS: &[&str] = &[
    "故障",
    "宕机",
    "告警",
    "端口故障",
    "无法登录",
    "性能下降",
    "连接超时",
    "磁盘空间不足",
    "证书过期",
    "频繁重启",
];

pub const CHANGES: &[&str] = &[
    "配置变更",
    "版本升级",
    "补丁更新",
    "策略调整",
    "扩容",
    "迁移",
    "等保整改",
    "账号权限调整",
    "密评整改",
    "割接",
];

pub const SYSTEMS: &[&str] = &[
    "预算管理一体化系统",
    "国库集中支付系统",
    "非税收入收缴系统",
    "政府采购管理系统",
    "财政电子票据系统",
    "资产管理系统",
    "财政云平台",
    "统一身份认证平台",
    "数据交换平台",
    "办公自动化系统",
];

pub const REASONS: &[&str] = &[
    "等保测评整改要求",
    "厂商发布安全补丁",
    "业务量增长需要扩容",
    "设备老化更换",
    "业务处室提出需求",
    "密评发现问题整改",
];

pub fn title(rng: &mut Rng, incident: bool) -> String {
    let place = pick(rng, PLACES);
    let object = pick(rng, OBJECTS);
    let what = if incident {
        pick(rng, SYMPTOMS)
    } else {
        pick(rng, CHANGES)
    };
    format!("{place}{object}{what}")
}

pub fn description(rng: &mut Rng, title: &str, system: &str, incident: bool) -> String {
    if incident {
        let users = 1 + rng.below(500);
        let how = pick(
            rng,
            &[
                "已通知运维服务商排查",
                "已切换至备用链路",
                "重启后暂时恢复",
                "正在联系厂商工程师",
                "已按应急预案处置",
            ],
        );
        format!("{title}，影响{system}约{users}名用户访问，{how}。")
    } else {
        let window = pick(
            rng,
            &[
                "计划于周末维护窗口实施",
                "计划于夜间低峰时段实施",
                "实施前完成数据备份",
                "需业务处室配合验证",
            ],
        );
        format!("申请对{system}相关的{title}，{window}，回退方案已准备。")
    }
}
