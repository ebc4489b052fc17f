//! The government cloud (ZMDY, SNYP; ADR 0016): the pure rules one model
//! shares under either city's pack. The numbers come from the pack's
//! `cloud.toml` ([`crate::policy::cloud`]); nothing here invents one.
//!
//! - [`judge`]: one month of a system's utilisation against the thresholds
//!   (`SNYP-14`).
//! - [`payer`]: who pays a resource, by the unit's level and funding and
//!   the service mode (`SNYP-17`, `ZMDY-36`).
//! - Money: exact decimal yuan ([`Decimal`]); stored as integer 分
//!   (amounts) and 0.0001 元 (unit prices); a bill line is rounded once,
//!   half away from zero (四舍五入), to the 分 ([`prorate`]).

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use rust_decimal::Decimal as Money;

// ---------------------------------------------------------------- money

/// Unit prices are kept in 0.0001 元 (four decimals): catalogue prices per
/// month divide into days without losing a 分 on the way.
pub const PRICE_SCALE: u32 = 4;
/// Amounts are kept in 分.
pub const AMOUNT_SCALE: u32 = 2;

/// Parses a price in 元 written by a person ("45.5", "1,200.00"): at most
/// four decimals, not negative, at most 10,000,000 元. Returns 0.0001 元.
pub fn parse_unit_price(s: &str) -> Result<i64, MoneyError> {
    parse_scaled(s, PRICE_SCALE, 10_000_000)
}

/// Parses an amount in 元: at most two decimals, not negative, at most
/// 10,000,000,000 元. Returns 分.
pub fn parse_amount(s: &str) -> Result<i64, MoneyError> {
    parse_scaled(s, AMOUNT_SCALE, 10_000_000_000)
}

fn parse_scaled(s: &str, scale: u32, max_yuan: i64) -> Result<i64, MoneyError> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    let t = t.strip_prefix('¥').unwrap_or(&t).trim();
    if t.is_empty() {
        return Err(MoneyError::Empty);
    }
    let d = Decimal::from_str_exact(t).map_err(|_| MoneyError::NotANumber)?;
    if d.is_sign_negative() {
        return Err(MoneyError::Negative);
    }
    if d.normalize().scale() > scale {
        return Err(MoneyError::TooManyDecimals(scale));
    }
    if d > Decimal::from(max_yuan) {
        return Err(MoneyError::TooLarge);
    }
    let scaled = d * Decimal::from(10i64.pow(scale));
    scaled.to_i64().ok_or(MoneyError::TooLarge)
}

/// Why a price or amount was refused; `message` is shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    NotANumber,
    Negative,
    TooManyDecimals(u32),
    TooLarge,
}

impl MoneyError {
    pub fn message(self) -> String {
        match self {
            MoneyError::Empty => "金额不能为空".into(),
            MoneyError::NotANumber => "金额应为数字，如 45.50".into(),
            MoneyError::Negative => "金额不能为负数".into(),
            MoneyError::TooManyDecimals(n) => format!("金额最多 {n} 位小数"),
            MoneyError::TooLarge => "金额超出允许范围".into(),
        }
    }
}

/// 分 as a decimal of 元.
pub fn yuan(fen: i64) -> Decimal {
    Decimal::new(fen, AMOUNT_SCALE)
}

/// 0.0001 元 as a decimal of 元.
pub fn unit_price(e4: i64) -> Decimal {
    Decimal::new(e4, PRICE_SCALE)
}

/// "12,345.60": 元 with two decimals and thousands separators.
pub fn format_fen(fen: i64) -> String {
    let neg = fen < 0;
    let abs = fen.unsigned_abs();
    let (int, frac) = (abs / 100, abs % 100);
    let digits = int.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{frac:02}", if neg { "-" } else { "" })
}

/// A unit price (0.0001 元) as "45.5000" trimmed to at least two decimals.
pub fn format_unit_price(e4: i64) -> String {
    let d = unit_price(e4).normalize();
    if d.scale() < 2 {
        format!("{d:.2}")
    } else {
        d.to_string()
    }
}

