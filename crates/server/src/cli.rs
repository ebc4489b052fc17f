//! Command line of the `yunwei` binary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::settings::{Overrides, Settings};

const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
用法：{usage}

{all-args}{after-help}";

#[derive(Debug, Parser)]
#[command(
    name = "yunwei",
    version,
    about = "yunwei 运维管理平台：省级财政信息化运维的工单、资产与审计管理",
    help_template = HELP_TEMPLATE,
    subcommand_help_heading = "命令",
    subcommand_value_name = "命令",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    next_help_heading = "选项",
    after_help = "配置优先级：内置默认值 < yunwei.toml < YUNWEI_* 环境变量 < 命令行参数。\n使用 `yunwei <命令> --help` 查看各命令的说明。"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "选项")]
pub struct CommonArgs {
    /// 数据目录，存放默认的 SQLite 数据库和密钥文件（默认 ./data）
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// 数据库地址：sqlite://… 或 postgres://用户:密码@主机/库（默认为数据目录下的 yunwei.db）
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// 配置文件（默认读取当前目录下的 yunwei.toml，如存在）
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// 显示帮助
    #[arg(short = 'h', long = "help", global = true, action = ArgAction::Help)]
    pub help: Option<bool>,

    /// 显示版本
    #[arg(short = 'V', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// 启动 Web 服务（首次启动时创建数据库、密钥和三员账号）
    #[command(help_template = HELP_TEMPLATE)]
    Serve(ServeArgs),

    /// 执行数据库结构迁移
    #[command(help_template = HELP_TEMPLATE)]
    Migrate,

    /// 审计记录工具
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Audit(AuditCommand),

    /// 账号管理工具
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Admin(AdminCommand),

    /// 查看配置
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Config(ConfigCommand),

    /// 策略包：检查策略包目录，列出条款 -> 规则 -> 测试的对照
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Policy(PolicyCommand),

    /// 工作日历：导入节假日安排，按工作日（含调休）推算日期
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Calendar(CalendarCommand),

    /// 后台作业：立即执行一次（工单计时、到期事项、临时授权到期收回）
    #[command(subcommand, help_template = HELP_TEMPLATE, subcommand_help_heading = "命令", subcommand_value_name = "命令")]
    Jobs(JobsCommand),
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// 立即执行一次后台作业（服务停机后补做，或无常驻服务时由定时任务调用）；--at 按指定的未来时间演练（会真实收回到期的授权）
    #[command(help_template = HELP_TEMPLATE)]
    Run {
        /// 按此北京时间执行，如 "2026-12-01 00:10"（只能是未来的时间，用于演练到期收回）
        #[arg(long, value_name = "TIME")]
        at: Option<String>,

        /// 不再询问确认（指定 --at 时）
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "选项")]
pub struct ServeArgs {
    /// 监听地址（默认 127.0.0.1:8080）
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// 首次启动时写入演示数据（江苏省财政厅及各角色演示账号）
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// 校验审计链：发现任何修改、删除、插入或调换的审计记录（退出码 0 完整，1 发现篡改，2 无法校验）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Verify {
        /// 库外锚点文件（yunwei audit anchor 写入）：同时核对链头未被回滚、审计链未被清空重建
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },

    /// 把当前审计链头（序号、MAC 和封印）追加到库外锚点文件并输出到标准输出（可交给 syslog），供 audit verify --anchor 核对；服务运行时也会定期写入
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Anchor {
        /// 锚点文件（默认为配置项 audit_anchor_file，未配置时为数据目录下的 audit-anchor.jsonl）
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// 重置账号密码：生成一次性密码，注销其全部会话，下次登录必须修改密码
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    ResetPassword {
        /// 用户名
        #[arg(value_name = "USER", help_heading = "参数")]
        username: String,

        /// 操作原因（写入审计记录）
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,
    },

    /// 登记人员离岗：停用账号、注销会话、吊销令牌、收回全部授权（三员账号只能在服务器上这样办理，写入审计记录，操作者为 system）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Departure {
        /// 用户名
        #[arg(value_name = "USER", help_heading = "参数")]
        username: String,

        /// 操作原因（写入审计记录）
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,

        /// 不再询问确认（非交互运行时必须加）
        #[arg(long)]
        yes: bool,
    },

    /// 开启或关闭安全策略「管理员须持有在用的 UKEY」：全部管理员的 UKEY 都已挂失、无人能以管理员身份登录时，用 off 恢复管理（写入审计记录，操作者为 system）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    UkeyRequirement {
        /// on 开启，off 关闭
        #[arg(
            value_name = "on|off",
            value_enum,
            hide_possible_values = true,
            help_heading = "参数"
        )]
        state: OnOff,

        /// 操作原因（写入审计记录）
        #[arg(long, required = true, value_name = "TEXT")]
        reason: String,

        /// 不再询问确认（非交互运行时必须加）
        #[arg(long)]
        yes: bool,
    },
}

