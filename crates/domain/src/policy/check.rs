//! Loading and checking a policy pack (ADR 0003): TOML with source spans,
//! then every semantic rule, each error located as `file:line:col`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::ops::Range;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::condition::{parse_date, parse_datetime, CmpOp, Condition, Literal};
use super::hooks;
use super::model::Approval;
use super::model::{
    parse_citation, ApprovalMode, ApprovalOrder, Choice, Conversion, Derive, DeriveCase, Field,
    FieldType, FieldValue, Holder, HookUse, LeadTime, Origin, Pack, PackRole, Process, RequiredIf,
    SetAtOpen, State, Timer, TimerDuration, Transition, ROLE_ASSIGNEE, ROLE_REQUESTER,
};

/// One problem in a pack, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for PackError {}

/// The file of a pack that holds its identity and roles.
pub const PACK_FILE: &str = "pack.toml";

// ------------------------------------------------------------ raw format

type S<T> = Spanned<T>;

/// A TOML table whose keys keep their order and spans.
#[derive(Debug)]
struct Ordered<V>(Vec<(S<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Ordered<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Ordered<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<S<String>, V>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: S<String>,
    name: S<String>,
    version: S<String>,
    document: Option<S<String>>,
    /// Where the pack's part of a shared document starts and ends: the
    /// text of its heading line and of the line after its last (SNXM and
    /// SNYP share one file).
    document_from: Option<S<String>>,
    document_until: Option<S<String>>,
    #[serde(default)]
    roles: Ordered<S<RawRole>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    label: S<String>,
    #[serde(default)]
    platform: Vec<S<String>>,
    holder: Option<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcess {
    id: S<String>,
    name: S<String>,
    number_prefix: Option<S<String>>,
    source: Option<S<String>>,
    #[serde(default)]
    field: Vec<S<RawField>>,
    #[serde(default)]
    derive: Vec<S<RawDerive>>,
    #[serde(default)]
    state: Vec<S<RawState>>,
    #[serde(default)]
    transition: Vec<S<RawTransition>>,
    #[serde(default)]
    approval: Vec<S<RawApproval>>,
    #[serde(default)]
    timer: Vec<S<RawTimer>>,
    #[serde(default)]
    lead_time: Vec<S<RawLeadTime>>,
    #[serde(default)]
    required_if: Vec<S<RawRequiredIf>>,
    #[serde(default)]
    conversion: Vec<S<RawConversion>>,
    #[serde(default)]
    intake: Vec<S<String>>,
    #[serde(default)]
    reviewers_read: bool,
    #[serde(default)]
    fault_statistics: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: S<String>,
    label: S<String>,
    #[serde(rename = "type")]
    ty: S<String>,
    choices: Option<S<Ordered<S<String>>>>,
    not_future: Option<S<bool>>,
    ticket_of: Option<S<String>>,
    ticket_reached: Option<S<String>>,
    set_at_open: Option<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerive {
    field: S<String>,
    cases: S<Vec<S<RawCase>>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    when: S<String>,
    value: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: S<String>,
    label: S<String>,
    #[serde(default)]
    initial: bool,
    #[serde(default, rename = "final")]
    is_final: bool,
    #[serde(default)]
    waiting: bool,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    id: S<String>,
    label: S<String>,
    from: S<Vec<S<String>>>,
    to: S<String>,
    roles: S<Vec<S<String>>>,
    #[serde(default)]
    require: Vec<S<String>>,
    #[serde(default)]
    require_input: Vec<S<String>>,
    #[serde(default)]
    attachments: Vec<S<String>>,
    #[serde(default)]
    exclude_requester: bool,
    when: Option<S<String>>,
    source: Option<S<String>>,
    #[serde(default)]
    gate: Vec<S<RawHookUse>>,
    #[serde(default)]
    effect: Vec<S<RawHookUse>>,
}

/// `[[transition.gate]]` / `[[transition.effect]]` (ADR 0010).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHookUse {
    hook: S<String>,
    when: Option<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    id: S<String>,
    label: Option<S<String>>,
    state: S<String>,
    steps: S<Vec<S<String>>>,
    mode: Option<S<String>>,
    order: Option<S<String>>,
    approved: S<String>,
    rejected: S<String>,
    #[serde(default)]
    exclude_requester: bool,
    when: Option<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimer {
    id: S<String>,
    label: S<String>,
    #[serde(default)]
    start: Vec<S<String>>,
    stop: Option<S<Vec<S<String>>>>,
    #[serde(default)]
    pause: Vec<S<String>>,
    waiting_pauses: Option<bool>,
    duration: S<String>,
    warn_before: Option<S<String>>,
    #[serde(default)]
    notify: Vec<S<String>>,
    #[serde(default)]
    restart: Vec<S<String>>,
    when: Option<S<String>>,
    source: Option<S<String>>,
    /// The number is the organisation's choice: what it interprets.
    open: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLeadTime {
    transition: S<String>,
    field: S<String>,
    working_days: S<i64>,
    when: Option<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequiredIf {
    transition: S<String>,
    when: S<String>,
    #[serde(default)]
    fields: Vec<S<String>>,
    #[serde(default)]
    attachments: Vec<S<String>>,
    source: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConversion {
    transition: S<String>,
    process: S<String>,
    #[serde(default)]
    set: Ordered<S<String>>,
    #[serde(default)]
    copy: Vec<S<String>>,
    source: Option<S<String>>,
}

// ------------------------------------------------------------- locations

/// A file's text with its line starts, to turn byte offsets into
/// line:col (col counted in characters).
pub(super) struct Src<'a> {
    file: &'a str,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Src<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Src {
            file,
            text,
            line_starts,
        }
    }

    fn pos(&self, byte: usize) -> (u32, u32) {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..byte)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line as u32 + 1, col as u32 + 1)
    }

    pub(super) fn origin(&self, span: &Range<usize>) -> Origin {
        let (line, col) = self.pos(span.start);
        Origin {
            file: self.file.to_string(),
            line,
            col,
        }
    }

    pub(super) fn err(&self, span: &Range<usize>, message: impl Into<String>) -> PackError {
        let (line, col) = self.pos(span.start);
        PackError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// An error at a character offset inside a quoted TOML string.
    fn err_in_string(
        &self,
        span: &Range<usize>,
        offset: usize,
        message: impl Into<String>,
    ) -> PackError {
        let mut e = self.err(span, message);
        let quote = self.text.get(span.start..).unwrap_or("");
        let open = if quote.starts_with("\"\"\"") || quote.starts_with("'''") {
            3
        } else {
            1
        };
        e.col += (open + offset) as u32;
        e
    }

    pub(super) fn toml_error(&self, e: &toml::de::Error) -> PackError {
        let span = e.span().unwrap_or(0..0);
        self.err(&span, translate_toml_message(e.message()))
    }
}

/// Chinese wording for the common deserialisation messages.
fn translate_toml_message(m: &str) -> String {
    let m = m.trim();
    if let Some(rest) = m.strip_prefix("unknown field `") {
        let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        return if expected.is_empty() {
            format!("未知的键「{name}」")
        } else {
            format!("未知的键「{name}」，可用的键：{}", expected.join("、"))
        };
    }
    if let Some(rest) = m.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return format!("缺少必填的键「{name}」");
    }
    if let Some(rest) = m.strip_prefix("invalid type: ") {
        return format!("值的类型错误：{rest}");
    }
    format!("TOML 语法错误：{}", m.replace('\n', "；"))
}

// ---------------------------------------------------------------- loading

/// Loads and checks a pack from its files (`(path, content)`; the one
/// named `pack.toml` is the pack header, every other file one process).
/// Returns every error found, sorted by file and position.
pub fn load_pack(files: &[(String, String)]) -> Result<Pack, Vec<PackError>> {
    let mut errors = Vec::new();
    let file_index = |f: &str| files.iter().position(|(p, _)| p == f).unwrap_or(usize::MAX);

    let pack_file = files.iter().find(|(p, _)| is_pack_file(p));
    let Some((pack_path, pack_text)) = pack_file else {
        let dir = files
            .first()
            .and_then(|(p, _)| p.rsplit_once('/').map(|(d, _)| format!("{d}/")))
            .unwrap_or_default();
        return Err(vec![PackError {
            file: format!("{dir}{PACK_FILE}"),
            line: 1,
            col: 1,
            message: "缺少 pack.toml（策略包的标识和角色定义）".into(),
        }]);
    };
    let pack_src = Src::new(pack_path, pack_text);
    let raw_pack = match toml::from_str::<RawPack>(pack_text) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(pack_src.toml_error(&e));
            None
        }
    };
    let mut cloud = None;
    if let Some((path, text)) = files.iter().find(|(p, _)| super::cloud::is_cloud_file(p)) {
        match super::cloud::load(&Src::new(path, text), text) {
            Ok(c) => cloud = Some(c),
            Err(e) => errors.extend(e),
        }
    }
    let mut projects = None;
    if let Some((path, text)) = files
        .iter()
        .find(|(p, _)| super::projects::is_projects_file(p))
    {
        match super::projects::load(&Src::new(path, text), text) {
            Ok(r) => projects = Some(r),
            Err(e) => errors.extend(e),
        }
    }
    let mut omissions = Vec::new();
    if let Some((path, text)) = files
        .iter()
        .find(|(p, _)| super::coverage::is_coverage_file(p))
    {
        match super::coverage::load(&Src::new(path, text), text) {
            Ok(o) => omissions = o,
            Err(e) => errors.extend(e),
        }
    }
    let mut parameters = Vec::new();
    if let Some((path, text)) = files
        .iter()
        .find(|(p, _)| super::parameters::is_parameters_file(p))
    {
        match super::parameters::load(&Src::new(path, text), text) {
            Ok(ps) => parameters = ps,
            Err(e) => errors.extend(e),
        }
    }
    let mut raw_processes = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| {
        !is_pack_file(p)
            && !super::cloud::is_cloud_file(p)
            && !super::projects::is_projects_file(p)
            && !super::coverage::is_coverage_file(p)
            && !super::parameters::is_parameters_file(p)
    }) {
        let src = Src::new(path, text);
        match toml::from_str::<RawProcess>(text) {
            Ok(p) => raw_processes.push((src, p)),
            Err(e) => errors.push(src.toml_error(&e)),
        }
    }
    let Some(raw_pack) = raw_pack else {
        return Err(sorted(errors, file_index));
    };
    if !errors.is_empty() {
        return Err(sorted(errors, file_index));
    }

    let mut ck = Checker {
        errors: Vec::new(),
        roles: BTreeSet::new(),
        role_labels: BTreeMap::new(),
    };
    let roles = ck.pack_roles(&pack_src, &raw_pack);
    ck.roles = roles.iter().map(|r| r.id.clone()).collect();
    ck.role_labels = roles
        .iter()
        .map(|r| (r.id.clone(), r.label.clone()))
        .collect();
    ck.ident(&pack_src, &raw_pack.id, "策略包标识");
    ck.non_empty(&pack_src, &raw_pack.name, "策略包名称");
    ck.non_empty(&pack_src, &raw_pack.version, "版本号");

    // Processes: ids first, so conversions can name any of them.
    let mut process_ids: BTreeMap<String, ()> = BTreeMap::new();
    for (src, p) in &raw_processes {
        ck.ident(src, &p.id, "流程标识");
        if process_ids.insert(p.id.get_ref().clone(), ()).is_some() {
            ck.errors
                .push(src.err(&p.id.span(), format!("流程标识「{}」重复", p.id.get_ref())));
        }
    }
    let mut processes: Vec<Process> = raw_processes
        .iter()
        .map(|(src, p)| ck.process(src, p))
        .collect();
    // Conversions need the target process's fields.
    for (i, (src, p)) in raw_processes.iter().enumerate() {
        let conversions = ck.conversions(src, p, &processes[i], &processes);
        processes[i].conversions = conversions;
    }
    // A field naming a ticket names a process (and a state) of the pack.
    for (src, p) in &raw_processes {
        for item in &p.field {
            let f = item.get_ref();
            let Some(of) = &f.ticket_of else { continue };
            match processes.iter().find(|t| &t.id == of.get_ref()) {
                None => ck.push(src.err(
                    &of.span(),
                    format!("ticket_of 引用的流程「{}」不在本策略包中", of.get_ref()),
                )),
                Some(target) => {
                    if let Some(r) = &f.ticket_reached {
                        if target.state(r.get_ref()).is_none() {
                            ck.push(src.err(
                                &r.span(),
                                format!("流程「{}」没有状态「{}」", target.id, r.get_ref()),
                            ));
                        }
                    }
                }
            }
        }
    }

    errors.extend(ck.errors);
    if !errors.is_empty() {
        return Err(sorted(errors, file_index));
    }
    Ok(Pack {
        id: raw_pack.id.into_inner(),
        name: raw_pack.name.into_inner(),
        version: raw_pack.version.into_inner(),
        document: raw_pack.document.map(Spanned::into_inner),
        document_from: raw_pack.document_from.map(Spanned::into_inner),
        document_until: raw_pack.document_until.map(Spanned::into_inner),
        roles,
        processes,
        cloud,
        projects,
        omissions,
        parameters,
        origin: Origin {
            file: pack_path.clone(),
            line: 1,
            col: 1,
        },
    })
}