/// Days in the month of `day`: 28 to 31, never a 31-day convention.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let first = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }
    .expect("valid month");
    (next - first).num_days() as u32
}

/// One bill line: a monthly unit price (0.0001 元) × quantity × days in
/// service / days of that month, rounded once to the 分, half away from
/// zero. The integer form of the same rule is what the database computes
/// set-based (`prorate_sql` in the store); the two agree by test.
pub fn prorate(price_e4: i64, quantity: i64, days: u32, month_days: u32) -> i64 {
    let exact = unit_price(price_e4) * Decimal::from(quantity) * Decimal::from(days)
        / Decimal::from(month_days);
    let rounded =
        exact.round_dp_with_strategy(AMOUNT_SCALE, RoundingStrategy::MidpointAwayFromZero);
    (rounded * Decimal::ONE_HUNDRED)
        .to_i64()
        .expect("an amount within i64 分")
}

/// The same rule in integers: `round_half_up(price_e4 × qty × days × 100 /
/// (month_days × 10000))` for non-negative inputs.
pub fn prorate_integer(price_e4: i64, quantity: i64, days: u32, month_days: u32) -> i64 {
    let num = price_e4 as i128 * quantity as i128 * days as i128;
    let den = month_days as i128 * 100; // 10^PRICE_SCALE / 10^AMOUNT_SCALE
    ((num * 2 + den) / (den * 2)) as i64
}

/// First day of the month after `d`'s.
pub fn next_month_start(d: NaiveDate) -> NaiveDate {
    if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    }
    .expect("valid date")
}

// --------------------------------------------------------- units, modes

/// How a unit is funded (SNYP-17): decides who pays under SNYP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Funding {
    /// 党政机关（含参公单位）
    PartyGov,
    /// 全额保障的事业单位和团体组织
    FullyFunded,
    /// 差额保障
    PartlyFunded,
    /// 自收自支
    SelfFunded,
    /// 企业
    Enterprise,
}

impl Funding {
    pub const ALL: [Funding; 5] = [
        Funding::PartyGov,
        Funding::FullyFunded,
        Funding::PartlyFunded,
        Funding::SelfFunded,
        Funding::Enterprise,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Funding::PartyGov => "party_gov",
            Funding::FullyFunded => "fully_funded",
            Funding::PartlyFunded => "partly_funded",
            Funding::SelfFunded => "self_funded",
            Funding::Enterprise => "enterprise",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Funding::PartyGov => "党政机关（含参公单位）",
            Funding::FullyFunded => "全额保障事业单位和团体组织",
            Funding::PartlyFunded => "差额保障单位",
            Funding::SelfFunded => "自收自支单位",
            Funding::Enterprise => "企业",
        }
    }
    pub fn parse(s: &str) -> Option<Funding> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Where a unit sits (SNYP-17: 市本级, 县(市、区), 市直园区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    City,
    County,
    Park,
}

impl UnitLevel {
    pub const ALL: [UnitLevel; 3] = [UnitLevel::City, UnitLevel::County, UnitLevel::Park];
    pub fn as_str(self) -> &'static str {
        match self {
            UnitLevel::City => "city",
            UnitLevel::County => "county",
            UnitLevel::Park => "park",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            UnitLevel::City => "市本级",
            UnitLevel::County => "县（市、区）",
            UnitLevel::Park => "市直园区",
        }
    }
    pub fn parse(s: &str) -> Option<UnitLevel> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The three service modes (SNYP-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMode {
    /// 普通云服务
    Ordinary,
    /// 专享云服务
    Exclusive,
    /// 托管服务
    Hosting,
}

impl ServiceMode {
    pub const ALL: [ServiceMode; 3] = [
        ServiceMode::Ordinary,
        ServiceMode::Exclusive,
        ServiceMode::Hosting,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceMode::Ordinary => "ordinary",
            ServiceMode::Exclusive => "exclusive",
            ServiceMode::Hosting => "hosting",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ServiceMode::Ordinary => "普通云服务",
            ServiceMode::Exclusive => "专享云服务",
            ServiceMode::Hosting => "托管服务",
        }
    }
    pub fn parse(s: &str) -> Option<ServiceMode> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Who pays a bill line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// 市级财政（由管理部门统一结算）
    CityFinance,
    /// 县（市、区）或园区本级财政
    LocalFinance,
    /// 使用单位自行承担
    Unit,
}

