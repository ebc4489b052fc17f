//! Ticket pages (DESIGN.md section 10; the lists and 待办 are in
//! `ticket_lists`): a form generated from a process of an enabled policy pack;
//! the ticket itself with its route drawn as steps, who acts next, the
//! deadlines, one form per allowed transition, the open approval,
//! attachments, links and the timeline; the inbox (search is `ui::search`).
//! Every decision is the engine's, through `yunwei_core::tickets`; a
//! refusal is shown on the page it came from.

use std::collections::{BTreeMap, BTreeSet};

use crate::extract::Query;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value};
use yunwei_core::tickets::{self, FieldShown, OpenInput, TicketDetail, TransitionInput};
use yunwei_domain::policy::model::{Field, FieldType, Process};
use yunwei_domain::roles::Action;
use yunwei_domain::time::fmt_minute;
use yunwei_domain::AppError;

use super::error::{correctable, with_error, Page};
use super::form::{bad_upload, indented, opts, org_choices, read_upload, urlencoding, Opt, UiForm};
use super::page::{render, Layout};
use super::session::{business, ticket_user, UiUser};
use crate::api::tickets::attachment_response;
use crate::extract::ReqCtx;
use crate::AppState;

/// `剩余1天3小时` / `已超时20分钟`.
fn time_left(due: i64, now: i64) -> String {
    let d = due - now;
    let mins = d.abs() / 60_000_000;
    let (days, hours, m) = (mins / 1440, mins % 1440 / 60, mins % 60);
    let span = if days > 0 {
        format!("{days}天{hours}小时")
    } else if hours > 0 {
        format!("{hours}小时{m}分钟")
    } else {
        format!("{m}分钟")
    };
    if d >= 0 {
        format!("剩余{span}")
    } else {
        format!("已超时{span}")
    }
}

fn size_text(n: i64) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// Chinese names of the attachment kinds (`domain::labels`).
fn kind_label(kind: &str) -> String {
    yunwei_domain::labels::attachment_kind_label(kind)
}

fn link_label(kind: &str) -> &str {
    match kind {
        "converted_to" => "转为",
        "converted_to_by" => "由此工单转来",
        other => other,
    }
}

/// Form posts with dynamic field names (`f.<field id>`), read as pairs; a
/// later value replaces an earlier one (a checkbox after its hidden
/// `false`).
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn get(&self, key: &str) -> String {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The submitted field values by field id, as typed.
    fn raw_fields(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.0 {
            if let Some(id) = k.strip_prefix("f.") {
                out.insert(id.to_string(), v.clone());
            }
        }
        out
    }
}

fn fields_json(raw: &BTreeMap<String, String>) -> Map<String, Value> {
    raw.iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

// ---- inputs generated from field definitions ----

/// One input of a generated form.
struct Input {
    name: String,
    html_id: String,
    label: String,
    /// `input`, `textarea`, `select` or `checkbox`.
    widget: &'static str,
    /// The `type` of an `input`.
    input_type: &'static str,
    step: &'static str,
    value: String,
    checked: bool,
    /// (id, label, selected)
    choices: Vec<(String, String, bool)>,
    hint: String,
    /// Required to submit: marked, and `required` for the browser.
    required: bool,
    /// A `ci` field's picker: (code, label) offered in its `<datalist>`.
    options: Vec<(String, String)>,
}

/// The value an input shows for a displayed field value (choice labels
/// back to ids, China time back to `datetime-local`).
fn input_value(ty: &str, shown: &FieldShown) -> String {
    match ty {
        "choice" => shown
            .choices
            .iter()
            .find(|(id, label)| *label == shown.value || *id == shown.value)
            .map(|(id, _)| id.clone())
            .unwrap_or_default(),
        "datetime" => shown.value.replacen(' ', "T", 1),
        "bool" => if shown.value == "是" { "true" } else { "" }.to_string(),
        _ => shown.value.clone(),
    }
}

fn make_input(
    prefix: &str,
    id: &str,
    label: &str,
    ty: &str,
    choices: &[(String, String)],
    value: &str,
    hint: String,
) -> Input {
    let (widget, input_type, step) = match ty {
        "long_text" => ("textarea", "", ""),
        "choice" => ("select", "", ""),
        "integer" => ("input", "number", "1"),
        "number" => ("input", "number", "any"),
        "date" => ("input", "date", ""),
        "datetime" => ("input", "datetime-local", ""),
        "bool" => ("checkbox", "checkbox", ""),
        "ci" => ("ci", "text", ""),
        _ => ("input", "text", ""),
    };
    Input {
        name: format!("f.{id}"),
        html_id: format!("{prefix}-{id}"),
        label: label.to_string(),
        widget,
        input_type,
        step,
        value: value.to_string(),
        checked: matches!(value, "true" | "on" | "1" | "是"),
        choices: choices
            .iter()
            .map(|(c, l)| (c.clone(), l.clone(), c == value))
            .collect(),
        hint,
        required: false,
        options: Vec::new(),
    }
}

/// The configuration items the caller may name, for the `ci` pickers of
/// a form: (code, "name（category，organisation）").
async fn ci_options(s: &AppState, u: &UiUser, q: &str) -> Result<Vec<(String, String)>, AppError> {
    Ok(yunwei_core::cmdb::pick(&s.platform, &u.principal, q)
        .await?
        .into_iter()
        .map(|i| {
            (
                i.code,
                format!("{}（{}，{}）", i.name, i.category_label, i.org_name),
            )
        })
        .collect())
}

/// Gives the `ci` inputs their picker's choices.
async fn fill_ci_options<'a>(
    s: &AppState,
    u: &UiUser,
    inputs: impl Iterator<Item = &'a mut Input>,
) -> Result<(), AppError> {
    let mut cached: Option<Vec<(String, String)>> = None;
    for i in inputs.filter(|i| i.widget == "ci") {
        if cached.is_none() {
            cached = Some(ci_options(s, u, "").await?);
        }
        i.options = cached.clone().unwrap_or_default();
    }
    Ok(())
}