fn is_pack_file(path: &str) -> bool {
    path.rsplit(['/', '\\']).next() == Some(PACK_FILE)
}

fn sorted(mut errors: Vec<PackError>, index: impl Fn(&str) -> usize) -> Vec<PackError> {
    errors.sort_by_key(|a| (index(&a.file), a.line, a.col));
    errors.dedup();
    errors
}

struct Checker {
    errors: Vec<PackError>,
    /// Pack role ids (without the built-ins).
    roles: BTreeSet<String>,
    role_labels: BTreeMap<String, String>,
}

/// Kinds of rules that must cite their article.
const NEEDS_SOURCE: &str = "必须注明依据条款 source（如 source = \"JSCZ-26\"）";

impl Checker {
    fn push(&mut self, e: PackError) {
        self.errors.push(e);
    }

    fn non_empty(&mut self, src: &Src, v: &S<String>, what: &str) {
        if v.get_ref().trim().is_empty() {
            self.push(src.err(&v.span(), format!("{what}不能为空")));
        }
    }

    /// Identifiers: lower-case ASCII letters, digits and `_`, starting
    /// with a letter.
    fn ident(&mut self, src: &Src, v: &S<String>, what: &str) {
        let s = v.get_ref();
        let ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.push(src.err(
                &v.span(),
                format!("{what}「{s}」无效：只能包含小写字母、数字和下划线，且以字母开头"),
            ));
        }
    }

    /// A present, well-formed citation, or an error at `item`.
    fn source(
        &mut self,
        src: &Src,
        item: &Range<usize>,
        source: &Option<S<String>>,
        what: &str,
    ) -> String {
        match source {
            None => {
                self.push(src.err(item, format!("{what}缺少依据条款：{NEEDS_SOURCE}")));
                String::new()
            }
            Some(s) => {
                self.citation(src, s);
                s.get_ref().clone()
            }
        }
    }

    fn optional_source(&mut self, src: &Src, source: &Option<S<String>>) -> Option<String> {
        source.as_ref().map(|s| {
            self.citation(src, s);
            s.get_ref().clone()
        })
    }

    fn citation(&mut self, src: &Src, s: &S<String>) {
        if parse_citation(s.get_ref()).is_none() {
            self.push(src.err(
                &s.span(),
                format!(
                    "依据条款「{}」格式错误，应为「代码-条款号」，如 JSCZ-27、EEDS-3.3.4",
                    s.get_ref()
                ),
            ));
        }
    }

    fn role_ref(&mut self, src: &Src, r: &S<String>) {
        let id = r.get_ref();
        if id != ROLE_REQUESTER && id != ROLE_ASSIGNEE && !self.roles.contains(id) {
            self.push(src.err(
                &r.span(),
                format!(
                    "未知角色「{id}」：pack.toml 中没有定义（内置角色：{ROLE_REQUESTER}、{ROLE_ASSIGNEE}）"
                ),
            ));
        }
    }

    fn state_ref(&mut self, src: &Src, states: &BTreeSet<String>, s: &S<String>, what: &str) {
        if !states.contains(s.get_ref()) {
            self.push(src.err(
                &s.span(),
                format!("{what}引用了未知状态「{}」", s.get_ref()),
            ));
        }
    }

    fn field_ref(&mut self, src: &Src, fields: &[Field], f: &S<String>, what: &str) {
        if !fields.iter().any(|x| &x.id == f.get_ref()) {
            self.push(src.err(
                &f.span(),
                format!("{what}引用了未知字段「{}」", f.get_ref()),
            ));
        }
    }

    fn unique(&mut self, src: &Src, seen: &mut BTreeSet<String>, id: &S<String>, what: &str) {
        self.ident(src, id, what);
        if !seen.insert(id.get_ref().clone()) {
            self.push(src.err(&id.span(), format!("{what}「{}」重复", id.get_ref())));
        }
    }

    fn pack_roles(&mut self, src: &Src, p: &RawPack) -> Vec<PackRole> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (id, role) in &p.roles.0 {
            self.unique(src, &mut seen, id, "角色标识");
            if id.get_ref() == ROLE_REQUESTER || id.get_ref() == ROLE_ASSIGNEE {
                self.push(src.err(
                    &id.span(),
                    format!(
                        "角色「{}」是内置角色，不能在 pack.toml 中定义",
                        id.get_ref()
                    ),
                ));
            }
            let r = role.get_ref();
            self.non_empty(src, &r.label, "角色名称");
            if r.platform.is_empty() {
                self.push(src.err(
                    &role.span(),
                    format!("角色「{}」必须至少对应一个平台角色 platform", id.get_ref()),
                ));
            }
            for pr in &r.platform {
                if crate::roles::Role::parse(pr.get_ref()).is_none() {
                    let all: Vec<&str> =
                        crate::roles::Role::ALL.iter().map(|r| r.as_str()).collect();
                    self.push(src.err(
                        &pr.span(),
                        format!("未知平台角色「{}」，可用：{}", pr.get_ref(), all.join("、")),
                    ));
                }
            }
            let holder = match &r.holder {
                None => Holder::Covering,
                Some(h) => Holder::parse(h.get_ref()).unwrap_or_else(|| {
                    let all: Vec<&str> = Holder::ALL.iter().map(|h| h.as_str()).collect();
                    self.push(src.err(
                        &h.span(),
                        format!(
                            "未知的持有人范围「{}」，可用：{}",
                            h.get_ref(),
                            all.join("、")
                        ),
                    ));
                    Holder::Covering
                }),
            };
            let source = self.optional_source(src, &r.source);
            out.push(PackRole {
                id: id.get_ref().clone(),
                label: r.label.get_ref().clone(),
                platform: r.platform.iter().map(|s| s.get_ref().clone()).collect(),
                holder,
                source,
                origin: src.origin(&id.span()),
            });
        }
        out
    }

    /// Parses a condition and checks its fields and literals.
    fn condition(&mut self, src: &Src, fields: &[Field], text: &S<String>) -> Option<Condition> {
        let span = text.span();
        let cond = match Condition::parse(text.get_ref()) {
            Ok(c) => c,
            Err(e) => {
                self.push(src.err_in_string(
                    &span,
                    e.offset,
                    format!("条件「{}」有误：{}", text.get_ref(), e.message),
                ));
                return None;
            }
        };
        let mut ok = true;
        for f in cond.expr.field_refs() {
            if !fields.iter().any(|x| x.id == f.name) {
                ok = false;
                self.push(src.err_in_string(
                    &span,
                    f.at,
                    format!("条件引用了未知字段「{}」", f.name),
                ));
            }
        }
        for (f, op, lit, at) in cond.expr.comparisons() {
            let Some(field) = fields.iter().find(|x| x.id == f.name) else {
                continue;
            };
            if let Some(problem) = literal_problem(field, op, lit) {
                ok = false;
                self.push(src.err_in_string(&span, at, problem));
            }
        }
        ok.then_some(cond)
    }

    fn opt_condition(
        &mut self,
        src: &Src,
        fields: &[Field],
        text: &Option<S<String>>,
    ) -> Option<Condition> {
        text.as_ref().and_then(|t| self.condition(src, fields, t))
    }

    fn process(&mut self, src: &Src, p: &RawProcess) -> Process {
        self.non_empty(src, &p.name, "流程名称");
        let source = self.optional_source(src, &p.source);
        let fields = self.fields(src, p);
        let states = self.states(src, p);
        let state_ids: BTreeSet<String> = states.iter().map(|s| s.id.clone()).collect();
        let derives = self.derives(src, p, &fields);
        let transitions = self.transitions(src, p, &fields, &state_ids);
        let approvals = self.approvals(src, p, &fields, &state_ids);
        let timers = self.timers(src, p, &fields, &state_ids, &transitions);
        let lead_times = self.lead_times(src, p, &fields, &transitions);
        let required_ifs = self.required_ifs(src, p, &fields, &transitions);
        let mut intake = Vec::new();
        for name in &p.intake {
            if hooks::is_intake(name.get_ref()) {
                intake.push(name.get_ref().clone());
            } else {
                let known: Vec<&str> = hooks::INTAKES.iter().map(|(n, _)| *n).collect();
                self.push(src.err(
                    &name.span(),
                    format!(
                        "流程的来源 intake「{}」未知：已知的有 {}",
                        name.get_ref(),
                        known.join("、")
                    ),
                ));
            }
        }
        let process = Process {
            id: p.id.get_ref().clone(),
            name: p.name.get_ref().clone(),
            number_prefix: p.number_prefix.as_ref().map(|s| s.get_ref().clone()),
            source,
            origin: src.origin(&p.id.span()),
            fields,
            derives,
            states,
            transitions,
            approvals,
            timers,
            lead_times,
            required_ifs,
            conversions: Vec::new(),
            role_labels: self.role_labels.clone(),
            intake,
            reviewers_read: p.reviewers_read,
            fault_statistics: p.fault_statistics,
        };
        self.graph(src, p, &process);
        self.restarts(src, p, &process);
        process
    }

    fn fields(&mut self, src: &Src, p: &RawProcess) -> Vec<Field> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for item in &p.field {
            let f = item.get_ref();
            self.unique(src, &mut seen, &f.id, "字段标识");
            self.non_empty(src, &f.label, "字段名称");
            let ty = match FieldType::parse(f.ty.get_ref()) {
                Some(t) => t,
                None => {
                    let all: Vec<&str> = FieldType::ALL.iter().map(|t| t.as_str()).collect();
                    self.push(src.err(
                        &f.ty.span(),
                        format!(
                            "未知字段类型「{}」，可用：{}",
                            f.ty.get_ref(),
                            all.join("、")
                        ),
                    ));
                    FieldType::Text
                }
            };
            let mut choices = Vec::new();
            match (&f.choices, ty) {
                (None, FieldType::Choice) => self.push(src.err(
                    &item.span(),
                    format!("选项字段「{}」缺少 choices", f.id.get_ref()),
                )),
                (Some(c), FieldType::Choice) if c.get_ref().0.is_empty() => {
                    self.push(src.err(&c.span(), "choices 不能为空"))
                }
                (Some(c), FieldType::Choice) => {
                    for (k, v) in &c.get_ref().0 {
                        choices.push(Choice {
                            id: k.get_ref().clone(),
                            label: v.get_ref().clone(),
                        });
                    }
                }
                (Some(c), _) => self.push(src.err(
                    &c.span(),
                    format!(
                        "只有 choice 类型的字段可以有 choices（本字段类型为 {}）",
                        ty.as_str()
                    ),
                )),
                (None, _) => {}
            }
            let not_future = match &f.not_future {
                Some(b) if *b.get_ref() && !ty.is_temporal() => {
                    self.push(src.err(
                        &b.span(),
                        format!(
                            "只有 date 或 datetime 类型的字段可以设 not_future（本字段类型为 {}）",
                            ty.as_str()
                        ),
                    ));
                    false
                }
                Some(b) => *b.get_ref(),
                None => false,
            };
            let ticket_of = match &f.ticket_of {
                Some(t) if ty != FieldType::Text => {
                    self.push(src.err(
                        &t.span(),
                        format!(
                            "只有 text 类型的字段可以设 ticket_of（本字段类型为 {}）",
                            ty.as_str()
                        ),
                    ));
                    None
                }
                Some(t) => Some(t.get_ref().clone()),
                None => None,
            };
            let ticket_reached = match (&f.ticket_reached, &ticket_of) {
                (Some(r), None) => {
                    self.push(src.err(&r.span(), "ticket_reached 须与 ticket_of 一起使用"));
                    None
                }
                (Some(r), Some(_)) => Some(r.get_ref().clone()),
                (None, _) => None,
            };
            let set_at_open = match &f.set_at_open {
                Some(k) => match SetAtOpen::parse(k.get_ref()) {
                    Some(v) if v.field_type() == ty => Some(v),
                    Some(v) => {
                        self.push(src.err(
                            &k.span(),
                            format!(
                                "set_at_open = \"{}\" 只能用于 {} 类型的字段（本字段类型为 {}）",
                                v.as_str(),
                                v.field_type().as_str(),
                                ty.as_str()
                            ),
                        ));
                        None
                    }
                    None => {
                        self.push(src.err(
                            &k.span(),
                            format!(
                                "未知的 set_at_open「{}」，可选：{}",
                                k.get_ref(),
                                SetAtOpen::ALL.map(|v| v.as_str()).join("、")
                            ),
                        ));
                        None
                    }
                },
                None => None,
            };
            let source = if ty == FieldType::Choice {
                Some(self.source(src, &item.span(), &f.source, "选项字段"))
            } else {
                self.optional_source(src, &f.source)
            };
            out.push(Field {
                id: f.id.get_ref().clone(),
                label: f.label.get_ref().clone(),
                ty,
                choices,
                not_future,
                ticket_of,
                ticket_reached,
                set_at_open,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn states(&mut self, src: &Src, p: &RawProcess) -> Vec<State> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut initial_seen = false;
        for item in &p.state {
            let s = item.get_ref();
            self.unique(src, &mut seen, &s.id, "状态标识");
            self.non_empty(src, &s.label, "状态名称");
            if s.initial {
                if initial_seen {
                    self.push(src.err(
                        &item.span(),
                        format!(
                            "初始状态只能有一个，「{}」是第二个 initial = true 的状态",
                            s.id.get_ref()
                        ),
                    ));
                }
                initial_seen = true;
            }
            let source = self.optional_source(src, &s.source);
            out.push(State {
                id: s.id.get_ref().clone(),
                label: s.label.get_ref().clone(),
                initial: s.initial,
                is_final: s.is_final,
                waiting: s.waiting,
                source,
                origin: src.origin(&item.span()),
            });
        }
        if !initial_seen {
            self.push(src.err(
                &p.id.span(),
                format!(
                    "流程「{}」没有初始状态（需要恰好一个 initial = true 的状态）",
                    p.id.get_ref()
                ),
            ));
        }
        out
    }

    fn derives(&mut self, src: &Src, p: &RawProcess, fields: &[Field]) -> Vec<Derive> {
        let mut out = Vec::new();
        for item in &p.derive {
            let d = item.get_ref();
            let source = self.source(src, &item.span(), &d.source, "派生规则 derive ");
            self.field_ref(src, fields, &d.field, "派生规则");
            let field = fields.iter().find(|f| &f.id == d.field.get_ref());
            if d.cases.get_ref().is_empty() {
                self.push(src.err(&d.cases.span(), "派生规则的 cases 不能为空"));
            }
            let mut cases = Vec::new();
            for case in d.cases.get_ref() {
                let c = case.get_ref();
                let when = self.condition(src, fields, &c.when);
                if let Some(field) = field {
                    if let Some(problem) = value_problem(field, c.value.get_ref()) {
                        self.push(src.err(&c.value.span(), problem));
                    }
                }
                if let Some(when) = when {
                    cases.push(DeriveCase {
                        when,
                        value: c.value.get_ref().clone(),
                    });
                }
            }
            out.push(Derive {
                field: d.field.get_ref().clone(),
                cases,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn transitions(
        &mut self,
        src: &Src,
        p: &RawProcess,
        fields: &[Field],
        states: &BTreeSet<String>,
    ) -> Vec<Transition> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for item in &p.transition {
            let t = item.get_ref();
            self.unique(src, &mut seen, &t.id, "流转标识");
            self.non_empty(src, &t.label, "流转名称");
            let what = format!("流转「{}」", t.id.get_ref());
            let source = self.source(src, &item.span(), &t.source, &what);
            if t.from.get_ref().is_empty() {
                self.push(src.err(&t.from.span(), format!("{what}的 from 不能为空")));
            }
            for s in t.from.get_ref() {
                self.state_ref(src, states, s, &format!("{what}的 from "));
            }
            self.state_ref(src, states, &t.to, &format!("{what}的 to "));
            if t.roles.get_ref().is_empty() {
                self.push(src.err(
                    &t.roles.span(),
                    format!("{what}的 roles 不能为空（谁可以执行此流转？）"),
                ));
            }
            for r in t.roles.get_ref() {
                self.role_ref(src, r);
            }
            for f in &t.require {
                self.field_ref(src, fields, f, &format!("{what}的 require "));
            }
            for f in &t.require_input {
                self.field_ref(src, fields, f, &format!("{what}的 require_input "));
            }
            // `require_input` fields are required too (and shown in forms).
            let mut require = strings(&t.require);
            for f in &t.require_input {
                if !require.contains(f.get_ref()) {
                    require.push(f.get_ref().clone());
                }
            }
            for a in &t.attachments {
                self.ident(src, a, "附件类型");
            }
            let when = self.opt_condition(src, fields, &t.when);
            let gates = self.hook_uses(src, fields, &what, &t.gate, true);
            let effects = self.hook_uses(src, fields, &what, &t.effect, false);
            out.push(Transition {
                id: t.id.get_ref().clone(),
                label: t.label.get_ref().clone(),
                from: strings(t.from.get_ref()),
                to: t.to.get_ref().clone(),
                roles: strings(t.roles.get_ref()),
                require,
                require_input: strings(&t.require_input),
                attachments: strings(&t.attachments),
                exclude_requester: t.exclude_requester,
                when,
                gates,
                effects,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    /// A transition's gates (`gate`) or effects: known hook names (the
    /// registry in [`super::hooks`]), each once, cited, with a typed
    /// condition.
    fn hook_uses(
        &mut self,
        src: &Src,
        fields: &[Field],
        what: &str,
        raw: &[S<RawHookUse>],
        gate: bool,
    ) -> Vec<HookUse> {
        let (kind, known, list) = if gate {
            (
                "闸门 gate",
                hooks::is_gate as fn(&str) -> bool,
                hooks::GATES,
            )
        } else {
            (
                "副作用 effect",
                hooks::is_effect as fn(&str) -> bool,
                hooks::EFFECTS,
            )
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for item in raw {
            let h = item.get_ref();
            let name = h.hook.get_ref();
            let source = self.source(
                src,
                &item.span(),
                &h.source,
                &format!("{what}的{kind}「{name}」"),
            );
            if !known(name) {
                let names: Vec<&str> = list.iter().map(|(n, _)| *n).collect();
                self.push(src.err(
                    &h.hook.span(),
                    format!(
                        "{what}的{kind}「{name}」未知：已知的有 {}",
                        names.join("、")
                    ),
                ));
                continue;
            }
            if !seen.insert(name.clone()) {
                self.push(src.err(&h.hook.span(), format!("{what}的{kind}「{name}」重复")));
                continue;
            }
            let when = self.opt_condition(src, fields, &h.when);
            if h.when.is_some() && when.is_none() {
                continue;
            }
            out.push(HookUse {
                hook: name.clone(),
                when,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn approvals(
        &mut self,
        src: &Src,
        p: &RawProcess,
        fields: &[Field],
        states: &BTreeSet<String>,
    ) -> Vec<Approval> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for item in &p.approval {
            let a = item.get_ref();
            self.unique(src, &mut seen, &a.id, "审批标识");
            let what = format!("审批「{}」", a.id.get_ref());
            let source = self.source(src, &item.span(), &a.source, &what);
            self.state_ref(src, states, &a.state, &format!("{what}的 state "));
            self.state_ref(src, states, &a.approved, &format!("{what}的 approved "));
            self.state_ref(src, states, &a.rejected, &format!("{what}的 rejected "));
            if a.steps.get_ref().is_empty() {
                self.push(src.err(&a.steps.span(), format!("{what}的 steps 不能为空")));
            }
            for r in a.steps.get_ref() {
                self.role_ref(src, r);
            }
            let mode = match a.mode.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
                None | Some(("all", _)) => ApprovalMode::All,
                Some(("any", _)) => ApprovalMode::Any,
                Some((other, span)) => {
                    self.push(src.err(&span, format!("mode「{other}」无效，可用：all、any")));
                    ApprovalMode::All
                }
            };
            let order = match a.order.as_ref().map(|m| (m.get_ref().as_str(), m.span())) {
                None | Some(("sequential", _)) => ApprovalOrder::Sequential,
                Some(("parallel", _)) => ApprovalOrder::Parallel,
                Some((other, span)) => {
                    self.push(src.err(
                        &span,
                        format!("order「{other}」无效，可用：sequential、parallel"),
                    ));
                    ApprovalOrder::Sequential
                }
            };
            let when = self.opt_condition(src, fields, &a.when);
            out.push(Approval {
                id: a.id.get_ref().clone(),
                label: a.label.as_ref().map(|l| l.get_ref().clone()),
                state: a.state.get_ref().clone(),
                steps: strings(a.steps.get_ref()),
                mode,
                order,
                approved: a.approved.get_ref().clone(),
                rejected: a.rejected.get_ref().clone(),
                exclude_requester: a.exclude_requester,
                when,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn duration(&mut self, src: &Src, d: &S<String>) -> TimerDuration {
        TimerDuration::parse(d.get_ref()).unwrap_or_else(|| {
            self.push(src.err(
                &d.span(),
                format!(
                    "时限「{}」无效，应为 30m（分钟）、2h（小时）、2wd（工作日）、5d（自然日）或 1mo（自然月）",
                    d.get_ref()
                ),
            ));
            TimerDuration::WallClock(0)
        })
    }

    fn timers(
        &mut self,
        src: &Src,
        p: &RawProcess,
        fields: &[Field],
        states: &BTreeSet<String>,
        transitions: &[Transition],
    ) -> Vec<Timer> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for item in &p.timer {
            let t = item.get_ref();
            self.unique(src, &mut seen, &t.id, "计时器标识");
            self.non_empty(src, &t.label, "计时器名称");
            let what = format!("计时器「{}」", t.id.get_ref());
            let source = self.source(src, &item.span(), &t.source, &what);
            if t.start.is_empty() {
                self.push(src.err(
                    &item.span(),
                    format!("{what}缺少 start（进入哪些状态时开始计时）"),
                ));
            }
            for s in &t.start {
                self.state_ref(src, states, s, &format!("{what}的 start "));
            }
            match &t.stop {
                None => self.push(src.err(
                    &item.span(),
                    format!("{what}缺少 stop（进入哪些状态时停止计时），计时将永不结束"),
                )),
                Some(stop) if stop.get_ref().is_empty() => self.push(src.err(
                    &stop.span(),
                    format!("{what}的 stop 不能为空，计时将永不结束"),
                )),
                Some(stop) => {
                    for s in stop.get_ref() {
                        self.state_ref(src, states, s, &format!("{what}的 stop "));
                    }
                }
            }
            for s in &t.pause {
                self.state_ref(src, states, s, &format!("{what}的 pause "));
            }
            for r in &t.notify {
                self.role_ref(src, r);
            }
            for r in &t.restart {
                if !transitions.iter().any(|x| &x.id == r.get_ref()) {
                    self.push(src.err(
                        &r.span(),
                        format!("{what}的 restart 引用了未知流转「{}」", r.get_ref()),
                    ));
                }
            }
            let duration = self.duration(src, &t.duration);
            let warn_before = t.warn_before.as_ref().map(|w| self.duration(src, w));
            let when = self.opt_condition(src, fields, &t.when);
            if let Some(open) = &t.open {
                self.non_empty(src, open, "计时器的 open 说明");
            }
            out.push(Timer {
                id: t.id.get_ref().clone(),
                label: t.label.get_ref().clone(),
                start: strings(&t.start),
                stop: t
                    .stop
                    .as_ref()
                    .map(|s| strings(s.get_ref()))
                    .unwrap_or_default(),
                pause: strings(&t.pause),
                waiting_pauses: t.waiting_pauses.unwrap_or(true),
                duration,
                warn_before,
                notify: strings(&t.notify),
                restart: strings(&t.restart),
                when,
                source,
                open: t.open.as_ref().map(|o| o.get_ref().trim().to_string()),
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn lead_times(
        &mut self,
        src: &Src,
        p: &RawProcess,
        fields: &[Field],
        transitions: &[Transition],
    ) -> Vec<LeadTime> {
        let mut out = Vec::new();
        for item in &p.lead_time {
            let l = item.get_ref();
            let source = self.source(src, &item.span(), &l.source, "提前期规则 lead_time ");
            if !transitions.iter().any(|t| &t.id == l.transition.get_ref()) {
                self.push(src.err(
                    &l.transition.span(),
                    format!("提前期规则引用了未知流转「{}」", l.transition.get_ref()),
                ));
            }
            match fields.iter().find(|f| &f.id == l.field.get_ref()) {
                None => self.field_ref(src, fields, &l.field, "提前期规则"),
                Some(f) if !f.ty.is_temporal() => self.push(src.err(
                    &l.field.span(),
                    format!(
                        "提前期规则的字段「{}」类型为 {}，应为 date 或 datetime",
                        f.id,
                        f.ty.as_str()
                    ),
                )),
                Some(_) => {}
            }
            let n = *l.working_days.get_ref();
            if !(0..=366).contains(&n) {
                self.push(src.err(
                    &l.working_days.span(),
                    format!("working_days = {n} 无效，应为 0 到 366 之间的整数"),
                ));
            }
            let when = self.opt_condition(src, fields, &l.when);
            out.push(LeadTime {
                transition: l.transition.get_ref().clone(),
                field: l.field.get_ref().clone(),
                working_days: n.clamp(0, 366) as u32,
                when,
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    fn required_ifs(
        &mut self,
        src: &Src,
        p: &RawProcess,
        fields: &[Field],
        transitions: &[Transition],
    ) -> Vec<RequiredIf> {
        let mut out = Vec::new();
        for item in &p.required_if {
            let r = item.get_ref();
            let source = self.source(src, &item.span(), &r.source, "条件必填规则 required_if ");
            if !transitions.iter().any(|t| &t.id == r.transition.get_ref()) {
                self.push(src.err(
                    &r.transition.span(),
                    format!("条件必填规则引用了未知流转「{}」", r.transition.get_ref()),
                ));
            }
            if r.fields.is_empty() && r.attachments.is_empty() {
                self.push(src.err(
                    &item.span(),
                    "条件必填规则的 fields 和 attachments 不能都为空（条件成立时需要什么？）",
                ));
            }
            for f in &r.fields {
                self.field_ref(src, fields, f, "条件必填规则");
            }
            for a in &r.attachments {
                self.ident(src, a, "附件类型");
            }
            let when = self.condition(src, fields, &r.when);
            if let Some(when) = when {
                out.push(RequiredIf {
                    transition: r.transition.get_ref().clone(),
                    when,
                    fields: strings(&r.fields),
                    attachments: strings(&r.attachments),
                    source,
                    origin: src.origin(&item.span()),
                });
            }
        }
        out
    }

    /// A timer's `restart` transitions must leave a state where the timer
    /// may be running and must not stop it.
    fn restarts(&mut self, src: &Src, p: &RawProcess, process: &Process) {
        for (timer, raw) in process.timers.iter().zip(&p.timer) {
            for r in &raw.get_ref().restart {
                let Some(t) = process.transition(r.get_ref()) else {
                    continue;
                };
                if timer.stop.contains(&t.to) {
                    self.push(src.err(
                        &r.span(),
                        format!(
                            "流转「{}」进入计时器「{}」的停止状态「{}」，不能用来重新计时",
                            t.id, timer.id, t.to
                        ),
                    ));
                } else if !t
                    .from
                    .iter()
                    .any(|f| super::engine::may_run_in(process, timer, f))
                {
                    self.push(src.err(
                        &r.span(),
                        format!(
                            "流转「{}」的出发状态中计时器「{}」都不会在计时，不能用来重新计时",
                            t.id, timer.id
                        ),
                    ));
                }
            }
        }
    }

    fn conversions(
        &mut self,
        src: &Src,
        p: &RawProcess,
        this: &Process,
        all: &[Process],
    ) -> Vec<Conversion> {
        let mut out = Vec::new();
        for item in &p.conversion {
            let c = item.get_ref();
            let source = self.source(src, &item.span(), &c.source, "转换规则 conversion ");
            if this.transition(c.transition.get_ref()).is_none() {
                self.push(src.err(
                    &c.transition.span(),
                    format!("转换规则引用了未知流转「{}」", c.transition.get_ref()),
                ));
            }
            let target = all.iter().find(|t| &t.id == c.process.get_ref());
            match target {
                None => self.push(src.err(
                    &c.process.span(),
                    format!("转换目标流程「{}」不在本策略包中", c.process.get_ref()),
                )),
                Some(target) => {
                    for (k, v) in &c.set.0 {
                        match target.field(k.get_ref()) {
                            None => self.push(src.err(
                                &k.span(),
                                format!("目标流程「{}」没有字段「{}」", target.id, k.get_ref()),
                            )),
                            Some(f) => {
                                if let Some(problem) = value_problem(f, v.get_ref()) {
                                    self.push(src.err(&v.span(), problem));
                                }
                            }
                        }
                    }
                    for f in &c.copy {
                        if this.field(f.get_ref()).is_none() {
                            self.push(src.err(
                                &f.span(),
                                format!("复制的字段「{}」在本流程中不存在", f.get_ref()),
                            ));
                        } else if target.field(f.get_ref()).is_none() {
                            self.push(src.err(
                                &f.span(),
                                format!(
                                    "复制的字段「{}」在目标流程「{}」中不存在",
                                    f.get_ref(),
                                    target.id
                                ),
                            ));
                        } else if let (Some(from), Some(to)) =
                            (this.field(f.get_ref()), target.field(f.get_ref()))
                        {
                            if let Some(problem) = copy_problem(from, to, &target.id) {
                                self.push(src.err(&f.span(), problem));
                            }
                        }
                    }
                }
            }
            out.push(Conversion {
                transition: c.transition.get_ref().clone(),
                process: c.process.get_ref().clone(),
                set: c
                    .set
                    .0
                    .iter()
                    .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
                    .collect(),
                copy: strings(&c.copy),
                source,
                origin: src.origin(&item.span()),
            });
        }
        out
    }

    /// Unreachable states and non-final states with no way out.
    fn graph(&mut self, src: &Src, p: &RawProcess, process: &Process) {
        let Some(initial) = process.states.iter().find(|s| s.initial) else {
            return;
        };
        let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for t in &process.transitions {
            for f in &t.from {
                edges.entry(f).or_default().push(&t.to);
            }
        }
        for a in &process.approvals {
            edges
                .entry(&a.state)
                .or_default()
                .extend([a.approved.as_str(), a.rejected.as_str()]);
        }
        let mut reached = BTreeSet::from([initial.id.as_str()]);
        let mut queue = VecDeque::from([initial.id.as_str()]);
        while let Some(s) = queue.pop_front() {
            for &n in edges.get(s).map(Vec::as_slice).unwrap_or(&[]) {
                if reached.insert(n) {
                    queue.push_back(n);
                }
            }
        }
        for (state, raw) in process.states.iter().zip(&p.state) {
            if !reached.contains(state.id.as_str()) {
                self.push(src.err(
                    &raw.span(),
                    format!(
                        "状态「{}」不可达：从初始状态「{}」出发没有任何流转或审批能到达它",
                        state.id, initial.id
                    ),
                ));
            }
            if !state.is_final && !edges.contains_key(state.id.as_str()) {
                self.push(src.err(
                    &raw.span(),
                    format!(
                        "状态「{}」没有出口：既不是终止状态（final = true），也没有从它出发的流转或审批",
                        state.id
                    ),
                ));
            }
        }
    }
}

fn strings(v: &[S<String>]) -> Vec<String> {
    v.iter().map(|s| s.get_ref().clone()).collect()
}

/// Why a literal cannot be compared with a field, if it cannot.
fn literal_problem(field: &Field, op: CmpOp, lit: &Literal) -> Option<String> {
    let name = &field.id;
    let ty = field.ty.as_str();
    let ordering = || {
        Some(format!(
            "字段「{name}」（{ty}）不能用「{}」比较大小，只能用 == 或 !=",
            op.as_str()
        ))
    };
    match (field.ty, lit) {
        (FieldType::Choice, Literal::Str(s)) => {
            if op.is_ordering() {
                ordering()
            } else if field.choice(s).is_none() {
                let all: Vec<&str> = field.choices.iter().map(|c| c.id.as_str()).collect();
                Some(format!(
                    "「{s}」不是字段「{name}」的选项，可用：{}",
                    all.join("、")
                ))
            } else {
                None
            }
        }
        (FieldType::Text | FieldType::LongText, Literal::Str(_)) if op.is_ordering() => ordering(),
        (FieldType::Text | FieldType::LongText, Literal::Str(_)) => None,
        (FieldType::Integer | FieldType::Number | FieldType::Money, Literal::Num(_)) => None,
        (FieldType::Bool, Literal::Bool(_)) if op.is_ordering() => ordering(),
        (FieldType::Bool, Literal::Bool(_)) => None,
        (FieldType::Date, Literal::Str(s)) if parse_date(s).is_some() => None,
        (FieldType::DateTime, Literal::Str(s)) if parse_datetime(s).is_some() => None,
        (FieldType::Date, _) => Some(format!(
            "字段「{name}」是日期，应与 'YYYY-MM-DD' 形式的字符串比较，而不是 {lit}"
        )),
        (FieldType::DateTime, _) => Some(format!(
            "字段「{name}」是日期时间，应与 RFC 3339 形式的字符串比较，而不是 {lit}"
        )),
        _ => Some(format!("字段「{name}」的类型是 {ty}，不能与 {lit} 比较")),
    }
}

/// Why a field's values cannot be copied into a field of the target
/// process, if they cannot: text and long text mix; a choice needs a choice
/// field offering every one of its options; other types must be equal.
fn copy_problem(from: &Field, to: &Field, target: &str) -> Option<String> {
    let plain = |t: FieldType| matches!(t, FieldType::Text | FieldType::LongText);
    let fits = match (from.ty, to.ty) {
        (a, b) if plain(a) && plain(b) => true,
        (FieldType::Choice, FieldType::Choice) => {
            let missing: Vec<&str> = from
                .choices
                .iter()
                .filter(|c| to.choice(&c.id).is_none())
                .map(|c| c.id.as_str())
                .collect();
            if !missing.is_empty() {
                return Some(format!(
                    "复制的字段「{}」的选项 {} 在目标流程「{target}」中不存在",
                    from.id,
                    missing.join("、")
                ));
            }
            true
        }
        (a, b) => a == b,
    };
    (!fits).then(|| {
        format!(
            "复制的字段「{}」类型为 {}，目标流程「{target}」中同名字段类型为 {}，无法复制",
            from.id,
            from.ty.as_str(),
            to.ty.as_str()
        )
    })
}

/// Why a value written in the pack does not fit a field, if it does not.
fn value_problem(field: &Field, value: &str) -> Option<String> {
    match FieldValue::from_pack_literal(field.ty, value) {
        None => Some(format!(
            "值「{value}」不符合字段「{}」的类型 {}",
            field.id,
            field.ty.as_str()
        )),
        Some(_) if field.ty == FieldType::Choice && field.choice(value).is_none() => {
            let all: Vec<&str> = field.choices.iter().map(|c| c.id.as_str()).collect();
            Some(format!(
                "「{value}」不是字段「{}」的选项，可用：{}",
                field.id,
                all.join("、")
            ))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str = r#"id = "t"
name = "测试包"
version = "1.0.0"

[roles.lead]
label = "负责人"
platform = ["project_lead"]
source = "JSCZ-31"
"#;

    const PROC: &str = r#"id = "p"
name = "流程"
source = "JSCZ-22"

[[field]]
id = "level"
label = "级别"
type = "choice"
choices = { major = "重大", minor = "一般" }
source = "JSCZ-25"

[[field]]
id = "start"
label = "开始日期"
type = "date"

[[field]]
id = "note"
label = "说明"
type = "text"

[[state]]
id = "draft"
label = "草稿"
initial = true

[[state]]
id = "open"
label = "处理中"

[[state]]
id = "done"
label = "完成"
final = true

[[transition]]
id = "submit"
label = "提交"
from = ["draft"]
to = "open"
roles = ["requester"]
require = ["level"]
source = "JSCZ-26"

[[transition]]
id = "finish"
label = "完成"
from = ["open"]
to = "done"
roles = ["lead"]
when = "level == 'major'"
source = "JSCZ-26"
"#;

    fn files(pack: &str, procs: &[&str]) -> Vec<(String, String)> {
        let mut v = vec![("t/pack.toml".to_string(), pack.to_string())];
        for (i, p) in procs.iter().enumerate() {
            let name = if i == 0 {
                "p".to_string()
            } else {
                format!("p{i}")
            };
            v.push((format!("t/{name}.toml"), p.to_string()));
        }
        v
    }

    /// `line:col` of the first occurrence of `needle` (1-based, in chars).
    fn at(text: &str, needle: &str) -> String {
        let byte = text
            .find(needle)
            .unwrap_or_else(|| panic!("fixture lacks {needle:?}"));
        let src = Src::new("", text);
        let (l, c) = src.pos(byte);
        format!("{l}:{c}")
    }

    fn errors(pack: &str, procs: &[&str]) -> Vec<String> {
        match load_pack(&files(pack, procs)) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    /// Asserts an error at `file:<position of needle>` containing `fragment`.
    #[track_caller]
    fn assert_error(errors: &[String], file: &str, text: &str, needle: &str, fragment: &str) {
        let prefix = format!("{file}:{}: ", at(text, needle));
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with(&prefix) && e.contains(fragment)),
            "expected `{prefix}…{fragment}…` in:\n{}",
            errors.join("\n")
        );
    }

    /// One error for a process file built from the base by a replacement.
    #[track_caller]
    fn broken_process(from: &str, to: &str, needle: &str, fragment: &str) {
        assert!(PROC.contains(from), "fixture lacks {from:?}");
        let text = PROC.replacen(from, to, 1);
        let errs = errors(PACK, &[&text]);
        assert_error(&errs, "t/p.toml", &text, needle, fragment);
    }

    #[track_caller]
    fn appended(extra: &str, needle: &str, fragment: &str) {
        let text = format!("{PROC}\n{extra}");
        let errs = errors(PACK, &[&text]);
        assert_error(&errs, "t/p.toml", &text, needle, fragment);
    }

    #[test]
    fn transition_hooks_are_known_cited_and_typed() {
        let ok = "[[transition.gate]]\nhook = \"golive_plan\"\nwhen = \"level == 'major'\"\nsource = \"JSCZ-42\"\n\n[[transition.effect]]\nhook = \"link_named_ci\"\nsource = \"JSCZ-39\"\n";
        let text = format!("{PROC}\n{ok}");
        let pack = load_pack(&files(PACK, &[&text])).expect("valid");
        let pr = &pack.processes[0];
        let finish = pr.transition("finish").unwrap();
        assert_eq!(finish.gates[0].hook, "golive_plan");
        assert!(finish.gates[0].when.is_some());
        assert_eq!(finish.effects[0].hook, "link_named_ci");
        assert!(pr.uses_hook("golive_plan") && !pr.uses_hook("temporary_grant"));
        let rules = pack.rules();
        assert!(rules
            .iter()
            .any(|r| r.kind == "gate" && r.id == "finish:golive_plan" && r.source == "JSCZ-42"));
        assert!(rules
            .iter()
            .any(|r| r.kind == "effect" && r.id == "finish:link_named_ci"));
        // An unknown keyword, at its own position.
        appended(
            "[[transition.gate]]\nhook = \"golive_plans\"\nsource = \"JSCZ-42\"\n",
            "\"golive_plans\"",
            "闸门 gate「golive_plans」未知：已知的有 golive_plan",
        );
        // An effect is not a gate, nor the other way round.
        appended(
            "[[transition.gate]]\nhook = \"temporary_grant\"\nsource = \"JSCZ-49\"\n",
            "\"temporary_grant\"",
            "未知",
        );
        appended(
            "[[transition.effect]]\nhook = \"golive_plan\"\nsource = \"JSCZ-49\"\n",
            "\"golive_plan\"",
            "副作用 effect「golive_plan」未知",
        );
        appended(
            "[[transition.gate]]\nhook = \"golive_plan\"\n",
            "[[transition.gate]]",
            "缺少依据条款",
        );
        appended(
            "[[transition.gate]]\nhook = \"golive_plan\"\nwhen = \"nope == 'x'\"\nsource = \"JSCZ-42\"\n",
            "nope ==",
            "未知字段「nope」",
        );
        appended(
            "[[transition.gate]]\nhook = \"golive_plan\"\nsource = \"JSCZ-42\"\nsurprise = 1\n",
            "surprise",
            "",
        );
    }

    /// A pack role may say which holders qualify relative to the ticket
    /// (ADR 0020); an unknown rule is reported where it is written.
    #[test]
    fn jscz_54_pack_role_holder_rule_is_parsed_and_checked() {
        let with = |h: &str| {
            PACK.replace(
                "platform = [\"project_lead\"]",
                &format!("platform = [\"project_lead\"]\nholder = \"{h}\""),
            )
        };
        let pack = load_pack(&files(&with("same_level"), &[PROC])).expect("valid");
        assert_eq!(pack.roles[0].holder, Holder::SameLevel);
        let pack = load_pack(&files(PACK, &[PROC])).expect("valid");
        assert_eq!(pack.roles[0].holder, Holder::Covering);
        let text = with("everyone");
        let errs = errors(&text, &[PROC]);
        assert_error(
            &errs,
            "t/pack.toml",
            &text,
            "\"everyone\"",
            "未知的持有人范围",
        );
    }

    #[test]
    fn base_fixture_is_valid() {
        let pack = load_pack(&files(PACK, &[PROC])).expect("valid");
        assert_eq!(pack.processes[0].transitions.len(), 2);
        assert_eq!(pack.processes[0].fields[0].choices[1].id, "minor");
        assert_eq!(
            pack.processes[0].transitions[1].origin.to_string(),
            format!("t/p.toml:{}", at(PROC, "[[transition]]\nid = \"finish\""))
        );
        assert_eq!(pack.pack_roles_for(["project_lead"]).len(), 1);
        // lead role, process, level field, two transitions
        assert_eq!(pack.rules().len(), 5);
    }

    #[test]
    fn toml_syntax_error() {
        // The unterminated string is reported at the end of its line.
        broken_process(
            "to = \"done\"",
            "to = \"done",
            "\nroles = [\"lead\"]\nwhen",
            "TOML 语法错误",
        );
    }

    #[test]
    fn unknown_key() {
        broken_process(
            "to = \"done\"",
            "to = \"done\"\ncolour = \"red\"",
            "colour",
            "未知的键「colour」",
        );
        let pack = PACK.replace("id = \"t\"", "id = \"t\"\nauthor = \"x\"");
        let errs = errors(&pack, &[PROC]);
        assert_error(&errs, "t/pack.toml", &pack, "author", "未知的键「author」");
    }

    #[test]
    fn missing_required_key() {
        broken_process(
            "label = \"提交\"\n",
            "",
            "[[transition]]",
            "缺少必填的键「label」",
        );
    }

    #[test]
    fn unknown_role_in_transition_approval_and_timer() {
        broken_process(
            "roles = [\"lead\"]",
            "roles = [\"lead\", \"boss\"]",
            "\"boss\"",
            "未知角色「boss」",
        );
        appended(
            "[[approval]]\nid = \"a\"\nstate = \"open\"\nsteps = [\"chief\"]\napproved = \"done\"\nrejected = \"done\"\nsource = \"JSCZ-26\"\n",
            "\"chief\"",
            "未知角色「chief」",
        );
        appended(
            "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nstop = [\"done\"]\nduration = \"2h\"\nnotify = [\"nobody\"]\nsource = \"NTCZ-6.1.2\"\n",
            "\"nobody\"",
            "未知角色「nobody」",
        );
    }

    #[test]
    fn unknown_platform_role() {
        let pack = PACK.replace("[\"project_lead\"]", "[\"chief\"]");
        let errs = errors(&pack, &[PROC]);
        assert_error(
            &errs,
            "t/pack.toml",
            &pack,
            "\"chief\"",
            "未知平台角色「chief」",
        );
    }

    #[test]
    fn unknown_states() {
        broken_process(
            "from = [\"draft\"]",
            "from = [\"drat\"]",
            "\"drat\"",
            "未知状态「drat」",
        );
        broken_process(
            "to = \"done\"",
            "to = \"dne\"",
            "\"dne\"",
            "未知状态「dne」",
        );
        let approval = "[[approval]]\nid = \"a\"\nstate = \"opn\"\nsteps = [\"lead\"]\napproved = \"don\"\nrejected = \"rej\"\nsource = \"JSCZ-26\"\n";
        appended(approval, "\"opn\"", "未知状态「opn」");
        appended(approval, "\"don\"", "未知状态「don」");
        appended(approval, "\"rej\"", "未知状态「rej」");
        let timer = "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"begun\"]\nstop = [\"ended\"]\npause = [\"held\"]\nduration = \"2wd\"\nsource = \"NTCZ-6.1.2\"\n";
        appended(timer, "\"begun\"", "未知状态「begun」");
        appended(timer, "\"ended\"", "未知状态「ended」");
        appended(timer, "\"held\"", "未知状态「held」");
    }

    #[test]
    fn exactly_one_initial_state() {
        let text = PROC.replacen("initial = true\n", "", 1);
        let errs = errors(PACK, &[&text]);
        assert_error(&errs, "t/p.toml", &text, "\"p\"", "没有初始状态");
        broken_process(
            "label = \"处理中\"",
            "label = \"处理中\"\ninitial = true",
            "[[state]]\nid = \"open\"",
            "初始状态只能有一个",
        );
    }

    #[test]
    fn unreachable_state() {
        appended(
            "[[state]]\nid = \"limbo\"\nlabel = \"无人到达\"\nfinal = true\n",
            "[[state]]\nid = \"limbo\"",
            "状态「limbo」不可达",
        );
    }

    #[test]
    fn state_without_a_way_out() {
        broken_process(
            "to = \"open\"",
            "to = \"stuck\"",
            "[[state]]\nid = \"open\"",
            "状态「open」不可达",
        );
        appended(
            "[[state]]\nid = \"stuck\"\nlabel = \"卡住\"\n\n[[transition]]\nid = \"hold\"\nlabel = \"挂起\"\nfrom = [\"open\"]\nto = \"stuck\"\nroles = [\"lead\"]\nsource = \"JSCZ-26\"\n",
            "[[state]]\nid = \"stuck\"",
            "状态「stuck」没有出口",
        );
    }

    #[test]
    fn missing_sources() {
        broken_process(
            "when = \"level == 'major'\"\nsource = \"JSCZ-26\"\n",
            "when = \"level == 'major'\"\n",
            "[[transition]]\nid = \"finish\"",
            "流转「finish」缺少依据条款",
        );
        broken_process(
            "source = \"JSCZ-25\"\n",
            "",
            "[[field]]\nid = \"level\"",
            "选项字段缺少依据条款",
        );
        appended(
            "[[approval]]\nid = \"a\"\nstate = \"open\"\nsteps = [\"lead\"]\napproved = \"done\"\nrejected = \"done\"\n",
            "[[approval]]",
            "审批「a」缺少依据条款",
        );
        appended(
            "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nstop = [\"done\"]\nduration = \"2h\"\n",
            "[[timer]]",
            "计时器「t」缺少依据条款",
        );
        appended(
            "[[lead_time]]\ntransition = \"submit\"\nfield = \"start\"\nworking_days = 2\n",
            "[[lead_time]]",
            "提前期规则 lead_time 缺少依据条款",
        );
        appended(
            "[[derive]]\nfield = \"level\"\ncases = [{ when = \"true\", value = \"major\" }]\n",
            "[[derive]]",
            "派生规则 derive 缺少依据条款",
        );
        appended(
            "[[conversion]]\ntransition = \"finish\"\nprocess = \"p\"\n",
            "[[conversion]]",
            "转换规则 conversion 缺少依据条款",
        );
    }

    #[test]
    fn malformed_citation() {
        broken_process(
            "source = \"JSCZ-26\"",
            "source = \"第26条\"",
            "\"第26条\"",
            "格式错误",
        );
    }

    #[test]
    fn timer_without_stop() {
        appended(
            "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nduration = \"2h\"\nsource = \"NTCZ-6.1.2\"\n",
            "[[timer]]",
            "缺少 stop",
        );
        appended(
            "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nstop = [\"done\"]\nduration = \"2 hours\"\nsource = \"NTCZ-6.1.2\"\n",
            "\"2 hours\"",
            "时限「2 hours」无效",
        );
    }

    #[test]
    fn conditions_are_parsed_and_typed() {
        // `when = "` is 8 characters; the error points inside the string.
        let text = PROC.replacen("level == 'major'", "level = 'major'", 1);
        let errs = errors(PACK, &[&text]);
        let (line, col) = {
            let p = at(&text, "level = 'major'");
            let (l, c) = p.split_once(':').unwrap();
            (l.to_string(), c.parse::<u32>().unwrap() + 6)
        };
        assert!(
            errs.iter()
                .any(|e| e.starts_with(&format!("t/p.toml:{line}:{col}: ")) && e.contains("==")),
            "{errs:?}"
        );
        broken_process(
            "level == 'major'",
            "level == 'major' and severity > 2",
            "severity",
            "未知字段「severity」",
        );
        broken_process(
            "level == 'major'",
            "level == 'mjor'",
            "'mjor'",
            "「mjor」不是字段「level」的选项",
        );
        broken_process(
            "level == 'major'",
            "level > 'major'",
            "'major'",
            "不能用「>」比较大小",
        );
        broken_process("level == 'major'", "start < 3", "3", "日期");
    }

    #[test]
    fn lead_time_rules() {
        appended(
            "[[lead_time]]\ntransition = \"sbmit\"\nfield = \"start\"\nworking_days = 2\nsource = \"JSCZ-27\"\n",
            "\"sbmit\"",
            "未知流转「sbmit」",
        );
        appended(
            "[[lead_time]]\ntransition = \"submit\"\nfield = \"strt\"\nworking_days = 2\nsource = \"JSCZ-27\"\n",
            "\"strt\"",
            "未知字段「strt」",
        );
        appended(
            "[[lead_time]]\ntransition = \"submit\"\nfield = \"note\"\nworking_days = 2\nsource = \"JSCZ-27\"\n",
            "\"note\"\nworking_days",
            "应为 date 或 datetime",
        );
    }

    #[test]
    fn conversion_to_unknown_process() {
        appended(
            "[[conversion]]\ntransition = \"finish\"\nprocess = \"change\"\nsource = \"JSCZ-21\"\n",
            "\"change\"",
            "转换目标流程「change」不在本策略包中",
        );
        // A conversion within the pack checks the target's fields.
        let target = PROC.replacen("id = \"p\"", "id = \"q\"", 1);
        let text = format!(
            "{PROC}\n[[conversion]]\ntransition = \"finish\"\nprocess = \"q\"\nset = {{ level = \"huge\" }}\ncopy = [\"note\"]\nsource = \"JSCZ-21\"\n"
        );
        let errs = errors(PACK, &[&text, &target]);
        assert_error(
            &errs,
            "t/p.toml",
            &text,
            "\"huge\"",
            "「huge」不是字段「level」的选项",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn derive_values_fit_the_field() {
        appended(
            "[[derive]]\nfield = \"level\"\ncases = [{ when = \"note is set\", value = \"massive\" }]\nsource = \"JSCZ-30\"\n",
            "\"massive\"",
            "「massive」不是字段「level」的选项",
        );
    }

    #[test]
    fn duplicate_ids_and_bad_types() {
        broken_process(
            "id = \"finish\"",
            "id = \"submit\"",
            "\"submit\"\nlabel = \"完成\"",
            "流转标识「submit」重复",
        );
        broken_process(
            "type = \"date\"",
            "type = \"day\"",
            "\"day\"",
            "未知字段类型「day」",
        );
    }

    #[test]
    fn require_input_names_known_fields_and_is_required() {
        broken_process(
            "require = [\"level\"]",
            "require = [\"level\"]\nrequire_input = [\"nte\"]",
            "\"nte\"",
            "require_input 引用了未知字段「nte」",
        );
        let text = PROC.replacen(
            "require = [\"level\"]",
            "require = [\"level\"]\nrequire_input = [\"note\", \"level\"]",
            1,
        );
        let pack = load_pack(&files(PACK, &[&text])).expect("valid");
        let t = &pack.processes[0].transitions[0];
        assert_eq!(t.require, ["level", "note"]);
        assert_eq!(t.require_input, ["note", "level"]);
    }

    #[test]
    fn required_if_rules() {
        let rule = "[[required_if]]\ntransition = \"finish\"\nwhen = \"level == 'major'\"\nfields = [\"note\"]\nattachments = [\"backup\"]\nsource = \"EEDS-3.3.4\"\n";
        let pack = load_pack(&files(PACK, &[&format!("{PROC}\n{rule}")])).expect("valid");
        let r = &pack.processes[0].required_ifs[0];
        assert_eq!((r.fields.len(), r.attachments.len()), (1, 1));
        assert!(pack
            .rules()
            .iter()
            .any(|x| x.kind == "required_if" && x.id == "finish:note,backup"));
        appended(
            &rule.replace("\"finish\"", "\"finsh\""),
            "\"finsh\"",
            "条件必填规则引用了未知流转「finsh」",
        );
        appended(
            &rule.replace("[\"note\"]", "[\"nte\"]"),
            "\"nte\"",
            "条件必填规则引用了未知字段「nte」",
        );
        appended(
            &rule.replace("source = \"EEDS-3.3.4\"\n", ""),
            "[[required_if]]",
            "条件必填规则 required_if 缺少依据条款",
        );
        appended(
            &rule
                .replace("fields = [\"note\"]\n", "")
                .replace("attachments = [\"backup\"]\n", ""),
            "[[required_if]]",
            "不能都为空",
        );
        appended(
            &rule.replace("level == 'major'", "levl == 'major'"),
            "levl",
            "未知字段「levl」",
        );
        appended(
            &rule.replace("when = \"level == 'major'\"\n", ""),
            "[[required_if]]",
            "缺少必填的键「when」",
        );
        appended(
            &rule.replace("[\"backup\"]", "[\"Backup\"]"),
            "\"Backup\"",
            "附件类型「Backup」无效",
        );
    }

    #[test]
    fn timer_restart_rules() {
        let timer = |restart: &str| {
            format!(
                "[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nstop = [\"done\"]\nduration = \"30d\"\nrestart = [\"{restart}\"]\nsource = \"EEDS-3.2.5\"\n"
            )
        };
        appended(
            &timer("reviw"),
            "\"reviw\"",
            "restart 引用了未知流转「reviw」",
        );
        // `finish` enters the stop state.
        appended(
            &timer("finish"),
            "\"finish\"]",
            "进入计时器「t」的停止状态「done」",
        );
        // `submit` leaves `draft`, where the timer has not started.
        appended(&timer("submit"), "\"submit\"]", "都不会在计时");
        let review = "[[transition]]\nid = \"review\"\nlabel = \"跟踪\"\nfrom = [\"open\"]\nto = \"open\"\nroles = [\"lead\"]\nsource = \"EEDS-3.2.5\"\n";
        let text = format!("{PROC}\n{review}\n{}", timer("review"));
        let pack = load_pack(&files(PACK, &[&text])).expect("valid");
        assert_eq!(pack.processes[0].timers[0].restart, ["review"]);
    }

    #[test]
    fn timer_open_note_and_waiting_pauses() {
        let timer = |extra: &str| {
            format!("[[timer]]\nid = \"t\"\nlabel = \"时限\"\nstart = [\"open\"]\nstop = [\"done\"]\nduration = \"1mo\"\n{extra}source = \"EEDS-3.2.5\"\n")
        };
        let text = format!(
            "{PROC}\n{}",
            timer("open = \"每月：一个自然月为本单位自定\"\nwaiting_pauses = false\n")
        );
        let pack = load_pack(&files(PACK, &[&text])).expect("valid");
        let t = &pack.processes[0].timers[0];
        assert_eq!(t.duration, TimerDuration::Months(1));
        assert_eq!(t.open.as_deref(), Some("每月：一个自然月为本单位自定"));
        assert!(!t.waiting_pauses);
        let rule = pack
            .rules()
            .into_iter()
            .find(|r| r.kind == "timer")
            .unwrap();
        assert_eq!(rule.open.as_deref(), Some("每月：一个自然月为本单位自定"));
        // Unset: no note, waiting states pause wall-clock timers.
        let text = format!("{PROC}\n{}", timer(""));
        let pack = load_pack(&files(PACK, &[&text])).expect("valid");
        assert_eq!(pack.processes[0].timers[0].open, None);
        assert!(pack.processes[0].timers[0].waiting_pauses);
        appended(&timer("open = \" \"\n"), "\" \"", "不能为空");
    }

    #[test]
    fn conversion_copies_need_compatible_fields() {
        let target = PROC
            .replacen("id = \"p\"", "id = \"q\"", 1)
            .replacen("type = \"text\"", "type = \"long_text\"", 1)
            .replacen(
                "id = \"start\"\nlabel = \"开始日期\"\ntype = \"date\"",
                "id = \"start\"\nlabel = \"开始日期\"\ntype = \"datetime\"",
                1,
            )
            .replacen(
                "choices = { major = \"重大\", minor = \"一般\" }",
                "choices = { major = \"重大\" }",
                1,
            );
        let conv = |copy: &str| {
            format!("{PROC}\n[[conversion]]\ntransition = \"finish\"\nprocess = \"q\"\ncopy = [{copy}]\nsource = \"JSCZ-21\"\n")
        };
        // text -> long_text is fine.
        assert!(load_pack(&files(PACK, &[&conv("\"note\""), &target])).is_ok());
        let text = conv("\"start\"");
        let errs = errors(PACK, &[&text, &target]);
        assert_error(&errs, "t/p.toml", &text, "\"start\"]", "类型为 date");
        let text = conv("\"level\"");
        let errs = errors(PACK, &[&text, &target]);
        assert_error(
            &errs,
            "t/p.toml",
            &text,
            "\"level\"]\nsource = \"JSCZ-21\"",
            "选项 minor",
        );
    }

    #[test]
    fn ci_fields_and_not_future_dates() {
        // `not_future` only on dates and times; a `ci` field is textual.
        let ok = PROC.replacen(
            "id = \"start\"\nlabel = \"开始日期\"\ntype = \"date\"",
            "id = \"start\"\nlabel = \"开始日期\"\ntype = \"date\"\nnot_future = true",
            1,
        );
        let pack = load_pack(&files(PACK, &[&ok])).expect("valid");
        let pr = &pack.processes[0];
        let start = pr.field("start").unwrap();
        assert!(start.not_future);
        let now = chrono::Utc::now();
        let tomorrow = (now + chrono::Duration::days(2)).date_naive();
        assert_eq!(
            pr.impossible_values(
                &[("start".to_string(), FieldValue::Date(tomorrow))].into(),
                now
            ),
            Some((
                "start".to_string(),
                "「开始日期」不能晚于当前时间".to_string()
            ))
        );
        let yesterday = (now - chrono::Duration::days(2)).date_naive();
        assert_eq!(
            pr.impossible_values(
                &[("start".to_string(), FieldValue::Date(yesterday))].into(),
                now
            ),
            None
        );
        let bad = PROC.replacen("type = \"text\"", "type = \"text\"\nnot_future = true", 1);
        let errs = errors(PACK, &[&bad]);
        assert_error(
            &errs,
            "t/p.toml",
            &bad,
            "true",
            "只有 date 或 datetime 类型的字段可以设 not_future",
        );
        let ci = PROC.replacen("type = \"text\"", "type = \"ci\"", 1);
        let pack = load_pack(&files(PACK, &[&ci])).expect("valid");
        assert_eq!(pack.processes[0].ci_fields().count(), 1);
        assert!(FieldType::Ci.is_textual());
    }

    /// NTCZ-6.1.2: a field the platform sets at opening
    /// (`set_at_open`) is a bool; another type or an unknown kind is an
    /// error located at the attribute.
    #[test]
    fn ntcz_6_1_2_set_at_open_is_a_known_kind_on_a_bool() {
        let field = "[[field]]\nid = \"off\"\nlabel = \"非工作时间来电\"\ntype = \"bool\"\nset_at_open = \"outside_working_hours\"\n\n[[state]]";
        let ok = PROC.replacen("[[state]]", field, 1);
        let pack = load_pack(&files(PACK, &[&ok])).expect("valid");
        assert_eq!(
            pack.processes[0].field("off").unwrap().set_at_open,
            Some(SetAtOpen::OutsideWorkingHours)
        );
        let unknown = ok.replace("\"outside_working_hours\"", "\"after_lunch\"");
        let errs = errors(PACK, &[&unknown]);
        assert_error(
            &errs,
            "t/p.toml",
            &unknown,
            "\"after_lunch\"",
            "未知的 set_at_open「after_lunch」",
        );
        let text = ok.replace(
            "type = \"bool\"\nset_at_open",
            "type = \"text\"\nset_at_open",
        );
        let errs = errors(PACK, &[&text]);
        assert_error(
            &errs,
            "t/p.toml",
            &text,
            "\"outside_working_hours\"",
            "只能用于 bool 类型的字段",
        );
    }

    #[test]
    fn missing_pack_file() {
        let errs = load_pack(&[("t/p.toml".into(), PROC.into())]).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "t/pack.toml:1:1: 缺少 pack.toml（策略包的标识和角色定义）"
        );
    }

    #[test]
    fn errors_are_sorted_by_file_and_position() {
        let text = PROC
            .replacen("roles = [\"lead\"]", "roles = [\"boss\"]", 1)
            .replacen("to = \"open\"", "to = \"opn\"", 1);
        let errs = load_pack(&files(PACK, &[&text])).unwrap_err();
        let positions: Vec<(u32, u32)> = errs.iter().map(|e| (e.line, e.col)).collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted);
        assert!(errs.len() >= 2);
    }
}