impl Payer {
    pub const ALL: [Payer; 3] = [Payer::CityFinance, Payer::LocalFinance, Payer::Unit];
    pub fn as_str(self) -> &'static str {
        match self {
            Payer::CityFinance => "city_finance",
            Payer::LocalFinance => "local_finance",
            Payer::Unit => "unit",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Payer::CityFinance => "市级财政",
            Payer::LocalFinance => "本级（县区、园区）财政",
            Payer::Unit => "使用单位自行承担",
        }
    }
    pub fn parse(s: &str) -> Option<Payer> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// What a payer rule decides: a payer, or the unit's own setting where
/// the text leaves it to the local funding order (SNYP-17: 县(市、区)、市直
/// 园区……由本级财政承担或由使用单位自行承担).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayerChoice {
    Fixed(Payer),
    /// The unit's `local_finance_pays` setting: local finance or the unit.
    LocalRule,
}

/// One row of the pack's payer table; the first that matches decides.
#[derive(Debug, Clone, PartialEq)]
pub struct PayerRule {
    pub levels: Vec<UnitLevel>,
    /// Empty: any funding.
    pub funding: Vec<Funding>,
    /// Empty: any mode.
    pub modes: Vec<ServiceMode>,
    pub payer: PayerChoice,
    pub source: String,
}

/// Who pays for a resource of `mode` used by a unit. `None` when no rule
/// of the pack matches (the pack checker refuses a table with such a gap).
pub fn payer(
    rules: &[PayerRule],
    level: UnitLevel,
    funding: Funding,
    mode: ServiceMode,
    local_finance_pays: bool,
) -> Option<(Payer, &PayerRule)> {
    let rule = rules.iter().find(|r| {
        r.levels.contains(&level)
            && (r.funding.is_empty() || r.funding.contains(&funding))
            && (r.modes.is_empty() || r.modes.contains(&mode))
    })?;
    let p = match rule.payer {
        PayerChoice::Fixed(p) => p,
        PayerChoice::LocalRule if local_finance_pays => Payer::LocalFinance,
        PayerChoice::LocalRule => Payer::Unit,
    };
    Some((p, rule))
}

// ---------------------------------------------------- systems, resources

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal / $l:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s,)+ } }
            pub fn label(self) -> &'static str { match self { $($name::$v => $l,)+ } }
            pub fn parse(s: &str) -> Option<$name> { Self::ALL.iter().copied().find(|x| x.as_str() == s) }
        }
    };
}

str_enum! {
    /// Where a system on the cloud stands (ZMDY-13, SNYP-11).
    SystemState {
        /// Registered, resources requested, not yet allocated.
        Applying = "applying" / "申请中",
        /// Allocated, being deployed (SNYP-11: 10 working days).
        Deploying = "deploying" / "部署中",
        /// In its trial (ZMDY-16).
        Trial = "trial" / "试用",
        Online = "online" / "已上线",
        Changing = "changing" / "变更中",
        Exiting = "exiting" / "退出中",
        Reclaimed = "reclaimed" / "已回收",
    }
}

str_enum! {
    /// One resource row's state. A row is billed over `[from_day, to_day)`.
    ResourceState {
        /// Asked for, not allocated: not billed.
        Requested = "requested" / "申请中",
        Trial = "trial" / "试用",
        Online = "online" / "已上线",
        /// Running, with a change of it submitted and not yet carried out:
        /// billed as before until the change is applied (ZMDY-18, SNYP-15).
        Changing = "changing" / "变更中",
        Exiting = "exiting" / "退出中",
        /// Ended: `to_day` is set.
        Reclaimed = "reclaimed" / "已回收",
        /// Replaced by a later row (a change, a downsizing): `to_day` set.
        Replaced = "replaced" / "已变更",
        /// A request that was refused or withdrawn: never billed.
        Withdrawn = "withdrawn" / "已撤回",
    }
}