#[derive(Deserialize, Default)]
pub(super) struct CiOptionsQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "ci_options.html")]
struct CiOptionsTpl {
    options: Vec<(String, String)>,
}

/// `GET /tickets/ci-options?q=`: the picker's choices matching `q`, as
/// `<option>`s (the progressive enhancement in `app.js` refreshes the
/// `<datalist>` with them as the user types; without script the browser
/// filters the choices the form came with).
pub(super) async fn ci_options_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<CiOptionsQuery>,
) -> Page {
    business(&u)?;
    let options = ci_options(&s, &u, &q.q).await?;
    let html = CiOptionsTpl { options }
        .render()
        .map_err(|_| AppError::internal())?;
    Ok(axum::response::Html(html).into_response())
}

fn field_input(prefix: &str, f: &Field, value: &str, hint: String) -> Input {
    let choices: Vec<(String, String)> = f
        .choices
        .iter()
        .map(|c| (c.id.clone(), c.label.clone()))
        .collect();
    make_input(
        prefix,
        &f.id,
        &f.label,
        f.ty.as_str(),
        &choices,
        value,
        hint,
    )
}

// ---- opening ----

struct ProcessLink {
    href: String,
    name: String,
    source: String,
}

struct PackChoice {
    name: String,
    version: String,
    processes: Vec<ProcessLink>,
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewTpl {
    l: Layout,
    packs: Vec<PackChoice>,
    /// The chosen process's form, if one is chosen.
    form: Option<NewForm>,
}

struct NewForm {
    pack: String,
    process: String,
    pack_name: String,
    process_name: String,
    source: String,
    title: String,
    primary: Vec<Input>,
    other: Vec<Input>,
    orgs: Vec<Opt>,
    on_behalf_of: String,
    /// The label of the one transition the form may take right after
    /// opening (提交 in one step), if the route allows it.
    submit: Option<String>,
}

/// What the user typed, kept when the form comes back with an error.
#[derive(Default)]
struct Typed {
    title: String,
    org_id: String,
    on_behalf_of: String,
    fields: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    #[serde(default)]
    pack: String,
    #[serde(default)]
    process: String,
    /// Prefilled: the title, the organisation and any field of the
    /// process by its id (`/tickets/new?...&system=CI-0001`, the cloud
    /// system page's buttons).
    #[serde(default)]
    title: String,
    #[serde(default)]
    org_id: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// Fields the first step of the route asks for: those required by the
/// transitions leaving the initial state.
fn first_step_fields(pr: &Process) -> BTreeSet<String> {
    let initial = pr
        .states
        .iter()
        .find(|s| s.initial)
        .map(|s| s.id.clone())
        .unwrap_or_default();
    pr.transitions
        .iter()
        .filter(|t| t.from.contains(&initial))
        .flat_map(|t| t.require.iter().cloned())
        .collect()
}

async fn new_view(
    s: &AppState,
    u: &UiUser,
    q: &NewQuery,
    typed: Typed,
    error: Option<&AppError>,
) -> Page {
    let p = &s.platform;
    let packs = p
        .packs
        .iter()
        .map(|pk| PackChoice {
            name: pk.name.clone(),
            version: pk.version.clone(),
            processes: pk
                .processes
                .iter()
                .map(|pr| ProcessLink {
                    href: format!(
                        "/tickets/new?pack={}&process={}",
                        urlencoding(&pk.id),
                        urlencoding(&pr.id)
                    ),
                    name: pr.name.clone(),
                    source: pr.source.clone().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let chosen = p
        .packs
        .iter()
        .find(|pk| pk.id == q.pack)
        .and_then(|pk| pk.process(&q.process).map(|pr| (pk, pr)));
    let mut form = None;
    if let Some((pk, pr)) = chosen {
        let first = first_step_fields(pr);
        let mut primary = Vec::new();
        let mut other = Vec::new();
        // What the platform sets at opening is not asked for.
        for f in pr
            .fields
            .iter()
            .filter(|f| f.id != "title" && f.set_at_open.is_none())
        {
            let value = typed.fields.get(&f.id).cloned().unwrap_or_default();
            let source = f
                .source
                .as_deref()
                .map(|s| format!("依据 {s}"))
                .unwrap_or_default();
            if first.contains(&f.id) {
                let hint = if source.is_empty() {
                    "提交时必填".to_string()
                } else {
                    format!("提交时必填，{source}")
                };
                let mut i = field_input("new", f, &value, hint);
                i.required = true;
                primary.push(i);
            } else {
                other.push(field_input("new", f, &value, source));
            }
        }
        let org_id = if typed.org_id.is_empty() {
            u.principal.org_id.clone()
        } else {
            typed.org_id.clone()
        };
        let orgs = org_choices(s, u, Action::BusinessOperate).await?;
        fill_ci_options(s, u, primary.iter_mut().chain(other.iter_mut())).await?;
        let submit = tickets::one_step_submit(pk, pr, &u.principal).map(|t| t.label.clone());
        form = Some(NewForm {
            pack: pk.id.clone(),
            process: pr.id.clone(),
            pack_name: pk.name.clone(),
            process_name: pr.name.clone(),
            source: pr.source.clone().unwrap_or_default(),
            title: typed.title,
            primary,
            other,
            orgs: opts(
                orgs.iter().map(|o| (o.id.clone(), indented(o))).collect(),
                &org_id,
            ),
            on_behalf_of: typed.on_behalf_of,
            submit,
        });
    }
    let page = render(&NewTpl {
        l: Layout::for_user(u, "/tickets").with(None, error.map(|e| e.message.clone())),
        packs,
        form,
    });
    with_error(page, error)
}

pub(super) async fn new_page(
    State(s): State<AppState>,
    u: UiUser,
    Query(q): Query<NewQuery>,
) -> Page {
    business(&u)?;
    let typed = Typed {
        title: q.title.clone(),
        org_id: q.org_id.clone(),
        on_behalf_of: String::new(),
        fields: q.fields.clone(),
    };
    new_view(&s, &u, &q, typed, None).await
}

pub(super) async fn open(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    UiForm(f): UiForm<Vec<(String, String)>>,
) -> Page {
    let f = Pairs(f);
    business(&u)?;
    let raw = f.raw_fields();
    let input = OpenInput {
        pack: f.get("pack"),
        process: f.get("process"),
        title: f.get("title"),
        org_id: Some(f.get("org_id")).filter(|v| !v.is_empty()),
        on_behalf_of: Some(f.get("on_behalf_of")).filter(|v| !v.trim().is_empty()),
        fields: fields_json(&raw),
    };
    // 提交: open and take the one submitting transition in one step.
    let opened = if f.get("submit").is_empty() {
        tickets::open(&s.platform, &ctx, &u.principal, &input).await
    } else {
        tickets::open_and_submit(&s.platform, &ctx, &u.principal, &input).await
    };
    match opened {
        Ok(t) => {
            let msg = if f.get("submit").is_empty() {
                "opened"
            } else {
                "submitted"
            };
            Ok(Redirect::to(&format!("/tickets/{}?msg={msg}", t.id)).into_response())
        }
        Err(e) if correctable(&e) => {
            let q = NewQuery {
                pack: input.pack.clone(),
                process: input.process.clone(),
                ..Default::default()
            };
            let typed = Typed {
                title: input.title.clone(),
                org_id: input.org_id.clone().unwrap_or_default(),
                on_behalf_of: input.on_behalf_of.clone().unwrap_or_default(),
                fields: raw,
            };
            new_view(&s, &u, &q, typed, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

// ---- one ticket ----

struct Step {
    label: String,
    class: &'static str,
    mark: &'static str,
}

struct TimerLine {
    label: String,
    source: String,
    due: String,
    left: String,
    overdue: bool,
    warning: Option<String>,
}

struct Needed {
    label: String,
    present: bool,
}

struct ActionForm {
    id: String,
    label: String,
    to_label: String,
    source: String,
    inputs: Vec<Input>,
    attachments: Vec<Needed>,
    open: bool,
    comment: String,
    assignee: String,
}

struct VoteStep {
    role: String,
    status: String,
    class: &'static str,
}

struct ApprovalView {
    id: String,
    label: String,
    source: String,
    steps: Vec<VoteStep>,
    can_vote: bool,
}

struct AttachmentLine {
    id: String,
    kind: String,
    filename: String,
    size: String,
    at: String,
    sm3: String,
    /// `image` or `pdf`: shown in the page from `/preview` (served inline
    /// only if its content is of that kind); empty: download only.
    preview: &'static str,
}

/// What the page previews an attachment as, by its name; the preview
/// route decides by the content (`files::inline_type`).
fn preview_kind(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "gif" | "webp" => "image",
        "pdf" => "pdf",
        _ => "",
    }
}

/// An item hit by a failure of a configuration item linked to the ticket.
struct ImpactLine {
    id: String,
    code: String,
    name: String,
    category: &'static str,
    depth: usize,
    visible: bool,
}

struct ImpactBlock {
    code: String,
    lines: Vec<ImpactLine>,
}

struct LinkLine {
    kind: String,
    id: String,
    number: String,
    title: String,
    process: String,
    state: String,
}

struct EventLine {
    at: String,
    actor: String,
    label: String,
    body: String,
    class: String,
}

struct FieldLine {
    label: String,
    value: String,
    long: bool,
    /// A `ci` field: the item's page, when the value is a linked item the
    /// caller may read.
    href: Option<String>,
    /// A `ci` field whose value is no linked item: typed, not registered.
    unregistered: bool,
}

/// A configuration item linked to the ticket.
struct CiLine {
    id: String,
    code: String,
    name: String,
    category: &'static str,
    /// `false`: outside the caller's scope, shown by code only.
    visible: bool,
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketTpl {
    l: Layout,
    id: String,
    number: String,
    title: String,
    pack_name: String,
    pack_version: String,
    process: String,
    state: String,
    closed: bool,
    level: String,
    org: String,
    requester: String,
    assignee: String,
    created: String,
    route: Vec<Step>,
    next_actors: Vec<String>,
    timers: Vec<TimerLine>,
    approval: Option<ApprovalView>,
    vote_comment: String,
    actions: Vec<ActionForm>,
    fields: Vec<FieldLine>,
    attachments: Vec<AttachmentLine>,
    kinds: Vec<(String, String)>,
    links: Vec<LinkLine>,
    events: Vec<EventLine>,
    note: String,
    cis: Vec<CiLine>,
    impacts: Vec<ImpactBlock>,
    can_link_ci: bool,
    /// The viewer does business (the PDF and the owner page are theirs;
    /// a project reviewer reads the ticket only).
    business: bool,
    ci_ref: String,
    /// Processes with the `golive_plan` gate: the ticket's go-live
    /// emergency plans (NTCZ-3.4.1).
    golive: Option<Vec<(String, String)>>,
    /// Processes with the `prelaunch_checks` gate: the ticket's pre-launch
    /// security checks (JSCZ-42).
    prelaunch: Option<Vec<(String, String)>>,
    /// The viewer may file a go-live plan / a pre-launch check (the links
    /// to the forms are shown only then).
    golive_new: bool,
    prelaunch_new: bool,
    /// Processes with a grant effect: the temporary grants the ticket
    /// filed (JSCZ-49).
    grants: Option<Vec<(String, String)>>,
}

/// What the user typed in the form that was refused, shown again.
#[derive(Default)]
struct Kept {
    transition: Option<String>,
    values: BTreeMap<String, String>,
    comment: String,
    assignee: String,
    vote_comment: String,
    note: String,
    /// The 配置项编号 of the link form.
    ci: String,
}

fn notice_of(msg: &str) -> Option<String> {
    Some(
        match msg {
            "opened" => "工单已登记",
            "submitted" => "工单已登记并提交",
            "transition" => "已办理",
            "vote" => "审批意见已提交",
            "comment" => "评论已添加",
            "attached" => "附件已上传",
            "ci_linked" => "已关联配置项",
            "ci_unlinked" => "已取消关联配置项",
            _ => return None,
        }
        .to_string(),
    )
}

fn actions_of(
    d: &TicketDetail,
    kept: &Kept,
    present: &BTreeSet<String>,
    pr: Option<&Process>,
) -> Vec<ActionForm> {
    d.transitions
        .iter()
        .map(|t| {
            let mine = kept.transition.as_deref() == Some(t.id.as_str());
            let inputs = t
                .require
                .iter()
                .map(|f| {
                    let value = match kept.values.get(&f.id) {
                        Some(v) if mine => v.clone(),
                        _ => input_value(f.ty, f),
                    };
                    let hint = pr
                        .and_then(|p| p.field(&f.id))
                        .and_then(|x| x.source.clone())
                        .map(|s| format!("依据 {s}"))
                        .unwrap_or_default();
                    let mut i = make_input(
                        &format!("t-{}", t.id),
                        &f.id,
                        &f.label,
                        f.ty,
                        &f.choices,
                        &value,
                        hint,
                    );
                    i.required = true;
                    i
                })
                .collect();
            ActionForm {
                id: t.id.clone(),
                label: t.label.clone(),
                to_label: t.to_label.clone(),
                source: t.source.clone(),
                inputs,
                attachments: t
                    .attachments
                    .iter()
                    .map(|k| Needed {
                        label: kind_label(k),
                        present: present.contains(k),
                    })
                    .collect(),
                open: mine,
                comment: if mine {
                    kept.comment.clone()
                } else {
                    String::new()
                },
                assignee: if mine {
                    kept.assignee.clone()
                } else {
                    String::new()
                },
            }
        })
        .collect()
}

async fn ticket_view(
    s: &AppState,
    u: &UiUser,
    id: &str,
    notice: Option<String>,
    error: Option<&AppError>,
    kept: Kept,
) -> Page {
    let p = &s.platform;
    let d = tickets::detail(p, &u.principal, id).await?;
    let pk = tickets::pack(p, &d.ticket.pack, Some(&d.pack_version)).ok();
    let pr = pk.and_then(|pk| pk.process(&d.ticket.process));
    let now = p.now_us();
    let present: BTreeSet<String> = d.attachments.iter().map(|a| a.kind.clone()).collect();
    // Kinds to upload: those the route asks for (also under a condition,
    // `[[required_if]]`), then those already there.
    let mut kinds: Vec<String> = Vec::new();
    for k in pr
        .iter()
        .flat_map(|pr| pr.transitions.iter())
        .flat_map(|t| t.attachments.iter())
        .chain(
            pr.iter()
                .flat_map(|pr| pr.required_ifs.iter())
                .flat_map(|r| r.attachments.iter()),
        )
        .chain(d.attachments.iter().map(|a| &a.kind))
    {
        if !kinds.contains(k) {
            kinds.push(k.clone());
        }
    }
    if !kinds.iter().any(|k| k == "other") {
        kinds.push("other".into());
    }
    let org = yunwei_core::orgs::name_of(p, &d.ticket.org_id).await?;
    let route = d
        .route
        .iter()
        .map(|st| {
            let (class, mark) = match st.status {
                "done" => ("step-done", "✓"),
                "current" => ("step-current", "●"),
                _ => ("step-todo", "○"),
            };
            Step {
                label: st.label.clone(),
                class,
                mark,
            }
        })
        .collect();
    let timers = d
        .timers
        .iter()
        .map(|t| TimerLine {
            label: t.label.clone(),
            source: t.source.clone(),
            due: fmt_minute(t.due_at),
            left: if t.status == "paused" {
                "已暂停计时".into()
            } else {
                time_left(t.due_at, now)
            },
            overdue: t.overdue,
            warning: t.warning.clone(),
        })
        .collect();
    let approval = d.approval.as_ref().map(|a| ApprovalView {
        id: a.id.clone(),
        label: a.label.clone(),
        source: a.source.clone(),
        steps: a
            .steps
            .iter()
            .map(|(role, status)| VoteStep {
                role: role.clone(),
                class: match status.as_str() {
                    "已同意" => "vote-yes",
                    "已驳回" => "vote-no",
                    _ => "vote-wait",
                },
                status: status.clone(),
            })
            .collect(),
        can_vote: a.can_vote,
    });
    let mut actions = actions_of(&d, &kept, &present, pr);
    fill_ci_options(s, u, actions.iter_mut().flat_map(|a| a.inputs.iter_mut())).await?;
    let mut fields: Vec<FieldLine> = d
        .fields
        .iter()
        .filter(|f| !f.value.is_empty() && f.id != "title")
        .map(|f| FieldLine {
            label: f.label.clone(),
            // Money with its thousands separators: 4,650,000.00.
            value: if f.ty == FieldType::Money.as_str() {
                yunwei_domain::policy::model::parse_money(&f.value)
                    .map(|m| {
                        yunwei_core::features::projects::yuan(
                            yunwei_domain::policy::model::money_to_fen(m),
                        )
                    })
                    .unwrap_or_else(|| f.value.clone())
            } else {
                f.value.clone()
            },
            long: f.ty == FieldType::LongText.as_str(),
            href: None,
            unregistered: f.ty == FieldType::Ci.as_str(),
        })
        .collect();
    let attachments = d
        .attachments
        .iter()
        .map(|a| AttachmentLine {
            id: a.id.clone(),
            kind: kind_label(&a.kind),
            filename: a.filename.clone(),
            size: size_text(a.size),
            at: fmt_minute(a.at),
            sm3: a.sm3.chars().take(16).collect(),
            preview: preview_kind(&a.filename),
        })
        .collect();
    let links = d
        .links
        .iter()
        .map(|(kind, t)| LinkLine {
            kind: link_label(kind).to_string(),
            id: t.id.clone(),
            number: t.number.clone(),
            title: t.title.clone(),
            process: t.process_name.clone(),
            state: t.state_label.clone(),
        })
        .collect();
    let events = d
        .events
        .iter()
        .map(|e| EventLine {
            at: fmt_minute(e.at),
            actor: e.actor_name.clone(),
            label: e.label.clone(),
            body: e.body.clone(),
            class: format!("ev-{}", e.kind),
        })
        .collect();
    // Panels by the hooks the process names, not by its id (ADR 0010).
    use yunwei_core::register_rules::entries_for_ticket;
    use yunwei_domain::policy::hooks;
    let golive = if d.hooks.contains(hooks::GOLIVE_PLAN) {
        Some(entries_for_ticket(p, &u.principal, "golive_plans", &d.ticket.id).await?)
    } else {
        None
    };
    let may_file = |key: &str| {
        yunwei_domain::register::spec(key)
            .is_some_and(|sp| yunwei_core::registers::can_file_somewhere(&u.principal, sp))
    };
    let prelaunch = if d.hooks.contains(hooks::PRELAUNCH_CHECKS) {
        Some(entries_for_ticket(p, &u.principal, "prelaunch_checks", &d.ticket.id).await?)
    } else {
        None
    };
    let grants = if [
        hooks::TEMPORARY_GRANT,
        hooks::ACCOUNT_GRANT,
        hooks::REVOKE_GRANT,
    ]
    .iter()
    .any(|h| d.hooks.contains(*h))
    {
        Some(yunwei_core::access::grants_of_ticket(p, &u.principal, &d.ticket.id).await?)
    } else {
        None
    };
    let cis = yunwei_core::cmdb::cis_of_ticket(p, &u.principal, &d.ticket.id)
        .await?
        .into_iter()
        .map(|c| CiLine {
            category: yunwei_domain::cmdb::Category::parse(&c.category)
                .map(|k| k.label())
                .unwrap_or("未知"),
            name: c.name,
            id: c.id,
            code: c.code,
            visible: c.visible,
        })
        .collect::<Vec<CiLine>>();
    // A `ci` field shows its item by code and name, linked.
    for f in fields.iter_mut().filter(|f| f.unregistered) {
        if let Some(c) = cis
            .iter()
            .find(|c: &&CiLine| c.code == f.value || c.id == f.value)
        {
            f.unregistered = false;
            if c.visible {
                f.value = format!("{} {}", c.code, c.name);
                f.href = Some(format!("/cmdb/{}", c.id));
            }
        }
    }
    let impacts = yunwei_core::cmdb::impact_of_ticket(p, &u.principal, &d.ticket.id)
        .await?
        .into_iter()
        .filter(|b| !b.impact.is_empty())
        .map(|b| ImpactBlock {
            code: b.ci.code,
            lines: b
                .impact
                .into_iter()
                .map(|i| ImpactLine {
                    id: i.id,
                    code: i.code,
                    name: i.name,
                    category: i.category_label,
                    depth: i.depth,
                    visible: i.visible,
                })
                .collect(),
        })
        .collect();
    let page = render(&TicketTpl {
        l: Layout::for_user(u, "/tickets").with(notice, error.map(|e| e.message.clone())),
        id: d.ticket.id.clone(),
        number: d.ticket.number.clone(),
        title: d.ticket.title.clone(),
        pack_name: pk.map(|pk| pk.name.clone()).unwrap_or_default(),
        pack_version: d.pack_version.clone(),
        process: d.ticket.process_name.clone(),
        state: d.ticket.state_label.clone(),
        closed: d.ticket.closed,
        level: d.ticket.level_label.clone().unwrap_or_default(),
        org,
        requester: d.requester_name.clone(),
        assignee: d.assignee_name.clone().unwrap_or_default(),
        created: fmt_minute(d.ticket.created_at),
        route,
        next_actors: if d.ticket.closed {
            vec![]
        } else {
            d.next_actors.clone()
        },
        timers,
        approval,
        vote_comment: kept.vote_comment,
        actions,
        fields,
        attachments,
        kinds: kinds.iter().map(|k| (k.clone(), kind_label(k))).collect(),
        links,
        events,
        note: kept.note,
        cis,
        impacts,
        can_link_ci: u.principal.can(Action::BusinessOperate, &d.ticket.org_path),
        business: u.principal.can_somewhere(Action::BusinessRead),
        ci_ref: kept.ci,
        golive,
        grants,
        prelaunch,
        golive_new: may_file("golive_plans"),
        prelaunch_new: may_file("prelaunch_checks"),
    });
    with_error(page, error)
}

#[derive(Deserialize, Default)]
pub(super) struct TicketQueryMsg {
    #[serde(default)]
    msg: String,
}

pub(super) async fn page(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
    Query(q): Query<TicketQueryMsg>,
) -> Page {
    ticket_user(&u)?;
    ticket_view(&s, &u, &id, notice_of(&q.msg), None, Kept::default()).await
}

fn back_to(id: &str, msg: &str) -> Page {
    Ok(Redirect::to(&format!("/tickets/{}?msg={msg}", urlencoding(id))).into_response())
}

/// After an action: back to the ticket, or the ticket again with the
/// refusal and what was typed.
async fn after(
    s: &AppState,
    u: &UiUser,
    id: &str,
    r: Result<(), AppError>,
    msg: &str,
    kept: Kept,
) -> Page {
    match r {
        Ok(()) => back_to(id, msg),
        Err(e) if correctable(&e) => ticket_view(s, u, id, None, Some(&e), kept).await,
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn transition(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<Vec<(String, String)>>,
) -> Page {
    let f = Pairs(f);
    ticket_user(&u)?;
    let raw = f.raw_fields();
    let input = TransitionInput {
        transition: f.get("transition"),
        fields: fields_json(&raw),
        comment: f.get("comment"),
        assignee: Some(f.get("assignee")).filter(|v| !v.trim().is_empty()),
    };
    let r = tickets::transition(&s.platform, &ctx, &u.principal, &id, &input)
        .await
        .map(|_| ());
    let kept = Kept {
        transition: Some(input.transition.clone()),
        values: raw,
        comment: input.comment.clone(),
        assignee: input.assignee.clone().unwrap_or_default(),
        ..Default::default()
    };
    after(&s, &u, &id, r, "transition", kept).await
}

#[derive(Deserialize)]
pub(super) struct VoteForm {
    #[serde(default)]
    approval: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

pub(super) async fn vote(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<VoteForm>,
) -> Page {
    ticket_user(&u)?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::bad_request("ticket.vote_decision", "请选择同意或驳回").into()),
    };
    let r = tickets::vote(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        &f.approval,
        approve,
        &f.comment,
    )
    .await
    .map(|_| ());
    let kept = Kept {
        vote_comment: f.comment,
        ..Default::default()
    };
    after(&s, &u, &id, r, "vote", kept).await
}

#[derive(Deserialize)]
pub(super) struct CommentForm {
    #[serde(default)]
    body: String,
}

pub(super) async fn comment(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<CommentForm>,
) -> Page {
    ticket_user(&u)?;
    let r = tickets::comment(&s.platform, &ctx, &u.principal, &id, &f.body).await;
    let kept = Kept {
        note: f.body,
        ..Default::default()
    };
    after(&s, &u, &id, r, "comment", kept).await
}

#[derive(Deserialize)]
pub(super) struct LinkCiForm {
    #[serde(default)]
    ci: String,
}

/// Links a configuration item (by its code) to the ticket.
pub(super) async fn link_ci(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    UiForm(f): UiForm<LinkCiForm>,
) -> Page {
    business(&u)?;
    let r = yunwei_core::cmdb::link_ticket(&s.platform, &ctx, &u.principal, &id, &f.ci)
        .await
        .map(|_| ());
    let kept = Kept {
        ci: f.ci,
        ..Default::default()
    };
    after(&s, &u, &id, r, "ci_linked", kept).await
}

pub(super) async fn unlink_ci(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path((id, ci)): Path<(String, String)>,
) -> Page {
    business(&u)?;
    let r = yunwei_core::cmdb::unlink_ticket(&s.platform, &ctx, &u.principal, &id, &ci).await;
    after(&s, &u, &id, r, "ci_unlinked", Kept::default()).await
}

fn too_big() -> AppError {
    AppError::bad_request("ticket.attachment_size", "附件不能为空，且不超过20MB")
}

/// Largest upload request: the file plus the form around it.
pub(super) const UPLOAD_LIMIT: usize = tickets::MAX_ATTACHMENT_BYTES + 64 * 1024;

pub(super) async fn upload(
    State(s): State<AppState>,
    ReqCtx(ctx): ReqCtx,
    u: UiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Page {
    let m = m.map_err(|_| bad_upload())?;
    // A form that cannot be read, or a file over the limit: the error page.
    let up = read_upload(m, tickets::MAX_ATTACHMENT_BYTES, too_big).await?;
    ticket_user(&u)?;
    let kind_other = up.field("kind_other");
    let kind = if kind_other.trim().is_empty() {
        up.field("kind")
    } else {
        kind_other.trim().to_string()
    };
    let r = tickets::attach(
        &s.platform,
        &ctx,
        &u.principal,
        &id,
        &kind,
        &up.filename,
        &up.content,
    )
    .await
    .map(|_| ());
    after(&s, &u, &id, r, "attached", Kept::default()).await
}

pub(super) async fn download(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    ticket_user(&u)?;
    let (a, bytes) = tickets::download(&s.platform, &u.principal, &id).await?;
    Ok(attachment_response(&a.filename, bytes))
}

/// `GET /tickets/attachments/{id}/preview`: the attachment shown in the
/// browser, with the download's permission check: an image or a PDF (by
/// its content) inline under its own type, framable by our pages only;
/// anything else as the download.
pub(super) async fn preview(State(s): State<AppState>, u: UiUser, Path(id): Path<String>) -> Page {
    ticket_user(&u)?;
    let (a, bytes) = tickets::download(&s.platform, &u.principal, &id).await?;
    Ok(crate::api::tickets::inline_response(&a.filename, bytes))
}

// ---- inbox, search ----

struct NoteLine {
    id: String,
    /// The page the notice links to (its ticket, register entry or
    /// control's subject); empty when none.
    link: String,
    /// The deadline of the to-do, where one is known.
    due: String,
    overdue: bool,
    title: String,
    body: String,
    at: String,
    unread: bool,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxTpl {
    l: Layout,
    notes: Vec<NoteLine>,
    unread: usize,
}

async fn inbox_view(s: &AppState, u: &UiUser, notice: Option<String>) -> Page {
    let now = s.platform.clock.now().timestamp_micros();
    let notes: Vec<NoteLine> = tickets::notifications(&s.platform, &u.principal, 100)
        .await?
        .into_iter()
        .map(|n| NoteLine {
            id: n.id,
            link: n
                .ticket_id
                .map(|t| format!("/tickets/{t}"))
                .or(n.link)
                .unwrap_or_default(),
            due: n.due_at.map(fmt_minute).unwrap_or_default(),
            overdue: n.due_at.is_some_and(|d| d < now),
            title: n.title,
            body: n.body,
            at: fmt_minute(n.created_at),
            unread: n.read_at.is_none(),
        })
        .collect();
    render(&InboxTpl {
        l: Layout::for_user(u, "/inbox").with(notice, None),
        unread: notes.iter().filter(|n| n.unread).count(),
        notes,
    })
}

pub(super) async fn inbox(State(s): State<AppState>, u: UiUser) -> Page {
    ticket_user(&u)?;
    inbox_view(&s, &u, None).await
}

pub(super) async fn mark_read(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<String>,
) -> Page {
    ticket_user(&u)?;
    tickets::mark_read(&s.platform, &u.principal, &id).await?;
    Ok(Redirect::to("/inbox").into_response())
}

pub(super) async fn mark_all_read(State(s): State<AppState>, u: UiUser) -> Page {
    ticket_user(&u)?;
    let unread: Vec<String> = tickets::notifications(&s.platform, &u.principal, 200)
        .await?
        .into_iter()
        .filter(|n| n.read_at.is_none())
        .map(|n| n.id)
        .collect();
    for id in &unread {
        tickets::mark_read(&s.platform, &u.principal, id).await?;
    }
    inbox_view(
        &s,
        &u,
        Some(format!("已将 {} 条消息标为已读", unread.len())),
    )
    .await
}

/// Counts for the home page: (to-do items, unread messages).
pub(super) async fn counts(s: &AppState, u: &UiUser) -> Option<(usize, usize)> {
    if !u.principal.can_somewhere(Action::BusinessRead) {
        return None;
    }
    let todo = tickets::todo(&s.platform, &u.principal)
        .await
        .map(|v| v.len())
        .unwrap_or(0);
    let unread = tickets::notifications(&s.platform, &u.principal, 200)
        .await
        .map(|v| v.iter().filter(|n| n.read_at.is_none()).count())
        .unwrap_or(0);
    Some((todo, unread))
}