/// The state a switch is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// 以 TOML 格式显示生效的配置（密码和密钥已隐去）
    #[command(help_template = HELP_TEMPLATE)]
    Show,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// 导入某年度的节假日文件（holiday-cn 格式：year、papers、days），替换该年度原有数据并写入审计记录
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Import {
        /// 年度文件（JSON）
        #[arg(value_name = "FILE", help_heading = "参数")]
        file: PathBuf,

        /// 操作原因（写入审计记录）
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },

    /// 输出 DATE 之后第 N 个工作日（含调休；有数据库时按数据库中的工作日历，否则按内置节假日数据）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    AddWorkdays {
        /// 起算日期 YYYY-MM-DD（不含当天）
        #[arg(value_name = "DATE", help_heading = "参数")]
        date: String,

        /// 工作日数
        #[arg(value_name = "N", help_heading = "参数")]
        n: String,
    },

    /// 输出 DATE 之前第 N 个工作日（N 为 0 时即 DATE）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    SubWorkdays {
        /// 起算日期 YYYY-MM-DD（不含当天）
        #[arg(value_name = "DATE", help_heading = "参数")]
        date: String,

        /// 工作日数
        #[arg(value_name = "N", help_heading = "参数")]
        n: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// 检查策略包目录（pack.toml 及各流程文件）：TOML 语法、未知的键/角色/状态/字段、不可达或无出口的状态、缺少依据条款等，逐条输出 文件:行:列（退出码 0 通过，1 有错误）
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Check {
        /// 策略包目录，如 policies/jscz
        #[arg(value_name = "DIR", help_heading = "参数")]
        dir: PathBuf,
    },

    /// 列出内置策略包引用的每一条款、引用它的规则和以它命名的测试（如 jscz_27_…，在当前目录的 crates/ 下查找），并逐条对照规章原文：每一条由规则、登记册或代码执行，或说明有意不执行的原因，或列为未执行
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "选项")]
    Trace {
        /// 只列出该策略包（默认全部内置策略包）
        #[arg(long, value_name = "ID")]
        pack: Option<String>,

        /// 另一份规章原文（默认使用内置的 docs/regulations/ 文本）；只对照以该文件为依据的策略包
        #[arg(long, value_name = "FILE")]
        document: Option<PathBuf>,
    },
}

/// Exit code when a command could not do its work (bad configuration,
/// database unreachable...).
pub const EXIT_ERROR: u8 = 2;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let started = Instant::now();
    let cli = Cli::parse();
    match run(cli, started) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli, started: Instant) -> anyhow::Result<ExitCode> {
    // Policy packs need neither the configuration nor the database.
    match &cli.command {
        Command::Policy(PolicyCommand::Check { dir }) => return crate::policy::check(dir),
        Command::Policy(PolicyCommand::Trace { pack, document }) => {
            return crate::policy::trace(pack.as_deref(), document.as_deref())
        }
        _ => {}
    }
    let listen = match &cli.command {
        Command::Serve(a) => a.listen.clone(),
        _ => None,
    };
    let overrides = Overrides {
        data_dir: cli.common.data_dir.clone(),
        listen,
        database_url: cli.common.database_url.clone(),
    };
    let settings = Settings::load(cli.common.config.as_deref(), &overrides)?;
    let log_default = match cli.command {
        Command::Serve(_) => settings.log.clone(),
        _ => "warn".to_string(),
    };
    init_tracing(&log_default);
    if let Command::Config(ConfigCommand::Show) = cli.command {
        return crate::commands::config_show(&settings);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("无法启动异步运行时：{e}"))?;
    rt.block_on(async move {
        match cli.command {
            Command::Serve(args) => crate::serve::serve(&settings, args.demo, started).await,
            Command::Migrate => crate::commands::migrate(&settings).await,
            Command::Audit(AuditCommand::Verify { anchor }) => {
                crate::commands::audit_verify(&settings, anchor.as_deref()).await
            }
            Command::Audit(AuditCommand::Anchor { file }) => {
                crate::commands::audit_anchor(&settings, file.as_deref()).await
            }
            Command::Admin(AdminCommand::Departure {
                username,
                reason,
                yes,
            }) => crate::commands::departure(&settings, &username, &reason, yes).await,
            Command::Admin(AdminCommand::ResetPassword { username, reason }) => {
                crate::commands::reset_password(&settings, &username, &reason).await
            }
            Command::Admin(AdminCommand::UkeyRequirement { state, reason, yes }) => {
                crate::commands::ukey_requirement(&settings, state == OnOff::On, &reason, yes).await
            }
            Command::Config(ConfigCommand::Show) => crate::commands::config_show(&settings),
            Command::Policy(_) => unreachable!("handled before the runtime starts"),
            Command::Jobs(JobsCommand::Run { at, yes }) => {
                crate::jobs::run_once(&settings, at.as_deref(), yes).await
            }
            Command::Calendar(CalendarCommand::Import { file, reason }) => {
                crate::calendar::import(&settings, &file, reason.as_deref()).await
            }
            Command::Calendar(CalendarCommand::AddWorkdays { date, n }) => {
                crate::calendar::step(&settings, &date, &n, true).await
            }
            Command::Calendar(CalendarCommand::SubWorkdays { date, n }) => {
                crate::calendar::step(&settings, &date, &n, false).await
            }
        }
    })
}

/// Logs go to stderr; `RUST_LOG` wins over the configured level.
fn init_tracing(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_new(default_filter).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