str_enum! {
    /// 密评 (commercial cryptography assessment) of a system (SNYP-27).
    Miping {
        NotRequired = "not_required" / "不涉及",
        Planned = "planned" / "未开展",
        InProgress = "in_progress" / "进行中",
        Passed = "passed" / "已通过",
        Failed = "failed" / "未通过",
    }
}

str_enum! {
    /// Catalogue item categories (ZMDY-34, SNYP-7, SNYP-13).
    Category {
        Compute = "compute" / "云主机",
        Storage = "storage" / "云存储",
        Database = "database" / "云数据库",
        Network = "network" / "网络带宽",
        LoadBalancer = "load_balancer" / "负载均衡",
        Security = "security" / "云安全",
        Backup = "backup" / "云灾备",
        Hosting = "hosting" / "托管机位",
        Software = "software" / "支撑软件",
    }
}

// ---------------------------------------------------------- utilisation

/// One month of one system's (or resource's) utilisation as the provider
/// or the monitoring provider reports it. Percentages 0..=100.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub cpu_avg_pct: Option<Decimal>,
    pub mem_avg_pct: Option<Decimal>,
    pub storage_used_gb: Option<Decimal>,
    pub storage_total_gb: Option<Decimal>,
    /// Days of the month with samples.
    pub sample_days: u32,
}

impl Usage {
    /// Storage used as a percentage of the total, if both are known and
    /// the total is not zero.
    pub fn storage_pct(&self) -> Option<Decimal> {
        let (u, t) = (self.storage_used_gb?, self.storage_total_gb?);
        (!t.is_zero()).then(|| u * Decimal::ONE_HUNDRED / t)
    }
    pub fn storage_free_gb(&self) -> Option<Decimal> {
        Some(self.storage_total_gb? - self.storage_used_gb?)
    }
}

/// The thresholds of `SNYP-14` (or a pack's own), from `cloud.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub low_cpu_below_pct: Decimal,
    pub low_mem_below_pct: Decimal,
    pub low_storage_below_pct: Decimal,
    /// With [`Thresholds::low_storage_free_above_gb`]: storage below this
    /// and more than that free is low too.
    pub low_storage_partly_below_pct: Decimal,
    pub low_storage_free_above_gb: Decimal,
    pub high_cpu_above_pct: Decimal,
    pub high_mem_above_pct: Decimal,
    pub high_storage_at_least_pct: Decimal,
    pub high_storage_free_below_gb: Decimal,
    /// A month with fewer sample days is judged insufficient, not low.
    pub min_sample_days: u32,
}

/// Which condition made a month low or high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    CpuLow,
    MemoryLow,
    StorageLow,
    StorageLowWithFreeSpace,
    CpuHigh,
    MemoryHigh,
    StorageHigh,
}

impl Finding {
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::CpuLow => "cpu_low",
            Finding::MemoryLow => "memory_low",
            Finding::StorageLow => "storage_low",
            Finding::StorageLowWithFreeSpace => "storage_low_free",
            Finding::CpuHigh => "cpu_high",
            Finding::MemoryHigh => "memory_high",
            Finding::StorageHigh => "storage_high",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Finding::CpuLow => "CPU平均利用率偏低",
            Finding::MemoryLow => "内存平均利用率偏低",
            Finding::StorageLow => "存储利用率偏低",
            Finding::StorageLowWithFreeSpace => "存储利用率偏低且剩余空间较大",
            Finding::CpuHigh => "CPU平均利用率偏高",
            Finding::MemoryHigh => "内存平均利用率偏高",
            Finding::StorageHigh => "存储利用率偏高且剩余空间不足",
        }
    }
    pub fn is_low(self) -> bool {
        matches!(
            self,
            Finding::CpuLow
                | Finding::MemoryLow
                | Finding::StorageLow
                | Finding::StorageLowWithFreeSpace
        )
    }
}

/// The verdict on one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not yet monitored: fewer months of stable operation than the pack
    /// asks (SNYP-14: 新上云系统稳定运行3个月后开始监测).
    NotMonitored,
    /// Too few sample days to judge.
    Insufficient,
    Normal,
    Low,
    High,
    /// Some resource low and another high (CPU idle, memory full).
    Mixed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::NotMonitored => "not_monitored",
            Verdict::Insufficient => "insufficient",
            Verdict::Normal => "normal",
            Verdict::Low => "low",
            Verdict::High => "high",
            Verdict::Mixed => "mixed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::NotMonitored => "未到监测期",
            Verdict::Insufficient => "数据不足",
            Verdict::Normal => "正常",
            Verdict::Low => "利用率低",
            Verdict::High => "利用率高",
            Verdict::Mixed => "部分偏低部分偏高",
        }
    }
    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::NotMonitored,
            Verdict::Insufficient,
            Verdict::Normal,
            Verdict::Low,
            Verdict::High,
            Verdict::Mixed,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Judges one month exactly as `SNYP-14` words it:
/// low: CPU average < 10 %, or memory average < 30 %, or storage < 40 %, or
/// storage < 60 % with more than 1 TB free; high: CPU average > 60 %, or
/// memory average > 80 %, or storage ≥ 80 % with less than 1 TB free. A
/// value that is missing is not judged.
pub fn judge(u: &Usage, t: &Thresholds) -> (Verdict, Vec<Finding>) {
    if u.sample_days < t.min_sample_days {
        return (Verdict::Insufficient, Vec::new());
    }
    let mut f = Vec::new();
    if let Some(cpu) = u.cpu_avg_pct {
        if cpu < t.low_cpu_below_pct {
            f.push(Finding::CpuLow);
        }
        if cpu > t.high_cpu_above_pct {
            f.push(Finding::CpuHigh);
        }
    }
    if let Some(mem) = u.mem_avg_pct {
        if mem < t.low_mem_below_pct {
            f.push(Finding::MemoryLow);
        }
        if mem > t.high_mem_above_pct {
            f.push(Finding::MemoryHigh);
        }
    }
    if let (Some(pct), Some(free)) = (u.storage_pct(), u.storage_free_gb()) {
        if pct < t.low_storage_below_pct {
            f.push(Finding::StorageLow);
        } else if pct < t.low_storage_partly_below_pct && free > t.low_storage_free_above_gb {
            f.push(Finding::StorageLowWithFreeSpace);
        }
        if pct >= t.high_storage_at_least_pct && free < t.high_storage_free_below_gb {
            f.push(Finding::StorageHigh);
        }
    }
    let low = f.iter().any(|x| x.is_low());
    let high = f.iter().any(|x| !x.is_low());
    let v = match (low, high) {
        (true, true) => Verdict::Mixed,
        (true, false) => Verdict::Low,
        (false, true) => Verdict::High,
        (false, false) => Verdict::Normal,
    };
    (v, f)
}

/// Parses a percentage or a size from a report cell: "9.5", "9.5%",
/// at most four decimals. Percentages must lie in 0..=100.
pub fn parse_measure(s: &str, percent: bool) -> Option<Decimal> {
    let t = s.trim().trim_end_matches(['%', '％']).trim();
    let d = Decimal::from_str_exact(t).ok()?;
    if d.is_sign_negative() || d.normalize().scale() > 4 {
        return None;
    }
    if percent && d > Decimal::ONE_HUNDRED {
        return None;
    }
    (d <= Decimal::from(1_000_000_000i64)).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn prices_and_amounts_parse_exactly() {
        assert_eq!(parse_unit_price("45.5"), Ok(455_000));
        assert_eq!(parse_unit_price("1,200.0001"), Ok(12_000_001));
        assert_eq!(
            parse_unit_price("0.00001"),
            Err(MoneyError::TooManyDecimals(4))
        );
        assert_eq!(parse_amount("-1"), Err(MoneyError::Negative));
        assert_eq!(parse_amount("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(parse_amount("12.30"), Ok(1230));
        assert_eq!(format_fen(123_456_789), "1,234,567.89");
        assert_eq!(format_fen(5), "0.05");
        assert_eq!(format_unit_price(455_000), "45.50");
        assert_eq!(format_unit_price(12_000_001), "1200.0001");
    }

    #[test]
    fn proration_uses_the_real_length_of_the_month() {
        assert_eq!(days_in_month(2026, 2), 28);
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 12), 31);
        // 100 元 a month for 14 of February's 28 days is exactly half.
        assert_eq!(prorate(1_000_000, 1, 14, 28), 5_000);
        // 100 元 for 10 of 31 days = 32.258… -> 32.26.
        assert_eq!(prorate(1_000_000, 1, 10, 31), 3_226);
    }

    #[test]
    fn half_a_fen_rounds_away_from_zero() {
        // 0.0150 元 × 1 × 1 / 1 = 0.015 -> 0.02
        assert_eq!(prorate(150, 1, 1, 1), 2);
        assert_eq!(prorate(149, 1, 1, 1), 1);
    }

    #[test]
    fn the_integer_rule_agrees_with_the_decimal_rule() {
        for price in [1, 149, 150, 151, 455_000, 9_999_999, 123_456_789] {
            for qty in [1, 3, 64, 1024] {
                for days in [1, 10, 15, 28, 31] {
                    for md in [28, 29, 30, 31] {
                        if days > md {
                            continue;
                        }
                        assert_eq!(
                            prorate(price, qty, days, md),
                            prorate_integer(price, qty, days, md),
                            "{price} {qty} {days} {md}"
                        );
                    }
                }
            }
        }
    }

    fn snyp() -> Thresholds {
        Thresholds {
            low_cpu_below_pct: d("10"),
            low_mem_below_pct: d("30"),
            low_storage_below_pct: d("40"),
            low_storage_partly_below_pct: d("60"),
            low_storage_free_above_gb: d("1024"),
            high_cpu_above_pct: d("60"),
            high_mem_above_pct: d("80"),
            high_storage_at_least_pct: d("80"),
            high_storage_free_below_gb: d("1024"),
            min_sample_days: 20,
        }
    }

    fn usage(cpu: &str, mem: &str, used: &str, total: &str) -> Usage {
        Usage {
            cpu_avg_pct: Some(d(cpu)),
            mem_avg_pct: Some(d(mem)),
            storage_used_gb: Some(d(used)),
            storage_total_gb: Some(d(total)),
            sample_days: 30,
        }
    }

    // SNYP-14: "CPU平均利用率低于10%"
    #[test]
    fn snyp_14_cpu_below_10_percent_is_low_and_10_is_not() {
        assert_eq!(
            judge(&usage("9.99", "50", "50", "100"), &snyp()).0,
            Verdict::Low
        );
        assert_eq!(
            judge(&usage("10", "50", "50", "100"), &snyp()).0,
            Verdict::Normal
        );
    }

    // SNYP-14: "内存平均利用率低于30%" / "内存平均利用率超过80%"
    #[test]
    fn snyp_14_memory_boundaries() {
        assert_eq!(
            judge(&usage("50", "29.9", "50", "100"), &snyp()).0,
            Verdict::Low
        );
        assert_eq!(
            judge(&usage("50", "30", "50", "100"), &snyp()).0,
            Verdict::Normal
        );
        assert_eq!(
            judge(&usage("50", "80", "50", "100"), &snyp()).0,
            Verdict::Normal
        );
        assert_eq!(
            judge(&usage("50", "80.01", "50", "100"), &snyp()).0,
            Verdict::High
        );
    }

    // SNYP-14: "存储利用率低于40%，或存储利用率低于60%且剩余空间大于1TB"
    #[test]
    fn snyp_14_storage_below_60_percent_with_more_than_1tb_free_is_low() {
        // 59 % of 3000 GB: 1230 GB free > 1024 -> low.
        let (v, f) = judge(&usage("50", "50", "1770", "3000"), &snyp());
        assert_eq!(
            (v, f),
            (Verdict::Low, vec![Finding::StorageLowWithFreeSpace])
        );
        // 59 % of 2000 GB: 820 GB free -> not low.
        assert_eq!(
            judge(&usage("50", "50", "1180", "2000"), &snyp()).0,
            Verdict::Normal
        );
        // exactly 1024 GB free is not "大于1TB".
        assert_eq!(
            judge(&usage("50", "50", "1476", "2500"), &snyp()).0,
            Verdict::Normal
        );
        // 60 % with much free space is not low.
        assert_eq!(
            judge(&usage("50", "50", "3000", "5000"), &snyp()).0,
            Verdict::Normal
        );
        // below 40 % is low whatever is free.
        assert_eq!(
            judge(&usage("50", "50", "39", "100"), &snyp()).0,
            Verdict::Low
        );
        assert_eq!(
            judge(&usage("50", "50", "40", "100"), &snyp()).0,
            Verdict::Normal
        );
    }

    // SNYP-14: "CPU平均利用率高于60%" / "存储利用率达80%以上且剩余空间小于1TB"
    #[test]
    fn snyp_14_high_boundaries() {
        assert_eq!(
            judge(&usage("60", "50", "50", "100"), &snyp()).0,
            Verdict::Normal
        );
        assert_eq!(
            judge(&usage("60.01", "50", "50", "100"), &snyp()).0,
            Verdict::High
        );
        assert_eq!(
            judge(&usage("50", "50", "80", "100"), &snyp()).0,
            Verdict::High
        );
        assert_eq!(
            judge(&usage("50", "50", "79.99", "100"), &snyp()).0,
            Verdict::Normal
        );
        // 80 % of 10 TB leaves 2 TB free: not high.
        assert_eq!(
            judge(&usage("50", "50", "8192", "10240"), &snyp()).0,
            Verdict::Normal
        );
    }

    #[test]
    fn a_month_with_too_few_samples_is_insufficient_not_low() {
        let mut u = usage("1", "1", "1", "100");
        u.sample_days = 19;
        assert_eq!(judge(&u, &snyp()).0, Verdict::Insufficient);
    }

    #[test]
    fn idle_cpu_and_full_memory_is_mixed() {
        assert_eq!(
            judge(&usage("5", "90", "50", "100"), &snyp()).0,
            Verdict::Mixed
        );
    }

    fn snyp_payers() -> Vec<PayerRule> {
        use Funding::*;
        use ServiceMode::*;
        vec![
            PayerRule {
                levels: vec![UnitLevel::City],
                funding: vec![PartyGov, FullyFunded],
                modes: vec![Ordinary, Hosting],
                payer: PayerChoice::Fixed(Payer::CityFinance),
                source: "SNYP-17".into(),
            },
            PayerRule {
                levels: vec![UnitLevel::City],
                funding: vec![],
                modes: vec![],
                payer: PayerChoice::Fixed(Payer::Unit),
                source: "SNYP-17".into(),
            },
            PayerRule {
                levels: vec![UnitLevel::County, UnitLevel::Park],
                funding: vec![],
                modes: vec![],
                payer: PayerChoice::LocalRule,
                source: "SNYP-17".into(),
            },
        ]
    }

    // SNYP-17: "“专享云服务”费用由各单位自行承担"
    #[test]
    fn snyp_17_exclusive_cloud_of_a_fully_funded_unit_is_paid_by_the_unit() {
        let r = snyp_payers();
        let pay = |f, m| payer(&r, UnitLevel::City, f, m, false).unwrap().0;
        assert_eq!(
            pay(Funding::FullyFunded, ServiceMode::Exclusive),
            Payer::Unit
        );
        assert_eq!(
            pay(Funding::FullyFunded, ServiceMode::Ordinary),
            Payer::CityFinance
        );
        assert_eq!(
            pay(Funding::PartyGov, ServiceMode::Hosting),
            Payer::CityFinance
        );
        assert_eq!(
            pay(Funding::PartlyFunded, ServiceMode::Ordinary),
            Payer::Unit
        );
        assert_eq!(pay(Funding::SelfFunded, ServiceMode::Hosting), Payer::Unit);
        let county = |lf| {
            payer(
                &r,
                UnitLevel::County,
                Funding::PartyGov,
                ServiceMode::Ordinary,
                lf,
            )
            .unwrap()
            .0
        };
        assert_eq!(county(true), Payer::LocalFinance);
        assert_eq!(county(false), Payer::Unit);
    }
}
